"""The router container's start: everything is in lanlab/router/program.py."""
import sys

from lanlab.router import program

if __name__ == "__main__":
    sys.exit(program.main())
