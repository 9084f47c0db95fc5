"""Directory size, name search, previews and ELF summaries."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from pathlib import Path

import pytest

from bundlebench.bundle.elf import read_elf
from bundlebench.bundle.preview import hex_dump, looks_binary, preview_file
from bundlebench.bundle.rootfs import Rootfs
from bundlebench.bundle.walk import directory_size, search_names


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    for i in range(5):
        (root / f"d{i}").mkdir(parents=True)
        for j in range(10):
            (root / f"d{i}" / f"file{j}.txt").write_bytes(b"x" * 100)
    os.link(root / "d0/file0.txt", root / "hardlink")
    os.symlink("/", root / "loop-to-root")  # must not be followed
    (root / "notes.md").write_text("# notes\nhello\n")
    return root


def test_directory_size_counts_hardlinks_once_and_finishes(tree: Path) -> None:
    updates = list(directory_size(Rootfs(tree)))
    last = updates[-1]
    assert last.done
    assert last.files == 52  # 50 files + notes.md + the symlink (hardlink counted once)
    assert last.bytes == 50 * 100 + len("# notes\nhello\n") + len("/")
    assert last.dirs == 6


def test_directory_size_cancels(tree: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    last = list(directory_size(Rootfs(tree), cancel=cancel))[-1]
    assert not last.done and last.files == 0


def test_search_substring_and_glob(tree: Path) -> None:
    rootfs = Rootfs(tree)
    assert sorted(search_names(rootfs, "NOTES")) == ["/notes.md"]
    found = list(search_names(rootfs, "file[0-1].txt"))
    assert len(found) == 10 and all(p.startswith("/d") for p in found)


def test_search_streams_and_can_stop_early(tree: Path) -> None:
    results = search_names(Rootfs(tree), "file")
    first = next(results)
    results.close()
    assert first.endswith(".txt")


def test_preview_text_and_truncation(tree: Path) -> None:
    (tree / "big.txt").write_text("a" * 100_000)
    preview = preview_file(Rootfs(tree), "/big.txt")
    assert preview.kind == "text" and preview.truncated and len(preview.data) == 64 * 1024
    assert preview_file(Rootfs(tree), "/notes.md").text.startswith("# notes")


def test_preview_directory_is_not_opened(tree: Path) -> None:
    assert preview_file(Rootfs(tree), "/d0").kind == "not-regular"


def test_binary_detection() -> None:
    assert looks_binary(b"\x00\x01\x02")
    assert not looks_binary("héllo wörld\n".encode())
    assert not looks_binary("é".encode() * 4000 + b"\xc3")  # cut multibyte at the end
    assert "00000000  41 42" in hex_dump(b"AB")


def test_elf_summary_of_a_host_binary(tmp_path: Path) -> None:
    ls = os.path.realpath(shutil.which("ls") or "/bin/ls")
    root = tmp_path / "r"
    (root / "bin").mkdir(parents=True)
    shutil.copy(ls, root / "bin/ls")
    preview = preview_file(Rootfs(root), "/bin/ls")
    assert preview.kind == "binary"
    assert preview.elf is not None
    assert preview.elf.elf_class in (32, 64)
    assert "libc.so.6" in preview.elf.needed
    assert preview.elf.interpreter and preview.elf.interpreter.startswith("/")


def test_elf_rejects_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x7fELF" + b"\xff" * 10)
    fd = os.open(bad, os.O_RDONLY)
    try:
        with pytest.raises(ValueError):
            read_elf(fd)
    finally:
        os.close(fd)


@pytest.mark.parametrize("phentsize", [0, 1, 8, 55])
def test_elf_with_tiny_program_header_entries_is_summarised(tmp_path: Path, phentsize) -> None:
    # e_phentsize smaller than a program header made struct.error escape the preview.
    import struct

    from tests.tui.bundles import fake_elf

    data = bytearray(fake_elf())
    struct.pack_into("<H", data, 54, phentsize)  # e_phentsize of a 64-bit header
    root = tmp_path / "r"
    root.mkdir()
    (root / "odd").write_bytes(bytes(data))
    preview = preview_file(Rootfs(root), "/odd")
    assert preview.kind == "binary"
    assert preview.elf is not None and preview.elf.interpreter is None


def test_a_truncated_elf_program_table_is_an_elf_error(tmp_path: Path) -> None:
    import struct

    from bundlebench.bundle.elf import ElfError
    from tests.tui.bundles import fake_elf

    data = bytearray(fake_elf())
    struct.pack_into("<Q", data, 32, 1 << 63)  # e_phoff beyond any file
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(data))
    fd = os.open(bad, os.O_RDONLY)
    try:
        # Refused in words, or read as having no program headers: both fine.
        with contextlib.suppress(ElfError):
            read_elf(fd)
    finally:
        os.close(fd)
