"""lanlab: a small internet on one machine.

One package for everything: the protocol code (no I/O), the programs the containers
run, and the lab control the Makefile and tests use. Containers and tests import the
same code, so a codec is tested once.
"""
__version__ = "0.1.0"
