"""`bundlebench ps`: the containers on the runtime root."""

from __future__ import annotations

import argparse

from bundlebench.commands._containers import add_root_flag


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ps", help="list containers (id, status, pid, bundle, created)",
        description="List the containers on the runtime root.",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the ids")
    add_root_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import os
    import sys

    from bundlebench.commands._containers import runtime_api, runtime_call
    from shim.protocol import read_exit, shim_alive

    api = runtime_api(args.root)
    containers = runtime_call(api.list)
    for state in containers:
        state_dir = os.path.join(api.root, state["id"])
        record = read_exit(state_dir)
        state["exitCode"] = record.get("exit_code") if record else None
        state["shim"] = {True: "running", False: "gone", None: "none"}[shim_alive(state_dir)]
    from bundlebench.untrusted import visible

    if args.quiet:
        for state in containers:
            print(visible(state["id"]))
        return 0
    if args.format == "json":
        print(json.dumps(containers, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    from bundlebench.untrusted import styled

    lost: list[str] = []
    table = Table(box=None, header_style="bold")
    for column in ("ID", "STATUS", "PID", "BUNDLE", "CREATED"):
        table.add_column(column)
    for state in containers:
        status = state["status"]
        if status == "stopped" and state["exitCode"] is not None:
            status = f"stopped (exit {state['exitCode']})"
        elif state["shim"] == "gone":
            status = f"{status} (shim gone)"
            lost.append(state["id"])
        # What the runtime's state dir holds is shown, never obeyed (ids and paths).
        table.add_row(styled(state["id"], 80), styled(status), str(state.get("pid") or ""),
                      styled(state.get("bundle", ""), 200),
                      styled(state.get("created", "")[:19].replace("T", " ")))
    Console(highlight=False).print(table)
    for container_id in lost:
        print(f"bundlebench: {visible(container_id)} lost its shim (was it killed?): its "
              "output is no longer kept and it cannot be attached; "
              f"`bundlebench rm -f {visible(container_id)}` removes it", file=sys.stderr)
    return 0
