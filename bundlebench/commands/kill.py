"""`bundlebench kill ID [SIGNAL]`: signal a container (default TERM)."""

from __future__ import annotations

import argparse

from bundlebench.commands._containers import add_root_flag


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("kill", help="send a signal to a container",
                                   description="Send SIGNAL (default TERM) to the container.")
    parser.add_argument("container_id", metavar="ID")
    parser.add_argument("signal", metavar="SIGNAL", nargs="?", default="TERM",
                        help="a name (TERM, SIGKILL) or a number")
    parser.add_argument("-a", "--all", action="store_true",
                        help="signal every process of the container")
    add_root_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bundlebench.commands._containers import runtime_api, runtime_call

    api = runtime_api(args.root)
    runtime_call(lambda: api.kill(args.container_id, args.signal, all=args.all))
    return 0
