"""Run a lesson's check in a real container of the student's (edited) config.

Blocking: call it from a thread or a command, never on the event loop. The container is
launched through the shim like any other, with the check as its command, read to its
end, and deleted whatever happens.
"""

from __future__ import annotations

import contextlib
import copy
import secrets
import select
import time
from pathlib import Path
from typing import Any

from bundlebench.errors import BundlebenchError
from bundlebench.lessons.model import CheckRun, Lesson

CHECK_SECONDS = 30.0


def run_check(lesson: Lesson, bundle: Path, config: dict[str, Any], *,
              root: str | None = None, seconds: float = CHECK_SECONDS) -> CheckRun:
    """Launch ``config`` (the bundle's files stay as they are) with the lesson's check as
    its command; what it printed, its exit code, the verdict and the trace steps that
    did it. LaunchRefused when the config has errors; BundlebenchError when the
    container cannot be launched."""
    from bundlebench.commands._containers import runtime_api, runtime_call
    from bundlebench.containers import records
    from bundlebench.containers.launch import LaunchOptions, launch_bundle

    options = LaunchOptions(container_id=f"lesson-{lesson.name}-{secrets.token_hex(3)}",
                            args=list(lesson.check), terminal=True)
    launched = launch_bundle(bundle, root=root, attach_first=True,
                             config=copy.deepcopy(config), options=options)
    try:
        output, exit_code, in_time = _read_to_exit(launched.state_dir, launched.id, seconds)
        steps = _lesson_steps(lesson, launched.root, launched.id)
    finally:
        with contextlib.suppress(BundlebenchError):
            runtime_call(lambda: runtime_api(launched.root).delete(launched.id, force=True))
        records.remove_record(launched.root, launched.id)
    problem = (lesson.judge(output, exit_code) if in_time else
               f"the check did not end within {seconds:.0f} s, so it was stopped.")
    return CheckRun(output, exit_code, problem, steps)


def _read_to_exit(state_dir: str, container_id: str, seconds: float
                  ) -> tuple[str, int | None, bool]:
    """What the container printed, its exit code (None: unknown), and whether it ended
    within ``seconds``."""
    from bundlebench.containers.attach import connect
    from shim.protocol import DATA, EXIT, exit_record

    client = connect(state_dir, container_id)
    client.resize(24, 80)  # the shim starts the check once it knows the terminal's size
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([client.fileno()], [], [], left)
            if not ready:
                continue
            frames = client.receive()
            if not frames:
                return _text(chunks), None, True
            for kind, payload in frames:
                if kind == DATA:
                    chunks.append(payload)
                elif kind == EXIT:
                    code = exit_record(payload).get("exit_code")
                    return _text(chunks), code if isinstance(code, int) else None, True
        return _text(chunks), None, False
    finally:
        client.close()


def _text(chunks: list[bytes]) -> str:
    # The pane's terminal ends lines with \r\n; a check reads plain lines.
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def _lesson_steps(lesson: Lesson, root: str, container_id: str
                  ) -> tuple[tuple[str, str, str], ...]:
    from bundlebench.containers.story import read_steps

    try:
        steps = read_steps(root, container_id)
    except (OSError, BundlebenchError):
        return ()
    return tuple((step.title, step.syscall, step.result) for step in steps
                 if step.step in lesson.kinds)
