"""textual-serve's web app behind a token: every page and websocket asks for it.

textual-serve's ``Server`` starts one process per browser websocket and relays the
terminal both ways (``handle_websocket``); that part is used as it is. The routes, the
index page's context and the way the server runs are ours, so that:

- every request but the static assets carries the token (``?token=`` on the page; in the
  path of the websocket, because textual.js appends ``?width=..&height=..`` to the
  websocket URL it is given, so a query there would be mangled),
- the websocket URL is built from the request's own Host (the page works from another
  machine when served on a network address),
- the socket is bound by the caller (a port in use is a sentence before anything starts,
  port 0 tells the real port), and shutting down ends every app session it started.

The index template's variables and ``handle_websocket`` are textual-serve's, not a
documented API: pyproject.toml pins textual-serve to the 1.1 series for that reason.
"""

from __future__ import annotations

import asyncio
import hmac
import signal
import socket
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server

FORBIDDEN = "This bundlebench classroom needs its full link, with the token: ask for it.\n"
SESSION_END_SECONDS = 10.0


class GuardedServer(Server):
    """Serve ``command`` (run once per browser connection) to holders of ``token``."""

    def __init__(self, command: str, *, token: str, title: str) -> None:
        super().__init__(command, title=title)
        self.token = token
        self._sessions: set[asyncio.Task[Any]] = set()

    def make_app(self) -> web.Application:
        """The aiohttp application: the page, its websocket, the static assets."""
        app = web.Application(middlewares=[self._require_token])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        # No download route: the workbench never sends files to the browser.
        app.add_routes([
            web.get("/", self._index, name="index"),
            web.get("/ws/{token}", self._session, name="websocket"),
            web.static("/static", self.statics_path, name="static"),
        ])
        app.on_shutdown.append(self._end_sessions)
        return app

    @web.middleware
    async def _require_token(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # The static assets are textual-serve's own published files (xterm.css, textual.js,
        # fonts, a background image), the same for everyone and saying nothing about the
        # bundle or the sessions, so they are served without the token; the page and the
        # websocket, which run the app, are not.
        if not request.path.startswith("/static/"):
            given = request.match_info.get("token") or request.query.get("token", "")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return web.Response(status=403, text=FORBIDDEN)
        response = await handler(request)
        response.headers["Referrer-Policy"] = "no-referrer"  # the page's URL holds the token
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def _index(self, request: web.Request) -> web.Response:
        scheme = "wss" if request.secure else "ws"
        context = {
            "font_size": _font_size(request.query.get("fontsize", "")),
            "app_websocket_url": f"{scheme}://{request.host}/ws/{self.token}",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    async def _session(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            return await self.handle_websocket(request)
        finally:
            self._sessions.discard(task)

    async def _end_sessions(self, app: web.Application) -> None:
        # A cancelled session tells its app to quit and waits for it (handle_websocket's
        # own clean-up); the app's parent-death signal covers an app that does not.
        sessions = list(self._sessions)
        for task in sessions:
            task.cancel()
        if sessions:
            await asyncio.wait(sessions, timeout=SESSION_END_SECONDS)

    def serve_on(self, sock: socket.socket) -> None:
        """Serve on the bound, listening ``sock`` until SIGINT or SIGTERM."""
        asyncio.run(self._serve(sock))

    async def _serve(self, sock: socket.socket) -> None:
        runner = web.AppRunner(self.make_app(), handle_signals=False, access_log=None,
                               shutdown_timeout=SESSION_END_SECONDS)
        await runner.setup()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await web.SockSite(runner, sock).start()
            await stop.wait()
        finally:
            await runner.cleanup()


def _font_size(text: str) -> int:
    try:
        return min(max(int(text), 6), 48)
    except ValueError:
        return 16
