"""Dialogs of the step view: the step kind to run to, and a step's field explained."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from bundlebench.containers.stepping import STEP_KINDS
from bundlebench.spec.steps import ExplainedStep, step_doc
from bundlebench.tui.widgets.config_docs import doc_text


class StepKindPicker(ModalScreen[str | None]):
    """Pick the kind of step to stop before next; dismiss with it or None."""

    DEFAULT_CSS = """
    StepKindPicker { align: center middle; }
    StepKindPicker > Vertical { width: 60; height: auto; max-height: 22;
        border: round $primary; background: $surface; padding: 0 1; }
    StepKindPicker OptionList { height: auto; max-height: 18; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="step-kind.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Run to the next step of kind", style="bold"))
            yield OptionList(*(Option(f"{kind:<13} {step_doc(kind).title}", id=kind)
                               for kind in STEP_KINDS), id="step-kinds")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def explain_text(step: ExplainedStep) -> Text:
    """The step's words, then the docs of the config field behind it."""
    from bundlebench.spec.fields import field_schema

    text = Text(step.title + "\n", style="bold")
    text.append(step.explanation + "\n\n")
    if step.pointer:
        text.append_text(doc_text(step.pointer, field_schema(step.pointer)))
    else:
        text.append("No config field asks for this step: the runtime takes it for every "
                    "container.", style="italic")
    return text


class StepExplainScreen(ModalScreen[None]):
    """What a step does and what its config field means."""

    DEFAULT_CSS = """
    StepExplainScreen { align: center middle; }
    StepExplainScreen > VerticalScroll { width: 90%; max-width: 100; height: auto;
        max-height: 90%; border: round $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,e,q", "close", "Close", id="step-explain.close")]

    def __init__(self, step: ExplainedStep) -> None:
        super().__init__()
        self.step = step

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(explain_text(self.step), id="step-explain-text")
            yield Static(Text("esc closes this", style="italic"))

    def action_close(self) -> None:
        self.dismiss(None)
