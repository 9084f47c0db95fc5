"""The problems panel: every error and warning; choosing one jumps to its field."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from bundlebench.spec.problems import Problem
from bundlebench.tui.widgets.config_form import SEVERITY_STYLE
from bundlebench.tui.widgets.config_messages import NavigateRequest
from bundlebench.untrusted import styled


def counts_text(problems: list[Problem]) -> str:
    """"2 errors, 1 warning" or "no problems"."""
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) or "no problems"


class ProblemsPanel(OptionList):
    """One line per problem: icon, field pointer, message."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.problems: list[Problem] = []

    def show(self, problems: list[Problem]) -> None:
        """Replace the list (skipped when nothing changed)."""
        if problems == self.problems and self.option_count:
            return
        highlighted = self.highlighted
        self.problems = list(problems)
        self.clear_options()
        if problems:
            self.add_options(_option(i, p) for i, p in enumerate(problems))
            if highlighted is not None:
                self.highlighted = min(highlighted, len(problems) - 1)
        else:
            self.add_option(Option(Text("✔ config.json is valid", style="green"), disabled=True))
        self.border_title = f"Problems · {counts_text(problems)}"

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self.problems):
            problem = self.problems[event.option_index]
            self.post_message(NavigateRequest(problem.pointer, focus_value=True))


def _option(index: int, problem: Problem) -> Option:
    icon, style = SEVERITY_STYLE.get(problem.severity, ("•", ""))
    text = Text()
    text.append(f"{icon} ", style=style)
    # Messages quote the config's keys and values: shown, never obeyed.
    text.append_text(styled(problem.pointer or "/", 200, style="bold"))
    text.append_text(styled("  " + problem.message))
    if problem.hint:
        text.append_text(styled("  " + problem.hint, style="dim"))
    return Option(text, id=str(index))
