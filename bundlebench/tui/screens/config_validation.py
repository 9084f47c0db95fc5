"""Live validation for the config screen: run the validator after every edit, show it."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from textual import work
from textual.screen import Screen

from bundlebench.edit import EditSession
from bundlebench.spec.problems import Problem
from bundlebench.tui.troubles import config_trouble_problem
from bundlebench.tui.widgets.config_form import FieldForm
from bundlebench.tui.widgets.config_problems import ProblemsPanel
from bundlebench.tui.widgets.config_tree import ConfigTree, problem_marks

# Above this, validation leaves the UI thread (latest result wins).
SLOW_VALIDATION_SECONDS = 0.008
FIELD_PROBLEMS_SHOWN = 6


class LiveValidation(Screen[None]):
    """Validates the session's document and shows the verdict everywhere at once.

    The problems panel, the tree's marks and the form's marker are updated before the
    app's ``problems`` and ``dirty`` reactives (the header), so the panel is what updates
    first. A validator slower than a few milliseconds moves to a thread worker.
    """

    session: EditSession | None
    tree: ConfigTree
    form: FieldForm
    panel: ProblemsPanel

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[Problem] = []
        self._published: list[Problem] | None = None
        self._slow_validation = False
        self._validations = 0
        self.last_problems_update = 0.0

    @property
    def bundle_dir(self) -> Path:
        return self.app.bundle.path  # type: ignore[attr-defined]

    def _session(self) -> EditSession:
        assert self.session is not None
        return self.session

    def watch_app_problems(self) -> None:
        """Follow validations the app runs itself (at start, after a rootfs change)."""
        if hasattr(self.app, "problems"):
            self.watch(self.app, "problems", self._app_problems, init=False)

    def _validate(self) -> None:
        session = self._session()
        if hasattr(self.app, "dirty"):
            self.app.dirty = session.dirty  # type: ignore[attr-defined]
        trouble = self.app.bundle.config_trouble  # type: ignore[attr-defined]
        if trouble is not None:  # nothing to validate until there is a document
            self._show_problems([config_trouble_problem(trouble)])
            return
        if self._slow_validation:
            self._validate_in_worker(copy.deepcopy(session.data), session.state)
            return
        problems = self._timed_validation(session.data)
        self._show_problems(problems)

    def _timed_validation(self, data: dict[str, Any]) -> list[Problem]:
        start = time.perf_counter()
        problems = self._run_validator(data)
        elapsed = time.perf_counter() - start
        # The first run loads and compiles the schema: it says nothing about the config.
        if self._validations:
            self._slow_validation = elapsed > SLOW_VALIDATION_SECONDS
        self._validations += 1
        return problems

    def _run_validator(self, data: dict[str, Any]) -> list[Problem]:
        validator = getattr(self.app, "validator", None)
        if validator is None:
            from bundlebench.spec.validate import validate as validator
        try:
            return validator(data, self.bundle_dir)
        except Exception as error:  # noqa: BLE001 - a validator bug must not end the editor
            return [Problem("", "error", f"the validator failed: {error}",
                            "report this as a bug in bundlebench")]

    @work(thread=True, exclusive=True, group="config-validate", exit_on_error=False)
    def _validate_in_worker(self, data: dict[str, Any], state: int) -> None:
        problems = self._timed_validation(data)
        self.app.call_from_thread(self._validated_in_worker, problems, state)

    def _validated_in_worker(self, problems: list[Problem], state: int) -> None:
        # Latest wins: a result for an older state of the document is dropped.
        if self.session is not None and state == self.session.state:
            self._show_problems(problems)

    def _show_problems(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.panel.show(problems)
        self.tree.update_marks(problem_marks(problems))
        self.form.show_problems(self.problems_for(self.form.pointer))
        self.last_problems_update = time.perf_counter()
        self._publish()  # the header and the app: after the panel, which is what you watch

    def _publish(self) -> None:
        app: Any = self.app
        if hasattr(app, "validating"):
            app.validating = False
        if hasattr(app, "problems") and (self._published != self.problems
                                         or app.problems is not self._published):
            self._published = self.problems
            app.problems = self.problems
        if hasattr(app, "dirty"):
            app.dirty = self._session().dirty

    def _app_problems(self, problems: list[Problem] | None) -> None:
        # Someone else validated (the app at start, or after a rootfs change): make sure
        # what the header shows is the verdict on the document as edited here.
        if problems is not None and problems is not self._published and self.session:
            self._validate()

    def problems_for(self, pointer: str) -> list[Problem]:
        """The problems at ``pointer`` and, for a container, below it."""
        prefix = pointer + "/"
        found = [p for p in self.problems if p.pointer == pointer or p.pointer.startswith(prefix)]
        if len(found) > FIELD_PROBLEMS_SHOWN:
            rest = len(found) - FIELD_PROBLEMS_SHOWN + 1
            found = found[: FIELD_PROBLEMS_SHOWN - 1] + [
                Problem(pointer, "warning", f"… and {rest} more in the problems panel.", "")
            ]
        return found
