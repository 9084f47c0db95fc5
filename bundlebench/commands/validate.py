"""`bundlebench validate`: check a bundle's config.json against the runtime-spec."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a bundle's config.json against the OCI runtime-spec 1.3.0",
        description="Check config.json with our JSON schema and the spec's semantic rules. "
        "Exit status: 0 no error (warnings allowed), 1 errors, 2 the bundle cannot be read.",
    )
    parser.add_argument("bundle", nargs="?", default=".", metavar="BUNDLE",
                        help="bundle directory, or a config.json file (default: .)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--schema-only", action="store_true",
                        help="only check against the JSON schema, not the files or semantics")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bundlebench.bundle.config import ConfigDocument
    from bundlebench.errors import BundlebenchError
    from bundlebench.spec.validate import validate

    target = Path(args.bundle)
    if target.is_dir():
        bundle_dir, config_path = target, target / "config.json"
    elif target.is_file():
        bundle_dir, config_path = target.parent, target
    else:
        raise BundlebenchError(f"bundle {target} does not exist: check the path", exit_code=2)
    if not config_path.exists():
        raise BundlebenchError(
            f"{bundle_dir} has no config.json: create one with "
            f"`bundlebench spec --bundle {bundle_dir}`",
            exit_code=2,
        )
    try:
        document = ConfigDocument.load(config_path)
    except BundlebenchError as error:
        raise BundlebenchError(str(error), exit_code=2) from None
    problems = validate(document.data, bundle_dir.absolute(), schema_only=args.schema_only)
    if args.format == "json":
        import json

        print(json.dumps([p.to_dict() for p in problems], indent=2))  # ASCII: no raw C1 or bidi
    else:
        _print_text(problems, config_path)
    return 1 if any(p.severity == "error" for p in problems) else 0


def _print_text(problems: list[Any], config_path: Any) -> None:
    from rich.console import Console
    from rich.text import Text

    from bundlebench.untrusted import styled

    console = Console(highlight=False, soft_wrap=True)
    for problem in problems:
        style = "bold red" if problem.severity == "error" else "bold yellow"
        line = Text()
        line.append(f"{problem.severity:<7} ", style=style)
        # Messages quote the config's values (an image's author may have written them).
        line.append_text(styled(problem.pointer or "/", 200, style="cyan"))
        line.append("  ")
        line.append_text(styled(problem.message))
        console.print(line)
        console.print(styled("        " + problem.hint, style="dim"))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if not problems:
        console.print(styled(f"{config_path}: valid", style="green"))
    else:
        summary = f"{config_path}: {errors} error{'s' * (errors != 1)}, "
        summary += f"{warnings} warning{'s' * (warnings != 1)}"
        console.print(styled(summary, style="red" if errors else "yellow"))
