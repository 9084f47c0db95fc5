"""Seccomp user notification for real: a small agent in the test listens at
linux.seccomp.listenerPath, checks the containerProcessState it gets with the notify fd,
and answers the container's notified mkdir through SECCOMP_IOCTL_NOTIF_RECV/SEND."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import socket
import struct
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import ROOT_ONLY, _bundlebench_cgroups, _rooted_in

pytestmark = ROOT_ONLY


def seccomp_features() -> dict[str, Any]:
    from runtime.seccomp import features
    return features()

# linux/seccomp.h: struct seccomp_notif is 80 bytes (id, pid, flags, seccomp_data{nr, arch,
# ip, args[6]}), struct seccomp_notif_resp 24 (id, val, error, flags); _IOWR('!', n, size).
NOTIF = struct.Struct("=QIIiIQ6Q")
RESP = struct.Struct("=QqiI")
IOCTL_NOTIF_RECV = 0xC0000000 | NOTIF.size << 16 | ord("!") << 8 | 0
IOCTL_NOTIF_SEND = 0xC0000000 | RESP.size << 16 | ord("!") << 8 | 1
FLAG_CONTINUE = 1  # SECCOMP_USER_NOTIF_FLAG_CONTINUE: let the kernel run the call
MKDIR_NUMBERS = {"x86_64": {83, 258}, "aarch64": {34}}  # mkdir, mkdirat
ENOSPC = 28


class Agent:
    """A seccomp agent: every connection brings a notify fd; the first notified syscall
    over all of them gets `answer` (val, -errno), later ones run as they are."""

    def __init__(self, path: Path, answer: tuple[int, int]) -> None:
        self.path = str(path)
        self.answer = answer
        self.documents: list[dict[str, Any]] = []
        self.answered: list[tuple[int, int]] = []  # (syscall nr, pid)
        self.continued = 0
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self.server, select.POLLIN)
        notify_fds: set[int] = set()
        try:
            while not self._stop.is_set():
                for fd, events in poller.poll(100):
                    if fd == self.server.fileno():
                        conn, _ = self.server.accept()
                        with conn:
                            data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 4)
                        self.documents.append(json.loads(data))
                        notify_fds.update(fds)
                        for got in fds:
                            poller.register(got, select.POLLIN)
                        continue
                    if events & select.POLLIN:
                        self._respond(fd)
                    if events & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                        poller.unregister(fd)  # every process of that filter is gone
        finally:
            self.server.close()
            for fd in notify_fds:
                os.close(fd)

    def _respond(self, fd: int) -> None:
        request = bytearray(NOTIF.size)
        try:
            fcntl.ioctl(fd, IOCTL_NOTIF_RECV, request)
        except OSError:
            return  # the caller died meanwhile (ENOENT)
        notif_id, pid, _flags, nr = NOTIF.unpack(bytes(request))[:4]
        if not self.answered:
            val, error = self.answer
            response = RESP.pack(notif_id, val, error, 0)
            self.answered.append((nr, pid))
        else:
            response = RESP.pack(notif_id, 0, 0, FLAG_CONTINUE)
            self.continued += 1
        with contextlib.suppress(OSError):  # the caller died meanwhile
            fcntl.ioctl(fd, IOCTL_NOTIF_SEND, bytearray(response))


@pytest.fixture
def agent_path(tmp_path: Path) -> Path:
    return tmp_path / "agent.sock"


def _notify_mkdir(rt, args: list[str], listener: Path) -> dict[str, Any]:
    config = rt.config(args)
    config["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                             "options": ["size=1m"]})
    config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": str(listener),
        "listenerMetadata": "test-agent",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
    return config


def _check_document(doc: dict[str, Any], cid: str) -> None:
    assert doc["ociVersion"] and doc["fds"] == ["seccompFd"]
    assert doc["metadata"] == "test-agent"
    assert isinstance(doc["pid"], int) and doc["pid"] > 0
    assert doc["state"]["id"] == cid and doc["state"]["pid"] > 0


def _check_mkdir(agent: Agent) -> None:
    assert len(agent.answered) == 1, (agent.answered, agent.continued)
    numbers = MKDIR_NUMBERS.get(os.uname().machine)
    if numbers:
        assert agent.answered[0][0] in numbers


@pytest.mark.parametrize("flags", [[], ["SECCOMP_FILTER_FLAG_TSYNC",
                                         "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]],
                         ids=["no-flags", "tsync-killable"])
@pytest.mark.parametrize("nnp", [True, False], ids=["noNewPrivileges", "privileged"])
def test_the_agent_answers_the_containers_mkdir(rt, agent_path: Path, nnp: bool,
                                                flags: list[str]) -> None:
    """Without noNewPrivileges the filter is loaded early (before the user switch): its fd
    reaches the agent all the same; the flags the kernel needs with a listener are set."""
    if flags and not seccomp_features()["supportedFlags"].count(flags[-1]):
        pytest.skip("this kernel has no SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
    agent = Agent(agent_path, (0, -ENOSPC))
    try:
        config = _notify_mkdir(rt, ["sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?; "
                                    "test -d /tmp/x && echo made || echo absent"], agent_path)
        config["process"]["noNewPrivileges"] = nnp
        config["linux"]["seccomp"]["flags"] = flags
        cid = rt.new_id()
        result = rt("run", "--keep", "-b", str(rt.bundle(config=config)), cid)
        out = result.stdout
        assert result.returncode == 0, result.stderr
    finally:
        agent.close()
    assert "No space left on device" in out and "rc=1" in out and "absent" in out, out
    assert len(agent.documents) == 1
    doc = agent.documents[0]
    _check_document(doc, cid)
    assert doc["state"]["status"] == "creating" and doc["pid"] == doc["state"]["pid"]
    _check_mkdir(agent)
    steps = [json.loads(line)["step"] for line in
             (rt.root / cid / "trace.jsonl").read_text().splitlines()]
    assert steps.count("seccomp_notify") == 1
    assert steps.index("seccomp_notify") > steps.index("seccomp")


def test_exec_hands_its_own_notify_fd_to_the_agent(rt, agent_path: Path) -> None:
    agent = Agent(agent_path, (0, 0))  # a fake success: mkdir returns 0, makes nothing
    try:
        config = _notify_mkdir(rt, ["sleep", "30"], agent_path)
        cid = rt.new_id()
        rt("run", "-d", "-b", str(rt.bundle(config=config)), cid, check=True)
        init_pid = rt.state(cid)["pid"]
        result = rt("exec", cid, "sh", "-c", "mkdir /tmp/y; echo rc=$?; "
                    "test -d /tmp/y && echo made || echo absent")
        steps = [json.loads(line)["step"] for line in
                 (rt.root / cid / "trace.jsonl").read_text().splitlines()]
    finally:
        agent.close()
    assert result.returncode == 0, result.stderr
    assert "rc=0" in result.stdout and "absent" in result.stdout, result.stdout
    assert len(agent.documents) == 2  # the init's fd, then the exec'd process's
    for doc in agent.documents:
        _check_document(doc, cid)
    init_doc, exec_doc = agent.documents
    assert init_doc["pid"] == init_pid
    assert exec_doc["pid"] != init_pid and exec_doc["state"]["pid"] == init_pid
    assert exec_doc["state"]["status"] == "running"
    _check_mkdir(agent)
    assert steps.count("seccomp_notify") == 2


def _assert_nothing_left(rt, cid: str) -> None:
    assert not (rt.root / cid).exists()
    assert rt("state", cid).returncode != 0
    assert not [path for path in _bundlebench_cgroups() if os.path.basename(path) == cid]
    with open("/proc/self/mountinfo") as handle:
        assert cid not in handle.read()
    assert not _rooted_in([rt.rootfs])  # no init lives on


def _create_fails(rt, config: dict[str, Any]) -> tuple[str, str]:
    cid = rt.new_id()
    result = rt("create", "-b", str(rt.bundle(config=config)), cid)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return cid, lines[0]


def test_no_socket_at_listener_path_is_refused_before_the_fork(rt, tmp_path: Path) -> None:
    missing = tmp_path / "nobody-listens.sock"
    cid, sentence = _create_fails(rt, _notify_mkdir(rt, ["true"], missing))
    assert f"cannot connect to the seccomp listener at {missing}: No such file" in sentence
    _assert_nothing_left(rt, cid)


def test_a_listener_that_refuses_the_connection_fails_create_cleanly(rt, tmp_path: Path
                                                                     ) -> None:
    """The socket is there but nobody listens: the init has loaded its filter and waits
    for P, which cannot connect; the init is killed and everything removed."""
    path = tmp_path / "closed.sock"
    bound = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bound.bind(str(path))  # bound, never listening: connect() is refused
    try:
        cid, sentence = _create_fails(rt, _notify_mkdir(rt, ["true"], path))
    finally:
        bound.close()
    assert f"cannot connect to the seccomp listener at {path}: Connection refused" in sentence
    _assert_nothing_left(rt, cid)
