"""Integration fixtures: a demo rootfs, a private runtime root, and a leak check.

Containers run for real (root). Every test cleans up its containers by id; the session
fixture then asserts that nothing leaked: no new mounts, no processes rooted in the test
rootfs, no state dirs under the test runtime root, no cgroups of the session's containers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real mounts and "
                               "namespaces (CI runs as root)")
SESSION_BASE = Path(os.environ.get("BUNDLEBENCH_TEST_DIR", "/tmp"))


def _mountinfo() -> set[str]:
    with open("/proc/self/mountinfo") as handle:
        return {" ".join(line.split()[3:5]) for line in handle}


def _made_by_the_suite(entry: str, dirs: list[Path]) -> bool:
    """Whether a mountinfo entry ("root mountpoint") lies in the suite's own dirs (its
    session dir, runtime root, pytest's tmp dirs) or names one of its containers."""
    import tempfile
    places = [str(d) for d in dirs] + [os.path.join(tempfile.gettempdir(), "pytest-of-")]
    if any(place in entry for place in places):
        return True
    return any(cid in entry for cid in SESSION_IDS)


def _rooted_in(roots: list[Path]) -> list[int]:
    """Pids whose root dir is one of roots (a pivoted root reads as '/', so compare inodes)."""
    keys = set()
    for root in roots:
        try:
            st = os.stat(root)
            keys.add((st.st_dev, st.st_ino))
        except OSError:
            continue
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                st = os.stat(f"/proc/{name}/root")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in keys:
                pids.append(int(name))
    return pids


ROOTFS_DIRS: list[Path] = []
# Every container id a Runner handed out in this session (the cgroup leak check's scope:
# other users of this machine may run bundlebench containers of their own).
SESSION_IDS: set[str] = set()


def _bundlebench_cgroups(max_depth: int = 4) -> set[str]:
    """Container cgroups under every `bundlebench` parent of the host's hierarchies."""
    found: set[str] = set()
    top = "/sys/fs/cgroup"
    if not os.path.isdir(top):
        return found
    for dirpath, dirs, _files in os.walk(top):
        if os.path.basename(dirpath) == "bundlebench":
            found.update(os.path.join(dirpath, d) for d in dirs)
            dirs[:] = []
        elif dirpath.count("/") - top.count("/") >= max_depth:
            dirs[:] = []
    return found


@pytest.fixture(scope="session")
def session_dir() -> Iterator[Path]:
    # A fresh dir, never one left by an earlier run (a killed one may have had our pid).
    import tempfile
    SESSION_BASE.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="bb-it-", dir=SESSION_BASE))
    os.chmod(directory, 0o755)  # rootless tests traverse it as another user
    yield directory
    import shutil
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def runtime_root(session_dir: Path) -> Path:
    return session_dir / "state"


@pytest.fixture(scope="session")
def demo_rootfs(session_dir: Path) -> Path:
    """A rootfs from the host's binaries (bundlebench.bundle.demo), shared read-only."""
    from bundlebench.bundle.demo import build_demo
    bundle = build_demo(session_dir / "demo")
    os.chmod(bundle, 0o755)  # user-namespace tests enter it as another host uid
    ROOTFS_DIRS.append(bundle / "rootfs")
    return bundle / "rootfs"


@pytest.fixture(scope="session", autouse=True)
def no_leaks(session_dir: Path, runtime_root: Path) -> Iterator[None]:
    before = _mountinfo()
    cgroups_before = _bundlebench_cgroups()
    yield
    time.sleep(0.2)
    leaked_cgroups = sorted(path for path in _bundlebench_cgroups() - cgroups_before
                            if os.path.basename(path) in SESSION_IDS)
    # Only what the suite made counts: others on the host (podman's /run/netns, a desktop's
    # automounter) may mount and unmount meanwhile.
    leaked_mounts = {entry for entry in _mountinfo() - before
                     if _made_by_the_suite(entry, [session_dir, runtime_root])}
    leaked_procs = _rooted_in(ROOTFS_DIRS)
    for pid in leaked_procs:  # ours: the suite started them; fail below, but do not leave them
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    leaked_dirs = []
    for name in sorted(os.listdir(runtime_root)) if runtime_root.exists() else []:
        if name.startswith("."):
            continue  # the seccomp BPF cache, not a container
        try:
            bundle = json.loads((runtime_root / name / "state.json").read_text())["bundle"]
        except (OSError, ValueError, KeyError):
            bundle = "no state.json"
        leaked_dirs.append(f"{name} ({bundle})")
    problems = []
    if leaked_mounts:
        problems.append(f"mounts: {sorted(leaked_mounts)}")
    if leaked_procs:
        problems.append(f"processes rooted in the test dir: {leaked_procs}")
    if leaked_dirs:
        problems.append(f"state dirs: {leaked_dirs}")
    if leaked_cgroups:
        problems.append(f"cgroups: {leaked_cgroups}")
    import psutil
    children = [p.pid for p in psutil.Process().children(recursive=True)]
    if children:
        problems.append(f"child processes: {children}")
    assert not problems, "integration suite leaked " + "; ".join(problems)


