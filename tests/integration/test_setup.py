"""Container setup checked from inside real containers: namespaces, mounts, /dev, process."""

from __future__ import annotations

import os
import re
import time

import pytest

from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY

NS_NAMES = ("pid", "net", "ipc", "uts", "mnt", "cgroup", "time", "user")


def parse_ns_listing(out: str) -> dict[str, str]:
    """`ls -l /proc/self/ns` -> {name: 'net:[4026...]'} (the demo rootfs has no readlink)."""
    result = {}
    for line in out.splitlines():
        if " -> " in line:
            left, target = line.rsplit(" -> ", 1)
            result[left.split()[-1]] = target.strip()
    return result


def _ns_inside(rt, config=None) -> dict[str, str]:
    return parse_ns_listing(rt.output(["ls", "-l", "/proc/self/ns"], config=config))


def test_default_namespaces_are_new(rt) -> None:
    inside = _ns_inside(rt)
    for name in ("pid", "net", "ipc", "uts", "mnt"):
        assert inside[name] != os.readlink(f"/proc/self/ns/{name}"), name
    for name in ("cgroup", "user"):
        assert inside[name] == os.readlink(f"/proc/self/ns/{name}"), name


def test_cgroup_and_time_namespaces(rt) -> None:
    if not os.path.exists("/proc/self/ns/time"):
        pytest.skip("kernel without time namespaces")
    config = rt.config(["true"])
    config["linux"]["namespaces"] += [{"type": "cgroup"}, {"type": "time"}]
    config["linux"]["timeOffsets"] = {"monotonic": {"secs": 86400, "nanosecs": 0}}
    inside = _ns_inside(rt, config=config)
    assert inside["cgroup"] != os.readlink("/proc/self/ns/cgroup")
    assert inside["time"] != os.readlink("/proc/self/ns/time")
    config["process"]["args"] = ["cat", "/proc/self/timens_offsets"]
    out = rt.output([], config=config)
    assert "86400" in out
    # The init's clock runs a day ahead; its trace times are taken back to the host's.
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(config=config)), cid, check=True)
    from runtime.trace import read_trace
    events = read_trace(str(rt.root / cid / "trace.jsonl"))
    span = max(e["t"] for e in events) - min(e["t"] - e["us"] for e in events)
    assert span < 10_000_000, span  # well under 10 s, not a day
    assert events[-1]["pid"] == rt.state(cid)["pid"]  # the init's steps come last
    rt("delete", "-f", cid, check=True)


def test_pid_one_and_process_count(rt) -> None:
    out = rt.output(["sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'"])
    pid, count = out.split()
    assert pid == "1" and int(count) <= 3


def test_join_namespace_by_path(rt) -> None:
    first = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(["sleep", "60"])), first, check=True)
    pid = rt.state(first)["pid"]
    config = rt.config(["ls", "-l", "/proc/self/ns"])
    config["linux"]["namespaces"] = [
        {"type": "network", "path": f"/proc/{pid}/ns/net"} if ns["type"] == "network" else ns
        for ns in config["linux"]["namespaces"]]
    inside = parse_ns_listing(rt.output([], config=config))
    assert inside["net"] == os.readlink(f"/proc/{pid}/ns/net")
    assert inside["uts"] != os.readlink(f"/proc/{pid}/ns/uts")


def test_hostname_and_domainname(rt) -> None:
    out = rt.output(["sh", "-c", "hostname; cat /proc/sys/kernel/domainname"],
                    domainname="example.org").split()
    assert out == ["bbtest", "example.org"]


def test_default_mounts_and_options(rt) -> None:
    lines = rt.output(["cat", "/proc/self/mountinfo"]).splitlines()
    by_target = {line.split()[4]: line for line in lines}
    assert by_target["/"].split()[5].startswith("ro")  # root.readonly
    assert " - proc " in by_target["/proc"]
    dev = by_target["/dev"]
    assert " - tmpfs " in dev and "nosuid" in dev.split()[5] and "mode=755" in dev
    pts = by_target["/dev/pts"]
    assert " - devpts " in pts and "ptmxmode=666" in pts and "gid=5" in pts
    assert {"nosuid", "noexec"} <= set(pts.split()[5].split(","))
    shm = by_target["/dev/shm"].split()[5].split(",")
    assert {"nosuid", "noexec", "nodev"} <= set(shm)
    assert " - mqueue " in by_target["/dev/mqueue"]
    sys_opts = by_target["/sys"].split()[5].split(",")
    assert "ro" in sys_opts and " - sysfs " in by_target["/sys"]
    assert by_target["/sys/fs/cgroup"].split()[5].startswith("ro")
    # The host's mounts are gone: nothing outside the container's own list.
    assert len(lines) < 30


