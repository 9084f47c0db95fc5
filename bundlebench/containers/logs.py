"""A container's console log (the shim's ``console.log`` in its state dir): its tail,
read backwards in blocks so a huge log costs only what is shown, and following it.

Bytes in, bytes out: the caller makes them safe to show (``bundlebench.untrusted``).
The shim keeps the log bounded by restarting it from its recent output, so a follower
that sees the file shrink reads it again from the start.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

from bundlebench.errors import BundlebenchError
from shim.protocol import CONSOLE_LOG, EXIT_FILE

BLOCK = 64 * 1024
POLL_SECONDS = 0.2


def log_path(root: str, container_id: str) -> str:
    """The console log of ``container_id``; one sentence when there is no such container."""
    from runtime.ids import validate_id

    try:
        validate_id(container_id)
    except Exception as error:  # noqa: BLE001 - the runtime's own sentence
        raise BundlebenchError(str(error)) from None
    state_dir = os.path.join(root, container_id)
    if not os.path.isdir(state_dir):
        raise BundlebenchError(f"no container {container_id!r}: `bundlebench ps` lists the "
                               "containers")
    path = os.path.join(state_dir, CONSOLE_LOG)
    if not os.path.exists(path):
        raise BundlebenchError(f"{container_id!r} has no console log: it was not started by "
                               "bundlebench's shim (`bundlebench run` or the workbench "
                               "keep one), so ask what started it for its output")
    return path


def read_tail(path: str, lines: int | None, end: int | None = None) -> tuple[bytes, int]:
    """The last ``lines`` lines before offset ``end`` (all with None) and where they
    start, reading backwards in blocks."""
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END) if end is None else end
        if lines is None:
            handle.seek(0)
            return handle.read(size), 0
        start, data = size, b""
        # One more line break than lines asked for: the text before it is cut off.
        while start > 0 and data.count(b"\n", 0, len(data) - 1) < lines:
            step = min(BLOCK, start)
            start -= step
            handle.seek(start)
            data = handle.read(step) + data
        parts = data.split(b"\n")
        trailing = data.endswith(b"\n")
        body = parts[:-1] if trailing else parts
        keep = body[-lines:] if lines else []
        text = b"\n".join(keep) + (b"\n" if trailing and keep else b"")
        return text, size - len(text)


def follow(path: str, offset: int, stopped: Callable[[], bool],
           poll: float = POLL_SECONDS) -> Iterator[bytes]:
    """What is appended to the log after ``offset``, as it comes, until ``stopped()`` or
    the container has ended and its last output is read."""
    state_dir = os.path.dirname(path)
    while not stopped():
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return  # deleted
        if size < offset:
            offset = 0  # the shim restarted the log from its recent output
        if size > offset:
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read(size - offset)
            offset += len(data)
            yield data
            continue
        if os.path.exists(os.path.join(state_dir, EXIT_FILE)):
            return
        time.sleep(poll)
