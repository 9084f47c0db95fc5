"""Seccomp user notification without root: the plan's flag and refusals, the order of load
and handover in the init (on the recording seam), P's loop, and the listener message."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from runtime import seccomp
from runtime.defaults import default_config
from runtime.errors import RuntimeFailure
from runtime.linux import libc, seam
from runtime.plan import process_plan
from runtime.process import messages as msg
from runtime.process.finish import finish_process
from runtime.seccomp import listener
from runtime.trace import Tracer

ALLOW = "SCMP_ACT_ALLOW"
NOTIFY_MKDIR = {"defaultAction": ALLOW, "listenerPath": "/run/agent.sock",
                "listenerMetadata": "profile=test",
                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}


# --- the plan ------------------------------------------------------------------------------

def test_a_notify_rule_asks_for_a_new_listener() -> None:
    plan = seccomp.plan(NOTIFY_MKDIR)
    assert plan.flags & seccomp.NEW_LISTENER
    assert plan.listener == "/run/agent.sock" and plan.metadata == "profile=test"
    assert {r.action for r in plan.rules} == {seccomp.ACTION_VALUES["SCMP_ACT_NOTIFY"]}


def test_no_listener_flag_without_notify() -> None:
    plan = seccomp.plan({"defaultAction": ALLOW, "syscalls": [
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]})
    assert not plan.flags & seccomp.NEW_LISTENER and plan.listener is None


def test_wait_killable_recv_applies_with_a_listener_only() -> None:
    flag = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
    plan = seccomp.plan({**NOTIFY_MKDIR, "flags": [flag]})
    assert plan.flags & seccomp.FLAG_VALUES[flag] and not plan.ignored_flags
    plan = seccomp.plan({"defaultAction": ALLOW, "flags": [flag]})
    assert plan.ignored_flags == [flag]


def test_tsync_with_a_listener_asks_for_esrch_as_the_kernel_requires() -> None:
    plan = seccomp.plan({**NOTIFY_MKDIR, "flags": ["SECCOMP_FILTER_FLAG_TSYNC"]})
    assert plan.flags == 1 | 16 | seccomp.NEW_LISTENER
    assert seccomp.plan({"defaultAction": ALLOW, "flags": ["SECCOMP_FILTER_FLAG_TSYNC"]}
                        ).flags == 1


@pytest.mark.parametrize(("profile", "pointer", "words"), [
    ({"defaultAction": ALLOW, "syscalls": [
        {"names": ["read"], "action": "SCMP_ACT_LOG"},
        {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]},
     "/linux/seccomp/listenerPath",
     r"linux.seccomp.syscalls\[1\] is SCMP_ACT_NOTIFY but linux.seccomp.listenerPath is not set"),
    ({"defaultAction": ALLOW, "listenerPath": "/run/agent.sock"},
     "/linux/seccomp/listenerPath",
     "linux.seccomp.listenerPath is set but no linux.seccomp.syscalls rule is SCMP_ACT_NOTIFY"),
    ({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/agent.sock"},
     "/linux/seccomp/defaultAction", "linux.seccomp.defaultAction cannot be SCMP_ACT_NOTIFY"),
    ({**NOTIFY_MKDIR, "syscalls": [{"names": ["mkdir", "write"], "action": "SCMP_ACT_NOTIFY"}]},
     "/linux/seccomp/syscalls/0/names", "cannot be used for write"),
])
def test_listener_refusals_name_the_field(profile: dict[str, Any], pointer: str,
                                          words: str) -> None:
    with pytest.raises(RuntimeFailure, match=words) as caught:
        seccomp.plan(profile)
    assert caught.value.pointer == pointer
    assert "\n" not in str(caught.value)


def test_create_refuses_them_before_it_makes_anything(tmp_path: Path) -> None:
    """The cheap rules (rules.refuse, create's first step) carry the listener rule."""
    from runtime import rules
    config = default_config()
    config["linux"]["seccomp"] = {"defaultAction": ALLOW, "listenerPath": "/run/agent.sock"}
    with pytest.raises(RuntimeFailure, match="listenerPath is set") as caught:
        rules.refuse(config, str(tmp_path), rootless=False)
    assert caught.value.pointer == "/linux/seccomp/listenerPath"


# --- the init: load, then the fd to P, then anything else ---------------------------------

class NotifySeccomp:
    """A compiled filter with a listener, as finish_process sees it."""

    flags, rules, instructions, notify = seccomp.NEW_LISTENER, 1, 12, True


class Security:
    def __init__(self, program: Any) -> None:
        self.seccomp = program
        self.sysctl: list[Any] = []
        self.labels: list[Any] = []


class RecordingChannel:
    """The init's end of the channel: the fd handover lands in the kernel's call list."""

    def __init__(self, kernel: seam.Recording) -> None:
        self.kernel = kernel

    def send_fd(self, fd: int, kind: str = msg.PTY) -> str:
        self.kernel.calls.append(("send_fd", (kind, fd)))
        return msg.OK

    def close(self) -> None:
        self.kernel.calls.append(("channel_close", ()))


def _finish(kernel: seam.Recording, **process: Any) -> seam.Recording:
    proc = default_config(args=["/bin/sh"])["process"]
    proc.update(process)
    finish_process(process_plan(proc), Tracer(None), setgroups_allowed=True, preserve_fds=0,
                   before_exec=lambda: kernel.calls.append(("start", ())),
                   channel=RecordingChannel(kernel), security=Security(NotifySeccomp()))
    return kernel


@pytest.mark.parametrize("nnp", [True, False], ids=["noNewPrivileges", "privileged"])
def test_the_notify_fd_goes_to_p_right_after_the_load(kernel, nnp: bool) -> None:
    """Mutations: hand the fd over after before_exec (`ready` closes the channel), or load
    the filter with a listener after the channel is closed, as a plain filter is."""
    calls = _finish(kernel, noNewPrivileges=nnp, user={"uid": 1000, "gid": 1000})
    load = calls.index("seccomp_load")
    handover = calls.index("send_fd", msg.SECCOMP)
    assert handover == load + 1  # nothing between: a notified call would wait for ever
    assert handover < calls.index("start") < calls.index("channel_close")
    assert calls.index("execve") > calls.index("start")
    if nnp:
        assert calls.index("prctl", libc.PR_SET_NO_NEW_PRIVS, 1) < load
    else:
        assert load < calls.index("setresuid", 1000)  # CAP_SYS_ADMIN still held
    assert len([c for c in calls.names() if c == "seccomp_load"]) == 1


# --- P: the loop keeps an early fd until the pid is known ---------------------------------

def test_p_hands_an_early_notify_fd_over_only_once_it_knows_the_pid() -> None:
    channel = msg.Channel(with_fds=True)
    seen: list[tuple[str, Any]] = []
    read_end, write_end = os.pipe()
    try:
        socket.send_fds(channel.sock_child, [b"seccomp"], [read_end])
        channel.send(msg.SECCOMP)
        channel.send(msg.PID, "4321")
        channel.send(msg.READY)

        def on_seccomp(fd: int) -> None:
            seen.append(("seccomp", os.fstat(fd).st_ino == os.fstat(read_end).st_ino))

        assert msg.drive(channel, on_pid=lambda pid: seen.append(("pid", pid)),
                         on_seccomp=on_seccomp, gone="gone")
        assert seen == [("pid", 4321), ("seccomp", True)]
        assert channel.wait_reply() == msg.OK
    finally:
        channel.close()
        os.close(read_end)
        os.close(write_end)


def test_p_refuses_a_notify_fd_it_did_not_expect() -> None:
    channel = msg.Channel(with_fds=True)
    try:
        channel.send(msg.SECCOMP)
        with pytest.raises(RuntimeFailure, match="unexpected message 'seccomp'"):
            msg.drive(channel, on_pid=lambda pid: None, gone="gone")
    finally:
        channel.close()


# --- the message to the listener ----------------------------------------------------------

def _serve_once(path: str, got: dict[str, Any]) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)

    def serve() -> None:
        with server:
            conn, _ = server.accept()
            with conn:
                data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
                got["doc"], got["fds"] = json.loads(data), fds
    thread = threading.Thread(target=serve)
    thread.start()
    return thread


