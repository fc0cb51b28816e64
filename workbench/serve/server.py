"""The textual-serve server with an access token in front of every request.

textual-serve starts one app process per websocket (one per browser tab) and serves the page,
its scripts and downloads without asking who is there. On a shared network that hands anyone
a process that reads and writes the host's files and runs code on its boards, so every request
is checked here before textual-serve sees it: the token in the query string (the URL printed
for the user) or in the cookie set by the page's first good request (the page's own scripts,
and its websocket, whose URL the page's script builds and cannot carry a token). A request
without the right token gets 403 and no process is started.
"""

from __future__ import annotations

import asyncio
import hmac
import signal
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from aiohttp.web_runner import GracefulExit
from textual_serve.server import Server

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: What a refused request reads; it says what to do, and nothing about the server.
REFUSED = "workbench serve: open the URL with its token (?token=...), as printed by the command.\n"

#: What a request from another site's page reads (a websocket opened by a page not ours).
FOREIGN = "workbench serve: requests from other sites' pages are refused.\n"
#: ``Host`` names a local bind answers to (urlsplit gives IPv6 without brackets, lower case).
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})

#: On Ctrl-C, how long open tabs get before their connections are cut (each tab's app is then
#: told to quit). aiohttp's default, 60 s, waits for every browser to close its tab.
SHUTDOWN_S = 2.0


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison, so timing does not tell how much of a guess was right."""
    return given is not None and hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


class TokenServer(Server):
    """textual-serve's server, with the token check, URLs taken from the request, and quiet.

    ``token`` None: no token check (a local bind without ``--token``); the origin check
    (:meth:`_same_origin`) is always made. The page's URLs (scripts,
    websocket) are built from the address the browser used, not the bind address, so
    ``--host 0.0.0.0`` gives pages that work from other machines.
    """

    def __init__(self, command: str, host: str, port: int, token: str | None, *, local_only: bool,
                 on_ready: Callable[[], None] | None = None) -> None:
        super().__init__(command, host=host, port=port, title="workbench")
        self.token = token
        self.local_only = local_only
        self.cookie_name = f"workbench_token_{port}"  # per port: two servers on one host do not mix
        self._on_ready = on_ready

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.insert(0, self._check_token)
        return app

    @web.middleware
    async def _check_token(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._same_origin(request):
            raise web.HTTPForbidden(text=FOREIGN)
        if self.token is None:
            return await handler(request)
        from_query = token_matches(request.query.get("token"), self.token)
        if not (from_query or token_matches(request.cookies.get(self.cookie_name), self.token)):
            raise web.HTTPForbidden(text=REFUSED)
        response = await handler(request)
        if from_query and not response.prepared:
            # The page's scripts and websocket carry the cookie, not the query string.
            response.set_cookie(self.cookie_name, self.token, httponly=True, samesite="Strict", path="/")
        return response

    def _same_origin(self, request: web.Request) -> bool:
        """A browser's websocket may be opened by any web page (no same-origin rule for
        websockets): one from another site's page says so in ``Origin``, and is refused. On a
        local bind, a ``Host`` that is not a loopback name is a page that rebound its own name to
        127.0.0.1 (DNS rebinding), refused too."""
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
            return False
        if self.local_only:
            name = urlsplit(f"//{request.host}").hostname or ""
            return name in LOOPBACK_NAMES
        return True

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, its URLs relative to the address the browser used."""
        base = f"{request.scheme}://{request.host}"
        ws_scheme = "wss" if request.scheme == "https" else "ws"
        static = request.app.router["static"].url_for(filename="/")
        return {
            "font_size": _font_size(request.query.get("fontsize", "16")),
            "app_websocket_url": f"{ws_scheme}://{request.host}{request.app.router['websocket'].url_for()}",
            "config": {"static": {"url": f"{base}{str(static).rstrip('/')}/"}},
            "application": {"name": self.title},
        }

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: textual-serve prints its logo here, before the port is even bound; the
        command says it is ready once listening (:meth:`run`)."""

    def run(self) -> None:
        """Serve until SIGINT/SIGTERM; ``OSError`` from binding goes to the caller."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, _graceful_exit)
        try:
            web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False,
                        loop=loop, print=self._listening, access_log=None,
                        shutdown_timeout=SHUTDOWN_S)
        finally:
            if not loop.is_closed():
                loop.close()

    def _listening(self, *_args: object) -> None:
        """aiohttp calls this once every socket is bound: only then is the URL worth printing."""
        if self._on_ready is not None:
            self._on_ready()


def _graceful_exit() -> None:
    raise GracefulExit()


def _font_size(text: str) -> int:
    try:
        return max(6, min(64, int(text)))
    except ValueError:
        return 16
