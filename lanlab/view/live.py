"""The running lab as the page sees it, kept live.

The lab's shape comes from lanlab.control.inventory (docker inspect only); it is read
again whenever `docker events` reports a container or network event of the project
(a stopped node is grey within a second), and the hosts' leased addresses are read from
the DHCP server's lease table every few seconds while a page is open (one docker exec).
Subscribers get the whole state each time it changes: {"kind": "lab", "up", "lab", "leases"}.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import replace

from lanlab import contracts
from lanlab.control import links
from lanlab.control.errors import LabError
from lanlab.control.inventory import PROJECT_LABEL, SERVICE_LABEL, Inventory, inventory

LOG = logging.getLogger("lanlab.view")
LEASE_SECONDS = 5.0
SETTLE = 0.1               # events come in bursts (kill, die, stop): read the lab once per burst
RUNNING_AFTER = {"die": False, "start": True}
LEASES_CMD = ["python3", "-m", "lanlab.dhcp.leases", contracts.LEASE_DIR]


def parse_leases(table: str) -> dict[str, str]:
    """`make leases`' table -> {host name: address} for bound leases."""
    leases = {}
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 4 and fields[3] == "bound" and fields[1] != "-":
            leases[fields[1]] = fields[0]
    return leases


def is_up(inv: Inventory) -> bool:
    return any(node.running for node in inv.nodes.values())


class LiveLab:
    def __init__(self, project: str):
        self.project = project
        self.inventory = Inventory(project)
        self.leases: dict[str, str] = {}
        self.subscribers: set[asyncio.Queue] = set()
        self.changed = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.on_change = None          # called after every change (the frames follow the lab)
        self.since = time.time()       # events from here on are followed (none is missed)

    def state(self) -> dict:
        return {"kind": "lab", "up": is_up(self.inventory), "lab": self.inventory.to_json(),
                "leases": self.leases, "links": links.conditions_of(self.project, self.inventory)}

    async def refresh(self) -> None:
        try:
            self.inventory = await asyncio.to_thread(inventory, self.project)
        except LabError as error:
            LOG.warning("lanlab view: cannot read the lab: %s", error)
            self.inventory = Inventory(self.project)
        self.publish()

    def publish(self) -> None:
        if self.on_change is not None:
            self.on_change()
        state = self.state()
        for queue in list(self.subscribers):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(state)

    async def start(self) -> None:
        self.since = time.time()
        await self.refresh()
        self.tasks = [asyncio.create_task(self.follow_events()), asyncio.create_task(self.follow_leases())]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def follow_events(self) -> None:
        """`docker events` for the project, for ever (restarted if the engine restarts)."""
        while True:
            since, self.since = self.since, time.time()
            process = await asyncio.create_subprocess_exec(
                "docker", "events", "--format", "{{json .}}", "--since", f"{since:.3f}",
                "--filter", f"label={PROJECT_LABEL}={self.project}",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            try:
                await self.read_events(process.stdout)
            finally:
                if process.returncode is None:
                    process.kill()
                await process.wait()
            await asyncio.sleep(1.0)

    async def read_events(self, stream: asyncio.StreamReader) -> None:
        pending: asyncio.Task | None = None
        while line := await stream.readline():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("Type") in ("container", "network") and not event.get("Action", "").startswith("exec_"):
                self.apply(event)
                if pending is None or pending.done():
                    pending = asyncio.create_task(self.settle_then_refresh())

    def apply(self, event: dict) -> None:
        """A container that died or started is shown so at once (the full read follows)."""
        running = RUNNING_AFTER.get(event.get("Action", ""))
        service = ((event.get("Actor") or {}).get("Attributes") or {}).get(SERVICE_LABEL)
        node = self.inventory.nodes.get(service or "")
        if event.get("Type") == "container" and running is not None and node is not None \
                and node.running != running:
            health = "starting" if running else "exited"
            self.inventory.nodes[node.name] = replace(node, running=running, health=health)
            self.publish()

    async def settle_then_refresh(self) -> None:
        await asyncio.sleep(SETTLE)
        await self.refresh()

    async def follow_leases(self) -> None:
        first = True
        while True:
            if self.subscribers or first:
                first = False
                leases = await asyncio.to_thread(self.read_leases)
                if leases is not None and leases != self.leases:
                    self.leases = leases
                    self.publish()
            await asyncio.sleep(LEASE_SECONDS)

    def read_leases(self) -> dict[str, str] | None:
        node = next((n for n in self.inventory.nodes.values() if n.role == "dhcp" and n.running), None)
        if node is None:
            return None
        from lanlab.view.docker_exec import run
        result = run(node.container_id, LEASES_CMD, timeout=10)
        return parse_leases(result) if result is not None else None
