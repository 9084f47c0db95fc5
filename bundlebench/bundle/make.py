"""Making bundles and rootfs directories, cancellable, leaving nothing behind.

Each job builds in a staging directory beside its target and renames it into place
at the end; a failure or a cancel removes the staging directory, so the target is
either whole or not there. The same extraction and unpacking code as `bundlebench new`
and `bundlebench unpack` does the work. The app runs these in a thread worker.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from bundlebench.bundle.atomic import fsync_directory, write_atomic
from bundlebench.errors import BundlebenchError

Report = Callable[[str, int, int], None]
"""Told (what, done, total) as the work goes on; total 0 when unknown."""


class Cancelled(BundlebenchError):
    """The user stopped the job; nothing was left behind."""


def _ignore(_what: str, _done: int, _total: int) -> None:
    pass


class Job:
    """What a job reports to and how it is told to stop (``cancel``)."""

    def __init__(self, report: Report = _ignore, cancel: threading.Event | None = None) -> None:
        self.report = report
        self.cancel = cancel or threading.Event()

    def tick(self, what: str, done: int, total: int) -> None:
        """Report progress; raise Cancelled when the user asked to stop."""
        if self.cancel.is_set():
            raise Cancelled("cancelled: nothing was left behind")
        self.report(what, done, total)

    def checker(self, what: str) -> Callable[[int, int], None]:
        """A progress callback (done, total) for extract_tarball or one layer."""
        return lambda done, total: self.tick(what, done, total)

    def layers(self, description: str) -> contextlib.AbstractContextManager[
            Callable[[int, int], None]]:
        """A ProgressFactory for bundlebench.image.unpack (one callback per layer)."""
        self.tick(description, 0, 0)
        return contextlib.nullcontext(self.checker(description))


def default_config_bytes(*, rootless: bool) -> bytes:
    """What `bundlebench spec` writes (runc's default, ociVersion 1.3.0)."""
    from runtime.defaults import default_config, dumps

    return dumps(default_config(rootless=rootless)).encode("utf-8")


def default_rootless() -> bool:
    """A plain user gets the rootless default (`runc spec --rootless`)."""
    return os.geteuid() != 0


def write_default_config(bundle: Path, *, rootless: bool, replace: bool = False) -> Path:
    """Write the default config.json atomically; refuse to replace one unless asked
    (a replaced one is kept as config.json.bak, as a save keeps it)."""
    bundle = Path(bundle)
    target = bundle / "config.json"
    if not bundle.is_dir():
        raise BundlebenchError(f"{bundle} is not a directory: choose a bundle directory")
    if not replace and os.path.lexists(target):
        raise BundlebenchError(f"{target} already exists: it is kept as it is")
    try:
        if os.path.isfile(target):
            write_atomic(target.with_name("config.json.bak"), target.read_bytes())
        write_atomic(target, default_config_bytes(rootless=rootless))
    except PermissionError:
        raise BundlebenchError(f"{target} cannot be written: permission denied") from None
    except OSError as error:
        raise BundlebenchError(f"{target} could not be written: {error.strerror}") from None
    return target


def check_new_target(target: Path) -> None:
    """A new bundle or rootfs goes where nothing is, or into an empty directory."""
    if not target.parent.is_dir():
        raise BundlebenchError(f"{target.parent} does not exist: make it first, or choose "
                               "another place")
    if os.path.lexists(target) and (not target.is_dir() or target.is_symlink()):
        raise BundlebenchError(f"{target} exists and is not a directory: choose another path")
    if target.is_dir() and any(target.iterdir()):
        raise BundlebenchError(f"{target} is not empty: choose a new or empty directory")


@contextlib.contextmanager
def staging_beside(target: Path) -> Iterator[Path]:
    """A fresh directory next to ``target``, removed unless the caller renamed it away."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    except OSError as error:
        raise _os_sentence(error, target) from None
    os.chmod(staging, 0o755)
    try:
        yield staging
    except OSError as error:
        raise _os_sentence(error, target) from None
    finally:
        if os.path.lexists(staging):
            from bundlebench.image.unpack import remove_tree

            remove_tree(staging)


def _os_sentence(error: OSError, target: Path) -> BundlebenchError:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return BundlebenchError(f"no space left to make {target}: free some space")
    if isinstance(error, PermissionError):
        return BundlebenchError(f"cannot make {target}: permission denied")
    return BundlebenchError(f"cannot make {target}: {error.strerror or error}")


def _move_into_place(built: Path, target: Path) -> None:
    try:
        os.rename(built, target)  # replaces an empty directory, fails on a full one
    except OSError as error:
        if error.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
            raise BundlebenchError(f"{target} was filled meanwhile: it is kept as it is, "
                                   "choose another path") from None
        raise
    fsync_directory(target.parent)


def _extract(tarball: Path, rootfs: Path, job: Job) -> None:
    from bundlebench.bundle.extract import extract_tarball

    rootfs.mkdir(mode=0o755)
    extract_tarball(tarball, rootfs, job.checker(f"extracting {tarball.name}"))


def _require_file(tarball: Path) -> None:
    if not tarball.is_file():
        raise BundlebenchError(f"rootfs tarball {tarball} is not a file: check the path")


def make_bundle_from_tarball(tarball: Path, target: Path, *, rootless: bool,
                             job: Job | None = None) -> Path:
    """A new bundle at ``target``: rootfs/ from ``tarball``, the default config.json."""
    job = job or Job()
    tarball, target = Path(tarball), Path(os.path.abspath(target))
    _require_file(tarball)
    check_new_target(target)
    with staging_beside(target) as staging:
        _extract(tarball, staging / "rootfs", job)
        job.tick("writing config.json", 0, 0)
        write_atomic(staging / "config.json", default_config_bytes(rootless=rootless))
        _move_into_place(staging, target)
    return target


def make_rootfs_from_tarball(tarball: Path, rootfs: Path, job: Job | None = None) -> Path:
    """The missing rootfs directory ``rootfs``, extracted from ``tarball``."""
    job = job or Job()
    tarball, rootfs = Path(tarball), Path(os.path.abspath(rootfs))
    _require_file(tarball)
    check_new_target(rootfs)
    with staging_beside(rootfs) as staging:
        _extract(tarball, staging / "rootfs", job)
        _move_into_place(staging / "rootfs", rootfs)
    return rootfs


def unpack_image_bundle(image: Path, target: Path, *, rootless: bool,
                        job: Job | None = None) -> Path:
    """A new bundle at ``target`` from an OCI image layout or docker archive."""
    from bundlebench.image.unpack import unpack_image

    job = job or Job()
    target = Path(os.path.abspath(target))
    check_new_target(target)
    unpack_image(Path(image), target, rootless=rootless, progress=job.layers)
    return target


def make_rootfs_from_image(image: Path, bundle: Path, rootfs: Path,
                           job: Job | None = None) -> Path:
    """The missing rootfs ``rootfs`` of ``bundle`` from an image; the bundle's config.json
    is kept (the image's is not used), its layer record is added when there is none."""
    from bundlebench.image.provenance import PROVENANCE_FILE
    from bundlebench.image.unpack import unpack_image

    job = job or Job()
    rootfs = Path(os.path.abspath(rootfs))
    check_new_target(rootfs)
    with staging_beside(rootfs) as staging:
        unpacked = staging / "bundle"
        unpack_image(Path(image), unpacked, progress=job.layers)
        meta = Path(bundle) / PROVENANCE_FILE.parent
        keep_record = rootfs.parent == Path(os.path.abspath(bundle)) and not meta.exists()
        _move_into_place(unpacked / "rootfs", rootfs)
        if keep_record:
            with contextlib.suppress(OSError):
                os.rename(unpacked / PROVENANCE_FILE.parent, meta)
    return rootfs
