"""The one exception type the runtime raises for bad input or a failed operation."""

from __future__ import annotations


class RuntimeFailure(Exception):
    """A failure explained in one sentence; the CLI prints it and exits non-zero.

    `pointer` is the JSON pointer of the config field it is about ("" when none), and
    `host` says that the refusal depends on this host (a kernel or LSM feature, a path)."""

    def __init__(self, message: str, exit_code: int = 1, pointer: str = "",
                 host: bool = False) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.pointer = pointer
        self.host = host
