"""Races and kills around create: one id, one container; a killed create is cleaned up."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import tempfile
import time

import pytest

from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY


@pytest.mark.timeout(120)
def test_parallel_creates_of_one_id_make_one_container(rt) -> None:
    cid = rt.new_id()
    bundle = str(rt.bundle(["sleep", "30"]))
    command = [rt.interpreter, "-m", "runtime", "--root", str(rt.root), "create", "-b", bundle,
               cid]
    with contextlib.ExitStack() as files:
        errors = [files.enter_context(tempfile.TemporaryFile()) for _ in range(20)]
        procs = [subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=err, env=rt.env) for err in errors]
        codes = [proc.wait(timeout=60) for proc in procs]
        messages = []
        for err in errors:
            err.seek(0)
            messages.append(err.read().decode())
    assert codes.count(0) == 1, list(zip(codes, messages, strict=True))
    for code, message in zip(codes, messages, strict=True):
        if code:
            assert "already exists" in message and len(message.strip().splitlines()) == 1
    assert rt.state(cid)["status"] == "created"
    rt("delete", "-f", cid, check=True)


@pytest.mark.timeout(300)
def test_a_create_killed_at_any_moment_is_cleaned_up_by_delete_force(rt) -> None:
    """SIGKILL of `create` across its whole setup (30 moments; BUNDLEBENCH_CREATE_KILLS=100
    for the issue's hundred): `delete -f` leaves no state dir, process or cgroup (the
    session's leak check also sees mounts and processes)."""
    bundle = str(rt.bundle(["sleep", "30"]))
    rng = random.Random(1234)
    # How long a whole create takes here: the kills are spread across it.
    cid = rt.new_id()
    started = time.monotonic()
    rt("create", "-b", bundle, cid, check=True)
    whole = time.monotonic() - started
    rt("delete", "-f", cid, check=True)
    for _ in range(int(os.environ.get("BUNDLEBENCH_CREATE_KILLS", "30"))):
        cid = rt.new_id()
        proc = subprocess.Popen(
            [rt.interpreter, "-m", "runtime", "--root", str(rt.root), "create", "-b", bundle,
             cid], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=rt.env)
        time.sleep(rng.uniform(0, whole * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if (rt.root / cid).exists():
            result = rt("delete", "-f", cid)
            assert result.returncode == 0, result.stderr
        assert not (rt.root / cid).exists()
        for mount in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
            assert not os.path.exists(os.path.join(mount, "bundlebench", cid)), cid
