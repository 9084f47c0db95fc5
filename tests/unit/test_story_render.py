"""The setup story's three forms, from a fixed list of steps (no root, no container)."""

from __future__ import annotations

import io
import json
import re

from rich.console import Console

from bundlebench.containers.story import Story
from bundlebench.containers.story_render import (
    as_json,
    as_markdown,
    code,
    number_ranges,
    print_text,
)
from bundlebench.spec.steps import STEPS, ExplainedStep

HOSTILE_HOST = "evil\x1b]0;pwned\x07|[bold]big[/bold]\n# forged\u202e"
HOSTILE_PATH = "/mnt/`x`|y\x1b[2J<b>"
RAW = ("\x1b", "\x07", "\u202e")


def _step(step: str, syscall: str, pointer: str, pid: int, at: float, micros: int = 10,
          result: str = "ok") -> ExplainedStep:
    doc = STEPS[step]
    return ExplainedStep(step, doc.title, syscall, result, micros, doc.explanation, pointer,
                         pid, at)


STEPS_SEEN = [
    _step("namespace", "unshare(CLONE_NEWNS|CLONE_NEWUTS)", "/linux/namespaces", 101, 0.0),
    _step("cgroups", "mkdir('/sys/fs/cgroup/x', 493)", "/linux/resources", 100, 0.5),
    _step("mount", f"mount('tmpfs', '{HOSTILE_PATH}', 'tmpfs', 0, None)", "/mounts/0", 102,
          1.25),
    _step("mount", "mount('proc', '/proc', 'proc', 0, None)", "/mounts/1", 102, 1.5),
    _step("hostname", f"sethostname('{HOSTILE_HOST}')", "/hostname", 102, 2.0,
          result="EPERM"),
    _step("mount", "mount('sysfs', '/sys', 'sysfs', 0, None)", "/mounts/2", 102, 2.5),
    _step("pivot_root", "pivot_root('/r', '/r')", "/root/path", 102, 3.0),
    _step("exec", "execve('/bin/true', ['true'])", "/process/args", 102, 4.75, 300),
]
STORY = Story("demo-1a2b", "/work/bundle|`[bold]`\x1b[31m", 102, STEPS_SEEN)


def _cells(row: str) -> list[str]:
    """A GitHub table row's cells: split on pipes no backslash escapes."""
    return re.split(r"(?<!\\)\|", row.strip().removeprefix("|").removesuffix("|"))


def test_stages_come_from_the_init_pid_and_who_did_what() -> None:
    assert STORY.stages == {102: "init", 100: "runtime", 101: "stage 1"}
    assert STORY.stage(STEPS_SEEN[0]) == "stage 1"
    unknown = Story("x", "/b", 0, [_step("mount", "m", "/mounts", 7, 0.0)])
    assert unknown.stage(unknown.steps[0]) == ""


def test_json_is_a_list_with_stable_keys() -> None:
    records = json.loads(as_json(STORY))
    assert [r["index"] for r in records] == list(range(1, 9))
    assert set(records[0]) == {"index", "at_ms", "micros", "pid", "stage", "step", "title",
                               "syscall", "result", "pointer", "explanation"}
    assert records[4]["syscall"] == f"sethostname('{HOSTILE_HOST}')"  # json is json
    assert records[4]["result"] == "EPERM" and records[0]["stage"] == "stage 1"
    assert records[7]["at_ms"] == 4.75 and records[7]["micros"] == 300
    text = as_json(STORY)
    assert not any(char in text for char in RAW)
    assert json.loads(as_json(Story("e", "/b", 0, []))) == []


def test_markdown_heading_table_and_explanations_once_per_kind() -> None:
    text = as_markdown(STORY)
    lines = text.splitlines()
    assert lines[0] == "## How the runtime set up container demo-1a2b"
    rows = [line for line in lines if line.startswith("| ")]
    assert len(rows) == 1 + len(STEPS_SEEN)  # the header, then one row per step
    assert all(len(_cells(row)) == 8 for row in rows)
    assert "`/root/path`" in rows[7] and "102 init" in rows[7]
    assert "1. **Namespaces** (step 1): " in text
    assert "**Mount** (steps 3–4, 6): " + STEPS["mount"].explanation in text
    assert text.count(STEPS["mount"].explanation) == 1


def test_markdown_keeps_hostile_text_inside_its_cell() -> None:
    text = as_markdown(STORY)
    assert not any(char in text for char in RAW)
    hostname_row = next(line for line in text.splitlines() if "sethostname" in line)
    cells = _cells(hostname_row)
    assert len(cells) == 8
    assert "\\x1b]0;pwned\\x07" in cells[5] and "\\n# forged\\u202e" in cells[5]
    assert cells[5].strip().startswith("`") and cells[5].strip().endswith("`")
    assert not any(line.startswith("# forged") for line in text.splitlines())
    mount_row = next(line for line in text.splitlines() if "/mnt/" in line)
    assert "``mount(" in mount_row  # a longer fence around the backticks inside
    assert "Bundle: ``/work/bundle\\|`[bold]`\\x1b[31m``" in text


def test_code_spans_and_ranges() -> None:
    assert code("a`b") == "``a`b``"
    assert code("`x") == "`` `x ``"
    assert code("a|b") == "`a\\|b`"
    assert code("") == ""
    assert number_ranges([1, 2, 3, 5, 7, 8]) == "1–3, 5, 7–8"
    assert number_ranges([4]) == "4"


def _text(width: int = 80, terminal: bool = False) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, highlight=False,
                      color_system="truecolor" if terminal else None)
    print_text(STORY, console)
    return out.getvalue()


def test_text_fits_80_columns_and_explains_each_kind_once() -> None:
    text = _text()
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert all(line == line.rstrip() for line in lines)
    assert lines[0] == "How the runtime set up container demo-1a2b"
    step_lines = [line for line in lines if re.match(r"\s+\d+ +\d+\.\d\d ", line)]
    assert len(step_lines) == len(STEPS_SEEN)
    assert re.match(r"\s+1 +0\.00 +10 +101 stage 1 +Namespaces +ok$", step_lines[0])
    assert "EPERM" in step_lines[4]
    assert "field /mounts/1  (explained at step 3)" in text
    assert "pivot_root('/r', '/r')" in text and "field /process/args" in text


def test_text_shows_hostile_text_and_obeys_none_of_it() -> None:
    plain = _text()
    assert "\x1b" not in plain and "\x07" not in plain and "\u202e" not in plain
    assert "[bold]big[/bold]" in plain  # shown as written, not taken for markup
    assert "\\x1b]0;pwned\\x07" in plain and "\\x1b[2J" in plain
    coloured = _text(terminal=True)
    for raw in ("\x1b]0;", "\x07", "\x1b[2J", "\x1b[31m", "\u202e"):
        assert raw not in coloured
    # Only SGR (colour and weight) sequences of our own reach a terminal.
    assert set(re.findall(r"\x1b(.)", coloured)) <= {"["}
    assert all(re.fullmatch(r"[\d;]*m", seq) for seq in re.findall(r"\x1b\[([^a-zA-Z]*.)",
                                                                   coloured))
