"""Runs inside a node: a command under strace, and optionally strace attached to a server.

    python3 -S agent.py '{"dir": D, "command": "...", "timeout": 30, "server": "tcp:9090"}'

Copied into the node with hook.py (as D/hook/sitecustomize.py) by lanlab/wire/calls/record.py;
standard library only. Prints one JSON object on stdout, its answer: "error" (one line, or
null), the command's "stdout", "stderr", "seconds" and "timed_out", the pids it "killed",
strace's outputs ("command_strace", "server_strace"), the hook's "marks", the server's
"server_pids" and "server_tasks" (thread -> process), and whether it was "detached".

- The command runs as `strace -f ... -- sh -c COMMAND` with the hook on PYTHONPATH. The trace
  ends when the command itself ends: a child it forked and left running is detached and
  killed, as is everything still running at the time limit.
- A server is found by its listening port (`ss -lnp`), attached with `strace -f -p PID`
  (every thread) before the command starts, and detached once the command has ended and
  the server's trace has been quiet for QUIET seconds: the server keeps serving.
- Without a command (the server is in another node than the command), the agent only
  attaches, prints "attached" on a line of its own, and detaches once the host has
  created DIR/done (or at the time limit), then prints its answer.
Either way, no process stays attached: the answer says so ("detached", from TracerPid).
"""
import fcntl
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

# The contract with the host (record.py imports these) and with the hook (its MARKS_VAR).
HOOK = "hook/sitecustomize.py"      # where the host puts hook.py in DIR
DONE = "done"                       # DIR/done: the host says the command has ended
PID_FILE = "agent.pid"              # DIR/agent.pid: whom the host's Ctrl-C signals
MARKS = "marks"                     # DIR/marks/: the hook's files, one per process
MARKS_VAR = "LANLAB_CALLS_MARKS"    # hook.py reads the folder from this variable
SYSCALLS = ("socket,bind,listen,connect,accept,accept4,sendto,sendmsg,sendmmsg,send,"
            "recvfrom,recvmsg,recvmmsg,recv,read,write,readv,writev,shutdown,close,sendfile,"
            "clone,clone3,fork,vfork,execve")
# -C: strace's own count of each syscall at the end, which the recorded calls are checked against.
STRACE = ["strace", "-f", "-ttt", "-yy", "-s", "32", "-e", f"trace={SYSCALLS}",
          "-e", "signal=none", "-C", "-S", "name", "-U", "name,calls,errors"]
QUIET = 0.3          # seconds without a new line in the server's trace: it is done
QUIET_LIMIT = 3.0    # ... but never wait longer than this for it
ATTACH_LIMIT = 10.0
POLL = 0.02
LINGER = 0.5         # seconds strace may take to end after the command has


def listening_pids(server: str) -> list:
    """Pids of the processes listening on "tcp:PORT", "udp:PORT" or "any" in this node."""
    proto, _, port = server.partition(":")
    flags = {"tcp": ["-t"], "udp": ["-u"], "any": ["-t", "-u"]}[proto]
    query = ["ss", "-Hlnp", *flags] + ([f"sport = :{port}"] if port else [])
    out = subprocess.run(query, capture_output=True, text=True, timeout=10).stdout
    return sorted({int(pid) for pid in re.findall(r"pid=(\d+)", out)})


def attach(pids: list, out: str) -> subprocess.Popen:
    """strace attached to every thread of `pids`, once it says so."""
    argv = [*STRACE, "-o", out] + [arg for pid in pids for arg in ("-p", str(pid))]
    tracer = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, start_new_session=True)
    said = []
    deadline = time.monotonic() + ATTACH_LIMIT
    while len([line for line in said if "attached" in line]) < len(pids):
        line = tracer.stderr.readline()
        if not line or time.monotonic() > deadline:
            stop(tracer)
            raise RuntimeError(" ".join(said).strip() or "strace did not attach")
        said.append(line.strip())
        if "ptrace" in line or "Operation not permitted" in line:
            stop(tracer)
            raise RuntimeError(line.strip().removeprefix("strace: "))
    return tracer


