"""The router's start: no default route (nothing leaves the lab), software checksums on
every interface (real DHCP clients drop unfilled ones), then the DHCP relay."""
import time

from lanlab import node


def main() -> None:
    started = time.monotonic()
    node.clear_ready()
    node.drop_default_route()
    for interface in node.interfaces():
        node.checksum_offload_off(interface.name)
        node.log(f"{interface.name} {', '.join(map(str, interface.addresses))}")
    node.mark_ready(started)
    node.sleep_forever()


if __name__ == "__main__":
    main()
