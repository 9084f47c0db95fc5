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

    bundle_dir, config_path = _locate(Path(args.bundle))
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


def _locate(target: Any) -> tuple[Any, Any]:
    """(bundle dir, config.json) of BUNDLE; exit 2 with one sentence when unreachable."""
    import os
    import stat

    from bundlebench.errors import BundlebenchError

    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        raise BundlebenchError(f"bundle {target} does not exist: check the path",
                               exit_code=2) from None
    except OSError as error:
        reason = ("permission denied" if isinstance(error, PermissionError)
                  else error.strerror or str(error))
        raise BundlebenchError(f"bundle {target} cannot be read: {reason}",
                               exit_code=2) from None
    if not stat.S_ISDIR(mode):
        return target.parent, target
    config_path = target / "config.json"
    try:
        os.stat(config_path)
    except FileNotFoundError:
        raise BundlebenchError(
            f"{target} has no config.json: create one with "
            f"`bundlebench spec --bundle {target}`", exit_code=2) from None
    except PermissionError:
        raise BundlebenchError(
            f"{config_path} cannot be read: permission denied on {target} (mode "
            f"{stat.S_IMODE(mode):o}); run as its owner or change its mode",
            exit_code=2) from None
    return target, config_path


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
