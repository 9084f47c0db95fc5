"""`bundlebench exec ID [-t] CMD...`: another process in a running container."""

from __future__ import annotations

import argparse

from bundlebench.commands._containers import add_root_flag


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "exec", help="run a command in a running container",
        description="Run CMD inside a running container (all its namespaces, its root).",
    )
    parser.add_argument("-t", "--tty", action="store_true", help="give it a terminal")
    add_root_flag(parser)
    parser.add_argument("container_id", metavar="ID")
    parser.add_argument("command", metavar="CMD", nargs=argparse.REMAINDER)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os
    import sys

    from bundlebench.containers.launch import runtime_root
    from bundlebench.errors import BundlebenchError
    from shim import default_runtime_command

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise BundlebenchError("exec needs a command to run, e.g. `bundlebench exec ID sh`")
    argv = [*default_runtime_command(), "--root", runtime_root(args.root), "exec"]
    if args.tty:
        argv.append("--tty")
    argv += [args.container_id, *command]
    sys.stdout.flush()
    # The runtime joins the container's namespaces: it must be a fresh single-threaded
    # process, so this one becomes it.
    os.execv(argv[0], argv)
    return 127  # not reached
