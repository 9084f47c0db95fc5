"""The one exception type the runtime raises for bad input or a failed operation."""

from __future__ import annotations


class RuntimeFailure(Exception):
    """A failure explained in one sentence; the CLI prints it and exits non-zero."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
