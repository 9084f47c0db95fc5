"""`bundlebench attach ID`: this terminal to a running container, until ctrl+p ctrl+q."""

from __future__ import annotations

import argparse

from bundlebench.commands._containers import add_root_flag


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "attach", help="attach this terminal to a running container",
        description="Attach to a container started by `bundlebench run` or the app. "
        "Detach with ctrl+p ctrl+q; the container goes on.",
    )
    parser.add_argument("container_id", metavar="ID")
    add_root_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    from bundlebench.containers.attach import attach_terminal, print_detached
    from bundlebench.containers.launch import runtime_root
    from bundlebench.errors import BundlebenchError
    from runtime.ids import validate_id

    try:
        validate_id(args.container_id)
    except Exception as error:
        raise BundlebenchError(str(error)) from None
    state_dir = os.path.join(runtime_root(args.root), args.container_id)
    if not os.path.isdir(state_dir):
        raise BundlebenchError(
            f"no container {args.container_id!r}: `bundlebench ps` lists the containers"
        )
    outcome = attach_terminal(state_dir, args.container_id)
    print_detached(args.container_id, outcome)
    return 0 if outcome.detached or outcome.exit_code is None else outcome.exit_code