def stop(tracer: subprocess.Popen) -> None:
    """strace detaches from every process when interrupted; a kill detaches too."""
    if tracer.poll() is None:
        tracer.send_signal(signal.SIGINT)
        try:
            tracer.wait(5)
        except subprocess.TimeoutExpired:
            tracer.kill()
            tracer.wait(5)


def wait_quiet(path: str) -> None:
    deadline = time.monotonic() + QUIET_LIMIT
    size, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = os.path.getsize(path) if os.path.exists(path) else 0
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= QUIET:
            return
        time.sleep(POLL)


def pidfd(pid: int) -> list:
    try:
        return [os.pidfd_open(pid)]
    except (ProcessLookupError, OSError):
        return []


def wait_for_end(tracer: subprocess.Popen, said_pid: int, deadline: float) -> None:
    """Until the command has ended (what it forked must not keep the trace open), strace
    itself has, or the deadline. The command's shell writes its pid to `said_pid` first; a
    pidfd becomes readable when its process ends."""
    ready, _, _ = select.select([said_pid], [], [], max(0.0, deadline - time.monotonic()))
    text = os.read(said_pid, 32).decode().strip() if ready else ""
    fds = pidfd(tracer.pid) + (pidfd(int(text)) if text.isdigit() else [])
    try:
        if len(fds) == 2:
            select.select(fds, [], [], max(0.0, deadline - time.monotonic()))
        else:
            tracer.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        for fd in fds:
            os.close(fd)


FORKED = re.compile(r"^\d+\s+[\d.]+\s+(?:(?:clone3?|v?fork)\(|<\.\.\. (?:clone3?|v?fork) resumed>).*\) = (\d+)$")


def traced_pids(path: str) -> set:
    """Every process and thread strace saw: those that made a call, and those forked."""
    pids = set()
    try:
        with open(path, errors="replace") as trace:
            for line in trace:
                if line[:1].isdigit():
                    pids.add(int(line.split(None, 1)[0]))
                    if forked := FORKED.search(line.rstrip()):
                        pids.add(int(forked.group(1)))
    except OSError:
        pass
    return pids


def kill_all(pids) -> list:
    killed = []
    for pid in pids:
        if pid <= 1 or pid == os.getpid():
            continue
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except (ProcessLookupError, PermissionError):
            pass
    return killed


def run_command(spec: dict, out: str) -> dict:
    """The command under strace, until it ends or the time limit; then nothing is left."""
    env = dict(os.environ)
    hook = os.path.join(spec["dir"], os.path.dirname(HOOK))
    env["PYTHONPATH"] = hook + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env[MARKS_VAR] = os.path.join(spec["dir"], MARKS)
    os.makedirs(env[MARKS_VAR], exist_ok=True)
    # The shell says its pid on a pipe, closes it, and runs the command itself (eval).
    said_pid, write_end = os.pipe()
    fd = fcntl.fcntl(write_end, fcntl.F_DUPFD, 3)   # the lowest free: one digit, as sh needs
    os.close(write_end)
    shell = f'echo $$ >&{fd}; exec {fd}>&-; eval "$0"'
    # --seccomp-bpf: the kernel stops the command only at the traced syscalls, not at all.
    argv = [*STRACE, "--seccomp-bpf", "-o", out, "--", "sh", "-c", shell, spec["command"]]
    began = time.monotonic()
    with open(out + ".stdout", "wb") as stdout, open(out + ".stderr", "wb") as stderr:
        tracer = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                  env=env, pass_fds=(fd,), start_new_session=True)
    os.close(fd)
    deadline = began + spec["timeout"]
    try:
        wait_for_end(tracer, said_pid, deadline)
    except Stopped:        # the host was interrupted (Ctrl-C): leave nothing behind
        stop(tracer)
        kill_all(traced_pids(out))
        raise
    finally:
        os.close(said_pid)
    seconds = time.monotonic() - began
    timed_out = time.monotonic() >= deadline
    if not timed_out:
        try:
            tracer.wait(LINGER)   # strace ends by itself unless the command left children
        except subprocess.TimeoutExpired:
            pass
    left = []
    if tracer.poll() is None:
        stop(tracer)
        left = kill_all(traced_pids(out) - {os.getpid()})
    return {"timed_out": timed_out, "killed": left, "strace_status": tracer.returncode,
            "seconds": seconds}


