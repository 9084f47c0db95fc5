"""Issue 7 wired into the runtime: seccomp, masks, read-only paths, sysctl and hooks,
checked from inside real containers with runc's default config."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY

DENY_MKDIR = {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                            "errnoRet": 1}]}


def _status_fields(text: str) -> dict[str, str]:
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def test_seccomp_filters_and_denied_syscall_gets_its_errno(rt) -> None:
    config = rt.config(["sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; "
                                    "mkdir /tmp/x 2>&1; echo rc=$?"])
    config["root"]["readonly"] = False
    config["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                             "options": ["size=1m"]})
    config["linux"]["seccomp"] = DENY_MKDIR
    out = rt.output([], config=config)
    fields = _status_fields(out)
    assert fields["Seccomp"] == "2" and fields["NoNewPrivs"] == "1"
    assert "Operation not permitted" in out and "rc=1" in out


def test_seccomp_without_no_new_privileges_loads_with_cap_sys_admin(rt) -> None:
    config = rt.config(["sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; "
                                    "mkdir /x 2>&1; echo rc=$?"])
    config["process"]["noNewPrivileges"] = False
    config["linux"]["seccomp"] = DENY_MKDIR
    out = rt.output([], config=config)
    fields = _status_fields(out)
    assert fields["Seccomp"] == "2" and fields["NoNewPrivs"] == "0"
    assert "Operation not permitted" in out


def test_exec_gets_the_containers_seccomp_filter(rt) -> None:
    config = rt.config(["sleep", "30"])
    config["linux"]["seccomp"] = DENY_MKDIR
    cid = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(config=config)), cid, check=True)
    out = rt("exec", cid, "grep", "^Seccomp:", "/proc/self/status", check=True).stdout
    assert out.split() == ["Seccomp:", "2"]
    trace = (rt.root / cid / "trace.jsonl").read_text()
    assert '"step": "seccomp"' in trace or '"step":"seccomp"' in trace


def test_no_seccomp_without_a_profile(rt) -> None:
    out = rt.output(["grep", "^Seccomp:", "/proc/self/status"])
    assert out.split() == ["Seccomp:", "0"]


def test_masked_paths_are_masked(rt) -> None:
    script = ("for f in /proc/kcore /proc/keys /proc/timer_list; do [ -e $f ] && "
              "echo $f=$(wc -c < $f); done; echo acpi=$(ls -A /proc/acpi | wc -l); "
              "grep -E ' /proc/(acpi|kcore|keys|scsi) ' /proc/self/mountinfo")
    out = rt.output(["sh", "-c", script])
    sizes = dict(line.split("=", 1) for line in out.splitlines() if " " not in line)
    for path in ("/proc/kcore", "/proc/keys", "/proc/timer_list"):
        if path in sizes:
            assert sizes[path] == "0", out
    assert sizes["acpi"] == "0"
    acpi = [line for line in out.splitlines() if " /proc/acpi " in line]
    if acpi:
        assert "tmpfs" in acpi[0] and " ro" in acpi[0]


def test_readonly_paths_refuse_writes(rt) -> None:
    out = rt.output(["sh", "-c", "{ echo x > /proc/sys/kernel/domainname; } 2>&1; "
                                 "grep ' /proc/sys ' /proc/self/mountinfo"])
    assert "Read-only file system" in out, out
    assert " ro," in out.splitlines()[-1] or " ro " in out.splitlines()[-1]


def test_sysctl_in_a_network_namespace(rt) -> None:
    config = rt.config(["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward "
                                    "/proc/sys/net/ipv4/ping_group_range"])
    config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1",
                                 "net.ipv4.ping_group_range": "0 1000"}
    with open("/proc/sys/net/ipv4/ip_forward") as handle:
        host_before = handle.read()
    out = rt.output([], config=config)
    assert out.split() == ["1", "0", "1000"]
    with open("/proc/sys/net/ipv4/ip_forward") as handle:
        assert handle.read() == host_before


def test_sysctl_of_a_shared_namespace_is_refused(rt) -> None:
    config = rt.config(["true"])
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"]
                                     if n["type"] != "network"]
    config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    cid = rt.new_id()
    result = rt("run", "-b", str(rt.bundle(config=config)), cid)
    assert result.returncode == 1 and "private network namespace" in result.stderr
    assert not (rt.root / cid).exists()


def _hook(log: Path, name: str, inside: bool = False) -> dict:
    """A hook appending `name` and the state it got on stdin to the log."""
    target = "/hooklog/log" if inside else str(log)
    return {"path": "/bin/sh",
            "args": ["sh", "-c", f'read -r s; echo "{name} $s" >> {target}']}


def test_hooks_run_in_order_with_the_state_on_stdin(rt, tmp_path) -> None:
    logdir = tmp_path / "hooklog"
    logdir.mkdir()
    log = logdir / "log"
    config = rt.config(["sh", "-c", "echo process >> /hooklog/log"])
    config["mounts"].append({"destination": "/hooklog", "type": "bind",
                             "source": str(logdir), "options": ["rbind", "rw"]})
    config["hooks"] = {
        "prestart": [_hook(log, "prestart")],
        "createRuntime": [_hook(log, "createRuntime")],
        "createContainer": [_hook(log, "createContainer")],
        "startContainer": [_hook(log, "startContainer", inside=True)],
        "poststart": [_hook(log, "poststart")],
        "poststop": [_hook(log, "poststop")],
    }
    config["annotations"] = {"org.test": "yes"}
    rt.output([], config=config)
    lines = log.read_text().splitlines()
    names = [line.split(" ", 1)[0] for line in lines]
    assert names[:4] == ["prestart", "createRuntime", "createContainer", "startContainer"]
    # poststart runs once the process started: it may race the short process.
    assert set(names[4:6]) == {"process", "poststart"} and names[6] == "poststop"
    states = {line.split(" ", 1)[0]: json.loads(line.split(" ", 1)[1])
              for line in lines if line.split(" ", 1)[0] != "process"}
    cid = states["prestart"]["id"]
    assert cid in rt.ids
    assert states["prestart"]["status"] == "creating" and states["prestart"]["pid"] > 1
    assert states["createContainer"]["pid"] == states["prestart"]["pid"]
    assert states["poststart"]["status"] == "running"
    assert states["poststop"]["status"] == "stopped"
    assert all(s["annotations"] == {"org.test": "yes"} for s in states.values())
    assert all(s["bundle"].startswith(str(rt.workdir)) for s in states.values())


def test_failing_create_runtime_hook_destroys_the_container(rt, tmp_path) -> None:
    marker = tmp_path / "later"
    config = rt.config(["true"])
    config["hooks"] = {"createRuntime": [{"path": "/bin/sh",
                                          "args": ["sh", "-c", "echo nope; exit 3"]}],
                       "createContainer": [{"path": "/bin/touch", "args": ["touch",
                                                                          str(marker)]}]}
    cid = rt.new_id()
    result = rt("create", "-b", str(rt.bundle(config=config)), cid)
    assert result.returncode == 1
    assert "hooks.createRuntime[0]" in result.stderr and "exit status 3" in result.stderr
    assert "nope" in result.stderr
    assert not marker.exists()
    assert not (rt.root / cid).exists()
    assert rt("state", cid).returncode != 0


def test_failing_start_container_hook_stops_the_process(rt, tmp_path) -> None:
    marker = tmp_path / "ran"
    config = rt.config(["sh", "-c", f"touch {marker}"])
    config["hooks"] = {"startContainer": [{"path": "/bin/false"}]}
    cid = rt.new_id()
    result = rt("run", "-b", str(rt.bundle(config=config)), cid)
    assert result.returncode == 1 and "hooks.startContainer[0]" in result.stderr
    assert "exited before it could start" in result.stderr
    assert not marker.exists()
    assert not (rt.root / cid).exists()


def test_failing_poststop_hook_is_a_warning(rt) -> None:
    config = rt.config(["true"])
    config["hooks"] = {"poststop": [{"path": "/bin/false"}]}
    cid = rt.new_id()
    result = rt("run", "-b", str(rt.bundle(config=config)), cid)
    assert result.returncode == 0 and "warning: hooks.poststop[0]" in result.stderr


def test_features_report_security_applied(rt) -> None:
    doc = json.loads(rt("features", check=True).stdout)
    assert doc["linux"]["seccomp"]["enabled"] is True
    assert "createRuntime" in doc["hooks"]
    applied = doc["annotations"]["org.bundlebench.runtime.applied"]
    assert all(name in applied for name in ("seccomp", "hooks", "maskedPaths", "sysctl"))


def test_trace_has_the_security_steps(rt) -> None:
    config = rt.config(["true"])
    config["linux"]["seccomp"] = DENY_MKDIR
    cid = rt.new_id()
    rt("run", "--keep", "-b", str(rt.bundle(config=config)), cid, check=True)
    events = [json.loads(line) for line in
              (rt.root / cid / "trace.jsonl").read_text().splitlines()]
    steps = {e["step"] for e in events}
    assert {"masked", "readonly", "seccomp"} <= steps
    skipped = " ".join(e["syscall"] for e in events if e["step"] == "not_applied")
    assert "seccomp" not in skipped and "maskedPaths" not in skipped