def test_bind_mounts_ro_rbind_and_propagation(rt, tmp_path) -> None:
    src = tmp_path / "shared"
    src.mkdir()
    (src / "hello.txt").write_text("from host\n")
    file_src = tmp_path / "single.txt"
    file_src.write_text("one file\n")
    config = rt.config(["sh", "-c",
                        "cat /mnt/a/hello.txt /etc/single.txt; grep -E ' /mnt/(a|b) ' "
                        "/proc/self/mountinfo; touch /mnt/a/x 2>&1 || echo RO; touch /mnt/b/y"])
    config["mounts"] += [
        {"destination": "/mnt/a", "type": "bind", "source": str(src),
         "options": ["rbind", "ro", "nosuid", "rprivate"]},
        {"destination": "/mnt/b", "type": "none", "source": str(src),
         "options": ["bind", "rw", "noexec", "shared"]},
        {"destination": "/etc/single.txt", "type": "bind", "source": str(file_src),
         "options": ["bind", "ro"]},
    ]
    out = rt.output([], config=config)
    assert "from host" in out and "one file" in out
    assert "RO" in out
    lines = [line for line in out.splitlines() if " /mnt/" in line]
    a = next(line for line in lines if " /mnt/a " in line)
    b = next(line for line in lines if " /mnt/b " in line)
    assert "ro" in a.split()[5].split(",") and "nosuid" in a.split()[5].split(",")
    assert "shared:" not in a
    assert "noexec" in b.split()[5].split(",") and "shared:" in b
    assert (src / "y").exists()
    assert not (src / "x").exists()


def test_tmpfs_with_data_options(rt) -> None:
    config = rt.config(["grep", " /scratch ", "/proc/self/mountinfo"])
    config["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                             "options": ["nodev", "noatime", "size=1m", "mode=700"]})
    line = rt.output([], config=config)
    assert "noatime" in line.split()[5] and "nodev" in line.split()[5]
    assert "size=1024k" in line and "mode=700" in line


def test_rootfs_propagation_and_no_pivot(rt) -> None:
    config = rt.config(["grep", "-E", "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / ", "/proc/self/mountinfo"])
    config["linux"]["rootfsPropagation"] = "rprivate"
    assert "shared:" not in rt.output([], config=config)
    out = rt.output(["sh", "-c", "ls /; cat /proc/self/mountinfo | wc -l"],
                    run_flags=("--no-pivot",))
    assert "bin" in out.split()


def test_dev_listing(rt) -> None:
    config = rt.config(["ls", "-l", "/dev"])
    config["linux"]["devices"] = [{"path": "/dev/bbnull", "type": "c", "major": 1, "minor": 3,
                                   "fileMode": 0o600, "uid": 0, "gid": 0}]
    out = rt.output([], config=config)
    entries = {line.split()[-1] if "->" not in line else line.split()[-3]: line
               for line in out.splitlines()[1:]}
    for name, numbers in (("null", "1, 3"), ("zero", "1, 5"), ("full", "1, 7"),
                          ("random", "1, 8"), ("urandom", "1, 9"), ("tty", "5, 0")):
        # GNU ls prints "1, 3", busybox "1,   3".
        major, minor = numbers.split(", ")
        assert entries[name].startswith("crw-rw-rw-"), name
        assert re.search(rf"\b{major},\s+{minor}\b", entries[name]), name
    assert entries["bbnull"].startswith("crw-------")
    assert "-> /proc/self/fd" in entries["fd"]
    for i, name in enumerate(("stdin", "stdout", "stderr")):
        assert f"-> /proc/self/fd/{i}" in entries[name]
    assert "-> pts/ptmx" in entries["ptmx"]
    assert "console" not in entries  # no terminal


def test_process_user_env_cwd_umask(rt) -> None:
    config = rt.config(["sh", "-c", "id; pwd; echo $FOO; umask; echo $HOME"])
    config["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 1002],
                                 "umask": 0o027}
    config["process"]["env"].append("FOO=bar baz")
    config["process"]["cwd"] = "/tmp"
    lines = rt.output([], config=config).splitlines()
    assert lines[0].startswith("uid=1000 gid=1001")
    assert "5(tty)" in lines[0] and "1002" in lines[0]
    assert lines[1:] == ["/tmp", "bar baz", "0027", "/"]
    assert rt.output(["sh", "-c", "echo $HOME"]) == "/root\n"  # runc: from /etc/passwd


def test_cwd_is_created_when_missing(rt) -> None:
    config = rt.config(["sh", "-c", "pwd"])
    config["process"]["cwd"] = "/dev/shm/deeper/dir"  # created inside the root, as runc does
    assert rt.output([], config=config) == "/dev/shm/deeper/dir\n"


def test_rlimits_nnp_oom_and_caps(rt) -> None:
    config = rt.config(["sh", "-c", "ulimit -n; ulimit -Hn; ulimit -c; "
                        "grep -E '^(NoNewPrivs|CapInh|CapBnd|CapAmb|CapEff)' /proc/self/status;"
                        " cat /proc/self/oom_score_adj"])
    config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 768},
                                    {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
    config["process"]["oomScoreAdj"] = 123
    lines = rt.output([], config=config).splitlines()
    assert lines[:3] == ["512", "768", "0"]
    fields = dict(line.split(":\t") for line in lines[3:8])
    assert fields["NoNewPrivs"] == "1"
    assert fields["CapInh"] == "0000000000000000"  # CVE-2022-29162
    assert int(fields["CapBnd"], 16) == (1 << 29) | (1 << 5) | (1 << 10)
    assert lines[8] == "123"


def test_readonly_root_blocks_writes(rt) -> None:
    out = rt.output(["sh", "-c", "touch /newfile 2>/dev/null && echo WROTE || echo RO"])
    assert out.strip() == "RO"


def test_only_stdio_fds_reach_the_container(rt) -> None:
    """CVE-2024-21626: an fd the caller leaks to the runtime never reaches the container."""
    import subprocess
    import sys
    r, w = os.pipe()
    try:
        cid = rt.new_id()
        bundle = rt.bundle(["ls", "/proc/self/fd"])
        result = subprocess.run(
            [sys.executable, "-m", "runtime", "--root", str(rt.root), "run", "-b", str(bundle),
             cid], capture_output=True, text=True, timeout=30, pass_fds=(r, w))
    finally:
        os.close(r)
        os.close(w)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()) == ["0", "1", "2", "3"]  # 3: ls's own dir fd


