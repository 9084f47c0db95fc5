"""Runtime decisions that need no root: ids, signals, mount options, config, env, users."""

from __future__ import annotations

import os

import pytest

from runtime import capabilities, devices, features, mounts, namespaces, rules, seccomp
from runtime.config import env_list_to_dict, load_bundle, merge_env, validate
from runtime.errors import RuntimeFailure
from runtime.ids import validate_id
from runtime.linux.constants import (
    MS_BIND,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_SHARED,
    MS_SLAVE,
    MS_STRICTATIME,
    flag_names,
    signal_number,
)
from runtime.process import exec as exec_stage
from runtime.process import setup as process
from runtime.process import waiting


@pytest.mark.parametrize("good", ["a", "web1", "A_b+c.d-e", "x" * 255, "1.2.3"])
def test_valid_ids(good: str) -> None:
    assert validate_id(good) == good


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "a b", "é", "x" * 256, "a\nb", "$x"])
def test_invalid_ids(bad: str) -> None:
    with pytest.raises(RuntimeFailure):
        validate_id(bad)


@pytest.mark.parametrize(("text", "number"), [("TERM", 15), ("SIGKILL", 9), ("9", 9),
                                              ("hup", 1), ("RTMIN+2", 36), ("SIGRTMAX", 64)])
def test_signal_forms(text: str, number: int) -> None:
    assert signal_number(text) == number


@pytest.mark.parametrize("bad", ["NOPE", "0", "65", "RTMIN+40", ""])
def test_bad_signals(bad: str) -> None:
    with pytest.raises(ValueError):
        signal_number(bad)


def test_signal_zero_only_where_kill_probes() -> None:
    assert signal_number("0", allow_zero=True) == 0
    with pytest.raises(ValueError):
        signal_number("-1", allow_zero=True)


def test_mount_options_like_runc() -> None:
    opts = mounts.parse_options(["nosuid", "strictatime", "mode=755", "size=65536k"])
    assert opts.flags == MS_NOSUID | MS_STRICTATIME
    assert opts.data_string == "mode=755,size=65536k"
    assert not opts.is_bind
    opts = mounts.parse_options(["rbind", "ro", "rprivate", "nodev", "dev", "rw", "noexec"])
    assert opts.flags == MS_BIND | MS_REC | MS_NOEXEC
    assert opts.propagation == [MS_PRIVATE | MS_REC]
    assert opts.is_bind
    assert mounts.parse_options(["shared", "rslave"]).propagation == [MS_SHARED,
                                                                      MS_SLAVE | MS_REC]
    assert mounts.parse_options([], "bind").is_bind
    assert mounts.parse_options(["defaults", "nodev"]).flags == MS_NODEV
    assert mounts.parse_options(["ro", "rw"]).flags & MS_RDONLY == 0


def test_recursive_mount_attributes() -> None:
    opts = mounts.parse_options(["rro", "rnosuid", "rnoatime"])
    assert opts.attr_set == (mounts.MOUNT_ATTR_RDONLY | mounts.MOUNT_ATTR_NOSUID
                             | mounts.MOUNT_ATTR_NOATIME)
    assert opts.attr_clr & mounts.MOUNT_ATTR__ATIME
    assert mounts.parse_options(["rro", "rrw"]).attr_set == 0


@pytest.mark.parametrize("option", ["idmap", "ridmap"])
def test_unsupported_mount_options_are_refused(option: str) -> None:
    with pytest.raises(RuntimeFailure, match=option):
        mounts.parse_options(["bind", option])


def test_flag_names_and_bind_source() -> None:
    assert flag_names(MS_BIND | MS_REC) == "MS_BIND|MS_REC"
    assert mounts.flag_names(0) == "0"
    assert mounts.bind_source("data", "/b") == "/b/data"
    assert mounts.bind_source("/abs", "/b") == "/abs"
    assert mounts.bind_source("../x", "/b/c") == "/b/x"


def test_cgroup_hierarchies_from_proc_files() -> None:
    self_cgroup = "12:cpu,cpuacct:/user/a\n3:memory:/mem\n1:name=systemd:/s\n0::/u\n"
    mountinfo = (
        "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "32 25 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
        "33 25 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n")
    assert mounts.cgroup_hierarchies(self_cgroup, mountinfo) == [
        ("cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct", "/user/a"),
        ("memory", "/sys/fs/cgroup/memory", "/mem"),
        ("systemd", "/sys/fs/cgroup/systemd", "/s")]


def _config(**changes):
    from runtime.defaults import default_config
    config = default_config()
    config.update(changes)
    return config


