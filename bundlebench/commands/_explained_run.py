"""`bundlebench run --explain`: run a container to its end, then tell how it was set up."""

from __future__ import annotations

import os
import sys

from bundlebench.containers.launch import Launched


def finish_explained(launched: Launched, root: str | None) -> int:
    """Relay the container's output to this terminal until it exits (no input, no raw
    mode: there is nothing to detach from), print its story, delete it; its exit code."""
    from bundlebench.commands._containers import runtime_api, runtime_call
    from bundlebench.containers.attach import attach_terminal
    from bundlebench.containers.story import read_story
    from bundlebench.containers.story_render import print_text

    try:
        with open(os.devnull, "rb") as nothing:
            # The output goes to stdout as bytes, as `run` sends it: only the user's
            # terminal interprets it.
            outcome = attach_terminal(launched.state_dir, launched.id,
                                      stdin=nothing.fileno(), announce=False)
        story = read_story(launched.root, launched.id)
        sys.stdout.write("\n")
        print_text(story)
    finally:
        runtime_call(lambda: runtime_api(root).delete(launched.id, force=True))
    return outcome.exit_code if outcome.exit_code is not None else 1
