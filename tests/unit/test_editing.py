"""EditSession: JSON Pointer edits, undo/redo, dirty tracking, save, quick actions."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from bundlebench.bundle.config import ConfigChangedOnDisk, ConfigDocument
from bundlebench.edit import ActionError, EditSession, PointerError, actions, pointer, values
from runtime.defaults import default_config, dumps


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text(dumps(default_config()))
    return path


@pytest.fixture
def session(config_path: Path) -> EditSession:
    return EditSession(ConfigDocument.load(config_path))


# -- pointers (RFC 6901) ---------------------------------------------------------


def test_pointer_rfc6901_examples() -> None:
    doc = {"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4,
           "i\\j": 5, 'k"l': 6, " ": 7, "m~n": 8}
    assert pointer.get(doc, "") == doc
    assert pointer.get(doc, "/foo") == ["bar", "baz"]
    assert pointer.get(doc, "/foo/0") == "bar"
    assert pointer.get(doc, "/") == 0
    assert pointer.get(doc, "/a~1b") == 1
    assert pointer.get(doc, "/m~0n") == 8
    assert pointer.get(doc, "/ ") == 7
    assert pointer.child("/x", "a/b~") == "/x/a~1b~0"


@pytest.mark.parametrize("bad", ["foo", "/foo/01", "/foo/2", "/foo/-", "/nope", "/foo/x",
                                 "/a~2b", "/foo/0/deeper"])
def test_pointer_errors(bad: str) -> None:
    doc = {"foo": ["bar", "baz"]}
    with pytest.raises(PointerError):
        pointer.get(doc, bad)
    assert not pointer.exists(doc, bad)


def test_typed_tokens() -> None:
    doc = {"a": [{"0": 1}]}
    assert pointer.typed_tokens(doc, "/a/0/0") == ["a", 0, "0"]
    assert pointer.typed_tokens(doc, "/a/5/x") == ["a", 5, "x"]


def test_nearest_existing() -> None:
    doc = {"a": {"b": [1]}}
    assert pointer.nearest_existing(doc, "/a/b/0") == "/a/b/0"
    assert pointer.nearest_existing(doc, "/a/c/d") == "/a"
    assert pointer.nearest_existing(doc, "/zz") == ""


# -- edits, undo, redo -------------------------------------------------------------


def test_set_replace_and_undo_redo(session: EditSession) -> None:
    session.set("/process/user/uid", 1000)
    assert session.get("/process/user/uid") == 1000
    assert session.dirty
    assert session.undo() == "Set /process/user/uid"
    assert session.get("/process/user/uid") == 0
    assert not session.dirty
    assert session.redo()
    assert session.get("/process/user/uid") == 1000
    assert session.undo() and session.undo() is None


def test_set_new_key_and_undo_keeps_key_order(session: EditSession) -> None:
    keys = list(session.data["process"])
    session.set("/process/oomScoreAdj", 10)
    assert list(session.data["process"])[-1] == "oomScoreAdj"
    session.undo()
    assert list(session.data["process"]) == keys


def test_remove_then_undo_restores_position(session: EditSession) -> None:
    keys = list(session.data)
    session.remove("/root")
    assert "root" not in session.data
    session.undo()
    assert list(session.data) == keys


def test_array_add_insert_append_remove(session: EditSession) -> None:
    path = session.add("/process/args/-", "-l")
    assert path == "/process/args/1"
    session.add("/process/args/0", "exec")
    assert session.get("/process/args") == ["exec", "sh", "-l"]
    session.remove("/process/args/1")
    assert session.get("/process/args") == ["exec", "-l"]
    session.undo()
    session.undo()
    session.undo()
    assert session.get("/process/args") == ["sh"]


def test_move_reorders_and_undoes(session: EditSession) -> None:
    before = [m["destination"] for m in session.data["mounts"]]
    session.move("/mounts/0", "/mounts/2")
    after = [m["destination"] for m in session.data["mounts"]]
    assert after[:3] == [before[1], before[2], before[0]]
    session.undo()
    assert [m["destination"] for m in session.data["mounts"]] == before


def test_move_into_own_child_refused(session: EditSession) -> None:
    with pytest.raises(PointerError):
        session.move("/process", "/process/user/x")


def test_failed_edit_changes_nothing(session: EditSession) -> None:
    before = copy.deepcopy(session.data)
    with pytest.raises(PointerError):
        session.set("/nope/deeper", 1)
    with pytest.raises(PointerError):
        session.remove("/process/args/5")
    assert session.data == before and not session.can_undo


def test_typing_merges_into_one_step(session: EditSession) -> None:
    for text in ("r", "ru", "run"):
        session.set("/hostname", text, merge=True)
    session.seal()
    session.set("/hostname", "other", merge=True)
    assert session.undo() and session.get("/hostname") == "run"
    assert session.undo() and session.get("/hostname") == "runc"
    assert not session.can_undo


def test_history_values_are_not_shared(session: EditSession) -> None:
    value = {"type": "cgroup"}
    session.add("/linux/namespaces/-", value)
    value["type"] = "changed"
    session.set("/linux/namespaces/5/type", "time")
    session.undo()
    session.undo()
    session.redo()
    assert session.get("/linux/namespaces/5") == {"type": "cgroup"}


def test_new_edit_clears_redo(session: EditSession) -> None:
    session.set("/hostname", "a")
    session.undo()
    session.set("/hostname", "b")
    assert not session.can_redo


def test_transaction_is_one_step_and_rolls_back(session: EditSession) -> None:
    before = copy.deepcopy(session.data)
    with session.transaction("two"):
        session.set("/hostname", "x")
        session.remove("/root/readonly")
    assert session.undo() == "two"
    assert session.data == before
    with pytest.raises(PointerError), session.transaction("fails"):
        session.set("/hostname", "y")
        session.remove("/nope")
    assert session.data == before and not session.can_undo


def test_replace_all_keeps_object_identity(session: EditSession) -> None:
    data = session.data
    new = copy.deepcopy(data)
    new["hostname"] = "raw"
    session.replace_all(new, merge=True)
    assert session.data is data and data["hostname"] == "raw"
    session.undo()
    assert data["hostname"] == "runc"


def test_replace_all_with_keys_reordered_is_an_edit(session: EditSession) -> None:
    reordered = copy.deepcopy(session.data)
    reordered["process"] = dict(reversed(list(reordered["process"].items())))
    session.replace_all(reordered)
    assert list(session.data["process"])[0] == "noNewPrivileges"
    assert session.can_undo


def test_dirty_after_manual_revert_is_clean(session: EditSession) -> None:
    session.set("/hostname", "x")
    session.set("/hostname", "runc")
    assert not session.dirty


def test_state_changes_with_every_edit(session: EditSession) -> None:
    seen = {session.state}
    session.set("/hostname", "x")
    seen.add(session.state)
    session.undo()
    assert session.state == 0
    session.redo()
    assert session.state in seen and len(seen) == 2


# -- disk ------------------------------------------------------------------------


def test_save_writes_and_keeps_backup(session: EditSession, config_path: Path) -> None:
    original = config_path.read_bytes()
    session.set("/hostname", "saved")
    session.save()
    assert json.loads(config_path.read_text())["hostname"] == "saved"
    assert config_path.with_name("config.json.bak").read_bytes() == original
    assert config_path.read_text().startswith("{\n\t")  # runc's tabs kept
    assert not session.dirty
    session.undo()
    assert session.dirty


def test_save_refuses_external_change_then_force(session: EditSession, config_path: Path) -> None:
    session.set("/hostname", "mine")
    config_path.write_text(config_path.read_text().replace('"runc"', '"theirs"'))
    with pytest.raises(ConfigChangedOnDisk):
        session.save()
    assert "theirs" in session.disk_text()
    session.save(force=True)
    assert json.loads(config_path.read_text())["hostname"] == "mine"


def test_reload_is_undoable(session: EditSession, config_path: Path) -> None:
    session.set("/hostname", "mine")
    config_path.write_text(config_path.read_text().replace('"runc"', '"theirs"'))
    session.reload()
    assert session.get("/hostname") == "theirs" and not session.dirty
    session.save()  # no longer "changed on disk"
    session.undo()
    assert session.get("/hostname") == "mine" and session.dirty


# -- values ------------------------------------------------------------------------


def test_field_kinds() -> None:
    assert values.field_kind({"type": "string"}, "x") == "string"
    assert values.field_kind({"type": "integer"}, 3) == "integer"
    assert values.field_kind({"type": "boolean"}, True) == "boolean"
    assert values.field_kind({"type": "string", "enum": ["a"]}, "b") == "enum"
    assert values.field_kind({"type": "integer"}, "3") == "json"
    assert values.field_kind(None, [1]) == "array"
    assert values.field_kind(None, None) == "json"


def test_parse_number_and_defaults() -> None:
    assert values.parse_number("42", {"type": "integer"}) == 42
    assert values.parse_number("010", {"type": "integer"}) == 10  # typing after a 0
    assert values.parse_number("-1", {"type": "integer", "minimum": 0}) == -1
    with pytest.raises(values.BadValue):
        values.parse_number("4x", {"type": "integer"})
    assert values.default_value({"type": "integer", "minimum": 1}) == 1
    assert values.default_value({"type": "string", "enum": ["a", "b"]}, ["a"]) == "b"
    mount = {"type": "object", "properties": {"destination": {"type": "string"}},
             "required": ["destination"]}
    assert values.default_value(mount) == {"destination": ""}
    with pytest.raises(values.BadValue, match="line 1, column"):
        values.parse_json_value("{")


# -- quick actions -------------------------------------------------------------------


def test_make_rootless_matches_runc_spec_rootless(session: EditSession) -> None:
    actions.make_rootless(session)
    assert session.data == default_config(rootless=True)
    assert session.undo() == "Make the config rootless"
    assert session.data == default_config()


def test_make_rootless_strips_id_options_everywhere(session: EditSession) -> None:
    session.add("/mounts/-", {"destination": "/x", "type": "tmpfs", "options": ["uid=1", "ro"]})
    actions.make_rootless(session, uid=1000, gid=1000)
    assert session.get("/mounts/7/options") == ["ro"]
    assert session.get("/linux/uidMappings/0/hostID") == 1000
    assert actions.namespace_types(session).count("user") == 1


def test_add_mount(session: EditSession) -> None:
    path = actions.add_mount(session, "/data", "/srv/data")
    assert session.get(path) == {"destination": "/data", "type": "bind", "source": "/srv/data",
                                 "options": ["rbind", "ro"]}
    with pytest.raises(ActionError):
        actions.add_mount(session, "relative")
    del session.data["mounts"]
    assert actions.add_mount(session, "/t", type_="tmpfs", options=[]) == "/mounts/0"


def test_add_remove_namespace(session: EditSession) -> None:
    path = actions.add_namespace(session, "cgroup")
    assert session.get(path) == {"type": "cgroup"}
    with pytest.raises(ActionError):
        actions.add_namespace(session, "cgroup")
    actions.remove_namespace(session, "network")
    assert "network" not in actions.namespace_types(session)
    with pytest.raises(ActionError):
        actions.remove_namespace(session, "network")
    session.undo()
    assert "network" in actions.namespace_types(session)


def test_toggle_readonly_root(session: EditSession) -> None:
    assert actions.toggle_readonly_root(session) is False
    assert actions.toggle_readonly_root(session) is True
    del session.data["root"]
    with pytest.raises(ActionError):
        actions.toggle_readonly_root(session)


def test_set_command(session: EditSession) -> None:
    assert actions.set_command(session, "sh -c 'echo hi there'") == ["sh", "-c", "echo hi there"]
    assert actions.command_text(session) == "sh -c 'echo hi there'"
    with pytest.raises(ActionError, match="closing quotation"):
        actions.set_command(session, "sh -c 'oops")
    with pytest.raises(ActionError):
        actions.set_command(session, "   ")
    del session.data["process"]
    actions.set_command(session, "true")
    assert session.get("/process") == {"cwd": "/", "args": ["true"]}
