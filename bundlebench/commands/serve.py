"""`bundlebench serve [BUNDLE]`: classroom mode, the workbench in web browsers."""

from __future__ import annotations

import argparse
import secrets
import shlex
import sys
from pathlib import Path

from bundlebench.errors import BundlebenchError

DESCRIPTION = (
    "Serve the workbench on BUNDLE to web browsers: each browser that opens the printed "
    "link gets its own workbench. The link carries a random token; without it every page "
    "is refused. Only this machine can connect unless --host names a network address. "
    "With --read-only nothing is launched, saved or typed into a container: the class "
    "browses the rootfs and tries config edits in memory. Ctrl+C stops the server and "
    "ends every session it started."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve the workbench to web browsers (classroom mode)",
        description=DESCRIPTION,
    )
    parser.add_argument("bundle", metavar="BUNDLE", type=Path, nargs="?", default=Path("."),
                        help="the bundle directory (default: the current directory)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default: 127.0.0.1, this machine "
                        "only; 0.0.0.0 for every network)")
    parser.add_argument("--port", type=int, default=0,
                        help="the port to listen on (default: 0, a free one, printed)")
    parser.add_argument("--read-only", action="store_true",
                        help="classroom mode without launch, save, exec or attach")
    parser.set_defaults(func=run)


def session_command(bundle: Path, *, read_only: bool) -> str:
    """The shell command textual-serve runs for each browser (exec: the session is the
    server's own child, so it ends with it)."""
    words = [sys.executable, "-m", "bundlebench.serve.session"]
    words += ["--read-only"] if read_only else []
    return "exec " + shlex.join([*words, "--", str(bundle)])


def run(args: argparse.Namespace) -> int:
    from bundlebench.bundle.model import Bundle
    from bundlebench.serve.listen import bind, is_loopback, url_host

    try:
        bundle = Bundle.open(args.bundle)  # a broken bundle still opens, for repair
    except BundlebenchError as error:
        raise BundlebenchError(str(error), exit_code=2) from None
    if not 0 <= args.port <= 65535:
        raise BundlebenchError(f"--port {args.port} is not a port: give 1 to 65535, or 0 "
                               "for a free one", exit_code=2)
    try:
        from bundlebench.serve.server import GuardedServer
    except ModuleNotFoundError as error:
        raise BundlebenchError(f"serving needs the {error.name} package: install bundlebench "
                               "again (pip install -e .), or pip install textual-serve") from None
    sock = bind(args.host, args.port)
    token = secrets.token_urlsafe(24)
    server = GuardedServer(session_command(bundle.path, read_only=args.read_only),
                           token=token, title=f"bundlebench · {bundle.path.name}")
    if not is_loopback(args.host):
        print(f"bundlebench: warning: serving on {args.host}, so anyone on that network who "
              "has the link with its token can use the workbench as you", file=sys.stderr)
    port = sock.getsockname()[1]
    print(f"http://{url_host(args.host)}:{port}/?token={token}")
    print("Press Ctrl+C to stop the server and the sessions it started.", flush=True)
    try:
        server.serve_on(sock)
    finally:
        sock.close()
    return 0
