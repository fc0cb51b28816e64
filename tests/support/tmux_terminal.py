"""A real terminal for end-to-end tests: the installed ``workbench`` in a private tmux server.

Why tmux: Textual's Pilot delivers keys to whatever widget the code focused and never sees
the bytes a terminal sends, so it misses keys that do nothing or land in the wrong pane. Here
keys go in with ``tmux send-keys`` and the screen comes back with ``tmux capture-pane``,
exactly what a person types and sees.

Every wait polls the screen with a deadline and, when it runs out, fails with the last
screen captured, so a CI log shows what the terminal looked like. Each terminal has its own
tmux socket, so tests never see each other's sessions or the user's.

Where the keyboard is: a terminal shows it as the blinking text cursor (the editor's and the
REPL line's cursors blink, nothing else on the screen does). :meth:`TmuxTerminal.blinking_cells`
finds the cells whose style changes while their character stays the same.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Set to 1 to watch a test: it prints the ``tmux attach`` command, waits for you to attach
#: before typing, and keeps the session open after the test until you detach.
WATCH_ENV = "WORKBENCH_E2E_WATCH"
#: How long watch mode waits for you to attach, and then to detach (under pytest's timeout).
WATCH_WAIT_S = 40.0
#: How often a wait looks at the screen.
POLL_S = 0.05
#: Textual's cursors blink every 0.5 s: a window this long always holds one on and one off phase.
BLINK_WINDOW_S = 1.3
SESSION = "wb"
#: Never passed on to the app: COLUMNS and LINES would fix its size whatever the window's
#: (curses in the test process may have exported 80x24), NO_COLOR would drop the styles the
#: cursor is found by, TMUX would say it is nested in the user's tmux.
UNSET = ("COLUMNS", "LINES", "NO_COLOR", "TMUX", "TMUX_PANE")

#: One cell's look: foreground, background, attributes (bold, reverse, ...).
Style = tuple[str, str, frozenset[str]]
PLAIN: Style = ("", "", frozenset())
_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_ATTRS = {"1": "bold", "2": "dim", "3": "italic", "4": "underline", "5": "blink", "7": "reverse",
          "8": "hidden", "9": "strike"}
_ATTRS_OFF = {"21": {"bold"}, "22": {"bold", "dim"}, "23": {"italic"}, "24": {"underline"},
              "25": {"blink"}, "27": {"reverse"}, "28": {"hidden"}, "29": {"strike"}}


@dataclass(frozen=True)
class Box:
    """A rectangle of the screen, border cells included (coordinates are inclusive)."""

    left: int
    top: int
    right: int
    bottom: int

    def inside(self, x: int, y: int) -> bool:
        """Whether cell (x, y) is within the border (the border itself is not)."""
        return self.left < x < self.right and self.top < y < self.bottom


@dataclass(frozen=True)
class Screen:
    """One capture of the terminal: the text of every cell and its style."""

    rows: tuple[str, ...]
    """One string per row, one character per cell (a wide character is followed by a space)."""
    styles: tuple[tuple[Style, ...], ...]

    @property
    def text(self) -> str:
        return "\n".join(row.rstrip() for row in self.rows)

    def __contains__(self, text: str) -> bool:
        return text in self.text

    @property
    def status_bar(self) -> str:
        """The app's status bar: the row above the footer (the last row)."""
        return self.rows[-2] if len(self.rows) >= 2 else ""

    def box(self, title: str) -> Box | None:
        """The rounded box whose border title starts with ``title`` (``╭─ title``), or None."""
        for top, row in enumerate(self.rows):
            left = row.find(f"╭─ {title}")
            if left < 0:
                continue
            right = row.find("╮", left)
            if right < 0:
                continue
            for bottom in range(top + 1, len(self.rows)):
                if self.rows[bottom][left:left + 1] == "╰":
                    return Box(left, top, right, bottom)
        return None

    def region(self, box: Box) -> str:
        """The text inside ``box`` (its border excluded), one line per row, right-stripped."""
        return "\n".join(
            self.rows[y][box.left + 1:box.right].rstrip() for y in range(box.top + 1, box.bottom)
        )

    def flat(self, box: Box) -> str:
        """The text inside ``box`` with every run of white space made one space: a sentence
        reads the same however the pane wrapped it."""
        return " ".join(self.region(box).split())


def parse_capture(raw: str, width: int, height: int) -> Screen:
    """Turn ``capture-pane -p -e`` output into a grid of cells with their styles."""
    rows: list[str] = []
    styles: list[tuple[Style, ...]] = []
    style = PLAIN
    for line in raw.split("\n")[:height]:
        chars: list[str] = []
        cell_styles: list[Style] = []
        pos = 0
        while pos < len(line):
            match = _SGR.match(line, pos)
            if match is not None:
                style = _apply_sgr(style, match.group(1))
                pos = match.end()
                continue
            char = line[pos]
            pos += 1
            if char == "\x1b":  # some other escape sequence: not a cell
                continue
            chars.append(char)
            cell_styles.append(style)
            if unicodedata.east_asian_width(char) in ("W", "F"):
                chars.append(" ")
                cell_styles.append(style)
        chars.extend(" " * (width - len(chars)))
        cell_styles.extend([style] * (width - len(cell_styles)))
        rows.append("".join(chars))
        styles.append(tuple(cell_styles))
    while len(rows) < height:
        rows.append(" " * width)
        styles.append((PLAIN,) * width)
    return Screen(tuple(rows), tuple(styles))


