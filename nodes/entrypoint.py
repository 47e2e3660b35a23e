"""A lab container's start: default route through the router, then wait for it."""
import os
import sys
import time

from lanlab import node
from lanlab import programs  # the hosts' programs: chat listener, file server


def main() -> int:
    started = time.monotonic()
    node.clear_ready()
    try:
        node.boot_on_subnet(os.environ["LANLAB_SUBNET"], started)
    except node.NodeError as error:
        node.log(f"error: {error}")
        return 1
    programs.start()
    node.mark_ready(started)
    node.sleep_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
