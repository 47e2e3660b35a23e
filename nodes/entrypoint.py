"""A lab host's start: its address, mask, gateway and DNS by DHCP (busybox udhcpc,
see lanlab/dhcp/client.py). Once the lease is held and the router answers, this process
becomes lanlab.hostd (os.execv: same process, a lean interpreter), which starts the
host's programs, says ready and keeps udhcpc running."""
import os
import sys
import time

from lanlab import hostd, node
from lanlab.dhcp import client


def main() -> int:
    started = time.monotonic()
    node.clear_ready()
    hostname = os.environ.get("LANLAB_NODE") or os.uname().nodename
    try:
        process, interface = client.boot(os.environ["LANLAB_SUBNET"], hostname)
    except node.NodeError as error:
        node.log(f"error: {error}")
        return 1
    udhcpc = client.udhcpc_argv(interface.name, hostname)
    os.execve(sys.executable, hostd.exec_argv(started, process.pid, udhcpc), hostd.exec_env())


if __name__ == "__main__":
    sys.exit(main())
