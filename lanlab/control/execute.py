"""Running a command in a lab container, bounded in time: the lab tests, the probes and
the benchmarks use it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.code == 0


def exec_in(container, argv: list[str] | str, timeout: float = 30, **kwargs) -> Output:
    """Run a command in a container, bounded by coreutils `timeout` inside it."""
    if isinstance(argv, str):
        argv = ["sh", "-c", argv]
    result = container.exec_run(["timeout", "-s", "KILL", str(int(timeout)), *argv], demux=True, **kwargs)
    out, err = result.output or (b"", b"")
    return Output(result.exit_code, (out or b"").decode(errors="replace"), (err or b"").decode(errors="replace"))
