"""Running a learner's programs in the lab's nodes, and the result of one check.

A lesson's checks (lanlab/lessons/<lesson>.py) get a Session: its hosts (alice, bob,
carol, files), each with the learner's workspace copied to /tmp/lanlab-check/work, and
start programs there with Host.start(). Each program runs

- as the user `learner` without capabilities (lanlab/lessons/sandbox.py),
- under `timeout` (its time limit) in a session of its own, so Proc.stop() ends it and
  every process it started,
- with stdout and stderr cut at OUTPUT_LIMIT bytes (a program that floods its output is
  stopped by the pipe, not by the disk), and stdin from /dev/null or from a FIFO that
  Proc.type() writes lines into.

Why a copy and not /work itself: a class's workspaces are checked one after the other in
one lab, and each starts from its own files only; a program cannot leave anything behind
for the next (Session.close() removes the copy and kills every process of `learner`).

Every wait is a loop inside the node (one `docker exec`) until a deadline, not a sleep
here: on a busy machine a `docker exec` alone has been seen to take two seconds.
"""
from __future__ import annotations

import io
import secrets
import shlex
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lanlab.contracts import CHAT_PAUSE
from lanlab.control.errors import LabError
from lanlab.control.execute import exec_in
from lanlab.control.lab import Lab
from lanlab.lessons import sandbox
from lanlab.lessons.messages import Messages

RUN = "/tmp/lanlab-check"
WORK = f"{RUN}/work"
SCRATCH = f"{RUN}/scratch"          # where the learner's programs may write (OUT files)
OUTPUT_LIMIT = 1_000_000
FILE_LIMIT_KB = 400 * 1024          # a download's OUT is 100 MiB; a runaway writer stops here
FILE_SIZE_LIMIT = 5 * 1024 * 1024  # a workspace file bigger than this is not copied
HOSTS = ("alice", "bob", "carol", "files")
POLL = 0.05
WAIT = 10           # seconds for what a working program does at once (a loaded machine is slow)


@dataclass(frozen=True)
class Result:
    lesson: str
    check: str
    passed: bool
    expected: str
    seen: str
    hint: str


class Proc:
    """One program started in a node; its files are RUN/<name>.{out,err,rc,in,pid}."""

    def __init__(self, host: "Host", name: str, limit: float):
        self.host, self.name, self.limit = host, name, limit
        self.ready = False          # start(ready=...): it bound its port
        self.status = None          # start(wait=...): its exit status, None if still running
        self.seen = ""              # start(wait=...): its output by then

    def path(self, suffix: str) -> str:
        return f"{RUN}/{self.name}.{suffix}"

    def rc(self) -> int | None:
        out = self.host.sh(f"cat {self.path('rc')} 2>/dev/null").out.strip()
        return int(out) if out.lstrip("-").isdigit() else None

    def wait(self, timeout: float) -> int | None:
        """The exit status once it ended, or None if it still runs after `timeout` s."""
        rc = self.path("rc")
        script = f"{until(timeout, f'[ -s {rc} ]')}; cat {rc} 2>/dev/null"
        out = self.host.sh(script, timeout=timeout + 10).out.strip()
        return int(out) if out.lstrip("-").isdigit() else None

    def output(self) -> str:
        return self.host.sh(f"cat {self.path('out')}").out

    def errors(self) -> str:
        return self.host.sh(f"cat {self.path('err')} 2>/dev/null").out

    def wait_for(self, text: str, timeout: float = WAIT) -> str:
        """Its output once it holds `text` (or it ended, or the time is up)."""
        test = f"grep -qF -- {shlex.quote(text)} {self.path('out')} || [ -s {self.path('rc')} ]"
        return self.host.sh(f"{until(timeout, test)}; cat {self.path('out')}", timeout=timeout + 10).out

    def type(self, line: str) -> None:
        """Send one line to its standard input (started with stdin=True)."""
        self.host.sh(f"printf '%s\\n' {shlex.quote(line)} > {self.path('in')}", timeout=5)

    def stop(self, then: str = "") -> None:
        """End it and everything in its session (not what it moved to a session of its own:
        Session.close() kills every process of `learner`); then run the shell line `then`."""
        self.host.sh(f"pid=$(cat {self.path('pid')} 2>/dev/null) && pkill -KILL -s \"$pid\"; {then or 'true'}")

    def describe(self, messages: Messages, stopped: bool = False) -> str:
        """What became of it, in one short phrase: crashed, stopped, or running (stopped:
        it was still running at its time limit, and has been stopped)."""
        rc = self.rc()
        if stopped:
            return messages.text("seen.stopped", seconds=int(self.limit))
        if rc is None:
            return messages.text("seen.running")
        if rc in (124, 137):
            return messages.text("seen.stopped", seconds=int(self.limit))
        last = (self.errors().strip().splitlines() or [""])[-1][:160]
        return messages.text("seen.exited", rc=rc, error=f": {last}" if last else "")


