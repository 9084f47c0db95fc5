"""A runnable demo bundle built from the host's own programs, without network."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from bundlebench.bundle.atomic import write_atomic
from bundlebench.bundle.elf import ElfError, read_elf
from bundlebench.errors import BundlebenchError

DEMO_TOOLS = (
    "ls", "cat", "echo", "ps", "mount", "id", "hostname", "sleep", "env", "uname", "grep",
    "head", "tail", "wc", "top", "vi", "true", "false", "mkdir", "rm", "touch", "ln",
    "chmod", "stat", "df", "dmesg", "kill", "less", "clear", "date", "tty", "stty",
)
LIBRARY_DIRS = (
    "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
)
ETC_FILES = {
    "etc/passwd": (
        "root:x:0:0:root:/root:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
    ),
    "etc/group": "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n",
    "etc/hostname": "bundlebench-demo\n",
    "etc/os-release": (
        'NAME="bundlebench demo"\nID=bundlebench-demo\n'
        'PRETTY_NAME="bundlebench demo rootfs (host binaries)"\n'
    ),
}


def default_demo_dir() -> Path:
    """The per-user cache location of the demo bundle."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "bundlebench" / "demo-bundle"


def is_demo_complete(bundle: Path) -> bool:
    return (bundle / "config.json").is_file() and os.path.lexists(bundle / "rootfs" / "bin" / "sh")


def build_demo(
    dest: Path | None = None, *, force: bool = False, log: Callable[[str], None] | None = None
) -> Path:
    """Build (or reuse) the demo bundle at ``dest`` and return its path.

    The rootfs holds busybox with its applet links when the host has busybox, otherwise
    /bin/sh and a set of host tools with every shared library they need.
    """
    dest = Path(dest) if dest is not None else default_demo_dir()
    dest = dest.absolute()
    if is_demo_complete(dest) and not force:
        return dest
    if dest.exists() and any(dest.iterdir()) and not force and not is_demo_complete(dest):
        raise BundlebenchError(
            f"{dest} is not empty and holds no demo bundle: choose an empty directory "
            "or pass --force"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        rootfs = staging / "rootfs"
        build_demo_rootfs(rootfs, log=log)
        _write_config(staging)
        if dest.exists():
            shutil.rmtree(dest)
        os.rename(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def build_demo_rootfs(rootfs: Path, log: Callable[[str], None] | None = None) -> None:
    """Fill ``rootfs`` with a shell, tools, their libraries and a minimal /etc."""
    for directory in ("bin", "etc", "proc", "sys", "dev", "tmp", "root", "run", "var/tmp"):
        (rootfs / directory).mkdir(parents=True, exist_ok=True)
    os.chmod(rootfs / "tmp", 0o1777)
    os.chmod(rootfs / "var/tmp", 0o1777)
    os.chmod(rootfs / "root", 0o700)
    for rel, text in ETC_FILES.items():
        (rootfs / rel).write_text(text)
    busybox = shutil.which("busybox")
    programs: list[Path] = []
    if busybox:
        target = rootfs / "bin" / "busybox"
        _copy(Path(busybox), target)
        programs.append(Path(busybox))
        for applet in _busybox_applets(busybox):
            link = rootfs / "bin" / applet
            if not os.path.lexists(link):
                os.symlink("busybox", link)
        if log:
            log(f"busybox from {busybox} with its applets")
    else:
        sh = shutil.which("sh") or "/bin/sh"
        if not os.path.exists(sh):
            raise BundlebenchError("the host has no /bin/sh to build the demo from")
        _copy(Path(sh), rootfs / "bin" / "sh")
        programs.append(Path(sh))
        for tool in DEMO_TOOLS:
            found = shutil.which(tool)
            if found:
                _copy(Path(found), rootfs / "bin" / tool)
                programs.append(Path(found))
        if log:
            log(f"/bin/sh and {len(programs) - 1} host tools")
    for library in shared_libraries(programs):
        _copy(library, rootfs / str(library).lstrip("/"))


def shared_libraries(programs: Iterable[Path]) -> list[Path]:
    """Every shared library the programs need, transitively, plus their interpreters."""
    pending = list(programs)
    found: dict[str, Path] = {}
    seen: set[str] = set()
    search = library_search_path()
    while pending:
        binary = pending.pop()
        key = os.path.realpath(binary)
        if key in seen:
            continue
        seen.add(key)
        try:
            fd = os.open(binary, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            info = read_elf(fd)
        except (ElfError, OSError):
            continue
        finally:
            os.close(fd)
        wanted = [info.interpreter] if info.interpreter else []
        for name in info.needed:
            path = _find_library(name, search, info.elf_class)
            if path:
                wanted.append(str(path))
        for library in wanted:
            if library not in found and os.path.exists(library):
                found[library] = Path(library)
                pending.append(Path(library))
    return sorted(found.values())


def library_search_path() -> list[str]:
    """The directories the host's dynamic loader searches, from ld.so.conf and defaults."""
    dirs: list[str] = []
    for conf in ["/etc/ld.so.conf", *sorted(glob.glob("/etc/ld.so.conf.d/*.conf"))]:
        with contextlib.suppress(OSError), open(conf) as handle:
            for line in handle:
                line = line.split("#", 1)[0].strip()
                if line.startswith("/"):
                    dirs.append(line)
    machine = os.uname().machine
    multiarch = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu"}.get(machine)
    if multiarch:
        dirs += [f"/lib/{multiarch}", f"/usr/lib/{multiarch}"]
    dirs += list(LIBRARY_DIRS)
    return list(dict.fromkeys(dirs))


def _find_library(name: str, search: list[str], elf_class: int) -> Path | None:
    if "/" in name:
        return Path(name) if os.path.exists(name) else None
    for directory in search:
        candidate = os.path.join(directory, name)
        if os.path.exists(candidate):
            try:
                fd = os.open(candidate, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    if read_elf(fd).elf_class != elf_class:
                        continue
                finally:
                    os.close(fd)
            except (ElfError, OSError):
                continue
            return Path(candidate)
    return None


def _copy(source: Path, target: Path) -> None:
    """Copy the file ``source`` points to (links on the host dereferenced)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):
        return
    shutil.copy2(os.path.realpath(source), target)


def _busybox_applets(busybox: str) -> list[str]:
    try:
        result = subprocess.run(
            [busybox, "--list"], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return ["sh"]
    return [line.strip() for line in result.stdout.splitlines() if line.strip().isidentifier()
            or line.strip().replace("-", "").replace(".", "").isalnum()]


def _write_config(bundle: Path) -> None:
    import json

    from runtime.defaults import default_config

    config = default_config(rootless=os.geteuid() != 0)
    config["hostname"] = "bundlebench-demo"
    write_atomic(bundle / "config.json", (json.dumps(config, indent="\t") + "\n").encode())
