"""Setup steps explained in our words, each linked to the config field behind it."""

from __future__ import annotations

import re

from bundlebench.spec.docs import DOCS
from bundlebench.spec.steps import STEPS, explain, pointer_for, step_doc

CONFIG = {
    "hostname": "web",
    "process": {"rlimits": [{"type": "RLIMIT_CORE", "hard": 0, "soft": 0},
                            {"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]},
    "mounts": [{"destination": "/proc", "type": "proc"},
               {"destination": "/dev", "type": "tmpfs"},
               {"destination": "/sys/fs/cgroup", "type": "cgroup"}],
    "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"}],
              "maskedPaths": ["/proc/kcore", "/proc/keys"],
              "readonlyPaths": ["/proc/sys"],
              "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]},
}


def event(step: str, syscall: str) -> dict:
    return {"step": step, "syscall": syscall, "result": "ok", "us": 5, "pid": 1}


def test_every_step_the_runtime_emits_is_explained() -> None:
    import pathlib

    runtime = pathlib.Path(__file__).resolve().parents[2] / "runtime"
    emitted = set()
    for path in runtime.rglob("*.py"):
        emitted |= set(re.findall(r"tracer\.(?:call|emit)\(\s*\"(\w+)\"", path.read_text()))
    assert emitted, "found no trace steps in runtime/"
    assert emitted <= set(STEPS), f"steps without words: {sorted(emitted - set(STEPS))}"


def test_step_pointers_name_documented_fields() -> None:
    documented = {pattern.split("/*")[0] for pattern in DOCS}
    for doc in STEPS.values():
        assert doc.pointer in documented, f"{doc.step}: {doc.pointer} is not a documented field"
        assert doc.explanation.endswith(".") and len(doc.explanation) > 40


def test_pointer_per_event() -> None:
    cases = {
        ("mount", "mount('proc', '/proc', 'proc', 0, None)"): "/mounts/0",
        ("mount", "mount('/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu', NULL, MS_BIND)"):
            "/mounts/2",
        ("remount", "mount(NULL, '/dev', NULL, MS_REMOUNT)"): "/mounts/1",
        ("mount", "mount('x', '/elsewhere', 'tmpfs', 0, None)"): "/mounts",
        ("rlimit", "setrlimit(RLIMIT_NOFILE, soft=1024, hard=1024)"): "/process/rlimits/1",
        ("hostname", "sethostname('web')"): "/hostname",
        ("hostname", "setdomainname('example')"): "/domainname",
        ("masked", "mount('/dev/null', '/proc/keys', NULL, MS_BIND)"): "/linux/maskedPaths/1",
        ("readonly", "mount('/proc/sys', '/proc/sys', NULL, MS_BIND|MS_REC)"):
            "/linux/readonlyPaths/0",
        ("readonly", "mount(NULL, '/', NULL, MS_RDONLY|MS_REMOUNT)"): "/root/readonly",
        ("device", "mknod('/dev/fuse', 0o20666, 10:229)"): "/linux/devices/0",
        ("namespace", "setns(<network ns>, CLONE_NEWNET)"): "/linux/namespaces/1",
        ("namespace", "unshare(CLONE_NEWPID)"): "/linux/namespaces",
        ("userns", "write(/proc/9/gid_map, '0 1000 1')"): "/linux/gidMappings",
        ("hook", "prestart[0] /bin/true []"): "/hooks/prestart/0",
        ("capabilities", "prctl(PR_CAPBSET_DROP, 3)"): "/process/capabilities",
        ("exec", "execve('/bin/sh', ['sh'])"): "/process/args",
        ("not_applied", "linux.resources, linux.maskedPaths"): "/linux/resources",
        ("not_applied", "hooks"): "/hooks",
    }
    for (step, syscall), pointer in cases.items():
        assert pointer_for(event(step, syscall), CONFIG) == pointer, (step, syscall)


def test_explain_keeps_order_and_marks_failures() -> None:
    events = [event("namespace", "unshare(CLONE_NEWPID)"),
              {"step": "mystery", "syscall": "frob()", "result": "EPERM", "us": "x"}]
    rows = explain(events, None)
    assert [r.title for r in rows] == ["Namespaces", "Mystery"]
    assert rows[0].ok and not rows[1].ok and rows[1].micros == 0
    assert rows[1].pointer == "" and "no words" in step_doc("mystery").explanation


def test_explain_places_steps_on_a_timeline() -> None:
    events = [{"step": "cgroups", "syscall": "mkdir(x)", "result": "ok", "us": 30, "pid": 10,
               "t": 1_000_030},
              {"step": "mount", "syscall": "mount(y)", "result": "ok", "us": 500, "pid": 12,
               "t": 1_002_500}]
    rows = explain(events, None)
    assert [r.pid for r in rows] == [10, 12]
    assert [r.at_ms for r in rows] == [0.0, 2.0]  # began 2 ms after the first step began
    old = explain([event("namespace", "unshare(CLONE_NEWPID)")], None)
    assert old[0].at_ms is None  # a trace from before `t`


def test_every_step_the_seam_can_trace_has_words() -> None:
    from bundlebench.spec.steps import STEPS
    from runtime.linux.seam import STEPS as SEAM_STEPS

    assert sorted(set(SEAM_STEPS.values()) - set(STEPS)) == []