def test_validate_accepts_default_and_refuses_bad_fields() -> None:
    validate(_config(), rootless=False)
    cases = [
        (lambda c: c.update(ociVersion="2.0.0"), "ociVersion"),
        (lambda c: c.pop("process"), "process"),
        (lambda c: c["process"].update(args=[]), "process.args"),
        (lambda c: c["process"].update(cwd="rel"), "process.cwd"),
        (lambda c: c["process"].update(env=["NOEQUALS"]), "process.env"),
        (lambda c: c["process"].update(rlimits=[{"type": "RLIMIT_X"}]), "RLIMIT_X"),
        (lambda c: c["linux"]["namespaces"].append({"type": "pid"}), "twice"),
        (lambda c: c["linux"]["namespaces"].append({"type": "bogus"}), "bogus"),
        (lambda c: c["linux"].update(namespaces=[{"type": "uts"}, {"type": "user"}]),
         "needs a mount namespace too"),
        (lambda c: c["linux"].update(namespaces=[{"type": "uts"}], rootfsPropagation="shared"),
         "rootfsPropagation needs a mount namespace"),
        (lambda c: c["linux"].update(namespaces=[{"type": "mount"}]), "uts"),
        (lambda c: c["linux"].update(uidMappings=[{"containerID": 0, "hostID": 1, "size": 1}]),
         "user namespace"),
    ]
    for change, words in cases:
        config = _config()
        change(config)
        with pytest.raises(RuntimeFailure, match=words):
            validate(config, rootless=False)


def test_rootless_needs_user_namespace_and_own_mapping() -> None:
    with pytest.raises(RuntimeFailure, match="user namespace"):
        validate(_config(), rootless=True)
    from runtime.defaults import default_config
    config = default_config(rootless=True)
    validate(config, rootless=True)
    config["linux"]["uidMappings"][0]["size"] = 10
    with pytest.raises(RuntimeFailure, match="uidMappings"):
        validate(config, rootless=True)


def test_load_bundle_errors(tmp_path) -> None:
    with pytest.raises(RuntimeFailure, match="no config.json"):
        load_bundle(str(tmp_path))
    (tmp_path / "config.json").write_text("[1,")
    with pytest.raises(RuntimeFailure, match="not valid JSON"):
        load_bundle(str(tmp_path))
    (tmp_path / "config.json").write_text('{"root": {"path": "rootfs"}}')
    with pytest.raises(RuntimeFailure, match="does not exist"):
        load_bundle(str(tmp_path))
    (tmp_path / "rootfs").mkdir()
    config, bundle, rootfs = load_bundle(str(tmp_path))
    assert bundle == str(tmp_path) and rootfs == str(tmp_path / "rootfs")


def test_env_merging_like_runc_exec() -> None:
    assert env_list_to_dict(["A=1", "B=2", "A=3", "C=x=y"]) == {"A": "3", "B": "2", "C": "x=y"}
    assert merge_env(["PATH=/bin", "A=1"], ["A=2", "NEW=v"]) == ["PATH=/bin", "A=2", "NEW=v"]
    with pytest.raises(RuntimeFailure):
        merge_env([], ["novalue"])


def test_exec_process_from_config_and_flags() -> None:
    config = _config()
    proc = exec_stage.build_exec_process(config, args=["ls", "-l"], process_json=None,
                                        cwd="/tmp", env=["X=1"], user="7:8", tty=False)
    assert proc["args"] == ["ls", "-l"] and proc["cwd"] == "/tmp"
    assert "X=1" in proc["env"] and proc["user"]["uid"] == 7 and proc["user"]["gid"] == 8
    assert proc["terminal"] is False
    assert config["process"]["args"] == ["sh"]  # the container's own process is untouched
    with pytest.raises(RuntimeFailure, match="command"):
        exec_stage.build_exec_process(config, args=[], process_json=None, cwd=None, env=[],
                                     user=None, tty=False)


def test_find_executable_decisions() -> None:
    files = {"/bin/sh": True, "/usr/bin/data": False, "/bin/data": False}
    exists = files.__contains__
    is_exec = files.__getitem__
    env = {"PATH": "/usr/bin:/bin"}
    assert process.find_executable("sh", env, exists, is_exec) == "/bin/sh"
    assert process.find_executable("/bin/sh", env, exists, is_exec) == "/bin/sh"
    # runc's words, which podman and containerd map to 127 and 126
    with pytest.raises(RuntimeFailure, match=r"executable file not found in \$PATH"):
        process.find_executable("nope", env, exists, is_exec)
    with pytest.raises(RuntimeFailure, match=r"executable file not found in \$PATH.*"
                                             "/usr/bin/data is not an executable"):
        process.find_executable("data", env, exists, is_exec)
    with pytest.raises(RuntimeFailure, match="/x/y: no such file or directory"):
        process.find_executable("/x/y", env, exists, is_exec)
    with pytest.raises(RuntimeFailure, match="/bin/data: permission denied"):
        process.find_executable("/bin/data", env, exists, is_exec)
    assert process.find_executable("sh", {}, exists, is_exec) == "/bin/sh"  # default PATH


