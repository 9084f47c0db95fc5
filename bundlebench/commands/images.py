"""`bundlebench images IMAGE`: the refs, platforms, layers and sizes an image holds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "images",
        help="list the images of an OCI image layout or docker archive",
        description="List the refs, platforms, layers and sizes in an OCI image layout "
        "(dir or tar) or a docker archive. Manifests and configs are verified.",
    )
    parser.add_argument("image", metavar="IMAGE", type=Path,
                        help="an OCI image layout directory or tar, or a docker-archive tar")
    parser.add_argument("--layers", action="store_true", help="also list every layer")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="table (default) or json")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from bundlebench.image.inspect import describe_image

    description = describe_image(args.image)
    if args.format == "json":
        print(json.dumps(description, indent=2))
        return 0
    _print_tables(description, layers=args.layers)
    return 0


def _short(digest: str | None) -> str:
    return digest.split(":", 1)[-1][:12] if digest else "-"


def _size(count: int | None) -> str:
    from bundlebench.format import human_size
    return "?" if count is None else human_size(count, decimal=True)


def _print_tables(description: dict[str, Any], *, layers: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from bundlebench.untrusted import styled

    # Every name and command below comes from the image: shown, never obeyed.
    console = Console(highlight=False)
    table = Table(title=styled(f"{description['source']} ({description['format']})", 200))
    for column in ("REF", "PLATFORM", "MANIFEST", "CONFIG", "LAYERS", "SIZE"):
        table.add_column(column, justify="right" if column in ("LAYERS", "SIZE") else "left")
    for image in description["images"]:
        table.add_row(styled(", ".join(image["refs"]) or "-", 200),
                      styled(image["platform"] or "-", 60),
                      styled(_short(image["manifest"])), styled(_short(image["config"])),
                      str(len(image["layers"])), _size(image["size"]))
    console.print(table)
    if not layers:
        return
    for image in description["images"]:
        name = ", ".join(image["refs"]) or _short(image["config"])
        detail = Table(title=styled(f"{name} ({image['platform'] or '-'})", 200))
        for column in ("#", "DIGEST", "MEDIA TYPE", "SIZE", "COMMAND"):
            detail.add_column(column, justify="right" if column in ("#", "SIZE") else "left",
                              overflow="fold")
        for i, layer in enumerate(image["layers"], 1):
            detail.add_row(str(i), styled(_short(layer["digest"] or layer["diff_id"])),
                           styled(layer["media_type"].rsplit(".", 1)[-1], 60),
                           _size(layer["size"]), styled(layer["command"] or "", 2000))
        console.print(detail)
