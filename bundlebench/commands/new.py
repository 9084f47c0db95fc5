"""`bundlebench new DIR --from ROOTFS_TARBALL`: mkdir, extract, spec in one step."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "new",
        help="make a bundle from a rootfs tarball (e.g. an alpine minirootfs)",
        description="Create DIR with rootfs/ extracted from the tarball and a default "
        "config.json, as `mkdir rootfs && tar -xf ... -C rootfs && runc spec` would.",
    )
    parser.add_argument("dir", metavar="DIR", type=Path, help="the bundle directory to create")
    parser.add_argument(
        "--from", dest="tarball", metavar="ROOTFS_TARBALL", type=Path, required=True,
        help="a .tar, .tar.gz, .tar.xz, .tar.bz2 or .tar.zst rootfs archive",
    )
    parser.add_argument("--rootless", action="store_true",
                        help="write a config for running as a plain user")
    parser.add_argument("--force", action="store_true",
                        help="use DIR even when it is not empty (its rootfs is replaced)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bundlebench.commands._output import byte_progress, stderr_console
    from bundlebench.errors import BundlebenchError

    bundle: Path = args.dir.absolute()
    if not args.tarball.is_file():
        raise BundlebenchError(f"rootfs tarball {args.tarball} does not exist: check the path")
    if bundle.exists() and not bundle.is_dir():
        raise BundlebenchError(f"{bundle} exists and is not a directory: choose another DIR")
    if bundle.is_dir() and any(bundle.iterdir()) and not args.force:
        raise BundlebenchError(
            f"{bundle} is not empty: choose an empty directory or pass --force to replace "
            "its rootfs and config.json"
        )
    created = not bundle.exists()
    bundle.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".rootfs.", dir=bundle))
    try:
        with byte_progress(f"extracting {args.tarball.name}") as progress:
            stats = _extract(args.tarball, staging, progress)
        _replace_rootfs(bundle, staging)
        _write_default_config(bundle, rootless=args.rootless)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(bundle, ignore_errors=True)
        raise
    from bundlebench.untrusted import markup

    console = stderr_console()
    for warning in stats.warnings:
        console.print(f"[yellow]warning:[/] {markup(warning)}")  # names from the tarball
    where = markup(bundle)
    console.print(
        f"Bundle ready at [bold]{where}[/]: {stats.files} files, {stats.dirs} directories, "
        f"{stats.symlinks} symlinks from a {stats.compression} tarball."
    )
    console.print(f"Run it with: bundlebench-runtime run -b {where} demo  (or runc run)")
    return 0


def _extract(tarball: Path, staging: Path, progress):
    from bundlebench.bundle.extract import extract_tarball

    os.chmod(staging, 0o755)
    return extract_tarball(tarball, staging, progress)


def _replace_rootfs(bundle: Path, staging: Path) -> None:
    rootfs = bundle / "rootfs"
    old = None
    if os.path.lexists(rootfs):
        old = Path(tempfile.mkdtemp(prefix=".rootfs.old.", dir=bundle))
        os.rename(rootfs, old / "rootfs")
    os.rename(staging, rootfs)
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)


def _write_default_config(bundle: Path, *, rootless: bool) -> None:
    from bundlebench.bundle.atomic import write_atomic
    from runtime.defaults import default_config

    config = default_config(rootless=rootless)
    write_atomic(bundle / "config.json", (json.dumps(config, indent="\t") + "\n").encode())
