"""``workbench serve`` as a lab's teacher meets it, without a browser: the token is asked for
before anything else happens, host code is refused on a shared network, errors are one line.

(The page in a real browser, typing and running code, is for the browser tests.)
"""

from __future__ import annotations

import asyncio
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

TOKEN = "abc-123"
DEADLINE_S = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "workbench", "serve", *args]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the tabs' app processes, through their shell)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def read_line(proc: subprocess.Popen[str], deadline_s: float) -> str:
    """The server's next stdout line; fails when none comes in time."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=deadline_s):
            proc.kill()
            pytest.fail(f"no line from the server in {deadline_s} s; stderr: {proc.communicate()[1]}")
    return proc.stdout.readline()


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], int, str]]:
    """``workbench serve`` on a free local port, the token required; stopped with Ctrl-C."""
    port = free_port()
    proc = subprocess.Popen(serve_cmd("--port", str(port), "--token", TOKEN, "-d", "sim://generic"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = read_line(proc, DEADLINE_S)
        yield proc, port, line
    finally:
        stop_server(proc)


def stop_server(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C, as a person stops it; killed if it has not stopped by the deadline."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=DEADLINE_S)


def status_of(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Status, body and Set-Cookie of a GET."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE_S) as response:
            return response.status, response.read().decode("utf-8", "replace"), response.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), ""


WS_UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
              "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def test_without_the_token_every_request_is_refused_and_no_app_starts(server) -> None:
    proc, port, line = server
    base = f"http://127.0.0.1:{port}"
    assert line.strip() == f"workbench serve: open {base}/?token={TOKEN}  (Ctrl-C to stop)"
    for path, headers in (("/", None), ("/?token=wrong", None), ("/static/js/textual.js", None),
                          ("/ws", WS_UPGRADE), ("/ws?token=", WS_UPGRADE)):
        code, body, _cookie = status_of(base + path, headers)
        assert code == 403, path
        assert "token" in body
    assert children(proc.pid) == []

    code, page, cookie = status_of(f"{base}/?token={TOKEN}")
    assert code == 200
    assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
    # Everything the page loads comes from this server (a lab may have no internet).
    assert re.findall(r'(?:href|src)="([^"]*)"', page) != []
    assert [url for url in re.findall(r'(?:href|src)="([^"]*)"', page)
            if not url.startswith(f"{base}/static/")] == []
    code, _font, _ = status_of(f"{base}/static/fonts/RobotoMono-VariableFont_wght.ttf",
                               {"Cookie": f"workbench_token_{port}={TOKEN}"})
    assert code == 200
    assert f"workbench_token_{port}={TOKEN}" in cookie and "HttpOnly" in cookie
    # The page's own requests carry the cookie, not the query string.
    code, _script, _ = status_of(f"{base}/static/js/textual.js", {"Cookie": f"workbench_token_{port}={TOKEN}"})
    assert code == 200
    assert children(proc.pid) == []  # a page is not an app: the tab's websocket starts it


def test_a_tab_gets_an_app_process_and_ctrl_c_ends_it(server) -> None:
    """The tab's websocket, with the cookie, starts an app; Ctrl-C with the tab still open
    stops the server (exit 0) and the app within seconds."""
    proc, port, _line = server

    async def open_tab_then_stop() -> list[int]:
        cookies = {f"workbench_token_{port}": TOKEN}
        async with (aiohttp.ClientSession(cookies=cookies) as session,
                    session.ws_connect(f"ws://127.0.0.1:{port}/ws?width=80&height=24")):
            deadline = time.monotonic() + DEADLINE_S
            while not (started := children(proc.pid)) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            processes = started + [grandchild for child in started for grandchild in children(child)]
            proc.send_signal(signal.SIGINT)
            await asyncio.to_thread(proc.wait, DEADLINE_S)  # the tab stays open meanwhile
            return processes

    processes = asyncio.run(open_tab_then_stop())
    assert len(processes) >= 1
    assert proc.returncode == 0
    deadline = time.monotonic() + DEADLINE_S
    while (alive := [pid for pid in processes if is_running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive == []


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_other_sites_pages_are_refused_even_with_the_token(server) -> None:
    """A page of another site may open a websocket to 127.0.0.1 (browsers let it), or rebind
    its own name to 127.0.0.1: neither reaches the app."""
    proc, port, _line = server
    base = f"http://127.0.0.1:{port}"
    cookie = {"Cookie": f"workbench_token_{port}={TOKEN}"}
    for headers in ({**WS_UPGRADE, **cookie, "Origin": "http://evil.example"},
                    {**cookie, "Host": f"evil.example:{port}"}):
        code, body, _ = status_of(f"{base}/ws", headers)
        assert code == 403
        assert "other sites" in body
    assert children(proc.pid) == []
    code, _page, _ = status_of(f"{base}/?token={TOKEN}", {"Origin": f"http://localhost:{port}", "Host": f"localhost:{port}"})
    assert code == 200


def test_ctrl_c_stops_cleanly(server) -> None:
    proc, _port, _line = server
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == 0
    assert out.strip() == "workbench serve: stopped"
    assert err == ""


def run_serve(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    """A serve that ends by itself (refused); a config folder of the test's own, so the
    user's named devices cannot change what a name means."""
    return subprocess.run(serve_cmd(*args), capture_output=True, text=True, timeout=DEADLINE_S, check=False,
                          env={**os.environ, "WORKBENCH_CONFIG_DIR": str(config)})