def test_the_listener_gets_the_container_process_state_and_the_fd(tmp_path: Path) -> None:
    path = str(tmp_path / "agent.sock")
    got: dict[str, Any] = {}
    thread = _serve_once(path, got)
    read_end, write_end = os.pipe()
    try:
        state = {"ociVersion": "1.3.0", "id": "c1", "status": "creating", "pid": 77,
                 "bundle": "/b"}
        listener.send(path, read_end, listener.process_state(77, "m=1", state))
        thread.join(5)
        doc = got["doc"]
        assert doc == {"ociVersion": doc["ociVersion"], "fds": ["seccompFd"], "pid": 77,
                       "metadata": "m=1", "state": state}
        assert len(got["fds"]) == 1
        assert os.fstat(got["fds"][0]).st_ino == os.fstat(read_end).st_ino
    finally:
        for fd in (read_end, write_end, *got.get("fds", [])):
            os.close(fd)


def test_an_unreachable_listener_is_one_sentence(tmp_path: Path) -> None:
    path = str(tmp_path / "nobody.sock")
    with pytest.raises(RuntimeFailure) as caught:
        listener.send(path, 0, listener.process_state(1, "", {}))
    assert str(caught.value).startswith(f"cannot connect to the seccomp listener at {path}: ")
    assert caught.value.pointer == "/linux/seccomp/listenerPath"


def test_no_socket_at_listener_path_is_a_host_refusal(tmp_path: Path) -> None:
    regular = tmp_path / "file"
    regular.write_text("")
    for path, why in ((tmp_path / "none", "No such file or directory"),
                      (regular, "it is not a socket")):
        with pytest.raises(RuntimeFailure, match=why) as caught:
            listener.check_present(str(path))
        assert caught.value.host and str(caught.value).startswith(
            f"cannot connect to the seccomp listener at {path}: ")