def until(seconds: float, test: str) -> str:
    """Shell: loop until `test` succeeds or `seconds` passed (bash's clock, not a count)."""
    return (f"end=$((SECONDS + {max(1, round(seconds))})); "
            f"until {test}; do [ $SECONDS -ge $end ] && break; sleep {POLL}; done")


def bound(port: int, proto: str, ended: str) -> str:
    """Shell test: something listens on TCP `port` / is bound to UDP `port`, or `ended` exists."""
    flag = "t" if proto == "tcp" else "u"
    return f"{{ ss -Hln{flag} 'sport = :{port}' | grep -q . || [ -s {ended} ]; }}"


class Host:
    """A lab node seen by the checks: commands as root, programs as the learner."""

    def __init__(self, lab: Lab, name: str):
        self.lab, self.name = lab, name
        self.container = lab.container(name)
        self.address = ""
        self.count = 0

    def sh(self, script: str, timeout: float = 30):
        return exec_in(self.container, ["bash", "-c", script], timeout=timeout)

    def prepare(self, workspace: Path | None) -> None:
        """A fresh RUN with the workspace's copy; learn this host's leased address."""
        script = (f"pkill -KILL -u {sandbox.USER}; rm -rf {RUN} && mkdir -p {WORK} {SCRATCH} "
                  f"&& chown {sandbox.USER}: {SCRATCH} && chmod 755 {RUN} "
                  "&& ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1")
        self.address = self.sh(script).out.strip()
        if workspace is not None:
            self.container.put_archive(WORK, archive(workspace))

    def start(self, command: list[str], limit: float, stdin: bool = False, learner: bool = True,
              ready: tuple[int, str] | None = None, wait: float = 0, before: str = "") -> Proc:
        """Start `command` in the background, after the shell line `before`; its files are
        named after this start. In the same `docker exec` (each one costs), wait until it
        is `ready` (port, "tcp" or "udp": bound; Proc.ready says if it was) or, with
        `wait`, until it ended or `wait` seconds passed."""
        self.count += 1
        proc = Proc(self, f"p{self.count}", limit)
        run = sandbox.argv(command) if learner else command
        stdin_from = f"<>{proc.path('in')}" if stdin else "</dev/null"
        rc = proc.path("rc")
        body = (f"echo $$ > {proc.path('pid')}; cd {WORK}; ulimit -f {FILE_LIMIT_KB}; "
                f"timeout -k 1 {limit:.0f} {shlex.join(run)} {stdin_from} "
                f"2> >(stdbuf -o0 head -c {OUTPUT_LIMIT} > {proc.path('err')}) "
                f"| stdbuf -o0 head -c {OUTPUT_LIMIT} > {proc.path('out')}; "
                f"echo ${{PIPESTATUS[0]}} > {rc}.new && mv {rc}.new {rc}")
        lines = [before, f"mkfifo -m 666 {proc.path('in')}" if stdin else "", f"touch {proc.path('out')}",
                 f"setsid bash -c {shlex.quote(body)} >/dev/null 2>&1 &"]
        if ready:
            lines.append(f"{until(WAIT, bound(*ready, rc))}; {bound(*ready, '/dev/null')}")
        elif wait:
            lines += [until(wait, f"[ -s {rc} ]"), f"cat {rc} 2>/dev/null || echo; cat {proc.path('out')}"]
        result = self.sh("\n".join(line for line in lines if line), timeout=max(WAIT, wait) + 20)
        proc.ready = result.ok
        if wait:
            first, _, proc.seen = result.out.partition("\n")
            proc.status = int(first) if first.strip().lstrip("-").isdigit() else None
        return proc

    def close(self) -> str:
        """End every program this check started (their sessions), then name and kill what
        of the learner's escaped them; give back UDP 9090 if the chat listener was paused;
        remove RUN."""
        script = (f"sids=\" $(cat {RUN}/*.pid 2>/dev/null | tr '\\n' ' ') \"; "
                  f"left=$(ps -o sid=,pid=,comm= -u {sandbox.USER} | "
                  "awk -v s=\"$sids\" 'index(s, \" \"$1\" \") == 0 {print $2, $3}' | tr '\\n' ' '); "
                  f"pkill -KILL -u {sandbox.USER}; for sid in $sids; do pkill -KILL -s $sid; done; "
                  f"[ -e {CHAT_PAUSE} ] && chat resume >/dev/null 2>&1; "
                  f"rm -rf {RUN}; echo \"$left\"")
        return self.sh(script).out.strip()