@pytest.mark.parametrize("device", ["sim://generic", "spawn://micropython"])
def test_host_code_on_a_non_local_host_is_refused_at_start(device: str, tmp_path: Path) -> None:
    proc = run_serve("--host", "0.0.0.0", "--port", str(free_port()), "-d", device, config=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (f"workbench: {device} runs code as a process of this machine: on a non-local "
                           "host (0.0.0.0) it needs --allow-host-code\n")
    assert proc.stdout == ""


def test_a_port_in_use_is_one_line_and_exit_3(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_serve("--port", str(port), config=tmp_path)
    assert proc.returncode == 3
    assert proc.stderr == f"workbench: port {port} is in use on 127.0.0.1: choose another with --port\n"
    assert proc.stdout == ""


@pytest.mark.parametrize(("args", "message"), [
    (("--host", "no-such-host.invalid"), "unknown host: 'no-such-host.invalid'"),
    (("--port", "http"), "--port: not a port number: 'http'"),
])
def test_a_bad_host_or_port_is_one_line_and_exit_2(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    proc = run_serve(*args, config=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"workbench: {message}\n"


def test_a_full_server_says_so_and_the_teacher_sees_tabs_come_and_go(tmp_path: Path) -> None:
    """``--max-tabs 1``: with one tab open the page (and a websocket of a page loaded earlier)
    is a 503 that says what to do, and no second app starts; the server's output has a line per
    tab opened and closed; once the tab closes the page is served again."""
    port = free_port()
    proc = subprocess.Popen(serve_cmd("--port", str(port), "--token", TOKEN, "--max-tabs", "1", "-d", "sim://generic"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    cookie = {"Cookie": f"workbench_token_{port}={TOKEN}"}
    try:
        read_line(proc, DEADLINE_S)

        async def one_tab_then_another() -> list[tuple[int, str]]:
            async with (aiohttp.ClientSession(cookies={f"workbench_token_{port}": TOKEN}) as session,
                        session.ws_connect(f"ws://127.0.0.1:{port}/ws?width=80&height=24")):
                opened = await asyncio.to_thread(read_line, proc, DEADLINE_S)
                assert opened.strip() == "workbench serve: tab opened from 127.0.0.1 (1 of 1 open)"
                deadline = time.monotonic() + DEADLINE_S
                while not children(proc.pid) and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                answers = [await asyncio.to_thread(status_of, f"{base}/?token={TOKEN}"),
                           await asyncio.to_thread(status_of, f"{base}/ws", {**WS_UPGRADE, **cookie})]
                assert len(children(proc.pid)) == 1  # the first tab's app, no other
                return answers

        refused = [(code, body) for code, body, _ in asyncio.run(one_tab_then_another())]
        closed = read_line(proc, DEADLINE_S)
        assert closed.strip() == "workbench serve: tab closed from 127.0.0.1 (0 of 1 open)"
        assert status_of(f"{base}/?token={TOKEN}")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=DEADLINE_S)
    full = "workbench serve: full, every tab it allows is open (--max-tabs 1): close one, then reload this page.\n"
    assert refused == [(503, full), (503, full)]
