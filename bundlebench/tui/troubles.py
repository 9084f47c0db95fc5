"""A broken bundle's troubles as the problems panel and the header show them."""

from __future__ import annotations

from bundlebench.bundle.model import ConfigTrouble
from bundlebench.spec.problems import Problem

HINTS = {
    "missing": "Write the default config.json (the button on the config screen, or the "
               "palette's “Write default config.json…”).",
    "unparsable": "Fix the text in the raw editor (the cursor is where it stops); the fields "
                  "come back once it parses, and ctrl+s saves it.",
}


def config_trouble_problem(trouble: ConfigTrouble) -> Problem:
    """The one problem a config.json that is missing or does not parse has."""
    return Problem("", "error", trouble.message, HINTS[trouble.kind])
