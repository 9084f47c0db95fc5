"""The suite's leak check looks at what the suite made, not at the whole host."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.integration import conftest


def test_mounts_of_the_suite_count_and_others_do_not(tmp_path: Path) -> None:
    session, root = Path("/tmp/bb-it-4242"), tmp_path / "runtime-root"
    dirs = [session, root]
    pytest_tmp = Path(tempfile.gettempdir()) / "pytest-of-root" / "pytest-1" / "x"
    assert conftest._made_by_the_suite(f"/ {session}/bundle-1/rootfs", dirs)
    assert conftest._made_by_the_suite(f"/ {root}/c1/exec.fifo", dirs)
    assert conftest._made_by_the_suite(f"/ {pytest_tmp}", dirs)
    conftest.SESSION_IDS.add("t-feedc0ffee")
    try:
        assert conftest._made_by_the_suite("/bundlebench/t-feedc0ffee /sys/fs/cgroup/x", dirs)
    finally:
        conftest.SESSION_IDS.discard("t-feedc0ffee")
    assert not conftest._made_by_the_suite("/ /run/netns/cni-0b1c", dirs)  # podman's
    assert not conftest._made_by_the_suite("/ /media/usb", dirs)
