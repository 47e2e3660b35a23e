"""The view's capture: every network of the lab at once, streamed, from the host side of
each network's bridge (so frames between two hosts of one subnet are seen too).

One container of the lab's base image in the host's network namespace runs dumpcap
(Wireshark's capture program) on every bridge and writes one pcapng stream to stdout
(one Interface Description Block per bridge, in the order given): nothing to install on
the host. The container is named <project>-view-capture, so a leftover of a killed server
is removed when the next capture starts. Stopping: SIGTERM to `docker run` (passed on to
dumpcap), then `docker rm -f` of the container in any case.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator

from lanlab.view import pcapng

LOG = logging.getLogger("lanlab.view")
IMAGE = "lanlab-base:latest"
SNAPLEN = 2048
VIEW_LABEL = "lanlab.view"


def container_name(project: str) -> str:
    return f"{project}-view-capture"


def capture_argv(inventory, bpf: str) -> list[str]:
    argv = ["docker", "run", "--rm", "--name", container_name(inventory.project), "--network", "host",
            "--cap-add", "NET_RAW", "--cap-add", "NET_ADMIN", "--label", f"{VIEW_LABEL}={inventory.project}",
            IMAGE, "dumpcap", "-q", "-s", str(SNAPLEN), "-w", "-"]
    for network in sorted(inventory.networks.values(), key=lambda n: n.name):
        argv += ["-i", network.bridge] + (["-f", bpf] if bpf else [])
    return argv


async def remove(name: str) -> None:
    process = await asyncio.create_subprocess_exec("docker", "rm", "-f", name, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    await process.wait()


async def source(inventory, bpf: str = "") -> AsyncIterator[tuple[str, float, bytes]]:
    """(network name, capture time, frame) for every frame on every network of the lab."""
    names = [n.name for n in sorted(inventory.networks.values(), key=lambda n: n.name)]
    await remove(container_name(inventory.project))
    process = await asyncio.create_subprocess_exec(*capture_argv(inventory, bpf), stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE, limit=1 << 20)
    try:
        async for index, t, data in pcapng.frames(process.stdout.readexactly):
            yield names[index], t, data
    except asyncio.IncompleteReadError:
        message = (await process.stderr.read()).decode(errors="replace").strip().splitlines()
        raise RuntimeError(message[-1] if message else "the capture ended") from None
    finally:
        await stop(process, container_name(inventory.project))


async def stop(process: asyncio.subprocess.Process, name: str) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
    await remove(name)


def decode(network: str, t: float, data: bytes, inventory) -> dict:
    """The frame's JSON (docs/wire.md), by lanlab.wire's decoder."""
    try:
        from lanlab.wire.decode import frame_json
    except ImportError:
        return ethernet_only(network, t, data, inventory)
    return frame_json(network, t, data, inventory)


def ethernet_only(network: str, t: float, data: bytes, inventory) -> dict:
    from lanlab.view.frames import link_of, mac_text
    _, src, dst = link_of(network, data, inventory)
    return {"t": t, "network": network, "src_node": src, "dst_node": dst, "src_mac": mac_text(data[6:12]),
            "dst_mac": mac_text(data[0:6]), "src_ip": None, "dst_ip": None, "ttl": None, "ip_id": None,
            "proto": "other", "summary": f"{len(data)} bytes", "hop": None,
            "layers": [{"name": "Ethernet", "fields": {"dst": mac_text(data[0:6]), "src": mac_text(data[6:12]),
                                                        "type": data[12:14].hex()}}]}
