"""The error type every user-facing failure is raised as."""

from __future__ import annotations


class BundlebenchError(Exception):
    """A failure explained in one sentence that names the thing and what to do.

    The command line prints ``str(error)`` and exits with ``exit_code``; it never
    shows a traceback for this type.
    """

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
