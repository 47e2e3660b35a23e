"""Start, wait for, inspect and remove a lab. The Makefile and the lab tests call this.

Containers are found by their Compose labels (project and service), never by name:
v1 names them proj_svc_1 and v2 proj-svc-1. "Ready" means every container's Docker
healthcheck says healthy; a host is healthy once its start-up finished and its gateway
answers (nodes/bin/lanlab-health). A container that exits or stays unhealthy fails `up` with
its logs.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from lanlab.control import base
from lanlab.control.compose import ROOT, Compose
from lanlab.control.errors import LabError

PROJECT = "lanlab"
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


def say(message: str) -> None:
    print(f"lanlab: {message}", file=sys.stderr, flush=True)


def project_name() -> str:
    return os.environ.get("LANLAB_PROJECT", PROJECT)


def compose_files() -> tuple[Path, ...]:
    extra = os.environ.get("LANLAB_COMPOSE_FILE")
    return (Path(extra),) if extra else (ROOT / "compose.yaml",)


def client() -> docker.DockerClient:
    try:
        return docker.from_env(version="auto", timeout=120)
    except docker.errors.DockerException as error:
        raise LabError(f"cannot talk to the Docker engine ({error}); is it running, and may you use it?") from None


@dataclass
class Lab:
    project: str
    files: tuple[Path, ...]

    @classmethod
    def from_env(cls) -> "Lab":
        return cls(project_name(), compose_files())

    @property
    def compose(self) -> Compose:
        return Compose(self.project, self.files)

    def containers(self, all: bool = True) -> list:
        return client().containers.list(all=all, filters={"label": f"{PROJECT_LABEL}={self.project}"})

    def container(self, service: str):
        for container in self.containers():
            if container.labels.get(SERVICE_LABEL) == service:
                return container
        raise LabError(f"no container for {service!r} in lab {self.project!r}; is the lab up (`make up`)?")

    def services(self) -> list[str]:
        return sorted(c.labels.get(SERVICE_LABEL, "?") for c in self.containers())

    def is_up(self) -> bool:
        containers = self.containers(all=False)
        return bool(containers) and all(health(c) == "healthy" for c in containers)

    # --- up -------------------------------------------------------------------------

    def build(self) -> None:
        base.ensure_base()
        say("building the lab's images (our code on top of the base)")
        self.compose.run("build", "--quiet", timeout=900)

    def up(self, timeout: float = 120) -> float:
        """Build, start and wait; return the seconds from `compose up` to ready."""
        self.build()
        started = time.monotonic()
        say(f"starting lab {self.project!r}")
        self.compose.run("up", "-d", "--no-build", timeout=300)
        self.wait(timeout, started)
        took = time.monotonic() - started
        say(f"lab {self.project!r} ready in {took:.1f} s: {len(self.containers())} containers healthy")
        return took

    def wait(self, timeout: float = 120, started: float | None = None) -> None:
        started = started or time.monotonic()
        say("waiting for every container to be healthy (hosts reach their gateway)")
        deadline = started + timeout
        while time.monotonic() < deadline:
            containers = self.containers()
            states = {name_of(c): health(c) for c in containers}
            broken = [c for c in containers if c.status in ("exited", "dead")]
            if broken:
                self.fail(broken, "exited")
            if containers and all(state == "healthy" for state in states.values()):
                return
            time.sleep(0.2)
        waiting = [c for c in self.containers() if health(c) != "healthy"]
        self.fail(waiting, f"not healthy after {timeout:.0f} s")

    def fail(self, containers: list, why: str) -> None:
        for container in containers:
            print(f"\n----- logs of {name_of(container)} ({why}) -----", file=sys.stderr)
            print(container.logs(tail=40).decode(errors="replace"), file=sys.stderr)
        names = ", ".join(name_of(c) for c in containers)
        raise LabError(f"{names} {why}; logs above, fix and run `make down && make up`")

    # --- down -----------------------------------------------------------------------

    def down(self) -> float:
        started = time.monotonic()
        say(f"removing lab {self.project!r}: containers, networks and volumes")
        self.compose.run("down", "-v", "--remove-orphans", "-t", "2", timeout=300)
        leftover = self.containers()
        for container in leftover:
            container.remove(force=True, v=True)
        return time.monotonic() - started

    # --- status ---------------------------------------------------------------------

    def status_rows(self) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for container in sorted(self.containers(), key=name_of):
            service = name_of(container)
            if container.status != "running":
                rows.append((service, "-", "-", "-", container.status))
                continue
            rows.extend(node_rows(container, service))
        return rows


def node_rows(container, service: str) -> list[tuple[str, str, str, str, str]]:
    from lanlab import node

    addr = container.exec_run(["ip", "-j", "addr", "show"]).output.decode()
    route = container.exec_run(["ip", "-j", "route", "show"]).output.decode()
    gateway = node.default_gateway(node.parse_routes(route)) or "none"
    networks = container.attrs["NetworkSettings"]["Networks"]
    rows = []
    for interface in node.parse_addresses(addr):
        for address in interface.addresses:
            network = network_name(networks, address) or interface.name
            rows.append((service, network, str(address), gateway, health(container)))
    return rows or [(service, "-", "-", gateway, health(container))]


def network_name(networks: dict, address) -> str | None:
    import ipaddress
    for name, info in networks.items():
        prefix = info.get("IPPrefixLen") or 24
        docker_ip = info.get("IPAddress")
        if docker_ip and address.ip in ipaddress.ip_network(f"{docker_ip}/{prefix}", strict=False):
            return name.split("_", 1)[-1] if "_" in name else name
    return None


def name_of(container) -> str:
    return container.labels.get(SERVICE_LABEL, container.name)


def health(container) -> str:
    state = container.attrs.get("State", {})
    if state.get("Status") != "running":
        return state.get("Status", "unknown")
    return state.get("Health", {}).get("Status", "running")


def format_table(rows, header=("node", "network", "address", "gateway", "health")) -> str:
    rows = [header, *rows]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in rows)


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
