"""The sealed exec helper (CVE-2019-5736): it runs programs, refuses to be started again
by a path, cannot be written, and its bytes are what its assembly source says."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.linux import sealed_exec

SOURCES = Path(sealed_exec.__file__).parent / "exec_helper"
NATIVE = os.uname().machine in ("x86_64", "aarch64")
needs_helper = pytest.mark.skipif(not NATIVE, reason="no exec helper for this architecture")


def _through_helper(path: str, argv: list[str], tmp_path: Path) -> tuple[int, str, str]:
    """Run path through the sealed helper in a forked child; (exit code, stdout, stderr)."""
    out, err = tmp_path / "out", tmp_path / "err"
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
            os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
            sealed_exec.execve(path, argv, {"PATH": "/usr/bin:/bin"})
        finally:
            os._exit(99)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.read_text(), err.read_text()


@needs_helper
def test_the_helper_runs_the_program_with_its_argv_and_env(tmp_path) -> None:
    argv = ["sh", "-c", 'echo "$0 $1 $PATH"', "zero", "one"]
    code, out, _ = _through_helper("/bin/sh", argv, tmp_path)
    assert (code, out) == (0, "zero one /usr/bin:/bin\n")


@needs_helper
@pytest.mark.parametrize(("path", "code", "errno"), [
    ("/nonexistent", 127, 2), ("/etc/passwd", 126, 13)])
def test_a_failed_exec_says_its_errno(tmp_path, path: str, code: int, errno: int) -> None:
    got, _, err = _through_helper(path, ["x"], tmp_path)
    assert got == code
    assert err == f"bundlebench-runtime: the container's program could not be executed: " \
                  f"errno {errno}\n"


@needs_helper
@pytest.mark.parametrize("shape", ["direct", "symlink", "shebang"])
def test_started_again_by_a_path_it_refuses(tmp_path, shape: str) -> None:
    """From inside a container, /proc/self/exe (or a link or script to it) reaches the
    helper by a path, never by the runtime's fd: it must not loop or run anything."""
    target = {"direct": "/proc/self/exe", "symlink": str(tmp_path / "link"),
              "shebang": str(tmp_path / "script")}[shape]
    (tmp_path / "link").symlink_to("/proc/self/exe")
    (tmp_path / "script").write_text(f"#!{tmp_path / 'link'}\n")
    (tmp_path / "script").chmod(0o755)
    code, out, err = _through_helper(target, [target, "/bin/echo", "ran"], tmp_path)
    assert code == 126 and out == ""
    assert "CVE-2019-5736" in err


@needs_helper
def test_the_memfd_cannot_be_written_truncated_or_resealed() -> None:
    fd = sealed_exec.helper_fd()
    try:
        image = sealed_exec.helper_image()
        assert os.pread(fd, len(image) + 1, 0) == image
        for flags in (os.O_WRONLY | os.O_APPEND, os.O_RDWR):
            writer = os.open(f"/proc/self/fd/{fd}", flags)
            try:
                with pytest.raises(PermissionError):
                    os.write(writer, b"#PWNED")
            finally:
                os.close(writer)
        with pytest.raises(PermissionError):
            os.ftruncate(fd, 0)
        with pytest.raises(PermissionError):
            os.pwrite(fd, b"x", 0)
        assert os.pread(fd, len(image) + 1, 0) == image
        assert os.get_inheritable(fd) is False
    finally:
        os.close(fd)


@needs_helper
def test_the_helper_is_static_and_tiny() -> None:
    image = sealed_exec.helper_image()
    assert image[:4] == b"\x7fELF" and len(image) < 1024
    assert b"ld-linux" not in image and b".so" not in image  # no interpreter, no libraries


def test_unknown_architecture_is_a_clear_error() -> None:
    with pytest.raises(OSError, match="no exec helper for the mips architecture"):
        sealed_exec.helper_image("mips")


@pytest.mark.parametrize(("arch", "assembler", "objcopy"), [
    ("x86_64", "x86_64-linux-gnu-as", "x86_64-linux-gnu-objcopy"),
    ("aarch64", "aarch64-linux-gnu-as", "aarch64-linux-gnu-objcopy"),
])
def test_the_bytes_are_the_assembled_source(tmp_path, arch: str, assembler: str,
                                            objcopy: str) -> None:
    if os.uname().machine == arch:
        assembler, objcopy = shutil.which("as") or assembler, shutil.which("objcopy") or objcopy
    if not (shutil.which(assembler) and shutil.which(objcopy)):
        pytest.skip(f"no {arch} assembler here (apt-get install binutils-{arch}-linux-gnu)")
    obj, raw = tmp_path / "helper.o", tmp_path / "helper.bin"
    subprocess.run([assembler, str(SOURCES / f"{arch}.s"), "-o", str(obj)], check=True)
    subprocess.run([objcopy, "-O", "binary", "-j", ".text", str(obj), str(raw)], check=True)
    assert sealed_exec.helper_image(arch).endswith(raw.read_bytes())


def test_the_sealed_exec_module_is_on_the_start_path_import_list() -> None:
    """After pivot_root the host's modules are out of reach: the init imports it first."""
    code = ("import sys; from runtime.process.prepare import preload; preload(False); "
            "print('runtime.linux.sealed_exec' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr
