"""A small Chrome DevTools Protocol client for the browser tests: start a headless
chromium, open a page, evaluate JavaScript, press keys. Nothing is downloaded: the
browser is the machine's own (Debian's chromium or chromium-headless-shell)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

BINARIES = ("chromium", "chromium-browser", "chromium-headless-shell")


def find_chromium() -> str | None:
    """The path of a chromium binary on PATH (or Debian's headless shell), or None."""
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    shell = Path("/usr/lib/chromium/chromium-headless-shell")
    return str(shell) if shell.exists() else None


class CDPError(RuntimeError):
    """The browser answered a command with an error."""


class Page:
    """One tab, spoken to over its own DevTools websocket."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = websocket
        self._ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events on the way are ignored)."""
        number = next(self._ids)
        await self._ws.send_json({"id": number, "method": method, "params": params})
        while True:
            message = await self._ws.receive_json()
            if message.get("id") != number:
                continue
            if "error" in message:
                raise CDPError(f"{method}: {message['error']}")
            return message.get("result", {})

    async def navigate(self, url: str) -> None:
        await self.call("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited when it is a promise)."""
        result = await self.call("Runtime.evaluate", expression=expression,
                                 returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise CDPError(f"evaluate: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    async def press(self, key: str) -> None:
        """Press and release one printable key (a letter, digit or symbol)."""
        code = f"Key{key.upper()}" if key.isalpha() else f"Digit{key}" if key.isdigit() else ""
        common = {"key": key, "code": code, "windowsVirtualKeyCode": ord(key.upper())}
        if key.isupper():
            common["modifiers"] = 8  # shift
        await self.call("Input.dispatchKeyEvent", type="keyDown", text=key, **common)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **common)


class Browser:
    """A headless chromium with a private profile, ended by its process group."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, profile: Path) -> None:
        self.process = process
        self.port = port
        self.profile = profile
        self._session: aiohttp.ClientSession | None = None
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []

    @classmethod
    def start(cls, binary: str, profile: Path, timeout: float = 30) -> Browser:
        """Start ``binary`` headless; wait until its DevTools port is written."""
        argv = [binary, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--mute-audio",
                "--window-size=1280,800", "about:blank"]
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if active.exists() and active.read_text().count("\n") >= 1:
                return cls(process, int(active.read_text().split()[0]), profile)
            if process.poll() is not None:
                raise RuntimeError(f"{binary} ended at start (exit {process.returncode})")
            time.sleep(0.05)
        cls._end(process)
        raise RuntimeError(f"{binary} wrote no DevToolsActivePort within {timeout} s")

    async def first_page(self) -> Page:
        """The tab the browser opened (about:blank)."""
        self._session = self._session or aiohttp.ClientSession()
        async with self._session.get(f"http://127.0.0.1:{self.port}/json/list") as reply:
            targets = await reply.json(content_type=None)
        target = next(t for t in targets if t.get("type") == "page")
        websocket = await self._session.ws_connect(target["webSocketDebuggerUrl"],
                                                   max_msg_size=0)
        self._sockets.append(websocket)
        return Page(websocket)

    async def close(self) -> None:
        for websocket in self._sockets:
            await websocket.close()
        if self._session is not None:
            await self._session.close()
        self._end(self.process)

    @staticmethod
    def _end(process: subprocess.Popen[bytes]) -> None:
        # The renderer, zygote and GPU processes are in the browser's own process group.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # a child left behind


async def wait_for(check: Any, timeout: float, what: str, interval: float = 0.2) -> Any:
    """Await ``check()`` until it is truthy; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: "
                         f"{json.dumps(last)[:2000] if last is not None else None}")
