"""`bundlebench trace ID`: how the runtime set a container up, step by step, explained."""

from __future__ import annotations

import argparse

from bundlebench.commands._containers import add_root_flag

FORMAT_HELP = ("text for a terminal (default), markdown to paste into course notes, or "
               "json (a list of steps with stable keys)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "trace", help="show a container's setup steps, each explained",
        description="Print the setup timeline the runtime recorded for a container: each "
        "step with when it began, how long it took, which process did it, the syscall, "
        "its result, the config field that caused it and what it does. Values from the "
        "config are shown as visible escapes, never obeyed.",
    )
    parser.add_argument("container_id", metavar="ID")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                        help=FORMAT_HELP)
    add_root_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from bundlebench.containers.launch import runtime_root
    from bundlebench.containers.story import read_story
    from bundlebench.containers.story_render import as_json, as_markdown, print_text

    story = read_story(runtime_root(args.root), args.container_id)
    if args.format == "json":
        sys.stdout.write(as_json(story))
    elif args.format == "markdown":
        sys.stdout.write(as_markdown(story))
    else:
        print_text(story)
    return 0
