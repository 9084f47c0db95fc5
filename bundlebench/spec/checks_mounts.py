"""Checks of mounts: destinations, options, id-mapped mounts, bind sources, defaults."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path

from bundlebench.spec.checks_base import Context, as_dict, as_list, is_absolute
from bundlebench.spec.problems import Problem, error, pointer, warning
from runtime.linux.constants import MOUNT_FLAGS

# The filesystems config-linux.md says SHOULD be available in every container.
DEFAULT_FILESYSTEMS = {"/proc": "proc", "/sys": "sysfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs"}


def _mounts(ctx: Context) -> list[tuple[int, dict]]:
    return [(i, as_dict(m)) for i, m in enumerate(as_list(ctx.config.get("mounts")))]


def _options(mount: dict) -> list[str]:
    return [o for o in as_list(mount.get("options")) if isinstance(o, str)]


def check_destination(ctx: Context) -> Iterator[Problem]:
    for index, mount in _mounts(ctx):
        dest = mount.get("destination")
        if isinstance(dest, str) and not dest.startswith("/"):
            yield warning(
                pointer("mounts", index, "destination"),
                f"mounts[{index}].destination {dest!r} is relative (deprecated on Linux).",
                f'Write it as an absolute path inside the container, e.g. "/{dest}".',
            )


def check_option_conflicts(ctx: Context) -> Iterator[Problem]:
    for index, mount in _mounts(ctx):
        setting: dict[int, str] = {}
        clearing: dict[int, str] = {}
        for option in _options(mount):
            clear, flag = MOUNT_FLAGS.get(option, (False, 0))
            if flag:
                (clearing if clear else setting)[flag] = option
        for flag, option in setting.items():
            if flag in clearing:
                yield warning(
                    pointer("mounts", index, "options"),
                    f"mounts[{index}].options has both {option!r} and {clearing[flag]!r}; "
                    "the later one wins.",
                    "Keep only the option you mean.",
                )


def check_idmap(ctx: Context) -> Iterator[Problem]:
    for index, mount in _mounts(ctx):
        has_uid, has_gid = "uidMappings" in mount, "gidMappings" in mount
        idmap = any(o in ("idmap", "ridmap") for o in _options(mount))
        base = pointer("mounts", index)
        if has_uid != has_gid:
            missing = "gidMappings" if has_uid else "uidMappings"
            yield error(
                f"{base}/{'uidMappings' if has_uid else 'gidMappings'}",
                f"mounts[{index}] has {'uidMappings' if has_uid else 'gidMappings'} "
                f"without {missing}.",
                "Give an id-mapped mount both uidMappings and gidMappings.",
            )
        if (has_uid or has_gid) and not idmap:
            yield warning(
                f"{base}/options",
                f"mounts[{index}] has id mappings but no idmap or ridmap option.",
                'Add "idmap" (or "ridmap" for an rbind mount) so that older runtimes '
                "do not silently ignore the mappings.",
            )
        if idmap and not (has_uid or has_gid) and not ctx.has_namespace("user"):
            yield error(
                f"{base}/options",
                f"mounts[{index}] asks for idmap without mappings and without a user namespace.",
                "Add uidMappings and gidMappings to the mount, or a user namespace.",
            )


def check_bind_source(ctx: Context) -> Iterator[Problem]:
    if ctx.bundle_dir is None:
        return
    for index, mount in _mounts(ctx):
        source = mount.get("source")
        options = _options(mount)
        if not isinstance(source, str) or not ("bind" in options or "rbind" in options):
            continue
        host = Path(source) if source.startswith("/") else ctx.bundle_dir / source
        if not host.exists():
            yield warning(
                pointer("mounts", index, "source"),
                f"mounts[{index}].source {source!r} of this bind mount does not exist ({host}).",
                "Create it on the host that runs the container, or fix the path "
                "(a relative source is relative to the bundle).",
            )


def check_default_filesystems(ctx: Context) -> Iterator[Problem]:
    if "linux" not in ctx.config:
        return
    present = {
        posixpath.normpath("/" + d.lstrip("/"))
        for _, m in _mounts(ctx)
        if isinstance(d := m.get("destination"), str)
    }
    missing = [f"{dest} ({kind})" for dest, kind in DEFAULT_FILESYSTEMS.items()
               if dest not in present]
    if missing:
        yield warning(
            "/mounts",
            "mounts lacks filesystems every Linux container should have: "
            + ", ".join(missing) + ".",
            "Add them as `bundlebench spec` writes them.",
        )


def check_masked_readonly(ctx: Context) -> Iterator[Problem]:
    linux = ctx.section("linux")
    for field in ("maskedPaths", "readonlyPaths"):
        for index, path in enumerate(as_list(linux.get(field))):
            if isinstance(path, str) and not is_absolute(path):
                yield error(
                    pointer("linux", field, index),
                    f"linux.{field}[{index}] {path!r} is not an absolute path.",
                    f'Write it from the container\'s root, e.g. "/{path}".',
                )


CHECKS = (
    check_destination,
    check_option_conflicts,
    check_idmap,
    check_bind_source,
    check_default_filesystems,
    check_masked_readonly,
)