@pytest.mark.parametrize("fd", [3, 4, 5, 7, 10, 20])
def test_cwd_through_proc_self_fd_fails(rt, fd) -> None:
    config = rt.config(["pwd"])
    config["process"]["cwd"] = f"/proc/self/fd/{fd}"
    cid = rt.new_id()
    result = rt("run", "-b", str(rt.bundle(config=config)), cid)
    assert result.returncode != 0
    assert "process.cwd" in result.stderr
    assert not (rt.root / cid).exists()


def test_preserve_fds(rt) -> None:
    import subprocess
    import sys
    r, w = os.pipe()
    try:
        os.write(w, b"preserved\n")
        os.close(w)
        cid = rt.new_id()
        bundle = rt.bundle(["cat", "/proc/self/fd/3"])
        # The runtime sees the pipe as fd 3 (dup2 in the child; 3 kept by pass_fds).
        result = subprocess.run(
            [sys.executable, "-m", "runtime", "--root", str(rt.root), "run",
             "--preserve-fds", "1", "-b", str(bundle), cid],
            capture_output=True, text=True, timeout=30, pass_fds=(3, r),
            preexec_fn=lambda: os.dup2(r, 3))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "preserved\n"
    finally:
        os.close(r)


def test_started_container_survives_caller(rt) -> None:
    cid = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(["sleep", "60"])), cid, check=True)
    time.sleep(0.1)
    assert rt.state(cid)["status"] == "running"


def test_user_namespace_as_root_with_mappings(rt) -> None:
    config = rt.config(["sh", "-c", "id -u; cat /proc/self/uid_map; ls -ln /dev/null; "
                        "cat /proc/self/setgroups"])
    config["linux"]["namespaces"].append({"type": "user"})
    config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    # sysfs needs a network namespace owned by the user namespace: the default has one.
    lines = rt.output([], config=config).splitlines()
    assert lines[0] == "0"
    assert lines[1].split() == ["0", "100000", "65536"]
    assert lines[2].startswith("crw-rw-rw-")  # bound from the host: mknod is not allowed
    assert lines[3] == "allow"