def read(path: str) -> str:
    try:
        with open(path, errors="replace") as file:
            return file.read()
    except OSError:
        return ""


def read_marks(folder: str) -> str:
    """Every process's marks (hook.py), without the unused, zeroed end of each file."""
    names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    return "\n".join(read(os.path.join(folder, name)).rstrip("\0") for name in names)


def still_traced(pids: list) -> list:
    traced = []
    for pid in pids:
        for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else ():
            status = read(f"/proc/{pid}/task/{task}/status")
            if re.search(r"^TracerPid:\s*[1-9]", status, re.M):
                traced.append(int(task))
    return traced


def tasks_of(pids: list) -> dict:
    """tid -> pid for every thread of the attached processes."""
    found = {}
    for pid in pids:
        for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else ():
            found[task] = pid
    return found


def wait_for_done(spec: dict) -> None:
    """Attach-only mode: the host says the command has ended by creating DIR/done."""
    deadline = time.monotonic() + spec["timeout"]
    done = os.path.join(spec["dir"], DONE)
    while not os.path.exists(done) and time.monotonic() < deadline:
        time.sleep(POLL)


class Stopped(Exception):
    """SIGTERM from the host (its user pressed Ctrl-C): clean up and end."""


def on_term(signum, frame):
    raise Stopped()


def main(spec: dict) -> dict:
    """With a command: run it (and trace the server too if it is here). Without: only
    attach to the server, say "attached" on a line of its own, wait for DIR/done.
    SIGTERM (the host's Ctrl-C, `kill $(cat DIR/agent.pid)`) ends it as cleanly."""
    signal.signal(signal.SIGTERM, on_term)
    with open(os.path.join(spec["dir"], PID_FILE), "w") as said:
        said.write(str(os.getpid()))
    answer = {"error": None, "server_pids": [], "server_tasks": {}, "server_strace": "",
              "detached": True}
    server_out = os.path.join(spec["dir"], "server.strace")
    command_out = os.path.join(spec["dir"], "command.strace")
    tracer = None
    if spec.get("server"):
        pids = listening_pids(spec["server"])
        if not pids:
            where = spec["server"].replace("any:", "any port").replace(":", " ")
            return {**answer, "error": f"nothing listens on {where}"}
        try:
            tracer = attach(pids, server_out)
        except RuntimeError as error:
            return {**answer, "error": f"cannot attach to pid {pids}: {error}"}
        answer.update(server_pids=pids, server_tasks=tasks_of(pids))
    try:
        if spec.get("command") is None:
            print("attached", flush=True)
            wait_for_done(spec)
        else:
            answer.update(run_command(spec, command_out))
    finally:
        if tracer is not None:
            wait_quiet(server_out)
            stop(tracer)
    answer["detached"] = not still_traced(answer["server_pids"])
    answer.update(command_strace=read(command_out), server_strace=read(server_out),
                  marks=read_marks(os.path.join(spec["dir"], MARKS)),
                  stdout=read(command_out + ".stdout"), stderr=read(command_out + ".stderr"))
    return answer


if __name__ == "__main__":
    try:
        print(json.dumps(main(json.loads(sys.argv[1]))))
    except Stopped:
        sys.exit(143)
