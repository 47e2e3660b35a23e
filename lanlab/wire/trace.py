"""`make trace`: run a command in a node while capturing every network, then its ladder.
`show`: the ladder (or one frame, layer by layer) of a saved trace.

The ladder keeps the frames the command took part in, from the moment it started (ALL=1
keeps every frame): those to or from the node (by MAC or by its addresses), every
network's copy of those IP packets (same hop), the DHCP relay's frames for the node's
hardware address, and the ARP between nodes that took part about an address of theirs or
of those packets. The pcap files stay in OUT.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lanlab.control.errors import LabError
from lanlab.control.inventory import Inventory, inventory
from lanlab.wire import frames as trace_file
from lanlab.wire import choose
from lanlab.wire.capture import Capture, Stats
from lanlab.wire.decode import Record, decode
from lanlab.wire.frames import Command, Frame
from lanlab.wire.ladder import LadderLab, columns_of, members_of, render_detail, render_text, rows_of
from lanlab.wire.live import default_out, report, say
from lanlab.wire.calls import join, record
from lanlab.wire.calls import rows as call_rows  # noqa: F401 - registers the "call" rows
from lanlab.wire.svg import render_svg

COMMAND_TIMEOUT = 120


@dataclass
class Options:
    json: str | None = None
    svg: str | None = None
    detail: str | None = None
    numeric: bool = False
    everything: bool = False
    calls: bool = False           # CALLS=1: the command's socket calls (lanlab/wire/calls)
    server: str | None = None     # SERVER=files:9090: and the calls of the server there


@dataclass
class Traced:
    events: list
    stats: dict[str, Stats]
    ladder_seconds: float          # from the command's end to the ladder printed


def run(project: str | None, node_name: str | None, cmd: str | None, net: str | None, out: str | None,
        options: Options) -> int:
    if not cmd:
        raise LabError("give the command to trace, e.g. make trace NODE=alice CMD='fetch files:hello.txt'")
    lab = choose.require_lab(inventory(project))
    node = choose.node(lab, node_name)
    networks = choose.networks(lab, net)
    server = calls_server(lab, options)
    check_writable(options)
    capture = Capture(lab.project, networks, Path(out) if out else default_out("trace"))
    try:
        traced = trace_with(capture, lab, node.name, cmd, options, server)
    except KeyboardInterrupt:
        say("stopped by Ctrl-C; nothing is left running")
        return 130
    report(capture, traced.stats)
    command = traced.events[-1]
    return 0 if command.exit == 0 else 1


def trace_with(capture: Capture, lab: Inventory, node: str, cmd: str, options: Options,
               server: "record.Server | None" = None) -> Traced:
    """Capture, run, print the ladder (and write JSON/SVG), stop: the capture is gone after."""
    try:
        capture.start()
        say(f"capturing {', '.join(n.name for n in capture.networks)}; running `{cmd}` in {node}")
        if options.calls:
            command, calls = record.traced(lab.nodes[node].container_id, node, cmd, server,
                                           lab.nodes[server.node].container_id if server else None,
                                           COMMAND_TIMEOUT)
        else:
            command, calls = run_command(lab.nodes[node].container_id, node, cmd), []
        ended = time.monotonic()
        capture.wait_quiet()
        records = [Record(n.name, t, data) for n in capture.networks for t, data in capture.records(n.name)]
        events = build(records, lab, command, options.everything, calls)
        show_events(events, options, first=node)
        sys.stdout.flush()
        printed = time.monotonic() - ended
        return Traced(events, capture.stop(), printed)
    finally:
        if capture.container:       # stopped early: keep what was captured
            capture.stop()
        capture.abandon()


def calls_server(lab: Inventory, options: Options) -> "record.Server | None":
    if options.server and not options.calls:
        raise LabError("SERVER= names whose socket calls to show: give CALLS=1 with it")
    if not options.server:
        return None
    server = record.Server.parse(options.server)
    choose.node(lab, server.node)
    return server


def check_writable(options: Options) -> None:
    for name, path in (("JSON", options.json), ("SVG", options.svg)):
        if path and not os.access(Path(path).resolve().parent, os.W_OK):
            raise LabError(f"cannot write {name}={path}: its folder is missing or not writable")


def run_command(container: str, node: str, cmd: str) -> Command:
    """Run `cmd` in the node with sh, bounded; its output, exit status and wall times."""
    marker = f"/tmp/lanlab-trace-{os.getpid()}.pid"      # in the node: which process to stop
    wrapped = f'echo $$ > {marker}; exec timeout -s KILL {COMMAND_TIMEOUT} sh -c "$0"'
    started = time.time()
    try:
        result = subprocess.run(["docker", "exec", container, "sh", "-c", wrapped, cmd], capture_output=True,
                                text=True, errors="replace", timeout=COMMAND_TIMEOUT + 30,
                                start_new_session=True)
    except KeyboardInterrupt:
        subprocess.run(["docker", "exec", container, "sh", "-c", f"kill -TERM $(cat {marker}); rm -f {marker}"],
                       capture_output=True, timeout=30, start_new_session=True)
        raise
    ended = time.time()
    subprocess.run(["docker", "exec", container, "rm", "-f", marker], capture_output=True, timeout=30)
    code = None if result.returncode in (137, -9) else result.returncode
    return Command(node, cmd, code, result.stdout + result.stderr, started, ended)


def build(records: list[Record], lab: Inventory, command: Command, everything: bool,
          calls: list[dict] | None = None) -> list:
    """The chosen frames, times from the first of them, the socket calls joined to them,
    then the command as an event."""
    records = [r for r in records if r.time >= command.t]    # before it began: not its doing
    origin = min([r.time for r in records] or [command.t])
    frames = decode(records, lab.node_by_mac, origin)
    if not everything:
        frames = related(frames, {i.mac for i in lab.nodes[command.node].interfaces})
    base = frames[0].t if frames else 0.0
    for frame in frames:
        frame.t = round(frame.t - base, 6)
    zero = origin + base
    command.t, command.t_end = round(command.t - zero, 6), round(command.t_end - zero, 6)
    networks = {f.network for f in frames}
    command.members = {net: names for net, names in members_by_network(lab).items() if net in networks}
    return [*frames, *join.place(calls or [], frames, zero), command]


def members_by_network(lab: Inventory) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for node in lab.nodes.values():
        for interface in node.interfaces:
            members.setdefault(interface.network, []).append(node.name)
    return members


def related(frames: list[Frame], macs: set[str]) -> list[Frame]:
    """The frames the node took part in (see the module's docstring)."""
    chaddrs = {mac.replace(":", "") for mac in macs}
    addresses = {f.src_ip for f in frames if f.src_mac in macs and f.src_ip not in (None, "0.0.0.0")}
    addresses |= {field(f, "BOOTP", "yiaddr") for f in frames if dhcp_for(f, chaddrs)} - {None, "0.0.0.0"}
    kept = {id(f) for f in frames
            if f.src_mac in macs or f.dst_mac in macs or f.src_ip in addresses or f.dst_ip in addresses
            or dhcp_for(f, chaddrs)}
    hops = {f.hop for f in frames if id(f) in kept}
    kept |= {id(f) for f in frames if f.hop in hops}
    ends = {(f.network, ip) for f in frames if id(f) in kept for ip in (f.src_ip, f.dst_ip) if ip}
    took_part = {node for f in frames if id(f) in kept for node in (f.src_node, f.dst_node)}
    arps = [f for f in frames if f.proto == "arp"]
    owner = {(f.network, field(f, "ARP", "psrc")): f.src_node for f in arps}
    kept |= {id(f) for f in arps if f.src_node in took_part and f.dst_node in took_part | {"*"}
             and ((f.network, resolved(f)) in ends or owner.get((f.network, resolved(f))) in took_part)}
    return [f for f in frames if id(f) in kept]


def resolved(arp: Frame) -> str | None:
    """The address an ARP frame is about: asked for (who-has) or answered (is-at)."""
    return field(arp, "ARP", "pdst" if field(arp, "ARP", "op") == 1 else "psrc")


def field(frame: Frame, layer: str, name: str):
    for each in frame.layers or []:
        if each.get("name") == layer:
            return (each.get("fields") or {}).get(name)
    return None


def dhcp_for(frame: Frame, chaddrs: set[str]) -> bool:
    chaddr = field(frame, "BOOTP", "chaddr")
    return frame.proto == "dhcp" and isinstance(chaddr, str) and chaddr[:12] in chaddrs


# --- showing a trace: the ladder, one frame's layers, the picture, the JSON ---------------

def show_events(events: list, options: Options, first: str | None = None) -> None:
    frames = [e for e in events if isinstance(e, Frame)]
    commands = [e for e in events if isinstance(e, Command)]
    lab = LadderLab(members=merged_members(frames, commands), addresses=addresses_of(frames),
                    numeric=options.numeric)
    rows = rows_of(events, lab)
    columns = columns_of(rows, first or (commands[0].node if commands else None))
    print(render_text(rows, columns, lab))
    for command in commands:
        print(command_text(command))
    if options.detail:
        print(render_detail(*frame_number(frames, options.detail)))
    if options.json:
        trace_file.save(events, Path(options.json))
        say(f"trace written to {options.json} ({len(frames)} frames)")
    if options.svg:
        write_svg(Path(options.svg), render_svg(rows, columns, lab, title_of(commands), footer_of(commands)))
        say(f"picture written to {options.svg}")


def merged_members(frames: list[Frame], commands: list[Command]) -> dict[str, list[str]]:
    members = members_of(frames)
    for command in commands:
        for net, names in (command.members or {}).items():
            members[net] = list(dict.fromkeys([*members.get(net, []), *names]))
    return members


def addresses_of(frames: list[Frame]) -> dict[str, str]:
    """A node's first own address: the source of a packet's first frame (not one it forwarded)."""
    found: dict[str, str] = {}
    hops: set = set()
    for frame in frames:
        first, _ = frame.hop not in hops, hops.add(frame.hop)
        if first and frame.src_node and frame.src_ip not in (None, "0.0.0.0"):
            found.setdefault(frame.src_node, frame.src_ip)
    return found


def frame_number(frames: list[Frame], detail: str) -> tuple[Frame, int]:
    try:
        number = int(detail)
    except ValueError:
        number = 0
    if not 1 <= number <= len(frames):
        raise LabError(f"DETAIL={detail} is not a frame of this trace; give 1 to {len(frames)}")
    return frames[number - 1], number


def command_text(command: Command) -> str:
    status = "stopped before it ended" if command.exit is None else f"exit status {command.exit}"
    output = command.output.rstrip("\n")
    lines = [f"\n{command.node}$ {command.cmd}    ({status}, ran from {command.t:.3f} s to {command.t_end:.3f} s)"]
    lines += [f"  | {line}" for line in output.splitlines()] or ["  | (no output)"]
    return "\n".join(lines)


def title_of(commands: list[Command]) -> str:
    return " ; ".join(f"{c.node}$ {c.cmd}" for c in commands) or "lanlab trace"


def footer_of(commands: list[Command]) -> list[str]:
    lines = []
    for command in commands:
        status = "stopped" if command.exit is None else f"exit {command.exit}"
        lines.append(f"{command.node}$ {command.cmd}   -> {status}")
        lines += [f"  {line}" for line in command.output.splitlines()[:8]]
    return lines


def write_svg(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(content)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def show(path: str | None, options: Options) -> int:
    if not path:
        raise LabError("give a saved trace, e.g. make show JSON=trace.json [DETAIL=3]")
    try:
        events = trace_file.load(Path(path))
    except FileNotFoundError:
        raise LabError(f"no trace file {path}; write one with make trace ... JSON={path}") from None
    except (ValueError, TypeError, KeyError) as error:
        raise LabError(f"{path} is not a lanlab trace ({error}); see docs/wire.md") from None
    show_events(events, Options(None, options.svg, options.detail, options.numeric))
    return 0

