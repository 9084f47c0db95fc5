"""Launching an edited config: the private bundle, the record beside the runtime's state,
the launch options, the id check and the remembered choices (no container is made: the
shim's launch is replaced)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from bundlebench.containers import choices, control, launch, records
from bundlebench.containers.launch import LaunchOptions, apply_options, launch_bundle
from runtime.defaults import default_config


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    (bundle / "data").mkdir()
    config = default_config()
    config["mounts"].append({"destination": "/data", "type": "bind", "source": "data",
                             "options": ["rbind"]})
    (bundle / "config.json").write_text(json.dumps(config, indent="\t"))
    return bundle


@pytest.fixture
def shim(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The shim's launch, recorded instead of run; validation says nothing."""
    import shim as shim_package
    from shim.launcher import LaunchResult

    calls: list[dict] = []

    def fake(root, bundle, container_id, runtime=None, **flags):
        config = json.loads(Path(bundle, "config.json").read_text())
        calls.append({"root": root, "bundle": bundle, "id": container_id, "config": config,
                      **flags})
        return LaunchResult(1, 2)

    monkeypatch.setattr(shim_package, "launch", fake)
    monkeypatch.setattr("bundlebench.spec.validate.validate", lambda config, path: [])
    return calls


def test_an_edited_config_goes_in_a_private_bundle(bundle: Path, tmp_path: Path,
                                                    shim: list[dict]) -> None:
    root = str(tmp_path / "root")
    on_disk = (bundle / "config.json").read_bytes()
    edited = json.loads(on_disk)
    edited["hostname"] = "edited"
    launched = launch_bundle(bundle, root=root, config=edited,
                             options=LaunchOptions(container_id="web1"))
    call, = shim
    assert launched.edited and call["id"] == "web1"
    assert call["bundle"] == records.private_bundle_dir(root, "web1")
    assert call["config"]["hostname"] == "edited"
    assert call["config"]["root"]["path"] == os.path.realpath(bundle / "rootfs")
    bind = next(m for m in call["config"]["mounts"] if m["destination"] == "/data")
    assert bind["source"] == os.path.realpath(bundle / "data")
    assert (bundle / "config.json").read_bytes() == on_disk  # the bundle stays as it is
    record = records.read_record(root, "web1")
    assert record["bundle"] == str(bundle) and record["edited"] and record["made"]
    assert oct(os.stat(records.record_dir(root, "web1")).st_mode & 0o777) == "0o700"
    records.remove_record(root, "web1")
    assert not Path(root, records.RECORDS_DIR).exists()


def test_the_saved_config_launches_the_bundle_itself(bundle: Path, tmp_path: Path,
                                                     shim: list[dict]) -> None:
    launched = launch_bundle(bundle, root=str(tmp_path / "root"),
                             options=LaunchOptions(container_id="web2", start=False,
                                                   remove_on_exit=True))
    call, = shim
    assert not launched.edited and call["bundle"] == str(bundle)
    assert call["start"] is False and call["remove_on_exit"] is True
    assert not Path(tmp_path / "root", records.RECORDS_DIR).exists()  # no record needed

    launched = launch_bundle(bundle, root=str(tmp_path / "root"),
                             options=LaunchOptions(container_id="web3", args=["true"]))
    assert launched.edited and shim[-1]["config"]["process"]["args"] == ["true"]
    record = records.read_record(str(tmp_path / "root"), "web3")
    assert record["changed"] and not record["edited"]  # overrides, no unsaved edits


def test_options_change_a_copy_of_the_config() -> None:
    config = default_config()
    changed = apply_options(config, LaunchOptions(args=["echo", "hi"], terminal=False,
                                                  rootless=True))
    assert changed["process"]["args"] == ["echo", "hi"]
    assert changed["process"]["terminal"] is False
    assert {"type": "user"} in changed["linux"]["namespaces"]
    assert changed["linux"]["uidMappings"][0]["hostID"] == os.geteuid()
    assert config == default_config()  # the original is untouched
    assert apply_options(config, LaunchOptions()) == config


def test_a_taken_or_invalid_id_is_refused(bundle: Path, tmp_path: Path,
                                          shim: list[dict]) -> None:
    root = tmp_path / "root"
    (root / "taken").mkdir(parents=True)
    assert "already exists" in control.check_new_id(str(root), "taken")
    assert "contains" in control.check_new_id(str(root), "a b")
    assert control.check_new_id(str(root), "free-1") is None
    from bundlebench.errors import BundlebenchError

    with pytest.raises(BundlebenchError, match="already exists"):
        launch_bundle(bundle, root=str(root), options=LaunchOptions(container_id="taken"))
    assert not shim


def test_records_of_gone_containers_are_pruned(tmp_path: Path) -> None:
    root = str(tmp_path)
    records.write_record(root, "made", Path("/b"), {}, None)
    records.mark_made(root, "made")
    records.write_record(root, "making", Path("/b"), {}, None)
    records.write_record(root, "alive", Path("/b"), {}, None)
    records.mark_made(root, "alive")
    records.prune_records(root, {"alive"})
    assert records.read_record(root, "made") is None  # removed on exit, or deleted
    assert records.read_record(root, "making") is not None  # its launch may go on
    old = time.time() - records.PRUNE_AFTER_SECONDS - 5
    os.utime(records.record_dir(root, "making"), (old, old))
    records.prune_records(root, {"alive"})
    assert records.read_record(root, "making") is None
    assert records.read_record(root, "alive") is not None


def test_a_broken_record_is_no_record(tmp_path: Path) -> None:
    root = str(tmp_path)
    records.write_record(root, "web", Path("/b"), {}, None)
    path = Path(records.record_dir(root, "web"), records.LAUNCH_FILE)
    for content in (b"{", b"[]", b'{"bundle": 3}', b"[" * 100000):
        path.write_bytes(content)
        assert records.read_record(root, "web") is None
    records.add_transition(root, "web", "started")  # nothing to add to: no traceback


def test_choices_round_trip_and_survive_junk(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert choices.choices_path() == tmp_path / "state" / "bundlebench" / choices.FILE_NAME
    assert choices.load_choices(Path("/b")) is None
    choices.save_choices(Path("/b"), choices.Choices(args="sh", attach=False))
    assert choices.load_choices(Path("/b")) == choices.Choices(args="sh", attach=False)
    assert choices.load_choices(Path("/other")) is None
    choices.choices_path().write_text('{"/b": {"attach": "no", "args": ["x"]}}')
    assert choices.load_choices(Path("/b")) == choices.Choices()
    choices.choices_path().write_bytes(b"\x00junk")
    assert choices.load_choices(Path("/b")) is None
    choices.save_choices(Path("/b"), choices.Choices(rootless=True))  # over the junk
    assert choices.load_choices(Path("/b")).rootless is True


def test_monkeypatch_target_exists() -> None:
    # The fixture replaces these names; a rename must fail here, not pass silently.
    import bundlebench.spec.validate as validate_module
    import shim as shim_package

    assert callable(validate_module.validate) and callable(shim_package.launch)
    assert launch.launch_bundle.__module__ == "bundlebench.containers.launch"
