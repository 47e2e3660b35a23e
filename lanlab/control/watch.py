"""Follow a lab's containers from created to ready, cheaply enough for 200 of them.

A container is ready when it finished its own start (lanlab.host.ready.mark_ready), or
Docker's healthcheck already calls it healthy. The start's end is seen without waiting
for the next healthcheck and without a `docker exec`:

- generated labs share a directory with every container (build/<project>/ready); each
  leaves a file named after its service there: one listing covers the whole lab;
- the default lab: the line "lanlab[NAME]: ready in X s" in the container's log since
  it last started, read as it is written: one thread per container follows its log
  (a streamed `docker logs -f`) until that line, and wakes the waiter at once.

One round costs one container list call on top; `changed(seconds)` sleeps until the next
round is due or a container said ready, whichever comes first. A container that Docker
reports unhealthy is not ready, whatever it said.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lanlab import contracts

READY_LINE = contracts.READY_WORDS
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


@dataclass(frozen=True)
class Snapshot:
    total: int
    running: int
    ready: frozenset[str]
    broken: tuple[str, ...]         # services whose container exited or died
    networks: int                   # networks created and attached so far (progress while creating)

    @property
    def all_ready(self) -> bool:
        return self.total > 0 and len(self.ready) == self.total


def health_of(status: str) -> str | None:
    """'Up 3 seconds (health: starting)' -> 'starting'; no healthcheck -> None."""
    if "(healthy)" in status:
        return "healthy"
    if "(unhealthy)" in status:
        return "unhealthy"
    if "(health: starting)" in status:
        return "starting"
    return None


def started_at(text: str) -> int:
    """Docker's '2024-05-01T10:00:00.123456789Z' -> whole seconds since the epoch."""
    return int(datetime.fromisoformat(text[:19] + "+00:00").timestamp())


def log_says_ready(log: bytes) -> bool:
    return READY_LINE.encode() in log


@dataclass
class Watch:
    api: object                      # docker.APIClient
    project: str
    ready_dir: Path | None = None
    ready: set[str] = field(default_factory=set)
    marked: set[str] = field(default_factory=set)
    followed: set[str] = field(default_factory=set)   # containers whose log a thread follows
    said: set[str] = field(default_factory=set)       # ... and that said ready in it
    wake: threading.Event = field(default_factory=threading.Event)

    def changed(self, seconds: float) -> None:
        """Sleep `seconds`, or less if a followed container says ready meanwhile."""
        self.wake.wait(seconds)
        self.wake.clear()

    def listing(self) -> list[dict]:
        return self.api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={self.project}"})

    def poll(self, read_ready: bool = True) -> Snapshot:
        """One round. With read_ready=False only counts (no log reads): while compose is
        still creating, the engine's time is better spent on compose."""
        entries = self.listing()
        if self.ready_dir is not None:
            self.marked = set(os.listdir(self.ready_dir)) if self.ready_dir.is_dir() else set()
        broken, running, networks = [], 0, 0
        for entry in entries:
            service = entry["Labels"].get(SERVICE_LABEL, entry["Id"][:12])
            networks += len((entry.get("NetworkSettings") or {}).get("Networks") or {})
            if entry["State"] in ("exited", "dead"):
                broken.append(service)
                self.ready.discard(entry["Id"])
            elif entry["State"] == "running":
                running += 1
                if read_ready:
                    self.update(entry)
        networks += len(self.api.networks(filters={"label": f"{PROJECT_LABEL}={self.project}"}))
        ids = {entry["Id"] for entry in entries}
        ready = {entry["Labels"].get(SERVICE_LABEL, "") for entry in entries if entry["Id"] in self.ready}
        self.ready &= ids
        return Snapshot(len(entries), running, frozenset(ready), tuple(sorted(broken)), networks)

    def update(self, entry: dict) -> None:
        health = health_of(entry.get("Status", ""))
        cid = entry["Id"]
        if health == "unhealthy":
            self.ready.discard(cid)
        elif health == "healthy" or (cid not in self.ready and self.said_ready(entry)):
            self.ready.add(cid)

    def said_ready(self, entry: dict) -> bool:
        if self.ready_dir is not None:
            return entry["Labels"].get(SERVICE_LABEL) in self.marked
        return self.log_ready(entry["Id"])

    def log_ready(self, cid: str) -> bool:
        if cid not in self.followed:
            self.followed.add(cid)
            since = started_at(self.api.inspect_container(cid)["State"]["StartedAt"])
            threading.Thread(target=self.follow, args=(cid, since), daemon=True).start()
        return cid in self.said

    def follow(self, cid: str, since: int) -> None:
        """Read the container's log as it is written until it says ready or ends."""
        try:
            stream = self.api.logs(cid, stdout=True, stderr=True, stream=True, follow=True, since=since)
        except Exception:  # gone already: the next round sees it exited or removed
            self.followed.discard(cid)
            return
        seen = b""
        try:
            for chunk in stream:
                seen = seen[-len(READY_LINE):] + chunk
                if log_says_ready(seen):
                    self.said.add(cid)
                    self.wake.set()
                    return
        except Exception:
            pass  # the stream broke: follow it again next round
        finally:
            stream.close()
        if cid not in self.said:
            self.followed.discard(cid)
