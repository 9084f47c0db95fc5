"""The shape of one field's documentation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SPEC_URL = "https://github.com/opencontainers/runtime-spec/blob/v1.3.0/"


@dataclass(frozen=True)
class WhatIf:
    """What a process inside the container notices with a setting and without it.

    ``with_it`` and ``without_it`` are one sentence each, seen from inside the
    container; ``see`` is a shell command line to run in the container (sh, cat, ls,
    grep, id, hostname: tools the demo rootfs has) whose output shows the difference.
    """

    with_it: str
    without_it: str
    see: str


@dataclass(frozen=True)
class FieldDoc:
    """What one config.json field means, in our own words.

    ``pointer`` is a JSON Pointer pattern where "*" stands for any array index or
    map key; ``section`` is "file.md#anchor" in runtime-spec v1.3.0.
    """

    pointer: str
    title: str
    what: str
    effect: str
    example: Any
    section: str
    what_if: WhatIf | None = None

    @property
    def description(self) -> str:
        """The text the JSON schema carries as this field's description.

        It starts with ``what``, so its first sentence says what the field does; the
        title goes to the schema's ``title`` keyword.
        """
        return f"{self.what} {self.effect}"

    @property
    def section_url(self) -> str:
        """A link to the spec section this field is defined in."""
        return SPEC_URL + self.section

    @property
    def name(self) -> str:
        """The last token of the pointer ("*" for an element)."""
        return self.pointer.rsplit("/", 1)[-1] or "(config.json)"


def doc(pointer: str, title: str, what: str, effect: str, example: Any, section: str,
        what_if: WhatIf | None = None) -> FieldDoc:
    """Build one entry; a short helper so the tables read as plain text."""
    return FieldDoc(pointer, title, what, effect, example, section, what_if)
