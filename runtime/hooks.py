"""OCI hooks: run each configured hook with the container state on stdin.

The functions here run a hook in whatever namespaces the calling process is in; the
caller picks the process (runtime-spec runtime.md and config.md):

- createRuntime, prestart: the runtime parent (runtime namespace), during create, after
  the namespaces exist and before pivot_root. Paths resolve on the host.
- createContainer: the container init, in its namespaces, before pivot_root (so the
  path still resolves on the host).
- startContainer: the container init after pivot_root, during start, just before
  execve. The path resolves inside the container.
- poststart: the runtime process that ran `start`, after the process started.
- poststop: the runtime process that ran `delete`, after the container is gone.

A failing prestart, createRuntime, createContainer or startContainer hook raises
RuntimeFailure (the caller stops and destroys the container); a failing poststart or
poststop hook is a warning and the remaining hooks still run.

A hook gets exactly its `env` when given, else the caller's default_env or the runtime's
own environment (as runc does); it runs in its own process group, and on timeout the
whole group is killed.
"""

from __future__ import annotations

import os
import time

from runtime.errors import RuntimeFailure
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


HOOK_KINDS = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart",
              "poststop")
FATAL_KINDS = frozenset(("prestart", "createRuntime", "createContainer", "startContainer"))
OUTPUT_LIMIT = 4096
MESSAGE_LIMIT = 1000


class HookResult:
    """How one hook ended: exit status, or signal, or timeout, or exec failure."""

    def __init__(self, where: str, path: str) -> None:
        self.where = where
        self.path = path
        self.status: int | None = None
        self.signal: int | None = None
        self.timed_out = False
        self.exec_error = ""
        self.output = b""
        self.micros = 0

    @property
    def ok(self) -> bool:
        return self.status == 0 and not self.timed_out and not self.exec_error

    def describe(self) -> str:
        """One sentence for the error or warning."""
        if self.exec_error:
            text = f"{self.where} {self.path} cannot be run: {self.exec_error}"
        elif self.timed_out:
            text = f"{self.where} {self.path} timed out and was killed"
        elif self.signal is not None:
            text = f"{self.where} {self.path} was killed by signal {self.signal}"
        else:
            text = f"{self.where} {self.path} failed with exit status {self.status}"
        output = self.output.decode("utf-8", "replace").strip()
        if output:
            if len(output) > MESSAGE_LIMIT:
                output = "..." + output[-MESSAGE_LIMIT:]
            text += f"; its output: {output}"
        return text


def hook_state(container_id: str, status: str, pid: int, bundle: str,
               annotations: dict[str, str] | None = None,
               oci_version: str = "1.3.0") -> dict[str, Any]:
    """The state object the spec passes on a hook's stdin."""
    state: dict[str, Any] = {"ociVersion": oci_version, "id": container_id, "status": status}
    if pid > 0:
        state["pid"] = pid
    state["bundle"] = bundle
    if annotations:
        state["annotations"] = annotations
    return state


