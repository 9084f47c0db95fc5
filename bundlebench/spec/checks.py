"""Semantic checks of a config.json beyond what a JSON schema can say.

Each MUST of config.md and config-linux.md that can be checked without running the
container is an error; each SHOULD is a warning; so is a setting that has no effect.
Settings the runtime or the kernel would refuse are errors too. The rules live in the
checks_*.py modules, one per section of the config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bundlebench.spec import (
    checks_hooks,
    checks_linux,
    checks_mounts,
    checks_namespaces,
    checks_process,
    checks_resources,
    checks_root,
    checks_seccomp,
)
from bundlebench.spec.checks_base import Check, Context
from bundlebench.spec.order import in_document_order
from bundlebench.spec.problems import Problem

ALL_CHECKS: tuple[Check, ...] = (
    *checks_root.CHECKS,
    *checks_process.CHECKS,
    *checks_mounts.CHECKS,
    *checks_hooks.CHECKS,
    *checks_namespaces.CHECKS,
    *checks_linux.CHECKS,
    *checks_resources.CHECKS,
    *checks_seccomp.CHECKS,
)


def run_checks(config: dict[str, Any], bundle_dir: Path | None = None) -> list[Problem]:
    """All semantic problems of ``config``, in document order.

    With ``bundle_dir`` the checks also look at the files: root.path, the program in
    process.args[0] (resolved inside the rootfs, never on the host), cwd, bind mount
    sources and hook programs.
    """
    if not isinstance(config, dict):
        return []
    ctx = Context(config, bundle_dir)
    try:
        problems = [problem for check in ALL_CHECKS for problem in check(ctx)]
    finally:
        ctx.close()
    return in_document_order(problems, config)