def _apply_sgr(style: Style, params: str) -> Style:
    """The style after one SGR sequence (``ESC [ params m``)."""
    fg, bg, attrs = style[0], style[1], set(style[2])
    parts = params.replace(":", ";").split(";") if params else ["0"]
    i = 0
    while i < len(parts):
        code = parts[i] or "0"
        if code == "0":
            fg, bg, attrs = "", "", set()
        elif code in _ATTRS:
            attrs.add(_ATTRS[code])
        elif code in _ATTRS_OFF:
            attrs -= _ATTRS_OFF[code]
        elif code in ("38", "48", "58"):
            width = 3 if parts[i + 1:i + 2] == ["5"] else 5
            value = ";".join(parts[i:i + width])
            if code == "38":
                fg = value
            elif code == "48":
                bg = value
            i += width - 1
        elif code == "39":
            fg = ""
        elif code == "49":
            bg = ""
        elif code.isdigit() and (30 <= int(code) <= 37 or 90 <= int(code) <= 97):
            fg = code
        elif code.isdigit() and (40 <= int(code) <= 47 or 100 <= int(code) <= 107):
            bg = code
        i += 1
    return fg, bg, frozenset(attrs)


class TmuxTerminal:
    """A tmux server of its own with one window of a fixed size running one command."""

    def __init__(self, *, width: int = 160, height: int = 50, cwd: Path, env: Mapping[str, str]) -> None:
        self.width = width
        self.height = height
        self.cwd = cwd
        self.env = dict(env)
        self.socket = f"wb-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.last_screen: Screen | None = None
        self.started = False
        self.socket_path = Path()

    # ------------------------------------------------------------------ tmux
    def tmux(self, *args: str, check: bool = True) -> str:
        """Run one tmux command against this terminal's server; its stdout."""
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True, text=True, timeout=10, check=False, env=_client_environment(),
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def start(self, command: Sequence[str]) -> None:
        """Start ``command`` in a ``width`` x ``height`` window.

        The options are set before the window exists (``exit-empty off`` keeps the server up
        until then): ``default-terminal`` decides the program's TERM (tmux overrides TERM from
        the environment with it), a dead pane stays so its last screen and exit status can be
        read, and no status line takes a row. ``window-size manual`` keeps the size when
        someone attaches to watch; it comes last because tmux 3.3a's server exits at once when
        it is set before the first session.
        """
        env_args = [arg for name, value in self.env.items() for arg in ("-e", f"{name}={value}")]
        self.tmux(
            "start-server", ";",
            "set-option", "-g", "exit-empty", "off", ";",
            "set-option", "-g", "default-terminal", "xterm-256color", ";",
            "set-option", "-g", "remain-on-exit", "on", ";",
            "set-option", "-g", "status", "off", ";",
            *(arg for name in UNSET for arg in ("set-environment", "-g", "-u", name, ";")),
            "new-session", "-d", "-s", SESSION, "-x", str(self.width), "-y", str(self.height),
            "-c", str(self.cwd), *env_args, shlex.join(command), ";",
            "set-option", "-g", "window-size", "manual",
        )
        self.started = True
        self.socket_path = Path(self.tmux("display-message", "-p", "#{socket_path}").strip())

    def close(self) -> None:
        """Kill the server and everything still running in it, and remove its socket (which
        tmux leaves behind)."""
        if self.started:
            self.tmux("kill-server", check=False)
            self.started = False
            if self.socket_path.name == self.socket:
                self.socket_path.unlink(missing_ok=True)

    @property
    def attach_command(self) -> str:
        return f"tmux -L {self.socket} attach -r -t {SESSION}"

    def clients(self) -> list[str]:
        return [line for line in self.tmux("list-clients", check=False).splitlines() if line]

    def wait_for_client(self, attached: bool, timeout: float) -> None:
        """(watch mode) Wait until someone is attached (or has detached), at most ``timeout``."""
        deadline = time.monotonic() + timeout
        while bool(self.clients()) != attached and time.monotonic() < deadline:
            time.sleep(0.2)

    # ------------------------------------------------------------------ keys
    def keys(self, *names: str) -> None:
        """Press keys by tmux name (``F5``, ``C-o``, ``Enter``, ``Escape``)."""
        self.tmux("send-keys", "-t", SESSION, *names)

    def type(self, text: str) -> None:
        """Type ``text`` literally, one character after the other."""
        self.tmux("send-keys", "-t", SESSION, "-l", text)

    def press_and_type(self, key: str, text: str) -> None:
        """Press ``key`` and type ``text`` in one tmux command: no time between them, as a
        person who knows the key types (a focus key must move the keyboard at once)."""
        self.tmux("send-keys", "-t", SESSION, key, ";", "send-keys", "-t", SESSION, "-l", text)

    # ------------------------------------------------------------------ screen
    def capture(self) -> Screen:
        raw = self.tmux("capture-pane", "-p", "-e", "-t", SESSION)
        self.last_screen = parse_capture(raw, self.width, self.height)
        return self.last_screen

    def pane(self, field: str) -> str:
        """One of tmux's pane formats, e.g. ``pane_pid``, ``pane_dead``, ``pane_dead_status``."""
        return self.tmux("display-message", "-p", "-t", SESSION, f"#{{{field}}}").strip()

    def describe(self, screen: Screen | None = None) -> str:
        """The screen as text for an assertion message."""
        screen = screen or self.last_screen
        if screen is None:
            return "(nothing captured)"
        bar = "-" * self.width
        return f"\n{bar}\n{screen.text}\n{bar}"

    def wait_for(
        self, check: str | Callable[[Screen], object], *, timeout: float = 10.0, what: str | None = None
    ) -> Screen:
        """Poll the screen until ``check`` (a text, or a function of the screen) holds; the
        screen then. Fails with the last screen when ``timeout`` seconds pass first."""
        holds: Callable[[Screen], object] = (lambda screen: check in screen) if isinstance(check, str) else check
        what = what or (repr(check) if isinstance(check, str) else "the condition")
        deadline = time.monotonic() + timeout
        while True:
            screen = self.capture()
            if holds(screen):
                return screen
            if time.monotonic() >= deadline:
                raise AssertionError(f"waited {timeout} s for {what} on the screen; it showed:{self.describe()}")
            time.sleep(POLL_S)

    def blinking_cells(self, within: Callable[[Screen], Box | None], *, timeout: float = BLINK_WINDOW_S
                       ) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
        """Watch the screen for blinking cells (same character, another style) for up to
        ``timeout`` seconds; return as soon as one blinks inside the box ``within`` gives.

        Returns (cells inside, cells elsewhere): the text cursor of the widget that has the
        keyboard is the one cell that blinks.
        """
        first = self.capture()
        inside: set[tuple[int, int]] = set()
        elsewhere: set[tuple[int, int]] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(POLL_S)
            screen = self.capture()
            box = within(screen)
            for y, (old_row, new_row) in enumerate(zip(first.rows, screen.rows, strict=True)):
                old_styles, new_styles = first.styles[y], screen.styles[y]
                for x, (old, new) in enumerate(zip(old_row, new_row, strict=True)):
                    if old == new and old_styles[x] != new_styles[x]:
                        (inside if box is not None and box.inside(x, y) else elsewhere).add((x, y))
            if inside:
                break
        return inside, elsewhere

    def assert_keyboard_in(self, name: str, within: Callable[[Screen], Box | None]) -> None:
        """Fail (with the screen) unless the blinking text cursor is inside ``within``'s box."""
        inside, elsewhere = self.blinking_cells(within)
        if not inside:
            where = f"a cell blinked at {sorted(elsewhere)[:4]} (x, y)" if elsewhere else "no cursor blinked"
            raise AssertionError(f"the keyboard is not in the {name}: {where}; the screen:{self.describe()}")


