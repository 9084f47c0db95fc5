"""Fixtures for the TUI tests: a bundle with fixed contents, a fixed clock zone."""

from __future__ import annotations

import shutil
import time
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
def snapshot_bundle() -> Path:
    """The bundle at a fixed path, so that the header's path is the same in every run."""
    if SNAPSHOT_BUNDLE.exists():
        shutil.rmtree(SNAPSHOT_BUNDLE)
    SNAPSHOT_BUNDLE.parent.mkdir(parents=True, exist_ok=True)
    path = build_bundle(SNAPSHOT_BUNDLE)
    yield path
    shutil.rmtree(SNAPSHOT_BUNDLE, ignore_errors=True)
