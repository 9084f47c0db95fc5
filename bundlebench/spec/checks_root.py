"""Checks of the top level: ociVersion, root, hostname, domainname, annotations."""

from __future__ import annotations

import errno
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

from bundlebench.spec.checks_base import Context, as_dict
from bundlebench.spec.problems import Problem, error, pointer, warning
from runtime.linux.constants import signal_number_or_none

SUPPORTED_MAJOR = 1
SUPPORTED_MINOR = 3  # 1.0.0 up to any 1.3.x

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)

# The org.opencontainers annotation keys the spec defines; the rest of that
# namespace is reserved.
_OCI_ANNOTATIONS = frozenset(
    "org.opencontainers.image." + name
    for name in (
        "os", "os.version", "os.features", "architecture", "variant", "author",
        "created", "stopSignal",
    )
)


def check_oci_version(ctx: Context) -> Iterator[Problem]:
    version = ctx.config.get("ociVersion")
    if not isinstance(version, str):
        return
    match = _SEMVER.match(version)
    if not match:
        yield error(
            "/ociVersion",
            f"ociVersion {version!r} is not a SemVer 2.0.0 version.",
            'Write it as MAJOR.MINOR.PATCH, e.g. "1.3.0".',
        )
        return
    major, minor = int(match.group(1)), int(match.group(2))
    if major != SUPPORTED_MAJOR or minor > SUPPORTED_MINOR:
        yield error(
            "/ociVersion",
            f"ociVersion {version} is outside the supported range 1.0.0 to 1.3.x.",
            'Set "1.3.0" if the config uses no field of a newer specification.',
        )


def check_root(ctx: Context) -> Iterator[Problem]:
    if "root" not in ctx.config:
        yield error(
            "/root",
            "root is missing; on Linux a container needs a root filesystem.",
            'Add "root": {"path": "rootfs"}.',
        )
        return
    path = as_dict(ctx.config.get("root")).get("path")
    if not isinstance(path, str):
        return
    if posixpath.basename(posixpath.normpath(path)) != "rootfs" or (
        not path.startswith("/") and posixpath.normpath(path) != "rootfs"
    ):
        yield warning(
            "/root/path",
            f"root.path is {path!r}; the spec recommends the conventional \"rootfs\".",
            "Keep the root filesystem in the bundle's rootfs/ directory and name it so.",
        )
    host = Path(path)
    if not host.is_absolute():
        if ctx.bundle_dir is None:
            return
        host = ctx.bundle_dir / host
    try:
        host.stat()
    except (OSError, ValueError) as exc:  # missing, a name too long, a NUL byte ...
        missing = isinstance(exc, OSError) and exc.errno == errno.ENOENT
        reason = exc.strerror if isinstance(exc, OSError) else "it holds a NUL byte"
        yield error(
            "/root/path",
            f"root.path {path!r} does not exist ({host})." if missing
            else f"root.path {path!r} cannot be reached: {reason}.",
            "Create the root filesystem there, or point root.path at it.",
        )
        return
    if not host.is_dir():
        yield error(
            "/root/path",
            f"root.path {path!r} is not a directory ({host}).",
            "Point root.path at the directory holding the container's files.",
        )


def check_uts_names(ctx: Context) -> Iterator[Problem]:
    for field in ("hostname", "domainname"):
        if isinstance(ctx.config.get(field), str) and not ctx.has_namespace("uts"):
            yield error(
                pointer(field),
                f"{field} is set but the container has no uts namespace of its own.",
                'Add {"type": "uts"} to linux.namespaces, or remove ' + field + ".",
            )


STOP_SIGNAL_KEY = "org.opencontainers.image.stopSignal"


def _valid_signal(value: object) -> bool:
    return isinstance(value, str) and signal_number_or_none(value) is not None


def check_annotations(ctx: Context) -> Iterator[Problem]:
    annotations = as_dict(ctx.config.get("annotations"))
    for key in annotations:
        ptr = pointer("annotations", key)
        if key == "":
            yield error(ptr, "An annotations key is empty.", "Give the annotation a name.")
        elif key.startswith("org.opencontainers.") and key not in _OCI_ANNOTATIONS:
            yield error(
                ptr,
                f"annotations key {key!r} uses the reserved org.opencontainers namespace.",
                "Use a reverse-domain key of your own, e.g. com.example." + key.rsplit(".")[-1],
            )
        elif key == STOP_SIGNAL_KEY and not _valid_signal(annotations[key]):
            yield error(
                ptr,
                f"annotations {key} {annotations[key]!r} is not a signal.",
                'Give a signal name or number, e.g. "SIGTERM" or "15".',
            )
        elif "." not in key:
            yield warning(
                ptr,
                f"annotations key {key!r} is not in reverse domain notation.",
                f"Name it like com.example.{key}.",
            )


def check_linux_present(ctx: Context) -> Iterator[Problem]:
    if "linux" not in ctx.config:
        yield warning(
            "/linux",
            "linux is missing, so the container gets no namespaces and shares the host's.",
            'Add a "linux" section with namespaces (see `bundlebench spec`).',
        )


CHECKS = (check_oci_version, check_root, check_uts_names, check_annotations, check_linux_present)