def test_user_spec_and_rlimits() -> None:
    assert process.parse_user_spec("1000") == {"uid": 1000}
    assert process.parse_user_spec("1000:50") == {"uid": 1000, "gid": 50}
    for bad in ("root", "1:x", "-1"):
        with pytest.raises(RuntimeFailure):
            process.parse_user_spec(bad)
    limits = process.rlimit_values({"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 2}]})
    assert limits == [("RLIMIT_NOFILE", 7, 1, 2)]
    with pytest.raises(RuntimeFailure, match="above hard"):
        process.rlimit_values({"rlimits": [{"type": "RLIMIT_CORE", "soft": 3, "hard": 2}]})


def test_exit_code_convention() -> None:
    assert waiting.exit_code(7 << 8) == 7
    assert waiting.exit_code(9) == 137
    assert waiting.exit_code(15) == 143


def test_namespace_plan_and_maps() -> None:
    config = {"linux": {"namespaces": [{"type": "mount"}, {"type": "user"},
                                       {"type": "network", "path": "/proc/1/ns/net"},
                                       {"type": "pid"}, {"type": "user-x"}][:4]}}
    plan = namespaces.plan(config)
    assert plan.unshare_user
    assert plan.unshare_flags == 0x00020000 | 0x20000000
    assert plan.join == [("network", "/proc/1/ns/net")]
    assert namespaces.id_map_text([{"containerID": 0, "hostID": 1000, "size": 1}]) == "0 1000 1\n"


def test_namespace_path_type_check(tmp_path) -> None:
    fd = namespaces.open_ns_path("network", "/proc/self/ns/net")
    os.close(fd)
    with pytest.raises(RuntimeFailure, match="is a network namespace, not a pid"):
        namespaces.open_ns_path("pid", "/proc/self/ns/net", nstype_of=lambda fd: 0x40000000)
    plain = tmp_path / "f"
    plain.write_text("")
    with pytest.raises(RuntimeFailure, match="not a namespace"):
        namespaces.open_ns_path("ipc", str(plain))
    with pytest.raises(RuntimeFailure, match="No such file"):
        namespaces.open_ns_path("ipc", str(tmp_path / "missing"))


def test_capability_masks() -> None:
    sets = capabilities.masks({"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": []})
    assert sets["bounding"] == (1 << 5) | 1
    assert sets["inheritable"] == 0 and sets["ambient"] == 0
    assert capabilities.masks(None)["permitted"] == 0
    with pytest.raises(RuntimeFailure, match="CAP_BOGUS"):
        capabilities.masks({"bounding": ["CAP_BOGUS"]})


def test_device_list_merges_defaults() -> None:
    paths = [d["path"] for d in devices.device_list({})]
    assert paths == ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                     "/dev/tty"]
    custom = {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600}
    merged = devices.device_list({"linux": {"devices": [custom]}})
    assert merged[-1] is custom and len(merged) == 6


def test_features_are_honest() -> None:
    doc = features.features()
    assert doc["ociVersionMax"] == "1.3.0"
    assert doc["linux"]["seccomp"]["enabled"] is seccomp.available()
    assert doc["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer",
                            "poststart", "poststop"]
    assert "idmap" not in doc["mountOptions"] and "rbind" in doc["mountOptions"]


def test_rootfs_must_be_reachable_by_mapped_root(tmp_path) -> None:
    from runtime.config import check_rootfs_reachable
    closed = tmp_path / "closed"
    rootfs = closed / "rootfs"
    rootfs.mkdir(parents=True)
    os.chmod(closed, 0o700)
    mapped = {"linux": {"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 10}]}}
    with pytest.raises(RuntimeFailure, match="not searchable"):
        check_rootfs_reachable(mapped, str(rootfs))
    os.chmod(closed, 0o711)
    os.chmod(tmp_path, 0o755)
    check_rootfs_reachable({"linux": {}}, str(rootfs))


def test_not_applied_fields_are_named() -> None:
    from runtime.defaults import default_config
    config = default_config()
    config["hooks"] = {"prestart": [{"path": "/bin/true"}]}
    config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW"}
    config["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_IDLE"}
    named = rules.not_applied(config)
    assert "process.ioPriority" in named
    assert not {"hooks", "linux.seccomp", "linux.maskedPaths", "linux.readonlyPaths"} & set(named)


def test_home_from_container_passwd() -> None:
    passwd = "root:x:0:0:root:/root:/bin/sh\nweb:x:33:33::/var/www:/bin/false\nbad line\n"
    assert process.home_of(0, passwd) == "/root"
    assert process.home_of(33, passwd) == "/var/www"
    assert process.home_of(1000, passwd) == "/"
