"""`bundlebench rm [-f] ID`: delete a stopped container (-f: kill it first)."""

from __future__ import annotations

import argparse

from bundlebench.commands._containers import add_root_flag


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rm", help="delete a container",
                                   description="Delete a stopped container and every trace "
                                   "of it; with -f, kill a running one first.")
    parser.add_argument("container_ids", metavar="ID", nargs="+")
    parser.add_argument("-f", "--force", action="store_true", help="kill it first if running")
    add_root_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bundlebench.commands._containers import runtime_api, runtime_call
    from bundlebench.containers import records

    api = runtime_api(args.root)
    for container_id in args.container_ids:
        runtime_call(lambda cid=container_id: api.delete(cid, force=args.force))
        # The workbench's record of the launch (and the private bundle of unsaved edits).
        records.remove_record(api.root, container_id)
    return 0
