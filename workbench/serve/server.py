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
import contextlib
import hmac
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from aiohttp.web_runner import GracefulExit
from textual_serve.app_service import AppService
from textual_serve.server import Server

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: What a refused request reads; it says what to do, and nothing about the server.
REFUSED = "workbench serve: open the URL with its token (?token=...), as printed by the command.\n"

#: What a tab beyond ``--max-tabs`` reads (the page, or the websocket of a page loaded earlier).
FULL = ("workbench serve: full, every tab it allows is open (--max-tabs {limit}): close one, "
        "then reload this page.\n")

#: What a request from another site's page reads (a websocket opened by a page not ours).
FOREIGN = "workbench serve: requests from other sites' pages are refused.\n"
#: ``Host`` names a local bind answers to (urlsplit gives IPv6 without brackets, lower case).
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})

#: On Ctrl-C, how long open tabs get before their connections are cut (each tab's app is then
#: told to quit). aiohttp's default, 60 s, waits for every browser to close its tab.
SHUTDOWN_S = 2.0

#: When a tab closes, how long its app gets to quit by itself (it saves its recovery copies and
#: closes its ports) before it is terminated, and then killed: the board is free within seconds.
QUIT_GRACE_S = 4.0
TERMINATE_GRACE_S = 2.0

#: Our page (workbench/serve/templates): textual-serve's own loads a web font from another site.
TEMPLATES = Path(__file__).parent / "templates"
PAGE = "workbench_page.html"


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
                 on_ready: Callable[[], None] | None = None, max_tabs: int | None = None,
                 report: Callable[[str], None] | None = None) -> None:
        super().__init__(command, host=host, port=port, title="workbench", templates_path=TEMPLATES)
        self.token = token
        self.local_only = local_only
        self.cookie_name = f"workbench_token_{port}"  # per port: two servers on one host do not mix
        self._on_ready = on_ready
        #: Tabs (app processes) allowed at once; None: no limit.
        self.max_tabs = max_tabs
        #: Tabs open now (the event loop's thread only).
        self.open_tabs = 0
        #: Where a line for the person running the server goes (tabs opened and closed).
        self._report = report or (lambda _line: None)

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

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, unless every tab is taken (then what to do, before a page that would only
        say "session ended")."""
        if self._full():
            raise web.HTTPServiceUnavailable(text=FULL.format(limit=self.max_tabs))
        return await self._page(request)

    @aiohttp_jinja2.template(PAGE)
    async def _page(self, request: web.Request) -> dict[str, Any]:
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

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """A tab's websocket: its own app process for as long as the tab is open.

        As textual-serve's, but the app is ended with a deadline (:class:`BoundedAppService`)
        when the tab goes, so a board it had open is never held by an app nobody sees.
        """
        if self._full():
            raise web.HTTPServiceUnavailable(text=FULL.format(limit=self.max_tabs))
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _dimension(request.query.get("width"), 80)
        height = _dimension(request.query.get("height"), 24)
        service: BoundedAppService | None = None
        who = request.remote or "?"
        self.open_tabs += 1
        self._report(f"tab opened from {who} ({self._tabs_open()})")
        try:
            await websocket.prepare(request)
            service = BoundedAppService(self.command, write_bytes=websocket.send_bytes,
                                        write_str=websocket.send_str, close=websocket.close,
                                        download_manager=self.download_manager, debug=self.debug)
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:  # the server is stopping (Ctrl-C)
            with contextlib.suppress(Exception):
                await websocket.close()
        except Exception as exc:  # noqa: BLE001 - the app could not start, or the page sent nonsense: one line
            self._report(f"tab from {who} ended: {type(exc).__name__}: {exc}".rstrip(": "))
            with contextlib.suppress(Exception):
                await websocket.close()
        finally:
            try:
                if service is not None:
                    await asyncio.shield(service.stop())
            finally:
                self.open_tabs -= 1
                self._report(f"tab closed from {who} ({self._tabs_open()})")
        return websocket

    def _full(self) -> bool:
        return self.max_tabs is not None and self.open_tabs >= self.max_tabs

    def _tabs_open(self) -> str:
        limit = f" of {self.max_tabs}" if self.max_tabs is not None else ""
        return f"{self.open_tabs}{limit} open"

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


class BoundedAppService(AppService):
    """textual-serve's app process, ended within seconds however it behaves.

    textual-serve asks the app to quit and then waits for it without a limit; an app stuck in
    its shutdown would keep its boards open (exclusively) for good. Here it gets
    :data:`QUIT_GRACE_S`, then SIGTERM, then SIGKILL.
    """

    async def stop(self) -> None:
        task = self._task
        if task is None:
            return
        self._task = None
        with contextlib.suppress(Exception):  # the process may be gone already (pipe closed)
            await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
            await self.send_meta({"type": "quit"})
        if await _ended(task, QUIT_GRACE_S):
            return
        process = self._process
        for end, grace in ((_terminate, TERMINATE_GRACE_S), (_kill, TERMINATE_GRACE_S)):
            if process is not None:
                end(process)
            if await _ended(task, grace):
                return
        task.cancel()


async def _ended(task: asyncio.Task[None], within_s: float) -> bool:
    """Whether the app's task (it ends when the process's output does) ended in time."""
    done, _pending = await asyncio.wait({task}, timeout=within_s)
    return bool(done)


def _terminate(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.terminate()


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()


def _dimension(text: str | None, default: int) -> int:
    """The tab's terminal width or height from the query (a bad value: the default)."""
    try:
        return max(1, min(1000, int(text))) if text is not None else default
    except ValueError:
        return default


def _graceful_exit() -> None:
    raise GracefulExit()


def _font_size(text: str) -> int:
    try:
        return max(6, min(64, int(text)))
    except ValueError:
        return 16
