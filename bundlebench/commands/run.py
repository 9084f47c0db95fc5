"""`bundlebench run [BUNDLE]`: launch through the shim and attach, or detach."""

from __future__ import annotations

import argparse
from pathlib import Path

from bundlebench.commands._containers import add_root_flag


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="launch a bundle as a container (kept alive by a shim)",
        description="Validate the bundle, start it through the embedded runtime under a "
        "shim, and attach this terminal (detach with ctrl+p ctrl+q).",
    )
    parser.add_argument("bundle", metavar="BUNDLE", type=Path, nargs="?", default=Path("."),
                        help="the bundle directory (default: the current directory)")
    parser.add_argument("--id", dest="container_id", metavar="ID",
                        help="container id (default: the bundle's name and a random suffix)")
    parser.add_argument("-d", "--detach", action="store_true",
                        help="start it and return; attach later with `bundlebench attach ID`")
    parser.add_argument("--rm", action="store_true",
                        help="delete the container when it exits while attached")
    parser.add_argument("--explain", action="store_true",
                        help="run it to its end without input (its output still comes "
                        "here), then print how the runtime set it up, step by step, and "
                        "delete it; exits with the container's exit code")
    add_root_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bundlebench.containers.attach import attach_terminal, print_detached
    from bundlebench.containers.launch import LaunchRefused, launch_bundle
    from bundlebench.untrusted import markup

    console = Console(stderr=True, highlight=False)
    if args.explain and args.detach:
        from bundlebench.errors import BundlebenchError

        raise BundlebenchError("--explain runs the container to its end and tells its "
                               "setup: leave out --detach")
    try:
        launched = launch_bundle(args.bundle, args.container_id, args.root,
                                 attach_first=not args.detach)
    except LaunchRefused as refused:
        for problem in refused.problems:
            console.print(f"[red]error[/]  [bold]{markup(problem.pointer)}[/]  "
                          f"{markup(problem.message)}")
        raise
    if args.detach:
        print(launched.id)
        return 0
    if args.explain:
        from bundlebench.commands._explained_run import finish_explained

        return finish_explained(launched, args.root)
    outcome = attach_terminal(launched.state_dir, launched.id)
    print_detached(launched.id, outcome)
    if outcome.detached:
        return 0
    if args.rm:
        from bundlebench.commands._containers import runtime_api, runtime_call

        runtime_call(lambda: runtime_api(args.root).delete(launched.id, force=True))
    return outcome.exit_code if outcome.exit_code is not None else 0
