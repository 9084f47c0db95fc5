"""Let the UI threads run while a worker thread walks the filesystem.

A thread that makes many short system calls releases the GIL and takes it straight
back; CPython then never asks it to hand over, and Textual's input thread can wait
seconds for a key press (the convoy effect). Sleeping for a millisecond now and then
gives the GIL away for real.
"""

from __future__ import annotations

import threading
import time

BREATHE_EVERY = 0.01  # seconds of work between pauses
PAUSE = 0.001


class Breather:
    """Call it often from a busy loop; it sleeps briefly every BREATHE_EVERY seconds."""

    def __init__(self) -> None:
        self._last = time.monotonic()

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last > BREATHE_EVERY:
            time.sleep(PAUSE)
            self._last = time.monotonic()


class BreathingEvent(threading.Event):
    """A cancel event for the walks of bundlebench.bundle.walk.

    The walks check ``is_set()`` once per directory; that is where this one breathes.
    """

    def __init__(self) -> None:
        super().__init__()
        self._breathe = Breather()

    def is_set(self) -> bool:
        self._breathe()
        return super().is_set()
