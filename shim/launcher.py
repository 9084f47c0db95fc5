"""launch(): start a shim for a new container and wait until the container runs."""

from __future__ import annotations

import os
import sys
import time

START_TIMEOUT = 30.0


class ShimError(Exception):
    """The container could not be launched; the message says why in one sentence."""


class LaunchResult:
    """The pids of a launched shim and of its container's init."""

    def __init__(self, shim_pid: int, init_pid: int) -> None:
        self.shim_pid = shim_pid
        self.init_pid = init_pid

    def __repr__(self) -> str:
        return f"LaunchResult(shim_pid={self.shim_pid}, init_pid={self.init_pid})"


def default_runtime_command() -> list[str]:
    """Our own runtime's command line, next to this interpreter when installed."""
    script = os.path.join(os.path.dirname(sys.executable), "bundlebench-runtime")
    if os.access(script, os.X_OK):
        return [script]
    return [sys.executable, "-m", "runtime"]


def launch(root: str, bundle: str, container_id: str, runtime: list[str] | None = None,
           timeout: float = START_TIMEOUT, attach_first: bool = False, start: bool = True,
           remove_on_exit: bool = False) -> LaunchResult:
    """Start a shim for a new container and wait until the container runs.

    With ``attach_first`` the container is created but started only once a client has
    attached (or after a timeout), so a foreground client sees every byte of output.
    Without ``start`` it stays `created` until someone runs the runtime's `start`.
    ``remove_on_exit``: the shim deletes the container once it has ended.
    """
    import subprocess

    status_r, status_w = os.pipe()
    # -S: the shim needs only the standard library and this package, and one runs per
    # container, so it skips site-packages (smaller and faster to start).
    command = [sys.executable, "-S", "-m", "shim", f"--root={root}",
               f"--bundle={bundle}", f"--id={container_id}", f"--status-fd={status_w}"]
    if attach_first:
        command.append("--attach-first")
    if not start:
        command.append("--no-start")
    if remove_on_exit:
        command.append("--rm")
    for part in runtime or default_runtime_command():
        command.append(f"--runtime={part}")
    try:
        first = subprocess.Popen(
            command, pass_fds=(status_w,), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env=_child_env(),
        )
    finally:
        os.close(status_w)
    first.wait()  # the first process only forks the daemon and leaves
    with os.fdopen(status_r, "rb") as status:
        line = _read_with_timeout(status, timeout).decode("utf-8", "replace").strip()
    if line.startswith("ok "):
        shim_pid, init_pid = (int(x) for x in line[3:].split())
        return LaunchResult(shim_pid, init_pid)
    if line.startswith("error "):
        raise ShimError(line[6:])
    raise ShimError(f"the shim for {container_id} stopped before the container started")


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The shim must find this package even when it runs from a source checkout.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def _read_with_timeout(handle, timeout: float) -> bytes:
    import select

    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([handle], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(handle.fileno(), 4096)
        if not chunk:
            break
        data += chunk
        if b"\n" in data:
            break
    return data
