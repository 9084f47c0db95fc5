"""A container's setup story as text for a terminal, markdown for notes, or JSON.

The syscall texts, pointers and bundle path carry the config's own values (paths,
hostnames, annotations): each form shows them, never obeys them. Text goes through
bundlebench.untrusted; markdown puts them in code spans (inert inside) with pipes escaped
and controls as visible escapes; JSON escapes every control character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bundlebench.containers.story import Story
from bundlebench.spec.steps import ExplainedStep
from bundlebench.untrusted import json_text, visible

if TYPE_CHECKING:
    from rich.text import Text

FORMATS = ("text", "markdown", "json")
INDENT = 6  # where a step's detail lines start in the text form
# What CommonMark and GitHub's tables give a meaning to inside a line: a backslash in
# front makes each one plain. (Line starts are always ours: a number or a pipe.)
_MARKDOWN_SPECIAL = frozenset("\\`*_[]<>|~&$!#")
_LONGEST_TICKS = re.compile(r"`+")


def at_text(step: ExplainedStep) -> str:
    return "" if step.at_ms is None else f"{step.at_ms:.2f}"


def process_text(story: Story, step: ExplainedStep) -> str:
    """The host pid and, when known, the stage: ``4711 init``."""
    if not step.pid:
        return ""
    stage = story.stage(step)
    return f"{step.pid} {stage}" if stage else str(step.pid)


def first_of_kind(steps: list[ExplainedStep]) -> dict[str, int]:
    """The number (from 1) of the first step of each kind: its explanation is told there."""
    first: dict[str, int] = {}
    for number, step in enumerate(steps, 1):
        first.setdefault(step.step, number)
    return first


# -- json -------------------------------------------------------------------------------
def as_records(story: Story) -> list[dict[str, Any]]:
    """One object per step, with stable keys."""
    return [{"index": number, "at_ms": step.at_ms, "micros": step.micros, "pid": step.pid,
             "stage": story.stage(step) or None, "step": step.step, "title": step.title,
             "syscall": step.syscall, "result": step.result, "pointer": step.pointer,
             "explanation": step.explanation}
            for number, step in enumerate(story.steps, 1)]


def as_json(story: Story) -> str:
    """A JSON list, one step a line; controls and bidi marks as \\u escapes."""
    records = as_records(story)
    if not records:
        return "[]\n"
    return "[\n" + ",\n".join(f"  {json_text(record)}" for record in records) + "\n]\n"


# -- markdown ---------------------------------------------------------------------------
def md(text: object) -> str:
    """Untrusted text as markdown that reads as itself: controls and line breaks as
    visible escapes, markup characters and pipes escaped."""
    return "".join(f"\\{char}" if char in _MARKDOWN_SPECIAL else char
                   for char in visible(text))


def code(text: object) -> str:
    """Untrusted text as a markdown code span, safe in a table cell: controls as visible
    escapes, a fence longer than any run of backticks inside, pipes escaped (GitHub's
    tables split cells on a pipe even inside a code span)."""
    shown = visible(text).replace("|", "\\|")
    if not shown:
        return ""
    fence = "`" * (1 + max((len(run) for run in _LONGEST_TICKS.findall(shown)), default=0))
    pad = " " if shown[0] in "` " or shown[-1] in "` " else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def number_ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` as ``1–3, 5``."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}–{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)


def as_markdown(story: Story) -> str:
    """A heading, the table of steps, then what each kind of step does, once."""
    lines = [f"## How the runtime set up container {md(story.container_id)}", "",
             f"Bundle: {code(story.bundle) or '(unknown)'}", "",
             f"{len(story.steps)} steps. *at ms*: when the step began, after the first; "
             "*µs*: how long it took; *pid*: the host pid of the process that did it.", "",
             "| # | at ms | µs | pid | step | syscall | result | config field |",
             "|--:|--:|--:|---|---|---|---|---|"]
    for number, step in enumerate(story.steps, 1):
        cells = [str(number), at_text(step), str(step.micros), md(process_text(story, step)),
                 md(step.title), code(step.syscall), md(step.result), code(step.pointer)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "### What the steps do", ""]
    numbers: dict[str, list[int]] = {}
    for number, step in enumerate(story.steps, 1):
        numbers.setdefault(step.step, []).append(number)
    by_kind = {step.step: step for step in story.steps}
    for item, (kind, seen) in enumerate(numbers.items(), 1):
        step = by_kind[kind]
        which = "step" if len(seen) == 1 else "steps"
        # The explanations are ours (bundlebench.spec.steps), written as markdown prose.
        lines.append(f"{item}. **{md(step.title)}** ({which} {number_ranges(seen)}): "
                     f"{visible(step.explanation)}")
    return "\n".join(lines) + "\n"


# -- text -------------------------------------------------------------------------------
def text_lines(story: Story, width: int = 80) -> Iterator[Text]:
    """The story for a terminal of ``width`` columns: a line per step, its syscall, field
    and explanation under it, indented (an explanation once per kind of step)."""
    from rich.console import Console
    from rich.text import Text

    from bundlebench.untrusted import styled

    heading = Text("How the runtime set up container ", style="bold")
    heading.append_text(styled(story.container_id, 80))
    yield heading
    bundle = Text("bundle ", style="dim")
    bundle.append_text(styled(story.bundle or "(unknown)", 400))
    yield bundle
    yield Text(f"{len(story.steps)} steps. AT: ms after the first began; µs: how long; "
               "PID: who, and its stage", style="dim")
    yield Text(f"{'#':>3} {'AT ms':>8} {'µs':>7}  {'PID':<15} {'STEP':<22} RESULT",
               style="bold")
    measure = Console(width=width)
    first = first_of_kind(story.steps)
    for number, step in enumerate(story.steps, 1):
        line = Text(f"{number:>3} {at_text(step):>8} {step.micros:>7}  ")
        line.append_text(styled(process_text(story, step).ljust(15), 15))
        line.append(" ")
        line.append_text(styled(step.title.ljust(22), 22))
        line.append(" ")
        style = "green" if step.ok else "yellow" if step.result == "skipped" else "bold red"
        line.append_text(styled(step.result, 20, style=style))
        yield line
        detail = Text()
        detail.append_text(styled(step.syscall, 600, style="cyan"))
        detail.append("\nfield ", style="dim")
        detail.append_text(styled(step.pointer or "(none)", 200))
        if first[step.step] == number:
            detail.append("\n")
            detail.append_text(styled(step.explanation))
        else:
            detail.append(f"  (explained at step {first[step.step]})", style="dim")
        for wrapped in detail.wrap(measure, max(20, width - INDENT), overflow="fold"):
            wrapped.rstrip()
            yield Text(" " * INDENT) + wrapped


def print_text(story: Story, console: Any = None) -> None:
    """Print the text form on ``console`` (default: stdout, at most 100 columns)."""
    if console is None:
        from rich.console import Console

        console = Console(highlight=False)
    for line in text_lines(story, min(console.width, 100)):
        console.print(line, overflow="fold")
