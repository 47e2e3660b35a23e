"""`capture`, `trace` and `show`: the Makefile's way into lanlab/wire (options as make passes them).

    capture [--net lan-a,lan-b|all] [--seconds S] [--filter BPF] [--out DIR] [--limit MB] [--numeric]
    trace --node NODE --cmd CMD [--net ...] [--json F] [--svg F] [--detail N] [--numeric] [--all] [--out DIR]
          [--calls 1 [--server NODE[:PORT]]]
    show --json F [--detail N] [--svg F] [--numeric]

Empty values count as not given (make passes every variable, set or not).
"""
from __future__ import annotations

import argparse

COMMANDS = ("capture", "trace", "show")


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="python -m lanlab.control", add_help=False)
    parse.add_argument("command", choices=COMMANDS)
    for name in ("net", "seconds", "filter", "out", "limit", "node", "cmd", "json", "svg", "detail",
                 "server"):
        parse.add_argument(f"--{name}", default="")
    parse.add_argument("--numeric", default="")
    parse.add_argument("--all", default="")
    parse.add_argument("--calls", default="")
    return parse


def flag(value: str) -> bool:
    return value.strip().lower() in ("1", "yes", "true", "on")


def main(project: str, argv: list[str]) -> int:
    args = parser().parse_args(argv)
    given = {key: (value or None) for key, value in vars(args).items()}
    if args.command == "capture":
        from lanlab.wire import live
        return live.run(project, given["net"], given["seconds"], given["filter"], given["out"],
                        given["limit"], flag(args.numeric))
    from lanlab.wire import trace
    options = trace.Options(given["json"], given["svg"], given["detail"], flag(args.numeric), flag(args.all),
                            flag(args.calls), given["server"])
    if args.command == "show":
        return trace.show(given["json"], options)
    return trace.run(project, given["node"], given["cmd"], given["net"], given["out"], options)
