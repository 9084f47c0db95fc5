"""One module per `bundlebench` subcommand.

Each module defines ``register(subparsers)`` which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit code.
Modules are imported only when listed here, so the command line starts fast.
"""

COMMANDS: tuple[str, ...] = (
    "new",
    "demo",
    "spec",
    "validate",
    "explain",
    "unpack",
    "images",
    "run",
    "attach",
    "logs",
    "trace",
    "lesson",
    "ps",
    "exec",
    "kill",
    "rm",
    "step",
    "serve",
)
