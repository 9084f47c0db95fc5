"""Image -> bundle: select, apply layers, convert the config, keep provenance.

Everything is built in a staging directory next to the bundle and renamed into
place at the end, so a failed or interrupted unpack leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bundlebench.bundle.atomic import fsync_directory, write_atomic
from bundlebench.bundle.extract import ExtractStats
from bundlebench.bundle.rootfs import Rootfs
from bundlebench.errors import BundlebenchError
from bundlebench.image.apply import apply_layer
from bundlebench.image.convert import convert_config
from bundlebench.image.layers import LayerWriter, ProgressFactory
from bundlebench.image.model import ImageRecord
from bundlebench.image.open import Image, open_image
from bundlebench.image.provenance import PROVENANCE_FILE
from bundlebench.image.select import select_image
from bundlebench.image.tracker import ProvenanceBuilder
from bundlebench.image.volumes import make_mount_points
from runtime.defaults import dumps


@dataclass
class UnpackResult:
    """What an unpack produced."""

    bundle: Path
    record: ImageRecord
    stats: ExtractStats
    wasted: int = 0
    warnings: list[str] = field(default_factory=list)


def _no_progress(_description: str) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def check_target(bundle: Path, *, force: bool) -> None:
    """Refuse a DIR that is a file, or that holds something and --force was not given."""
    if bundle.exists() and not bundle.is_dir():
        raise BundlebenchError(f"{bundle} exists and is not a directory: choose another DIR")
    if bundle.is_dir() and any(bundle.iterdir()) and not force:
        raise BundlebenchError(
            f"{bundle} is not empty: choose a new or empty directory, or pass --force to "
            "replace it"
        )


def unpack_image(image_path: Path, bundle: Path, *, ref: str | None = None,
                 platform: str | None = None, rootless: bool = False, force: bool = False,
                 progress: ProgressFactory = _no_progress,
                 as_root: bool | None = None, readonly: bool = False,
                 volumes: str = "dirs") -> UnpackResult:
    """Unpack the image at ``image_path`` into the bundle directory ``bundle``.

    The root is writable unless ``readonly``; each image volume gets its directory in
    the rootfs, and with ``volumes="tmpfs"`` a tmpfs mount too.
    """
    bundle = Path(os.path.abspath(bundle))
    check_target(bundle, force=force)
    image = open_image(Path(image_path))
    try:
        record = select_image(image, ref, platform)
        created: list[Path] = []
        staging: Path | None = None
        try:
            _make_parents(bundle.parent, created)
            staging = Path(tempfile.mkdtemp(prefix=f".{bundle.name}.unpack-", dir=bundle.parent))
            os.chmod(staging, 0o755)
            result = _build(image, record, staging, progress=progress, as_root=as_root,
                            rootless=rootless, readonly=readonly, volumes=volumes)
            _swap_into_place(staging, bundle, force=force)
            staging = None
        except BaseException as error:
            if staging is not None:
                remove_tree(staging)
            for path in created:
                with contextlib.suppress(OSError):
                    path.rmdir()
            if isinstance(error, OSError):
                if error.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise BundlebenchError(f"no space left to unpack into {bundle}") from None
                raise BundlebenchError(
                    f"could not unpack into {bundle}: {error.strerror or error}") from None
            raise
    finally:
        image.source.close()
    result.bundle = bundle
    return result


def _build(image: Image, record: ImageRecord, staging: Path, *,
           progress: ProgressFactory, as_root: bool | None, rootless: bool,
           readonly: bool, volumes: str) -> UnpackResult:
    rootfs_path = staging / "rootfs"
    rootfs_path.mkdir(mode=0o755)
    stats = ExtractStats()
    as_root = os.geteuid() == 0 if as_root is None else as_root
    builder = ProvenanceBuilder(len(record.layers), record_owners=not as_root)
    writer = LayerWriter(rootfs_path, builder, as_root=as_root)
    count = len(record.layers)
    try:
        for index, layer in enumerate(record.layers):
            label = (layer.digest or layer.name).split(":")[-1][:12]
            with progress(f"layer {index + 1}/{count} {label}") as callback:
                apply_layer(image.source, layer, index, writer, stats, callback)
        writer.finish_directories()
    finally:
        writer.close()
    warnings = list(stats.warnings)
    if stats.skipped_devices:
        warnings.append(f"skipped {stats.skipped_devices} device node(s): only root can "
                        "create them (recorded in the provenance index)")
    if writer.skipped_xattrs:
        warnings.append(f"skipped {writer.skipped_xattrs} extended attribute(s): only root "
                        "can set them")
    if writer.failed_xattrs:
        warnings.append(f"{writer.failed_xattrs} extended attribute(s) could not be set")
    if not writer.as_root and writer.builder.owners:
        warnings.append(f"ownership of {len(writer.builder.owners)} path(s) was recorded, "
                        "not applied (unpacked as a plain user)")

    with Rootfs(rootfs_path) as rootfs:
        conversion = convert_config(record.config, rootfs, rootless=rootless,
                                    readonly=readonly, volumes=volumes)
        warnings.extend(conversion.warnings)
        warnings.extend(make_mount_points(rootfs, conversion.volumes))
    write_atomic(staging / "config.json", dumps(conversion.config).encode())

    info = {
        "source": image.source.label, "format": image.kind, "refs": record.refs,
        "platform": str(record.platform) if record.platform else None,
        "manifest": record.manifest_digest, "config": record.config_digest,
    }
    meta = staging / PROVENANCE_FILE.parent
    meta.mkdir(mode=0o755)
    write_atomic(staging / PROVENANCE_FILE, writer.builder.dump(record, info))
    wasted = sum(writer.builder.wasted)
    return UnpackResult(staging, record, stats, wasted, warnings)


def _make_parents(parent: Path, created: list[Path]) -> None:
    """mkdir -p, noting each directory it creates in ``created`` (deepest first)."""
    missing = []
    path = parent
    while not path.exists():
        missing.append(path)
        path = path.parent
    for path in reversed(missing):
        path.mkdir()
        created.insert(0, path)


def _swap_into_place(staging: Path, bundle: Path, *, force: bool) -> None:
    if not force or not os.path.lexists(bundle):
        # rename replaces an empty directory atomically, and fails on a full one: a DIR
        # that someone filled during the unpack is never replaced without --force.
        try:
            os.rename(staging, bundle)
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise
            raise BundlebenchError(
                f"{bundle} was filled while the image was unpacked: pass --force to "
                "replace it"
            ) from None
        fsync_directory(bundle.parent)
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{bundle.name}.old-", dir=bundle.parent))
    os.rename(bundle, trash / "bundle")
    try:
        os.rename(staging, bundle)
    except BaseException:
        os.rename(trash / "bundle", bundle)
        trash.rmdir()
        raise
    fsync_directory(bundle.parent)
    remove_tree(trash)


def remove_tree(path: Path) -> None:
    """rm -rf, also through directories a plain user made read-only."""

    def retry(function, failed: str, _excinfo) -> None:
        parent = os.path.dirname(failed)
        with contextlib.suppress(OSError):
            os.chmod(parent, stat.S_IRWXU)
        with contextlib.suppress(OSError):
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, stat.S_IRWXU)
        with contextlib.suppress(FileNotFoundError):
            if function in (os.rmdir, os.unlink, os.remove):
                function(failed)
            else:
                remove_tree(Path(failed))

    shutil.rmtree(path, onerror=retry)