def _client_environment() -> dict[str, str]:
    """The environment tmux (and so the server and the app) starts with: this process's,
    rebuilt from ``os.environ`` (a C library may have set variables behind Python's back)
    and without :data:`UNSET`."""
    return {name: value for name, value in os.environ.items() if name not in UNSET}


# ---------------------------------------------------------------------- processes (Linux /proc)
@dataclass(frozen=True)
class Process:
    """A process, identified by pid and start time (a pid can be reused once it is gone)."""

    pid: int
    start_time: int
    command: str

    def alive(self) -> bool:
        """Still running: the same process exists and is not a zombie waiting to be reaped."""
        stat = _read_stat(self.pid)
        return stat is not None and stat[2] == self.start_time and stat[1] not in ("Z", "X")


def _read_stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) from /proc/PID/stat; None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the command name may hold spaces and ')'
    return int(fields[1]), fields[0], int(fields[19])


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def process(pid: int) -> Process | None:
    stat = _read_stat(pid)
    return None if stat is None else Process(pid, stat[2], _command(pid))


def descendants(pid: int) -> list[Process]:
    """Every process below ``pid`` (children, their children, ...), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _read_stat(int(entry.name))
            if stat is not None:
                parents.setdefault(stat[0], []).append(int(entry.name))
    found: list[Process] = []
    todo = list(parents.get(pid, []))
    while todo:
        child = todo.pop()
        info = process(child)
        if info is not None:
            found.append(info)
        todo.extend(parents.get(child, []))
    return found
