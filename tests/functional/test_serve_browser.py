"""``workbench serve`` in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright, launched with the system executable (no browser download).

The terminal in the page is a canvas, so the test checks an effect it can see from outside:
code typed into the editor and run with F5 writes a file on the simulated board, whose files
are a folder of the test's (``sim://generic?fs=DIR``).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.functional.test_serve import DEADLINE_S, free_port, read_line, serve_cmd

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (.ci/run installs Debian's with apt)"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install -e '.[test]')"),
]


def test_code_typed_in_the_browser_runs_on_the_board(tmp_path: Path) -> None:
    board = tmp_path / "board"
    port = free_port()
    proc = subprocess.Popen(serve_cmd("--port", str(port), "--token", "t0k3n", "-d", f"sim://generic?fs={board}"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = read_line(proc, DEADLINE_S).split("open ", 1)[1].split()[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(url, timeout=DEADLINE_S * 1000)
                page.wait_for_selector("canvas", timeout=DEADLINE_S * 1000)
                made = board / "made.txt"
                deadline = time.monotonic() + DEADLINE_S
                # The app draws its first screen a moment after the canvas: click the editor and
                # type until a run has written the file (each try replaces the whole text).
                while not made.exists() and time.monotonic() < deadline:
                    page.mouse.click(500, 200)  # the editor, in the middle column
                    page.keyboard.press("Control+a")
                    page.wait_for_timeout(300)  # select all lands before the typing replaces it
                    page.keyboard.type("open('made.txt', 'w').write('from the browser')\n", delay=15)
                    page.keyboard.press("F5")
                    for _ in range(30):  # up to 1.5 s for this run's file, then type again
                        if made.exists():
                            break
                        page.wait_for_timeout(50)
                if not made.exists():
                    page.screenshot(path=str(tmp_path / "browser.png"))
                assert made.exists(), f"the run typed in the browser never wrote its file on the board (see {tmp_path}/browser.png)"
                assert made.read_text() == "from the browser"
            finally:
                browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=DEADLINE_S)
