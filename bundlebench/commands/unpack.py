"""`bundlebench unpack IMAGE DIR`: an OCI image layout or docker archive becomes a bundle."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "unpack",
        help="make a bundle from an OCI image layout (dir or tar) or a docker archive",
        description="Verify and apply the image's layers into DIR/rootfs, convert its config "
        "into DIR/config.json, and record which layer brought each file in "
        "DIR/.bundlebench/provenance.json. Nothing is left behind when it fails.",
    )
    parser.add_argument("image", metavar="IMAGE", type=Path,
                        help="an OCI image layout directory or tar, or a docker-archive tar "
                        "(PATH:REF also selects a ref)")
    parser.add_argument("dir", metavar="DIR", type=Path, help="the bundle directory to create")
    parser.add_argument("--ref", metavar="NAME",
                        help="the image to take when IMAGE holds several (a ref name or tag)")
    parser.add_argument("--platform", metavar="OS/ARCH[/VARIANT]",
                        help="the platform to take from a multi-platform image "
                        "(default: the host's, e.g. linux/amd64)")
    parser.add_argument("--rootless", action="store_true",
                        help="write a config for running as a plain user")
    parser.add_argument("--force", action="store_true",
                        help="replace DIR when it exists and is not empty")
    parser.add_argument("--readonly", action="store_true",
                        help="make root.readonly true (default: a writable root, as umoci "
                        "and podman give)")
    parser.add_argument("--volumes", choices=("dirs", "tmpfs"), default="dirs",
                        help="what the image's VOLUMEs become: their directories in the "
                        "rootfs (dirs, the default), or those and a tmpfs mounted on each")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bundlebench.commands._output import byte_progress, stderr_console
    from bundlebench.image.unpack import unpack_image
    from bundlebench.untrusted import markup

    image, ref = split_ref(args.image, args.ref)
    result = unpack_image(image, args.dir, ref=ref, platform=args.platform,
                          rootless=args.rootless, force=args.force, progress=byte_progress,
                          readonly=args.readonly, volumes=args.volumes)
    console = stderr_console()
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {markup(warning)}")
    stats, record = result.stats, result.record
    # Refs, platform and names come from the image: shown, never obeyed.
    name = markup(", ".join(record.refs) or (record.manifest_digest or "image"), 200)
    where = markup(result.bundle)
    platform = markup(record.platform or "unknown", 60)
    console.print(
        f"Bundle ready at [bold]{where}[/]: {name} ({platform}), "
        f"{len(record.layers)} layers, {stats.files} files, {stats.dirs} directories, "
        f"{stats.symlinks} symlinks; {_size(result.wasted)} hidden by later layers."
    )
    console.print(f"Run it with: bundlebench-runtime run -b {where} ID"
                  "  (or runc run)")
    return 0


def split_ref(image: Path, ref: str | None) -> tuple[Path, str | None]:
    """Accept ``PATH:REF`` (as umoci and skopeo spell it) when PATH exists and IMAGE not."""
    text = str(image)
    if ref is None and not image.exists() and ":" in text:
        base, _, tag = text.rpartition(":")
        if tag and Path(base).exists():
            return Path(base), tag
    return image, ref


def _size(count: int) -> str:
    from bundlebench.format import human_size
    return human_size(count)
