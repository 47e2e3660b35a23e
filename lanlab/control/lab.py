"""Start, wait for, inspect and remove a lab. The Makefile and the lab tests call this.

Two kinds of lab share this code: the default lab (compose.yaml, project LANLAB_PROJECT,
or LANLAB_COMPOSE_FILE) and generated labs (`make up SUBNETS=N HOSTS=M`), whose files
live in build/<project>/ (lanlab/control/generate.py) next to a lab.json that remembers
them, so that `make down` finds and removes every lab it started.

Containers are found by their Compose labels (project and service), never by name:
v1 names them proj_svc_1 and v2 proj-svc-1. "Ready" means every container finished its
own start (its "ready" log line, or a healthy healthcheck: lanlab/control/watch.py); a
container that exits fails `up` with its logs. `compose up` runs under a watchdog:
docker-compose 1.29 has been seen to hang creating many containers (no progress, no
load) and to finish at once when run again, so a stalled `up` is stopped and re-run.
"""
from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lanlab import topology
from lanlab.control import base, generate, images, labfile, links
from lanlab.control.compose import ROOT, Compose
from lanlab.control.engine import client, name_of
from lanlab.control.errors import LabError, say
from lanlab.control.removal import remove_lab
from lanlab.control.routes import host_routes
from lanlab.control.status import status_rows
from lanlab.control.watch import PROJECT_LABEL, SERVICE_LABEL, Watch
from lanlab.wire.capture import remove_leftovers

PROJECT = "lanlab"
STATE_FILE = "lab.json"
STALL_SECONDS = 60          # no new container, start or network attachment for this long
UP_ATTEMPTS = 3
COMPOSE_PARALLEL_LIMIT = 64  # docker-compose 1.29's default


INNER_STARTS = 32            # containers docker-compose 1.29 may create and start at once


def parallel_limit(services: int) -> int:
    """COMPOSE_PARALLEL_LIMIT that cannot deadlock docker-compose 1.29.

    v1 runs each service's start in a thread that holds a slot of one global semaphore
    (64 slots) and then starts the service's container in a nested thread that needs a
    slot of the same semaphore. When 64 or more services start at once (100 hosts that
    depend on the router all become startable together) the outer threads hold every
    slot and the inner ones wait forever: the "hang with no progress and no load".
    With INNER_STARTS slots more than there are services, an inner thread always finds
    one, and no more than INNER_STARTS containers are being made at once (twice the
    services let 200 requests queue in the engine until some timed out after 60 s)."""
    return max(COMPOSE_PARALLEL_LIMIT, services + INNER_STARTS)


def project_name() -> str:
    return os.environ.get("LANLAB_PROJECT", PROJECT)


def compose_files() -> tuple[Path, ...]:
    extra = os.environ.get("LANLAB_COMPOSE_FILE")
    return (Path(extra),) if extra else (ROOT / "compose.yaml",)


