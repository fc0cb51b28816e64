"""A closed tab's app process ends within seconds, even one that does not quit when asked:
a board it holds must not stay locked by a process nobody sees."""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.functional.test_serve import children, is_running
from workbench.serve import server as serve_server
from workbench.serve.server import TokenServer

#: An "app" that never reads its stdin, so never hears the quit it is sent.
DEAF_APP = "exec " + shlex.join([sys.executable, "-c", "import time; time.sleep(120)"])


async def test_an_app_that_ignores_quit_is_terminated_when_its_tab_closes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve_server, "QUIT_GRACE_S", 0.3)
    tabs = TokenServer(DEAF_APP, host="127.0.0.1", port=0, token=None, local_only=True)
    async with TestServer(await tabs._make_app(), host="127.0.0.1") as web, TestClient(web) as browser:
        before = set(children(os.getpid()))
        tab = await browser.ws_connect("/ws?width=80&height=24")
        deadline = time.monotonic() + 10
        while not (started := set(children(os.getpid())) - before) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert len(started) == 1
        await tab.close()
        closed = time.monotonic()
        while any(is_running(pid) for pid in started) and time.monotonic() - closed < 10:
            await asyncio.sleep(0.02)
        ended_after = time.monotonic() - closed
    assert not any(is_running(pid) for pid in started), "the closed tab's app still runs"
    assert ended_after < 0.3 + serve_server.TERMINATE_GRACE_S


async def test_a_page_sending_nonsense_ends_its_tab_in_one_line() -> None:
    """A websocket message that is not what the page sends (a broken or hostile client) ends
    that tab with one line for the teacher, not a traceback; the server goes on."""
    lines: list[str] = []
    tabs = TokenServer(DEAF_APP, host="127.0.0.1", port=0, token=None, local_only=True, report=lines.append)
    async with TestServer(await tabs._make_app(), host="127.0.0.1") as web, TestClient(web) as browser:
        tab = await browser.ws_connect("/ws?width=80&height=24")
        await tab.send_str("{not json")
        message = await tab.receive(timeout=10)
        assert message.type.name in ("CLOSE", "CLOSED", "CLOSING")
        deadline = time.monotonic() + 10
        while len(lines) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        page = await browser.get("/")  # the server still serves
        assert page.status == 200
    assert lines[0] == "tab opened from 127.0.0.1 (1 open)"
    assert lines[1].startswith("tab from 127.0.0.1 ended: JSONDecodeError: ")
    assert lines[2] == "tab closed from 127.0.0.1 (0 open)"
