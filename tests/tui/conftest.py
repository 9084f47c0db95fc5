"""Fixtures for the TUI tests: a bundle with fixed contents, a fixed clock zone."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.bundles import SNAPSHOT_BUNDLE, build_bundle


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch):
    """mtimes are shown in local time: make that UTC for every test."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def private_config_home(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app remembers choices under XDG_CONFIG_HOME: never the real home's, and never
    what an earlier test chose."""
    home = tmp_path_factory.mktemp("xdg-config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return build_bundle(tmp_path / "bundle")


@pytest.fixture
def snapshot_bundle() -> Iterator[Path]:
    """The bundle at a fixed path, so that the header's path is the same in every run.

    Snapshots are recorded as root; another user (whose snapshot tests skip) gets a path
    of its own, as /tmp may hold root's. A lock keeps two suites on one machine from
    building it over each other."""
    import fcntl
    import os
    place = SNAPSHOT_BUNDLE if os.geteuid() == 0 else \
        SNAPSHOT_BUNDLE.parent.with_name(f"{SNAPSHOT_BUNDLE.parent.name}-{os.geteuid()}") \
        / SNAPSHOT_BUNDLE.name
    place.parent.mkdir(parents=True, exist_ok=True)
    with open(place.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if place.exists():
            shutil.rmtree(place)
        yield build_bundle(place)
        shutil.rmtree(place, ignore_errors=True)