def hooks_of(config: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The hooks of one kind, checked; RuntimeFailure names a bad entry."""
    if kind not in HOOK_KINDS:
        raise ValueError(f"unknown hook kind {kind!r}")
    hooks = (config.get("hooks") or {}).get(kind) or []
    if not isinstance(hooks, list):
        raise RuntimeFailure(f"hooks.{kind} must be a list")
    for i, hook in enumerate(hooks):
        where = f"hooks.{kind}[{i}]"
        if not isinstance(hook, dict):
            raise RuntimeFailure(f"{where} must be an object with a path")
        path = hook.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise RuntimeFailure(f"{where}.path {path!r} must be an absolute path")
        for name in ("args", "env"):
            value = hook.get(name)
            if value is not None and (not isinstance(value, list) or
                                      not all(isinstance(v, str) for v in value)):
                raise RuntimeFailure(f"{where}.{name} must be a list of strings")
        timeout = hook.get("timeout")
        if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool)
                                    or timeout <= 0):
            raise RuntimeFailure(f"{where}.timeout {timeout!r} must be a positive number of "
                                 "seconds")
    return hooks


def preload() -> None:
    """Import what run_hooks needs, before pivot_root hides the host's modules."""
    import select  # noqa: F401
    import signal  # noqa: F401

    import runtime.jsonlite  # noqa: F401
    import runtime.linux.sealed_exec  # noqa: F401


def run_hook(hook: dict[str, Any], state_json: bytes, where: str = "hook",
             default_env: dict[str, str] | None = None) -> HookResult:
    """Run one hook to its end (or its timeout) and report how it went.

    A hook without `env` gets default_env, else this process's environment."""
    import select
    path = hook["path"]
    argv = list(hook.get("args") or []) or [path]
    env_list = hook.get("env")
    if env_list is not None:
        env = _env_dict(env_list)
    else:
        env = dict(os.environ) if default_env is None else default_env
    timeout = hook.get("timeout")
    result = HookResult(where, path)
    start = time.monotonic()
    stdin_fd = os.memfd_create("hook-state", os.MFD_CLOEXEC)
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    try:
        os.write(stdin_fd, state_json)
        os.lseek(stdin_fd, 0, os.SEEK_SET)
        from runtime.linux import seam
        pid = seam.kernel().fork()
        if pid == 0:
            _child(path, argv, env, stdin_fd, out_w, err_w)
        os.close(out_w)
        out_w = -1
        os.close(err_w)
        err_w = -1
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = -1
        poller = select.poll()
        poller.register(out_r, select.POLLIN)
        if pidfd >= 0:
            poller.register(pidfd, select.POLLIN)
        deadline = None if timeout is None else start + timeout
        output = bytearray()
        open_out = True
        waited = None
        try:
            while waited is None:
                wait_ms = -1 if pidfd >= 0 else 20
                if deadline is not None:
                    left = max(0, int((deadline - time.monotonic()) * 1000) + 1)
                    wait_ms = left if wait_ms < 0 else min(wait_ms, left)
                if open_out or pidfd >= 0:
                    events = poller.poll(wait_ms)
                else:
                    time.sleep(wait_ms / 1000)
                    events = []
                if open_out and any(fd == out_r for fd, _ in events):
                    open_out = _drain(out_r, output, poller)
                done_pid, status = os.waitpid(pid, os.WNOHANG)
                if done_pid:
                    waited = status
                elif deadline is not None and time.monotonic() >= deadline:
                    _kill_group(pid)
                    _, waited = os.waitpid(pid, 0)
                    result.timed_out = True
            if pidfd >= 0:
                poller.unregister(pidfd)
            # The hook is gone; what it wrote is in the pipe unless a child of it still
            # holds the write end, so read only what is there now.
            while open_out and poller.poll(0):
                open_out = _drain(out_r, output, poller)
        finally:
            if pidfd >= 0:
                os.close(pidfd)
        if os.WIFSIGNALED(waited):
            result.signal = os.WTERMSIG(waited)
        else:
            result.status = os.WEXITSTATUS(waited)
        error = os.read(err_r, 4096)
        if error:
            result.exec_error = error.decode("utf-8", "replace")
        result.output = bytes(output[-OUTPUT_LIMIT:])
    finally:
        for fd in (stdin_fd, out_r, out_w, err_r, err_w):
            if fd >= 0:
                os.close(fd)
    result.micros = int((time.monotonic() - start) * 1_000_000)
    return result


def _env_dict(items: list[str]) -> dict[str, str]:
    env = {}
    for item in items:
        key, _, value = item.partition("=")
        env[key] = value
    return env


def _drain(fd: int, output: bytearray, poller: Any) -> bool:
    """Read what is there; keep the tail. False once the pipe is at EOF."""
    chunk = os.read(fd, 65536)
    if not chunk:
        poller.unregister(fd)
        return False
    output += chunk
    if len(output) > 2 * OUTPUT_LIMIT:
        del output[:-OUTPUT_LIMIT]
    return True


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, 9)
    except OSError:
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.kill(pid, 9)
        except OSError:
            pass


def _child(path: str, argv: list[str], env: dict[str, str], stdin_fd: int, out_w: int,
           err_w: int) -> None:
    """In the forked child: stdio, own process group, default signals, execve."""
    try:
        os.setpgid(0, 0)
        os.dup2(stdin_fd, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        import signal
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM,
                    signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.stat(path)  # the usual errors in words; the helper only knows errno numbers
        if not os.access(path, os.X_OK):
            raise PermissionError(13, os.strerror(13))
        from runtime.linux import sealed_exec  # a hook's path may lead to /proc/self/exe
        sealed_exec.execve(path, argv, env)
    except OSError as exc:
        os.write(err_w, (exc.strerror or str(exc)).encode())
    except BaseException as exc:  # noqa: BLE001 - a forked child must never unwind
        os.write(err_w, f"{type(exc).__name__}: {exc}".encode())
    finally:
        os._exit(127)


def _warn_stderr(message: str) -> None:
    os.write(2, f"bundlebench-runtime: warning: {message}\n".encode())


def run_hooks(config: dict[str, Any], kind: str, state: dict[str, Any],
              tracer: Tracer = NULL_TRACER,
              warn: Callable[[str], None] | None = None,
              default_env: dict[str, str] | None = None) -> list[HookResult]:
    """Run every hook of `kind` in order with `state` on stdin.

    prestart/createRuntime/createContainer/startContainer: the first failure raises
    RuntimeFailure and later hooks do not run. poststart/poststop: each failure goes to
    `warn` (default: a warning line on stderr) and the rest still run. Hooks without
    `env` get default_env (pass process.env for startContainer, as runc's init has it),
    else the runtime's environment.
    """
    hooks = hooks_of(config, kind)
    if not hooks:
        return []
    from runtime.jsonlite import dumps
    state_json = dumps(state).encode()
    results = []
    for i, hook in enumerate(hooks):
        result = run_hook(hook, state_json, f"hooks.{kind}[{i}]", default_env)
        results.append(result)
        outcome = ("timeout" if result.timed_out else "exec-error" if result.exec_error
                   else f"signal {result.signal}" if result.signal is not None
                   else f"exit {result.status}")
        tracer.emit("hook", f"{kind}[{i}] {result.path} {(hook.get('args') or [])[1:]!r}",
                    "ok" if result.ok else outcome, result.micros)
        if result.ok:
            continue
        if kind in FATAL_KINDS:
            raise RuntimeFailure(result.describe())
        (warn or _warn_stderr)(result.describe())
    return results
