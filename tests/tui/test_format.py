"""Formatting helpers of the TUI."""

from __future__ import annotations

from bundlebench.format import ancestors, human_size, normalize_path, plural, problem_summary


def test_human_size() -> None:
    assert human_size(0) == "0 B"
    assert human_size(1023) == "1023 B"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(5 * 1024**3) == "5.0 GiB"


def test_plural_and_summary() -> None:
    assert plural(1, "file") == "1 file"
    assert plural(12_345, "entry", "entries") == "12,345 entries"
    assert problem_summary(0, 0) == "valid"
    assert problem_summary(1, 2) == "1 error, 2 warnings"


def test_normalize_path_stays_at_the_root() -> None:
    assert normalize_path("etc/passwd", "/usr") == "/usr/etc/passwd"
    assert normalize_path("../../../../etc", "/usr/bin") == "/etc"
    assert normalize_path(" /a/./b/ ") == "/a/b"
    assert normalize_path("") == "/"


def test_ancestors() -> None:
    assert ancestors("/a/b/c") == ["/", "/a", "/a/b"]
    assert ancestors("/") == []


def test_human_size_decimal_as_image_tools_print_it() -> None:
    assert human_size(512, decimal=True) == "512 B"
    assert human_size(5000, decimal=True) == "5.0 kB"
    assert human_size(1_234_567, decimal=True) == "1.2 MB"
