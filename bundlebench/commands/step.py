"""`bundlebench step ID [ACTION]`: drive a container created with `create --step`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bundlebench.commands._containers import add_root_flag

if TYPE_CHECKING:
    from runtime.step_client import Stop

ACTIONS = ("look", "next", "continue", "to", "abort")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "step", help="show where a stepped container's setup stopped, and go on",
        description="A container created with `bundlebench-runtime create --step ID` stops "
        "before each setup step until told to go on. This shows the stop (which process, "
        "the syscall it is about to make, the config field that asked for it, what the "
        "kernel will do) and sends ACTION: look (default: stay), next (take this step), "
        "continue (take the rest without stopping), to KIND (stop next before a step of "
        "that kind, e.g. pivot_root), abort (fail the setup here; nothing is left).")
    parser.add_argument("container_id", metavar="ID")
    parser.add_argument("action", metavar="ACTION", nargs="?", default="look",
                        choices=ACTIONS)
    parser.add_argument("kind", metavar="KIND", nargs="?",
                        help="for `to`: a step kind such as mount, pivot_root, exec")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="how long to wait for the next stop (default 30)")
    add_root_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    from bundlebench.commands._containers import runtime_api, runtime_call
    from bundlebench.errors import BundlebenchError
    from runtime import step_client

    if (args.action == "to") != bool(args.kind):
        raise BundlebenchError("`to` needs a step kind (e.g. `step ID to pivot_root`), and "
                               "only `to` takes one")
    api = runtime_api(args.root)
    state_dir = runtime_call(lambda: api.store.path(args.container_id))
    if not os.path.isdir(state_dir):
        raise BundlebenchError(f"container {args.container_id!r} does not exist "
                               "(see `bundlebench ps`)")
    if not step_client.stepping(state_dir):
        raise BundlebenchError(f"container {args.container_id!r} was not created in step "
                               "mode (`bundlebench-runtime create --step`)")

    def created() -> bool:
        try:
            return api.state(args.container_id)["status"] == "created"
        except Exception:  # noqa: BLE001 - not there yet, or gone: keep waiting
            return False

    stop = runtime_call(lambda: step_client.wait_stop(state_dir, args.timeout, created))
    if stop is None:
        print(f"{args.container_id}: no more stops (its process runs, or it is gone)")
        return 0
    if stop == step_client.WAITING_FOR_START:
        print(f"{args.container_id}: created, waiting for start: run `bundlebench-runtime "
              f"start {args.container_id}`; its last stops (seccomp, exec) come after")
        return 0
    print_stop(stop, _config(api, args.container_id))
    command = args.action if args.action != "to" else f"to {args.kind}"
    stop.send(command)
    if command != "look":
        print(f"sent: {command}")
    return 0


def _config(api: Any, container_id: str) -> dict[str, Any] | None:
    from runtime.errors import RuntimeFailure
    try:
        config = api.store.load(container_id).config
    except RuntimeFailure:
        return None  # before state.json: the stop is still in the runtime or stage 1
    return config if isinstance(config, dict) else None


def print_stop(stop: Stop, config: dict[str, Any] | None) -> None:
    """The stop in words: process, step, syscall, config field, explanation."""
    from rich.console import Console

    from bundlebench.spec.steps import explain
    from bundlebench.untrusted import markup

    event = {"step": stop.step, "syscall": stop.syscall, "pid": stop.pid}
    step = explain([event], config)[0]
    console = Console(highlight=False)
    console.print(f"[bold]stop {stop.number}[/]  {markup(stop.stage)} (pid {stop.pid})  "
                  f"about to: [bold]{markup(step.title)}[/]")
    console.print(f"  {markup(step.syscall)}", style="dim")
    if step.pointer:
        console.print(f"  asked for by {markup(step.pointer)}")
    console.print(f"  {markup(step.explanation)}")