@dataclass
class Lab:
    project: str
    files: tuple[Path, ...]
    env: dict[str, str] = field(default_factory=dict)
    plan: topology.Plan | None = None
    directory: Path | None = None       # set for generated labs: build/<project>
    hangs: int = 0                       # compose `up` runs stopped by the watchdog
    labfile: "labfile.LabFile | None" = None  # set for labs from a lab file
    labtext: str = ""

    @classmethod
    def from_env(cls) -> "Lab":
        return cls(project_name(), compose_files())

    @classmethod
    def generated(cls, subnets: int, hosts: int, base_octets: str | None = None,
                  project: str | None = None) -> "Lab":
        """A generated lab; nothing is written or started until up()."""
        base_octets = base_octets or os.environ.get("LANLAB_BASE") or topology.GENERATED_BASE
        try:
            plan = topology.generated_plan(subnets, hosts, base_octets)
        except topology.PlanError as error:
            raise LabError(str(error)) from None
        project = project or f"{project_name()}-{subnets}x{hosts}"
        directory = generate.BUILD / project
        return cls(project, (directory / "compose.yaml",), {"LANLAB_SVC": plan.svc.prefix},
                   plan, directory)

    @classmethod
    def from_labfile(cls, path: str) -> "Lab":
        """The lab a lab file describes, project LANLAB_PROJECT-<name>; nothing is written
        or started until up(). labs/default.yaml is compose.yaml's lab (a unit test keeps
        them equal), so its lab is the default one; a copy of it, edited, is a lab of its own."""
        try:
            lab = labfile.load(path)
        except labfile.LabFileError as error:
            raise LabError(str(error)) from None
        if Path(path).resolve() == ROOT / "labs" / "default.yaml":
            return cls.from_env()
        project = f"{project_name()}-{lab.name}"
        return cls(project, (generate.BUILD / project / "compose.yaml",), {}, None,
                   generate.BUILD / project, labfile=lab,
                   labtext=labfile.substitute_lines(Path(path).read_text(), os.environ, str(path)))

    @classmethod
    def recorded(cls, directory: Path) -> "Lab":
        state = json.loads((directory / STATE_FILE).read_text())
        if not (directory / generate.PLAN_FILE).exists():
            lab = labfile.load(directory / generate.LAB_FILE, env=state["env"])
            return cls(state["project"], (directory / "compose.yaml",), state["env"], None, directory,
                       labfile=lab)
        plan = topology.plan_from_dict(json.loads((directory / generate.PLAN_FILE).read_text()))
        return cls(state["project"], (directory / "compose.yaml",), state["env"], plan, directory)

    @property
    def compose(self) -> Compose:
        return Compose(self.project, self.files, self.compose_env())

    def compose_env(self) -> dict[str, str]:
        env = dict(self.env)
        if self.expected():
            env.setdefault("COMPOSE_PARALLEL_LIMIT", os.environ.get("COMPOSE_PARALLEL_LIMIT")
                           or str(parallel_limit(self.expected())))
            env.setdefault("COMPOSE_HTTP_TIMEOUT", os.environ.get("COMPOSE_HTTP_TIMEOUT") or "300")
        return env

    def containers(self, all: bool = True) -> list:
        # ignore_removed: a container removed between Docker's list and its inspect (a lab
        # being taken down while another command looks) is gone, not an error.
        return client().containers.list(all=all, filters={"label": f"{PROJECT_LABEL}={self.project}"},
                                        ignore_removed=True)

    def container(self, service: str):
        for container in self.containers():
            if container.labels.get(SERVICE_LABEL) == service:
                return container
        raise LabError(f"no container for {service!r} in lab {self.project!r}; is the lab up (`make up`)?")

    def count(self) -> int:
        """How many containers the lab has (one API call, no inspect per container)."""
        return len(client().api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={self.project}"}))

    def services(self) -> list[str]:
        return sorted(c.labels.get(SERVICE_LABEL, "?") for c in self.containers())

    def watch(self) -> Watch:
        ready_dir = self.directory / generate.READY_DIR if self.directory is not None else None
        return Watch(client().api, self.project, ready_dir)

    def is_up(self) -> bool:
        snapshot = self.watch().poll()
        return snapshot.all_ready and snapshot.running == snapshot.total

    def expected(self) -> int | None:
        if self.labfile is not None:
            lab = self.labfile
            return len(lab.routers) + len(lab.servers()) + len(lab.hosts)
        if self.plan is not None and self.directory is not None:
            return len(self.plan.hosts) + len(topology.SERVICES)
        return None

    # --- up -------------------------------------------------------------------------

    def build(self) -> None:
        with images.building():   # two labs starting at once build once
            base.ensure_base()
            if images.up_to_date():
                say("the lab's image is up to date")
                return
            say("building the lab's image (our code on top of the base)")
            images.build()
            images.record()

    def prepare(self) -> None:
        """Refuse a plan that collides with this machine's routes; write a generated lab;
        make the learner's workspace (work/, mounted at /work in every node)."""
        generate.WORK_DIR.mkdir(exist_ok=True)
        plan = self.plan or (topology.default_plan() if self.files == (ROOT / "compose.yaml",) else None)
        if plan is not None or self.labfile is not None:
            self.check_routes(plan)
        if self.labfile is not None:
            try:
                path = generate.write_labfile(self.labfile, self.labtext, self.directory)
            except labfile.LabFileError as error:
                raise LabError(str(error)) from None
            self.remember()
            say(f"generated lab {self.labfile.name!r} from {self.labfile.path}: {path.relative_to(ROOT)}")
        elif self.directory is not None:
            path = generate.write_lab(self.plan, self.directory)
            self.remember()
            say(f"generated {generate.lab_title(self.plan)}: {path.relative_to(ROOT)}")

    def check_routes(self, plan) -> None:
        """Refuse subnets that overlap a route of this machine. The lab's own networks,
        if it is up already, are routes too: Docker is asked for them only when something
        overlaps (so `make up` of a lab that is down starts compose without a Docker call)."""
        def check(routes) -> None:
            if self.labfile is not None:
                labfile.check_routes(self.labfile, routes)
            else:
                topology.check_routes(plan, routes)
        routes = host_routes()
        try:
            check(routes)
        except (topology.PlanError, labfile.LabFileError):
            own = self.own_subnets()
            try:
                check([r for r in routes if r not in own])
            except (topology.PlanError, labfile.LabFileError) as error:
                raise LabError(str(error)) from None

    def own_subnets(self) -> set:
        networks = client().networks.list(filters={"label": f"{PROJECT_LABEL}={self.project}"})
        subnets = set()
        for net in networks:
            for config in (net.attrs.get("IPAM") or {}).get("Config") or []:
                if config.get("Subnet"):
                    subnets.add(ipaddress.ip_network(config["Subnet"], strict=False))
        return subnets

    def remember(self) -> None:
        title = f"lab file {self.labfile.path}" if self.labfile else generate.lab_title(self.plan)
        state = {"project": self.project, "parent": project_name(), "env": self.env, "title": title}
        (self.directory / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n")

    def up(self, timeout: float | None = None, remember: bool = True) -> float:
        """Build, start and wait; return the seconds from `compose up` to ready. `remember`:
        make this the lab that commands without LAB= act on (tests starting labs of their own
        beside the default lab say no)."""
        self.build()
        self.prepare()
        if remember:
            remember_last(self.project)
        started = time.monotonic()
        say(f"starting lab {self.project!r}")
        watch = self.start()
        self.wait(timeout or self.ready_budget(), started, watch)
        if self.labfile is not None:
            links.at_up(self.project, self.labfile)
        took = time.monotonic() - started
        say(f"lab {self.project!r} ready in {took:.1f} s: {self.count()} containers ready")
        return took

    def ready_budget(self) -> float:
        return 120 + 1.0 * (self.expected() or 0)

    def start(self, attempts: int = UP_ATTEMPTS, stall: float = STALL_SECONDS,
              watch: Watch | None = None) -> Watch:
        """`compose up -d`, stopped and run again when it makes no progress for `stall` s;
        the Watch that followed it (made once compose runs: it needs the Docker SDK)."""
        for attempt in range(1, attempts + 1):
            finished, watch = self.start_once(stall, watch)
            if finished:
                return watch
            self.hangs += 1
            say(f"compose made no progress for {stall:.0f} s (the docker-compose 1.29 hang); "
                f"stopped it{', running `up -d` again' if attempt < attempts else ''}")
        raise LabError(f"`compose up` hung {attempts} times; run `make down`, restart the Docker "
                       "engine if it persists, then `make up`")

    def start_once(self, stall: float, watch: Watch | None) -> tuple[bool, Watch]:
        with tempfile.TemporaryFile("w+") as output:
            process = subprocess.Popen(self.compose.argv("up", "-d", "--no-build"), cwd=ROOT,
                                       env={**os.environ, **self.compose_env()}, stdout=output,
                                       stderr=subprocess.STDOUT, start_new_session=True)
            watch = watch or self.watch()
            finished = self.follow(process, stall, watch)
            if not finished:
                stop(process)
                return False, watch
            if process.returncode != 0:
                output.seek(0)
                lines = output.read().strip().splitlines()
                print("\n".join(lines[-20:]), file=sys.stderr)
                raise LabError(f"`compose up` failed (exit {process.returncode}): "
                               f"{lines[-1] if lines else 'no output'}")
            return True, watch

    def follow(self, process: subprocess.Popen, stall: float, watch: Watch) -> bool:
        """Wait for compose, showing progress; False if it stalled."""
        last, changed, shown = None, time.monotonic(), time.monotonic()
        expected = self.expected()
        while True:
            try:
                process.wait(timeout=1.0)
                return True
            except subprocess.TimeoutExpired:
                pass
            snap = watch.poll(read_ready=False)
            progress = (snap.total, snap.running, snap.networks)
            now = time.monotonic()
            if progress != last:
                last, changed = progress, now
            elif now - changed > stall:
                return False
            if now - shown >= 5:
                of = f"/{expected}" if expected else ""
                say(f"compose: {snap.total}{of} containers created, {snap.running} running")
                shown = now

    def wait(self, timeout: float = 120, started: float | None = None,
             watch: Watch | None = None) -> None:
        started = started or time.monotonic()
        say("waiting for every container to be ready (hosts: a lease, the gateway, their name in DNS)")
        deadline, watch, shown = started + timeout, watch or self.watch(), time.monotonic()
        while time.monotonic() < deadline:
            snap = watch.poll()
            if snap.broken:
                self.fail([self.container(s) for s in snap.broken], "exited")
            if snap.all_ready:
                return
            if time.monotonic() - shown >= 5:
                say(f"{len(snap.ready)}/{snap.total} containers ready")
                shown = time.monotonic()
            watch.changed(0.15)
        waiting = [c for c in self.containers() if name_of(c) not in watch.poll().ready]
        self.fail(waiting or self.containers(), f"not ready after {timeout:.0f} s")

    def fail(self, containers: list, why: str) -> None:
        for container in containers[:5]:
            print(f"\n----- logs of {name_of(container)} ({why}) -----", file=sys.stderr)
            print(container.logs(tail=40).decode(errors="replace"), file=sys.stderr)
        names = ", ".join(name_of(c) for c in containers[:10])
        more = f" and {len(containers) - 10} more" if len(containers) > 10 else ""
        raise LabError(f"{names}{more} {why}; logs above, fix and run `make down && make up`")

    # --- down -----------------------------------------------------------------------

    def down(self) -> float:
        """Remove the lab (lanlab.control.removal); return the seconds it took."""
        started = time.monotonic()
        say(f"removing lab {self.project!r}: containers, networks and volumes")
        remove_leftovers(self.project, everything=True)     # a `make capture` left by a killed run
        remove_lab(self.project, self.directory)
        return time.monotonic() - started

    def status_rows(self) -> list[tuple[str, str, str, str, str]]:
        return status_rows(self.containers())


def last_file() -> Path:
    """build/last-<LANLAB_PROJECT>: the project `make up` started last, so that status,
    logs, shell and leases act on it when several labs run."""
    return generate.BUILD / f"last-{project_name()}"


def remember_last(project: str) -> None:
    generate.BUILD.mkdir(parents=True, exist_ok=True)
    last_file().write_text(project + "\n")


def last_project() -> str | None:
    try:
        return last_file().read_text().strip() or None
    except OSError:
        return None


def generated_labs(parent: str | None = None) -> list[Lab]:
    """The generated labs started from this checkout under project `parent`."""
    parent = parent or project_name()
    labs = []
    for state in sorted(generate.BUILD.glob(f"*/{STATE_FILE}")):
        try:
            if json.loads(state.read_text()).get("parent") == parent:
                labs.append(Lab.recorded(state.parent))
        except (OSError, ValueError, KeyError, topology.PlanError, labfile.LabFileError):
            say(f"ignoring an unreadable {state.relative_to(ROOT)}")
    return labs


def stop(process: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


