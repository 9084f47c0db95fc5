"""`bundlebench logs [-f] [--tail N] [--raw] ID`: what a container wrote to its terminal."""

from __future__ import annotations

import argparse

from bundlebench.commands._containers import add_root_flag

RAW_HELP = ("write the log's bytes unchanged, escape sequences and all; refused when "
            "the output is a terminal, where they would move the cursor, retitle the window "
            "or set the clipboard as the container chose (use it into a file or a pipe)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "logs", help="show a container's console output (the shim's log)",
        description="Print what a container launched by bundlebench wrote to its "
        "terminal, running or stopped. Terminal controls in it are shown as visible "
        "escapes (\\x1b...), never obeyed.",
    )
    parser.add_argument("container_id", metavar="ID")
    parser.add_argument("-f", "--follow", action="store_true",
                        help="keep printing new output until the container ends (or ctrl+c)")
    parser.add_argument("--tail", metavar="N", type=int, default=None,
                        help="only the last N lines")
    parser.add_argument("--raw", action="store_true", help=RAW_HELP)
    add_root_flag(parser)
    parser.set_defaults(func=run)


def safe_lines(data: bytes, carry: str = "") -> tuple[str, str]:
    """Complete lines of ``data`` made safe to print, and the unfinished rest."""
    from bundlebench.untrusted import visible

    text = carry + data.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    rest = lines.pop()
    return "".join(visible(line.removesuffix("\r")) + "\n" for line in lines), rest


def run(args: argparse.Namespace) -> int:
    import sys

    from bundlebench.containers.launch import runtime_root
    from bundlebench.containers.logs import follow, log_path, read_tail
    from bundlebench.errors import BundlebenchError

    if args.tail is not None and args.tail < 0:
        raise BundlebenchError("--tail takes a number of lines, 0 or more")
    if args.raw and sys.stdout.isatty():
        raise BundlebenchError("--raw writes the container's escape sequences as they are: "
                               "redirect it to a file or a pipe, not to a terminal")
    path = log_path(runtime_root(args.root), args.container_id)
    data, start = read_tail(path, args.tail)
    out = sys.stdout
    carry = ""

    def write(chunk: bytes) -> None:
        nonlocal carry
        if args.raw:
            out.buffer.write(chunk)
        else:
            text, carry = safe_lines(chunk, carry)
            out.write(text)
        out.flush()

    write(data)
    if args.follow:
        try:
            for chunk in follow(path, start + len(data), lambda: False):
                write(chunk)
        except KeyboardInterrupt:
            pass
    if carry:
        from bundlebench.untrusted import visible

        out.write(visible(carry.removesuffix("\r")) + "\n")
    return 0
