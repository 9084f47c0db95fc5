"""State dir, liveness, paths, jsonlite and trace: all without root."""

from __future__ import annotations

import errno
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import jsonlite, paths, state
from runtime.errors import RuntimeFailure
from runtime.linux import openat2
from runtime.trace import Tracer, read_trace


def test_parse_proc_stat_with_hostile_comm() -> None:
    raw = b"42 (a) b) (c) S 1 42 42 0 -1 4194560 " + b"0 " * 12 + b"98765 0 0\n"
    letter, start = state.parse_proc_stat(raw)
    assert letter == "S" and start == 98765
    assert state.parse_proc_stat(b"garbage") is None


def test_liveness_needs_matching_start_time() -> None:
    letter, start = state.proc_stat(os.getpid())
    assert state.is_alive(os.getpid(), start)
    assert not state.is_alive(os.getpid(), start + 1)
    assert not state.is_alive(0, 0)
    assert not state.is_alive(2**22 + 7, 1)


def test_store_lifecycle(tmp_path) -> None:
    store = state.StateStore(str(tmp_path / "root"))
    directory = store.create_dir("c1")
    assert os.stat(directory).st_mode & 0o777 == 0o700
    with pytest.raises(RuntimeFailure, match="already exists"):
        store.create_dir("c1")
    _, start = state.proc_stat(os.getpid())
    record = state.ContainerState(id="c1", bundle="/b", rootfs="/b/rootfs", pid=os.getpid(),
                                  starttime=start, created=state.rfc3339_now(),
                                  annotations={"k": "v"}, config={"x": [1]})
    store.save(record)
    loaded = store.load("c1")
    assert loaded == record
    assert store.status(loaded) == state.RUNNING
    os.mkfifo(os.path.join(directory, state.FIFO_NAME))
    assert store.status(loaded) == state.CREATED
    loaded.starttime += 1
    assert store.status(loaded) == state.STOPPED
    assert store.ids() == ["c1"]
    fd = store.lock("c1")
    os.close(fd)
    # A symlink planted in the state dir is removed, never followed.
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("x")
    os.symlink(victim, os.path.join(directory, "link"))
    store.remove_dir("c1")
    assert not os.path.exists(directory) and (victim / "keep").exists()
    with pytest.raises(RuntimeFailure, match="does not exist"):
        store.load("c1")
    with pytest.raises(RuntimeFailure, match="does not exist"):
        store.lock("c1")


def test_corrupt_state_is_reported(tmp_path) -> None:
    store = state.StateStore(str(tmp_path))
    directory = store.create_dir("bad")
    with open(os.path.join(directory, state.STATE_FILE), "w") as handle:
        handle.write("{")
    with pytest.raises(RuntimeFailure, match="corrupt"):
        store.load("bad")


def test_rfc3339() -> None:
    stamp = state.rfc3339_now()
    assert stamp.endswith("Z") and len(stamp) == 30 and stamp[10] == "T"


@pytest.fixture(params=[True, False], ids=["openat2", "walk"])
def use_openat2(request) -> bool:
    if request.param and not openat2.available():
        pytest.skip("kernel without openat2")
    return request.param


def _tree(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "file").write_text("inside")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file").write_text("OUTSIDE")
    os.symlink(str(outside), root / "abs")          # absolute: must mean root/<outside path>
    os.symlink("../../..", root / "etc" / "up")      # climbs above the root: clamps at root
    os.symlink("etc/file", root / "rel")
    return root, outside


def test_resolution_stays_inside_root(tmp_path, use_openat2) -> None:
    root, outside = _tree(tmp_path)
    root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY)
    try:
        fd = paths.open_in_root(root_fd, "/etc/up/etc/file", os.O_RDONLY,
                                use_openat2=use_openat2)
        assert os.read(fd, 100) == b"inside"
        os.close(fd)
        fd = paths.open_in_root(root_fd, "rel", os.O_RDONLY, use_openat2=use_openat2)
        assert os.read(fd, 100) == b"inside"
        os.close(fd)
        with pytest.raises(FileNotFoundError):
            paths.open_in_root(root_fd, "/abs/file", os.O_RDONLY, use_openat2=use_openat2)
        with pytest.raises(OSError) as info:
            paths.open_in_root(root_fd, "/rel", os.O_RDONLY, no_symlinks=True,
                               use_openat2=use_openat2)
        assert info.value.errno == errno.ELOOP
    finally:
        os.close(root_fd)