def archive(folder: Path) -> bytes:
    """A tar of the folder's files (no links, no special files, nothing hidden and nothing
    over FILE_SIZE_LIMIT: a workspace is source)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_symlink() or any(part.startswith(".") for part in relative.parts):
                continue
            if path.is_dir() or (path.is_file() and path.stat().st_size <= FILE_SIZE_LIMIT):
                tar.add(path, arcname=str(relative), recursive=False, filter=readable)
    return buffer.getvalue()


def readable(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """Root's, readable (not writable) by the learner: the copy stays as it was sent."""
    member.uid = member.gid = 0
    member.uname = member.gname = "root"
    member.mode = 0o755 if member.isdir() else 0o644
    return member


class Session:
    """The hosts of one lab, prepared for one workspace; close() leaves the lab as it was."""

    def __init__(self, lab: Lab, workspace: Path | None, messages: Messages, lesson: str):
        self.lab, self.workspace, self.messages, self.lesson = lab, workspace, messages, lesson
        try:
            self.hosts = {name: Host(lab, name) for name in HOSTS}
        except LabError:
            raise LabError(f"the lessons run in the default lab, with {', '.join(HOSTS)}; "
                           "start it with `make up`") from None
        with ThreadPoolExecutor(max_workers=len(self.hosts)) as pool:
            list(pool.map(lambda host: host.prepare(workspace), self.hosts.values()))

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def program(self, relative: str) -> str:
        return f"{WORK}/{relative}"

    def has(self, relative: str) -> bool:
        return self.workspace is not None and (self.workspace / relative).is_file()

    def absent(self, path: str, names, **values) -> list[Result]:
        """Every check in `names` failed, saying so, when the workspace has no `path`."""
        if self.has(path):
            return []
        return [self.result(name, False, self.messages.text("seen.no-file", path=path), **values)
                for name in names]

    def result(self, check: str, passed: bool, seen: str, **values) -> Result:
        key = f"{self.lesson}.{check}"
        return Result(self.lesson, check, passed, self.messages.text(f"{key}.expected", **values),
                      seen, "" if passed else self.messages.text(f"{key}.hint", **values))

    def close(self) -> dict[str, str]:
        with ThreadPoolExecutor(max_workers=len(self.hosts)) as pool:
            left = dict(zip(self.hosts, pool.map(Host.close, self.hosts.values())))
        return {name: text for name, text in left.items() if text}


def token(label: str) -> str:
    """A text no run has sent before: what a check sends and then looks for."""
    return f"{label}-{secrets.token_hex(4)}"


def free_port() -> int:
    """A port for this run's program (clear of the lab's own 9090 and of the last run's,
    which may still be in TIME_WAIT)."""
    return 20000 + secrets.randbelow(10000)


def excerpt(text: str, limit: int = 120) -> str:
    """Output shown in one line: newlines as ' | ', cut at `limit` characters."""
    flat = " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."
