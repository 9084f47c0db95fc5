"""`bundlebench serve` in a real headless browser: the token, the tree, keys, read-only."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil
import pytest

from tests.browser.cdp import Browser, Page, find_chromium, wait_for
from tests.browser.xterm import focus_terminal, terminal_text

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (chromium, "
                       "chromium-browser or chromium-headless-shell); .ci/run installs it"),
    pytest.mark.skipif(importlib.util.find_spec("textual_serve") is None,
                       reason="textual-serve is not installed"),
]
START_SECONDS = 30  # CI has two cores: a session's first paint can take a while
FORBIDDEN_WORDS = "needs its full link"


@dataclass
class Served:
    """A running `bundlebench serve` and the link it printed."""

    process: subprocess.Popen[str]
    url: str

    @property
    def base(self) -> str:
        return self.url.split("/?", 1)[0]

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]


def start_server(bundle: Path, home: Path, *flags: str) -> Served:
    env = dict(os.environ, XDG_CONFIG_HOME=str(home / "config"),
               XDG_STATE_HOME=str(home / "state"))
    process = subprocess.Popen(
        [sys.executable, "-m", "bundlebench", "serve", str(bundle), "--port", "0", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=START_SECONDS):
            process.kill()
            raise AssertionError("bundlebench serve printed no link")
    url = process.stdout.readline().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", url), url
    assert "Ctrl+C" in process.stdout.readline()
    return Served(process, url)


def stop_server(served: Served) -> list[int]:
    """Ctrl+C the server; return the pids of its sessions that are still alive after it."""
    if served.process.poll() is not None:
        return []
    sessions = psutil.Process(served.process.pid).children(recursive=True)
    served.process.send_signal(signal.SIGINT)
    served.process.wait(timeout=30)
    gone, alive = psutil.wait_procs(sessions, timeout=10)
    for leftover in alive:
        leftover.kill()
    return [p.pid for p in alive]


@pytest.fixture(scope="module")
def demo_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bundlebench.bundle.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("serve") / "demo")


@pytest.fixture
def server(demo_bundle: Path, tmp_path: Path) -> Iterator[Served]:
    served = start_server(demo_bundle, tmp_path)
    yield served
    stop_server(served)


@pytest.fixture
def read_only_server(demo_bundle: Path, tmp_path: Path) -> Iterator[Served]:
    served = start_server(demo_bundle, tmp_path, "--read-only")
    yield served
    stop_server(served)


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_every_route_and_the_websocket_want_the_token(server: Served) -> None:
    for path in ("/", "/?token=wrong", f"/?token={server.token}x", "/ws", "/download/x",
                 "/anything"):
        status, body = http_get(server.base + path)
        assert status == 403, path
        assert FORBIDDEN_WORDS in body and server.token not in body
    status, page = http_get(server.url)
    assert status == 200
    assert f'data-session-websocket-url="ws://127.0.0.1:{server.base.rsplit(":", 1)[1]}' \
           f'/ws/{server.token}"' in page
    # textual-serve's own published assets need no token (see bundlebench.serve.server).
    assert http_get(server.base + "/static/js/textual.js")[0] == 200

    async def websockets() -> None:
        socket_base = server.base.replace("http:", "ws:")
        async with aiohttp.ClientSession() as session:
            for path in ("/ws?width=80&height=24", "/ws/wrong?width=80&height=24"):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(socket_base + path)
                assert refused.value.status == 403

    asyncio.run(websockets())


async def open_workbench(served: Served, profile: Path) -> tuple[Browser, Page]:
    assert CHROMIUM is not None
    browser = Browser.start(CHROMIUM, profile)
    page = await browser.first_page()
    await page.navigate(served.url)
    await wait_for(lambda: has(page, "etc/", "bin/"), START_SECONDS, "the rootfs tree")
    await focus_terminal(page)
    return browser, page


async def has(page: Page, *words: str) -> str | None:
    """The terminal's text, when it holds every word (lines joined, borders dropped)."""
    text = await terminal_text(page)
    flat = " ".join(re.sub(r"[│▌▐▏▕╭╮╰╯─]", " ", text).split())
    return text if all(word in flat for word in words) else None


def test_the_browser_shows_the_tree_and_a_key_changes_the_screen(
        server: Served, tmp_path: Path) -> None:
    async def scenario() -> None:
        browser = Browser.start(CHROMIUM or "", tmp_path / "refused-profile")
        try:
            page = await browser.first_page()
            await page.navigate(server.base + "/")
            body = await wait_for(lambda: page.evaluate("document.body.innerText"), 10,
                                  "the refusal page")
            assert FORBIDDEN_WORDS in body
        finally:
            await browser.close()

        browser, page = await open_workbench(server, tmp_path / "profile")
        try:
            before = await terminal_text(page)
            await page.press("2")
            after = await wait_for(lambda: has(page, "ociVersion"), START_SECONDS,
                                   "the config screen")
            assert after != before
        finally:
            await browser.close()

    started = time.monotonic()
    asyncio.run(scenario())
    assert time.monotonic() - started < 120
    assert stop_server(server) == []  # Ctrl+C ended every session it had started
    assert server.process.returncode == 0


def test_read_only_refuses_a_launch_in_the_browser(read_only_server: Served,
                                                   tmp_path: Path) -> None:
    async def scenario() -> None:
        browser, page = await open_workbench(read_only_server, tmp_path / "profile")
        try:
            await page.press("3")
            await wait_for(lambda: has(page, "Containers", "Launch"), START_SECONDS,
                           "the containers screen")
            await page.press("l")
            await wait_for(lambda: has(page, "Read-only classroom mode",
                                       "launching containers is off"),
                           START_SECONDS, "the refusal")
        finally:
            await browser.close()

    asyncio.run(scenario())