def test_trace_has_host_pids(rt) -> None:
    import json
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["true"])), cid, check=True)
    init = rt.state(cid)["pid"]
    lines = (rt.root / cid / "trace.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert any(e["pid"] == init and e["step"] == "pivot_root" for e in events)
    assert 1 not in {e["pid"] for e in events}


def test_self_exe_script_is_refused(rt, tmp_path) -> None:
    """CVE-2019-5736: `#!/proc/self/exe` would run the host's Python inside the container."""
    import hashlib
    import shutil
    import sys

    from tests.integration.conftest import ROOTFS_DIRS
    rootfs = tmp_path / "rootfs"
    shutil.copytree(rt.rootfs, rootfs, symlinks=True)
    ROOTFS_DIRS.append(rootfs)
    script = rootfs / "evil"
    script.write_text("#!/proc/self/exe\n")
    script.chmod(0o755)
    def digest() -> str:
        with open(os.path.realpath(sys.executable), "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    before = digest()
    config = rt.config(["/evil"])
    config["root"]["path"] = str(rootfs)
    cid = rt.new_id()
    result = rt("run", "-b", str(rt.bundle(config=config)), cid)
    assert result.returncode != 0 and "CVE-2019-5736" in result.stderr
    assert digest() == before


def test_tmpcopyup_starts_the_tmpfs_with_a_copy_of_what_it_covers(rt, tmp_path) -> None:
    """Owners, modes, links as links (one pointing out of the rootfs is not followed),
    fifos; writes land in the tmpfs, not in the covered dir."""
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "f").write_text("hello\n")
    os.chown(data / "f", 0, 5678)
    os.chmod(data / "f", 0o640)
    (data / "u").write_text("")
    os.chown(data / "u", 1234, 5678)
    os.chmod(data / "u", 0o4755)  # set-uid survives: chown comes before chmod
    os.chmod(data / "sub", 0o701)
    (data / "sub" / "g").write_text("deep\n")
    os.symlink("/../../../../../etc/shadow", data / "out")
    os.mkfifo(data / "p")
    os.chmod(data / "p", 0o620)
    os.chmod(data, 0o750)
    config = rt.config(["sh", "-c", "stat -c '%n %a %u:%g %F' /mnt/data /mnt/data/f "
                        "/mnt/data/u /mnt/data/sub /mnt/data/p /mnt/data/out; cat /mnt/data/f "
                        "/mnt/data/sub/g; stat -f -c %T /mnt/data; echo new > /mnt/data/f; "
                        "cat /mnt/data/f"])
    config["mounts"] += [
        {"destination": "/mnt/data", "type": "bind", "source": str(data), "options": ["bind"]},
        {"destination": "/mnt/data", "type": "tmpfs", "source": "tmpfs",
         "options": ["tmpcopyup", "nosuid", "size=1m"]}]
    out = rt.output([], config=config).splitlines()
    assert out[:6] == ["/mnt/data 750 0:0 directory", "/mnt/data/f 640 0:5678 regular file",
                       "/mnt/data/u 4755 1234:5678 regular empty file",
                       "/mnt/data/sub 701 0:0 directory", "/mnt/data/p 620 0:0 fifo",
                       "/mnt/data/out 777 0:0 symbolic link"], out
    assert out[6:] == ["hello", "deep", "tmpfs", "new"], out
    assert (data / "f").read_text() == "hello\n"  # the covered dir is untouched


def test_tmpcopyup_read_only_is_read_only_after_the_copy(rt) -> None:
    config = rt.config(["sh", "-c", "ls /mnt/etc/passwd && ! touch /mnt/etc/x 2>/dev/null"])
    config["mounts"] += [
        {"destination": "/mnt/etc", "type": "bind", "source": str(rt.rootfs / "etc"),
         "options": ["bind", "ro"]},
        {"destination": "/mnt/etc", "type": "tmpfs", "source": "tmpfs",
         "options": ["tmpcopyup", "ro"]}]
    assert rt.output([], config=config) == "/mnt/etc/passwd\n"


def test_lo_is_up_in_a_new_network_namespace(rt) -> None:
    """IFF_UP on lo, and the kernel gave it 127.0.0.1 (it does so only when lo comes up)."""
    out = rt.output(["sh", "-c", "cat /sys/class/net/lo/flags; "
                     "grep -c '127.0.0.1' /proc/net/fib_trie"]).split()
    assert int(out[0], 16) & 0x1, out
    assert int(out[1]) > 0, out
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["true"])), cid, check=True)
    from runtime.trace import read_trace
    steps = [e for e in read_trace(str(rt.root / cid / "trace.jsonl"))
             if e["step"] == "loopback"]
    rt("delete", "-f", cid, check=True)
    assert [e["result"] for e in steps] == ["ok"], steps
