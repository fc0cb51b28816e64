"""``workbench serve`` in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright, launched with the system executable (no browser download).

The terminal in the page is a canvas, so the tests check what they can see from outside: files
that code typed into the editor writes on a simulated board whose files are a folder of the
test's (``?fs=DIR``), the app processes of the server, and the bytes the page's terminal is
sent over its websocket (what it draws, escape sequences left out).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.functional.test_serve import (
    DEADLINE_S,
    children,
    free_port,
    is_running,
    read_line,
    serve_cmd,
    stop_server,
)
from tests.support.pty_bridge import PtyBridge

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (.ci/run installs Debian's with apt)"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install -e '.[test]')"),
]

#: How soon a closed tab's app must be gone (it is asked to quit, then terminated, then killed).
RELEASED_S = 10.0
ESCAPES = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78DEHM])")


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``workbench serve ARGS`` on a free port: the process and the URL it prints."""
    port = free_port()
    proc = subprocess.Popen(serve_cmd("--port", str(port), *args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield proc, read_line(proc, DEADLINE_S).split("open ", 1)[1].split()[0]
    finally:
        stop_server(proc)


@contextmanager
def chromium() -> Iterator[Any]:
    """A browser context (one cookie jar, as the tabs of one person's browser)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser.new_context(viewport={"width": 1400, "height": 900})
        finally:
            browser.close()


def open_app(context: Any, url: str) -> tuple[Any, bytearray]:
    """A new tab on ``url``, once its terminal is on the page; and what its terminal is sent."""
    page = context.new_page()
    drawn = bytearray()
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: drawn.extend(
        payload if isinstance(payload, bytes) else payload.encode())))
    page.goto(url, timeout=DEADLINE_S * 1000)
    page.wait_for_selector("canvas", timeout=DEADLINE_S * 1000)
    return page, drawn


def shown(drawn: bytearray) -> str:
    return ESCAPES.sub(b"", bytes(drawn)).decode("utf-8", "replace")


def run_until_written(page: Any, code: str, made: Path, shot: Path) -> None:
    """Type ``code`` into the editor and run it (F5) until it has written ``made``.

    The app draws its first screen a moment after the canvas: click the editor and type again
    until a run has written the file (each try replaces the whole text)."""
    deadline = time.monotonic() + DEADLINE_S
    while not made.exists() and time.monotonic() < deadline:
        page.mouse.click(500, 200)  # the editor, in the middle column
        page.keyboard.press("Control+a")
        page.wait_for_timeout(300)  # select all lands before the typing replaces it
        page.keyboard.type(code + "\n", delay=15)
        page.keyboard.press("F5")
        for _ in range(30):  # up to 1.5 s for this run's file, then type again
            if made.exists():
                break
            page.wait_for_timeout(50)
    if not made.exists():
        page.screenshot(path=str(shot))
    assert made.exists(), f"the run typed in the browser never wrote {made.name} on the board (see {shot})"


def wait_for_text(page: Any, drawn: bytearray, text: str, shot: Path) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while text not in shown(drawn) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    if text not in shown(drawn):
        page.screenshot(path=str(shot))
    assert text in shown(drawn), f"the page never showed {text!r} (see {shot})"


def app_processes(server: subprocess.Popen[str]) -> set[int]:
    return set(children(server.pid))


def test_code_typed_in_the_browser_runs_on_the_board(tmp_path: Path) -> None:
    """...and the page asks nothing of another site (a lab may have no internet; its fonts and
    scripts come from the server); a program pasted in runs; the program and the trace download
    to the student's computer; closing the tab asks first."""
    board = tmp_path / "board"
    with serving("--token", "t0k3n", "-d", f"sim://generic?fs={board}") as (_server, url), chromium() as context:
        requested: list[str] = []
        context.on("request", lambda request: requested.append(request.url))
        page, _drawn = open_app(context, url)
        run_until_written(page, "open('made.txt', 'w').write('from the browser')", board / "made.txt",
                          tmp_path / "browser.png")
        assert (board / "made.txt").read_text() == "from the browser"
        server = url.split("/?", 1)[0]
        assert any(address.endswith(".ttf") for address in requested)  # the terminal's font
        assert [address for address in requested if not address.startswith(server)] == []

        # A program from the student's computer comes in by pasting it (the browser's paste
        # event, as its menu or paste key sends it) over the selected text.
        page.keyboard.press("Control+a")
        page.wait_for_timeout(300)
        page.evaluate("""code => {
            const data = new DataTransfer();
            data.setData("text/plain", code);
            document.querySelector(".xterm-helper-textarea").dispatchEvent(
                new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""", "open('pasted.txt', 'w').write('pasted')\n")
        page.wait_for_timeout(300)  # the paste is in the editor before F5 runs it
        page.keyboard.press("F5")
        deadline = time.monotonic() + DEADLINE_S
        while not (board / "pasted.txt").exists() and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert (board / "pasted.txt").read_text() == "pasted"

        # The student's program and the session's trace, downloaded to their own computer.
        downloads: list[Any] = []
        page.on("download", lambda download: downloads.append(download))  # (through a window.open)
        for command, count in (("download the editor", 1), ("download the trace", 2)):
            page.keyboard.press("Control+p")
            page.wait_for_timeout(300)  # the palette is open before it is typed into
            page.keyboard.type(command, delay=10)
            page.wait_for_timeout(300)  # the palette has filtered its commands
            page.keyboard.press("Enter")
            deadline = time.monotonic() + DEADLINE_S
            while len({download.url for download in downloads}) < count and time.monotonic() < deadline:
                page.wait_for_timeout(50)
        program, trace = list({download.url: download for download in downloads}.values())
        assert program.suggested_filename == "main.py"
        assert Path(program.path()).read_text().strip() == "open('pasted.txt', 'w').write('pasted')"
        assert trace.suggested_filename == "workbench-trace.jsonl"
        assert b"from the browser".hex() in Path(trace.path()).read_text()  # the runs' bytes
        assert b"pasted".hex() in Path(trace.path()).read_text()

        # Closing the tab by mistake (Ctrl+W is the browser's) asks first while the app runs.
        asked: list[str] = []

        def answer(dialog: Any) -> None:
            asked.append(dialog.type)
            dialog.dismiss()  # stay on the page

        page.on("dialog", answer)
        page.close(run_before_unload=True)
        deadline = time.monotonic() + DEADLINE_S
        while not asked and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert asked == ["beforeunload"]
        assert not page.is_closed()


def test_each_tab_takes_a_free_board_and_one_in_use_is_freed_when_its_tab_closes(tmp_path: Path) -> None:
    """Two boards on serial ports (ptys with simulated boards behind them), served with
    ``-d A -d B``: the first tab starts on A, the second on B (A is the first tab's); a third
    is told both are in use, opens nothing and shows A; closing the first tab ends its app
    within seconds, and the third connects (F2) and runs code on A."""
    board_a, board_b = tmp_path / "a", tmp_path / "b"
    with PtyBridge(f"sim://generic?fs={board_a}") as a, PtyBridge(f"sim://generic?fs={board_b}") as b, \
            serving("--token", "t0k3n", "-d", a.path, "-d", b.path) as (server, url), chromium() as context:
        first, _ = open_app(context, url)
        run_until_written(first, "open('first.txt', 'w').write('1')", board_a / "first.txt", tmp_path / "first.png")
        (first_app,) = app_processes(server)

        second, _ = open_app(context, url)
        run_until_written(second, "open('second.txt', 'w').write('2')", board_b / "second.txt",
                          tmp_path / "second.png")

        third, drawn = open_app(context, url)
        # (The rest of the message wraps in the output pane: where depends on the page's size.)
        wait_for_text(third, drawn, "every board this app may start on is in use", tmp_path / "third.png")
        assert not (board_a / "third.txt").exists()

        first.close()
        closed = time.monotonic()
        while is_running(first_app) and time.monotonic() - closed < RELEASED_S:
            time.sleep(0.05)
        assert not is_running(first_app), f"the closed tab's app still runs after {RELEASED_S} s"
        assert len(app_processes(server)) == 2  # the second and third tabs'

        third.mouse.click(500, 200)
        third.keyboard.press("F2")  # connect, with the keyboard in the editor
        run_until_written(third, "open('third.txt', 'w').write('3')", board_a / "third.txt",
                          tmp_path / "third-run.png")


def test_on_a_shared_network_the_browser_needs_the_token(tmp_path: Path) -> None:
    """Bound to every network: the page without the token (or with a wrong one) is a 403 and
    starts no app; with the printed token the app draws (its process starts)."""
    with serving("--host", "0.0.0.0", "--root", str(tmp_path)) as (server, printed), chromium() as context:
        token = printed.split("?token=", 1)[1]
        base = f"http://127.0.0.1:{printed.rsplit(':', 1)[1].split('/', 1)[0]}/"
        page = context.new_page()
        for address in (base, f"{base}?token=not-{token}"):
            response = page.goto(address, timeout=DEADLINE_S * 1000)
            assert response is not None and response.status == 403
            assert "token" in page.content()
            assert page.locator("canvas").count() == 0
        assert app_processes(server) == set()

        open_app(context, f"{base}?token={token}")
        deadline = time.monotonic() + DEADLINE_S
        while not app_processes(server) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(app_processes(server)) == 1
