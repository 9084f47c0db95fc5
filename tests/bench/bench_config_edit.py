"""Benchmark: from a keystroke in a config field to the updated problems panel.

Run: python tests/bench/bench_config_edit.py [--keystrokes N] [--seccomp RULES]
Types into process.user.uid of the default config, alternating "-" (uid -1: an error
appears) and backspace (uid 1: it goes away), so every keystroke changes the panel.
Prints the median and the 90th percentile; the target is 10 ms or less for the default
config. ``--seccomp 400`` adds a large seccomp profile: validation then takes longer
than a frame and runs in a worker, so this measures the worker path.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.widgets import Input  # noqa: E402

from bundlebench.tui.app import BundlebenchApp  # noqa: E402
from bundlebench.tui.screens.config import ConfigScreen  # noqa: E402
from runtime.defaults import default_config  # noqa: E402
from tests.tui.config_host import make_bundle  # noqa: E402

TARGET_MS = 10.0


async def measure(bundle: Path, keystrokes: int) -> tuple[list[float], list[float]]:
    app = BundlebenchApp(bundle)
    to_panel: list[float] = []
    validation: list[float] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfigScreen)
        await screen.go_to("/process/user/uid", focus_value=True)
        await pilot.pause()
        field = screen.form.query_one("#field-value", Input)
        field.value = "1"
        field.cursor_position = 0
        await pilot.pause()
        for i in range(keystrokes):
            key = events.Key("minus", "-") if i % 2 == 0 else events.Key("backspace", None)
            before = screen.last_problems_update
            key.set_sender(app)
            start = time.perf_counter()
            app._driver.send_message(key)
            while screen.last_problems_update == before:
                await asyncio.sleep(0)
            to_panel.append((screen.last_problems_update - start) * 1000)
            flagged = any(p.pointer == "/process/user/uid" for p in screen.panel.problems)
            assert flagged == (i % 2 == 0), (i, screen.panel.problems)
            # Let the frame paint before the next keystroke, as a typist would.
            await pilot.pause(0.02)
        # The validator alone, on the same document, for comparison.
        data = screen.session.data
        for _ in range(keystrokes):
            start = time.perf_counter()
            app.validator(data, bundle)
            validation.append((time.perf_counter() - start) * 1000)
    return to_panel, validation


def seccomp_profile(rules: int) -> dict:
    """A seccomp profile the size of Docker's default (about 400 rules)."""
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [
            {"names": [f"call{i}"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": i, "op": "SCMP_CMP_EQ"}]}
            for i in range(rules)
        ],
    }


def describe(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return f"{name:<34} median {statistics.median(samples):6.2f} ms   p90 {p90:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keystrokes", type=int, default=200)
    parser.add_argument("--seccomp", type=int, default=0, metavar="RULES")
    args = parser.parse_args()
    config = default_config()
    if args.seccomp:
        config["linux"]["seccomp"] = seccomp_profile(args.seccomp)
    with tempfile.TemporaryDirectory() as tmp:
        bundle = make_bundle(Path(tmp), config)
        to_panel, validation = asyncio.run(measure(bundle, args.keystrokes))
    median = statistics.median(to_panel)
    print(describe("keystroke -> problems panel", to_panel))
    print(describe("  of which validate()", validation))
    verdict = "ok" if median <= TARGET_MS else "SLOWER than"
    what = f"default config + {args.seccomp} seccomp rules" if args.seccomp else "default config"
    print(f"target {TARGET_MS:.0f} ms: {verdict} (median {median:.2f} ms, "
          f"{args.keystrokes} keystrokes, {what})")


if __name__ == "__main__":
    main()
