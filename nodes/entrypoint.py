"""A lab host's start: `python3 -S /opt/lanlab/nodes/entrypoint.py` (the Dockerfile's
CMD; PYTHONPATH names lanlab, since -S leaves out site). Everything is in lanlab/host/program.py:
the DHCP boot, the host's programs, the ready marker, udhcpc kept running."""
import sys

from lanlab.host import program

if __name__ == "__main__":
    sys.exit(program.main())
