"""Checks of hooks: absolute paths, positive timeouts, deprecated prestart, presence."""

from __future__ import annotations

import os
from collections.abc import Iterator

from bundlebench.spec.checks_base import Context, as_dict, as_list, is_int
from bundlebench.spec.problems import Problem, error, pointer, warning

HOOK_KINDS = (
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
)
# startContainer hooks run inside the container; all others resolve on the host.
IN_CONTAINER = frozenset({"startContainer"})


def check_hooks(ctx: Context) -> Iterator[Problem]:
    hooks = as_dict(ctx.config.get("hooks"))
    if "prestart" in hooks:
        yield warning(
            "/hooks/prestart",
            "hooks.prestart is deprecated.",
            "Move these hooks to createRuntime (same moment, runtime namespace).",
        )
    for kind in HOOK_KINDS:
        for index, item in enumerate(as_list(hooks.get(kind))):
            hook = as_dict(item)
            base = pointer("hooks", kind, index)
            path = hook.get("path")
            if isinstance(path, str):
                if not path.startswith("/"):
                    yield error(
                        base + "/path",
                        f"hooks.{kind}[{index}].path {path!r} is not an absolute path.",
                        "Give the full path of the hook program.",
                    )
                else:
                    yield from _check_present(ctx, kind, index, path)
            timeout = hook.get("timeout")
            if is_int(timeout) and timeout <= 0:
                yield error(
                    base + "/timeout",
                    f"hooks.{kind}[{index}].timeout {timeout} is not greater than zero.",
                    "Set a positive number of seconds, or remove timeout for no limit.",
                )


def _check_present(ctx: Context, kind: str, index: int, path: str) -> Iterator[Problem]:
    ptr = pointer("hooks", kind, index, "path")
    if kind in IN_CONTAINER:
        if ctx.rootfs is None:
            return
        entry = ctx.stat_in_rootfs(path)
        usable = entry is not None and entry.kind == "file" and bool(entry.mode & 0o111)
        where = "in the rootfs"
    else:
        usable = os.path.isfile(path) and os.access(path, os.X_OK)
        where = "on this host"
    if not usable:
        yield warning(
            ptr,
            f"hooks.{kind}[{index}].path {path} is not an executable file {where}.",
            "Install the hook program there, or fix the path.",
        )


CHECKS = (check_hooks,)