class Runner:
    """Runs `bundlebench-runtime --root ROOT ...` and tracks the ids it created."""

    def __init__(self, root: Path, rootfs: Path, workdir: Path,
                 interpreter: str = sys.executable, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.env = env
        self.rootfs = rootfs
        self.workdir = workdir
        self.interpreter = interpreter
        self.ids: list[str] = []

    def __call__(self, *args: str, timeout: float = 60, check: bool = False,
                 **kwargs: Any) -> subprocess.CompletedProcess[str]:
        import tempfile
        command = [self.interpreter, "-m", "runtime", "--root", str(self.root), *args]
        # Files, not pipes: a created container keeps the caller's stdio open (as with runc),
        # and a pipe would then never reach EOF.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            kwargs.setdefault("stdin", subprocess.DEVNULL)
            if self.env is not None:
                kwargs.setdefault("env", self.env)
            proc = subprocess.run(command, stdout=out, stderr=err, timeout=timeout, **kwargs)
            out.seek(0)
            err.seek(0)
            result = subprocess.CompletedProcess(command, proc.returncode,
                                                 out.read().decode(errors="replace"),
                                                 err.read().decode(errors="replace"))
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed with {result.returncode}: {result.stderr}")
        return result

    def new_id(self, prefix: str = "t") -> str:
        cid = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.ids.append(cid)
        SESSION_IDS.add(cid)
        return cid

    def config(self, args: list[str], **changes: Any) -> dict[str, Any]:
        from runtime.defaults import default_config
        config = default_config(args=args)
        config["process"]["terminal"] = False
        config["root"] = {"path": str(self.rootfs), "readonly": True}
        config["hostname"] = "bbtest"
        for key, value in changes.items():
            config[key] = value
        return config

    def bundle(self, args: list[str] | None = None, config: dict[str, Any] | None = None,
               **changes: Any) -> Path:
        directory = self.workdir / f"bundle-{uuid.uuid4().hex[:8]}"
        directory.mkdir(mode=0o755)
        if config is None:
            config = self.config(args or ["true"], **changes)
        (directory / "config.json").write_text(json.dumps(config, indent=1))
        return directory

    def output(self, args: list[str], config: dict[str, Any] | None = None,
               run_flags: tuple[str, ...] = (), **changes: Any) -> str:
        """Run a container in the foreground; return its stdout (exit code must be 0)."""
        cid = self.new_id()
        if config is not None and args:
            config["process"]["args"] = args
        bundle = self.bundle(args, config=config, **changes)
        result = self("run", *run_flags, "-b", str(bundle), cid)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def state(self, cid: str) -> dict[str, Any]:
        result = self("state", cid, check=True)
        return json.loads(result.stdout)

    def wait_status(self, cid: str, status: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            state = self.state(cid)
            if state["status"] == status or time.monotonic() > deadline:
                return state
            time.sleep(0.02)

    def cleanup(self) -> None:
        for cid in self.ids:
            # delete keeps the state dir when the cgroup is still busy (killed tasks that
            # their reaper has not waited for yet); like runc's, it can be retried.
            for attempt in range(4):
                result = self("delete", "-f", cid)
                if result.returncode == 0:
                    break
                time.sleep(0.5 * (attempt + 1))
            else:
                sys.stderr.write(f"cleanup of {cid} failed: {result.stderr}")


@pytest.fixture
def rt(runtime_root: Path, demo_rootfs: Path, tmp_path: Path) -> Iterator[Runner]:
    os.chmod(tmp_path, 0o755)
    runner = Runner(runtime_root, demo_rootfs, tmp_path)
    yield runner
    runner.cleanup()