def test_mkdir_all_follows_dangling_symlink_inside(tmp_path) -> None:
    root, outside = _tree(tmp_path)
    root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY)
    try:
        os.close(paths.mkdir_all(root_fd, "/abs/new/deeper"))
        fd = paths.make_file(root_fd, "/abs/new/file.txt")
        os.close(fd)
    finally:
        os.close(root_fd)
    assert os.listdir(outside) == ["file"]  # the host side is untouched
    inside = root / str(outside).lstrip("/") / "new"
    assert (inside / "deeper").is_dir() and (inside / "file.txt").is_file()


def test_clean_paths() -> None:
    assert paths.clean("/") == "."
    assert paths.clean("/../../etc//x/") == "etc/x"
    assert paths.clean("a/./b/../c") == "a/c"


def test_jsonlite_round_trip() -> None:
    value = {"a": [1, 2.5, True, None, "é\n\"q\""], "b": {"c": -3}}
    text = jsonlite.dumps(value)
    assert jsonlite.loads(text) == value
    assert jsonlite.loads("  [1]  \n") == [1]
    for bad in ("{", "[1,]", "1 2", ""):
        with pytest.raises(ValueError):
            jsonlite.loads(bad)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.sampled_from([None, 0, 2, 4]))
def test_jsonlite_dumps_is_the_json_package_byte_for_byte(value, indent) -> None:
    # `state` and `features` print with jsonlite so as not to import json (and re).
    separators = (",", ":") if indent is None else None
    assert jsonlite.dumps(value, indent) == json.dumps(value, indent=indent,
                                                       separators=separators)


def test_pid_exit_wait_sees_a_non_child_exit() -> None:
    # A grandchild: not our child, as a container's init is not delete's.
    read, write = os.pipe()
    middle = os.fork()
    if middle == 0:
        grandchild = os.fork()
        if grandchild == 0:
            os.close(read)
            import time
            time.sleep(30)
            os._exit(0)
        os.write(write, str(grandchild).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(middle, 0)
    pid = int(os.read(read, 32))
    os.close(read)
    assert not state.wait_exit(pid, 0.05)
    os.kill(pid, 9)
    assert state.wait_exit(pid, 5.0)
    assert state.wait_exit(pid, 0.0)  # gone already (pidfd_open fails): at once


def test_trace_events(tmp_path) -> None:
    path = str(tmp_path / "trace.jsonl")
    tracer = Tracer.open(path)
    assert tracer.call("demo", "getpid()", os.getpid) == os.getpid()
    with pytest.raises(OSError):
        tracer.call("demo", "open('/nonexistent')", os.open, "/nonexistent/x", os.O_RDONLY)
    assert os.path.getsize(path) == 0  # collected, not yet written
    tracer.close()
    events = read_trace(path)
    assert [e["result"] for e in events] == ["ok", "ENOENT"]
    assert all(set(e) == {"step", "syscall", "result", "us", "pid", "t"} for e in events)
    assert events[0]["pid"] == os.getpid()
    assert events[0]["t"] <= events[1]["t"]


def test_trace_is_read_in_time_order(tmp_path) -> None:
    """Processes flush their events in batches: readers order them by `t`."""
    path = tmp_path / "trace.jsonl"
    path.write_text('{"step":"b","syscall":"x","result":"ok","us":1,"pid":2,"t":20}\n'
                    'not json\n'
                    '{"step":"a","syscall":"y","result":"ok","us":1,"pid":1,"t":10}\n')
    assert [e["step"] for e in read_trace(str(path))] == ["a", "b"]


def test_channel_messages_replies_and_fd_passing() -> None:
    from runtime.process.messages import Channel
    channel = Channel(with_fds=True)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child side, as a setup stage would use it
        code = 1
        try:
            channel.child_side()
            channel.send("pid", "42")
            channel.send("error", "two\nlines")
            channel.send_fd(w)
            code = 0 if channel.wait_reply() == "done" else 2
        finally:
            os._exit(code)
    channel.parent_side()
    try:
        assert channel.recv() == ("pid", "42")
        assert channel.recv() == ("error", "two lines")
        assert channel.recv() == ("pty", "")
        passed = channel.recv_fd()
        channel.reply("ok")  # send_fd waits for this
        os.write(passed, b"via SCM_RIGHTS")
        os.close(passed)
        assert os.read(r, 100) == b"via SCM_RIGHTS"
        channel.reply("done")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert channel.recv() is None  # every child end closed
    finally:
        channel.close()
        os.close(r)
        os.close(w)
