"""runtime.lsm and runtime.personality decisions (no root)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime import lsm, personality
from runtime.errors import RuntimeFailure


def test_apparmor_profile_needs_apparmor() -> None:
    with pytest.raises(RuntimeFailure, match="process.apparmorProfile 'p' is set but AppArmor"):
        lsm.plan({"apparmorProfile": "p"}, apparmor=False, selinux=True)
    (action,) = lsm.plan({"apparmorProfile": "p"}, apparmor=True, selinux=False)
    assert action.field == "process.apparmorProfile"
    assert action.payload == "exec p"
    assert action.candidates == ("thread-self/attr/apparmor/exec", "thread-self/attr/exec")


def test_selinux_label_needs_selinux() -> None:
    label = "system_u:system_r:container_t:s0"
    with pytest.raises(RuntimeFailure, match="process.selinuxLabel .* SELinux is not enabled"):
        lsm.plan({"selinuxLabel": label}, apparmor=True, selinux=False)
    (action,) = lsm.plan({"selinuxLabel": label}, apparmor=False, selinux=True)
    assert (action.payload, action.candidates) == (label, ("thread-self/attr/exec",))


def test_nothing_asked_nothing_checked() -> None:
    assert lsm.plan({}) == []
    lsm.apply([])


def test_newlines_are_refused() -> None:
    with pytest.raises(RuntimeFailure, match="process.apparmorProfile must be a profile name"):
        lsm.plan({"apparmorProfile": "a\nchangeprofile b"}, apparmor=True)


def test_enabled_probes() -> None:
    assert lsm.apparmor_enabled(lambda path: "Y\n")
    assert not lsm.apparmor_enabled(lambda path: "")
    assert lsm.selinux_enabled(lambda path: path == lsm.SELINUX_ENFORCE)


def test_this_host_answers_like_its_sysfs() -> None:
    path = Path(lsm.APPARMOR_ENABLED)
    assert lsm.apparmor_enabled() == (path.exists() and path.read_text().startswith("Y"))


def test_apply_refuses_a_fake_procfs(tmp_path: Path) -> None:
    (tmp_path / "thread-self/attr").mkdir(parents=True)
    (tmp_path / "thread-self/attr/exec").write_text("")
    action = lsm.LabelWrite("process.selinuxLabel", ("thread-self/attr/exec",), "x")
    with pytest.raises(RuntimeFailure, match="is not a procfs"):
        lsm.apply([action], proc=str(tmp_path))
    assert (tmp_path / "thread-self/attr/exec").read_text() == ""


@pytest.mark.skipif(lsm.apparmor_enabled() or lsm.selinux_enabled(),
                    reason="an LSM is enabled here and would accept or refuse differently")
def test_apply_reports_the_kernel_refusal_with_the_field() -> None:
    action = lsm.LabelWrite("process.apparmorProfile",
                            ("thread-self/attr/apparmor/exec", "thread-self/attr/exec"),
                            "exec unconfined-test")
    with pytest.raises(RuntimeFailure, match="process.apparmorProfile"):
        lsm.apply([action])


def test_personality_values() -> None:
    assert personality.persona({"domain": "LINUX"}) == 0
    assert personality.persona({"domain": "LINUX32"}) == 8
    assert personality.persona({"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}) == 0x40000
    with pytest.raises(RuntimeFailure, match="linux.personality.domain 'LINUX64'"):
        personality.persona({"domain": "LINUX64"})
    with pytest.raises(RuntimeFailure, match=r"linux.personality.flags\[0\] 'NOPE'"):
        personality.persona({"domain": "LINUX", "flags": ["NOPE"]})
    assert personality.apply({}) is None
