"""Errors of the lab control, each carrying its own one-line message (as Kathara does):
caught once in lanlab.control.__main__, printed as one line, exit status 1."""


class LabError(RuntimeError):
    """Something the user can fix; str(error) says what to do."""
