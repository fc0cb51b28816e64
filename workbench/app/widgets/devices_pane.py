"""The device list: every board the workbench can open now, each with a state badge.

Why it refreshes itself: boards get plugged in and out while the app runs, and the user
should not have to restart (or press anything) to see a new board. Discovery (listing serial
ports, looking for the unix port) touches the OS and can be slow, so it runs in a thread
worker every couple of seconds; the result is applied on the UI thread, and only when it
changed, so the list does not flicker or lose its cursor. The selected board and every open
(or marked) board stay listed even when discovery loses them (unplugged), so the user can see
what happened instead of the entry silently disappearing. ``m`` marks boards for a run on
several.

The pane never connects by itself: Enter on a row, or on a URL typed into the input, posts
:class:`DevicesPane.ConnectRequested` and the app decides what to do. Named devices (the
settings file's ``[devices]``) are rows showing their name; the input takes those names and
mpremote's shortcuts (``a0``, ``u0``, ``c0``) too, and asks for the URL they stand for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist
from textual.worker import Worker

from workbench.app.badges import badge_style
from workbench.discovery.devices import DeviceEntry, available_devices
from workbench.discovery.names import resolve_device
from workbench.discovery.urls import check_device_url
from workbench.manager.badges import BADGE_SYMBOLS, BUSY_PREFIX, badge_for_state

__all__ = ["DevicesPane"]

_GROUPS: tuple[tuple[str, str], ...] = (
    ("named", "Named devices"),
    ("serial", "Serial ports"),
    ("simulated", "Simulated boards"),
    ("local", "Local interpreter"),
    ("other", "Other URLs"),
)
_GROUP_ORDER = {group: index for index, (group, _title) in enumerate(_GROUPS)}
_NO_SERIAL_HINT = "no serial ports found: plug a board in"


@dataclass(frozen=True)
class _Row:
    """What one device row shows; equal rows need no redraw."""

    url: str
    group: str
    detail: str
    badge: str
    state: str | None
    marked: bool = False
    selected: bool = False
    name: str | None = None


def _badge_text(row: _Row) -> str:
    """The badge word; a board busy with a file action says with what ("running: uploading main.py")."""
    if row.badge == "running" and row.state and row.state.startswith(BUSY_PREFIX):
        return row.state
    return row.badge


def _detail(entry: DeviceEntry) -> str:
    """Second line of a row: board guess (or description) and VID:PID for serial ports; the
    URL for a named device (its name is on the first line)."""
    parts: list[str] = []
    if entry.kind == "named":
        parts.append(entry.url)
        if entry.board:
            parts.append(entry.board)
    elif entry.kind == "serial":
        parts.append(entry.board or entry.description or "serial port")
        vid_pid = entry.port.vid_pid() if entry.port is not None else ""
        if vid_pid:
            parts.append(vid_pid)
    else:
        parts.append(entry.description or entry.board or entry.kind)
    if entry.in_use:
        parts.append(f"in use by {entry.in_use}")
    return " · ".join(parts)


class DevicesPane(Vertical):
    """Devices to open: a grouped list with state badges, and an input for any URL."""

    DEFAULT_CSS = """
    DevicesPane {
        height: 1fr;
    }
    DevicesPane > #device-list {
        height: 1fr;
        border-title-color: $text;
    }
    DevicesPane > #device-url {
        height: auto;
    }
    """

    class ConnectRequested(Message):
        """The user picked ``url`` (Enter on a row or in the URL input): the app should connect.

        Handle it with ``on_devices_pane_connect_requested``.
        """

        def __init__(self, url: str, pane: DevicesPane | None = None) -> None:
            super().__init__()
            self.url = url
            self.pane = pane

        @property
        def control(self) -> DevicesPane | None:
            """The pane the request came from."""
            return self.pane

    class MarksChanged(Message):
        """The set of boards marked for "run on several" changed (``m`` on a row)."""

        def __init__(self, urls: list[str]) -> None:
            super().__init__()
            self.urls = urls

    class _Discovered(Message, bubble=False):
        """Discovery finished in the worker thread (entries) or failed (error)."""

        def __init__(self, entries: list[DeviceEntry] | None, error: str | None = None) -> None:
            super().__init__()
            self.entries = entries
            self.error = error

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "toggle_mark", "Mark (run on several)"),
    ]

    placeholder: ClassVar[str] = "Device URL: sim://esp32, socket://HOST:PORT, /dev/ttyUSB0 ..."

    def __init__(
        self,
        *,
        discover: Callable[[], list[DeviceEntry]] = available_devices,
        refresh_interval_s: float = 2.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        if not callable(discover):
            raise TypeError(f"discover must be a function returning a list of DeviceEntry, not {discover!r}")
        if isinstance(refresh_interval_s, bool) or not isinstance(refresh_interval_s, int | float):
            raise TypeError(f"refresh_interval_s must be a number of seconds, not {refresh_interval_s!r}")
        if not refresh_interval_s > 0:
            raise ValueError(f"refresh_interval_s must be more than 0 seconds, not {refresh_interval_s!r}")
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._discover_devices = discover
        self._refresh_interval_s = float(refresh_interval_s)
        self._entries: list[DeviceEntry] = []  # the latest discovery, in its order
        self._known: dict[str, DeviceEntry] = {}  # every entry ever discovered, by URL
        self._states: dict[str, str] = {}  # session state strings set by the app
        self._current: str | None = None  # the device the app is using: always listed
        self._marked: set[str] = set()  # boards marked for "run on several"
        self._rows: list[_Row] = []
        self._worker: Worker[None] | None = None
        self._timer: Timer | None = None
        self._last_problem: str | None = None

    # ------------------------------------------------------------------ composition

    def compose(self) -> ComposeResult:
        device_list = OptionList(id="device-list")
        device_list.border_title = "devices"
        yield device_list
        yield Input(placeholder=self.placeholder, id="device-url")

    def on_mount(self) -> None:
        self._render_rows()
        self.refresh_devices()
        self._timer = self.set_interval(self._refresh_interval_s, self._on_refresh_timer, name="device discovery")

    def _on_refresh_timer(self) -> None:
        """Timer tick: start discovery without waiting for it (the timer must stay punctual)."""
        self.refresh_devices()

    @property
    def option_list(self) -> OptionList:
        """The list of devices (for focusing it, or reading what is highlighted)."""
        return self.query_one("#device-list", OptionList)

    @property
    def url_input(self) -> Input:
        """The input for typed URLs."""
        return self.query_one("#device-url", Input)

    # ------------------------------------------------------------------ public API

    @property
    def urls(self) -> list[str]:
        """URLs of the listed devices, top to bottom."""
        return [row.url for row in self._rows]

    @property
    def current_url(self) -> str | None:
        """The device the app said it is using (set by :meth:`set_state` or :meth:`highlight`)."""
        return self._current

    @property
    def highlighted_url(self) -> str | None:
        """URL of the row under the cursor, or None."""
        option = self.option_list.highlighted_option
        if option is None or option.id is None or option.id not in self._row_by_url():
            return None
        return option.id

    def badge(self, url: str) -> str:
        """The badge ``url`` shows now (one of :data:`workbench.manager.badges.BADGES`)."""
        row = self._row_by_url().get(url)
        if row is not None:
            return row.badge
        return badge_for_state(self._states.get(url))

    def set_state(self, url: str, state: str) -> None:
        """Show ``state`` (a ``Session.state`` string or an error text) on ``url``'s row.

        A board with a state stays listed even if discovery no longer finds it (an unplugged
        board), and a URL that discovery never lists (``socket://``) is added under "Other
        URLs". Which board is selected is the app's to say, with :meth:`highlight`.
        """
        self._check_url_argument(url)
        if not isinstance(state, str):
            raise TypeError(f"state must be a string such as 'raw REPL, ready', not {state!r}")
        if self._states.get(url) == state:
            return  # the app reports every board's state 4 times a second: redraw on a change only
        self._states[url] = state
        self._render_rows()

    @property
    def marked_urls(self) -> list[str]:
        """Boards marked for "run on several", in list order."""
        return [row.url for row in self._rows if row.url in self._marked]

    def toggle_mark(self, url: str | None = None) -> None:
        """Mark or unmark ``url`` (default: the row under the cursor)."""
        url = url or self.highlighted_url
        if url is None:
            return
        self._marked ^= {url}
        self._render_rows()
        self.post_message(self.MarksChanged(self.marked_urls))

    def action_toggle_mark(self) -> None:
        self.toggle_mark()

    def forget_state(self, url: str) -> None:
        """``url`` is no longer open: back to a plain row (listed only if discovery finds it)."""
        self._states.pop(url, None)
        self._render_rows()

    def highlight(self, url: str) -> None:
        """Move the cursor to ``url`` (the connected device), adding the row if needed."""
        self._check_url_argument(url)
        self._current = url
        self._render_rows()
        index = self._option_index(url)
        if index is not None:
            self.option_list.highlighted = index

    def refresh_devices(self) -> Worker[None]:
        """Run discovery now in a thread worker; the result is applied on the UI thread.

        Returns the worker (the running one, if discovery is still in progress: a slow
        discovery must not pile up threads).
        """
        if self._worker is not None and not self._worker.is_finished:
            return self._worker
        self._worker = self.run_worker(
            self._discover_in_thread,
            name="device discovery",
            group="devices-pane-discovery",
            thread=True,
            exit_on_error=False,
        )
        return self._worker

    def apply_devices(self, entries: Sequence[DeviceEntry]) -> None:
        """Show ``entries`` (a discovery result); only changed rows are redrawn.

        A device that was listed before and is gone now disappears, unless it is the
        current device: that one stays, marked disconnected.
        """
        entries = list(entries)
        for entry in entries:
            if not isinstance(entry, DeviceEntry):
                raise TypeError(f"device discovery must return DeviceEntry objects, got {entry!r}")
        self._entries = entries
        for entry in entries:
            self._known[entry.url] = entry
        self._render_rows()

    # ------------------------------------------------------------------ discovery

    def _discover_in_thread(self) -> None:
        """Worker thread: call the (possibly slow) discovery and hand the result to the UI."""
        try:
            entries = list(self._discover_devices())
        except Exception as exc:  # noqa: BLE001 - any failure is reported, the timer retries
            message = self._Discovered(None, f"device discovery failed: {type(exc).__name__}: {exc}")
        else:
            message = self._Discovered(entries)
        try:
            self.post_message(message)
        except RuntimeError:  # the app's loop closed while we were discovering
            pass

    @on(_Discovered)
    def _on_discovered(self, message: _Discovered) -> None:
        message.stop()
        problem = message.error
        if message.entries is not None:
            try:
                self.apply_devices(message.entries)
            except TypeError as exc:
                problem = f"device discovery failed: {exc}"
        if problem is not None and problem != self._last_problem:
            # Once per distinct problem: the timer retries every few seconds.
            self.notify(problem, title="Devices", severity="error", markup=False)
        self._last_problem = problem

    # ------------------------------------------------------------------ rows

    def _compute_rows(self) -> list[_Row]:
        """Rows in display order: discovery grouped by kind, plus the current device."""
        rows: list[_Row] = []
        listed: set[str] = set()
        for entry in self._entries:
            if entry.url in listed:
                continue
            listed.add(entry.url)
            state = self._states.get(entry.url)
            group = entry.kind if entry.kind in _GROUP_ORDER else "other"
            rows.append(_Row(entry.url, group, _detail(entry), badge_for_state(state), state, name=entry.name))
        # The device in use and every open board stay listed, even when discovery lost them.
        pinned = [url for url, state in self._states.items() if badge_for_state(state) != "disconnected"]
        pinned += sorted(self._marked)
        if self._current is not None:
            pinned.insert(0, self._current)
        for url in dict.fromkeys(pinned):
            if url in listed:
                continue
            listed.add(url)
            known = self._known.get(url)
            if known is not None:  # was discovered, is gone now: unplugged
                group = known.kind if known.kind in _GROUP_ORDER else "other"
                rows.append(_Row(url, group, f"not found any more · {_detail(known)}", "disconnected", None))
            else:  # typed by the user, discovery never lists it
                state = self._states.get(url)
                rows.append(_Row(url, "other", "typed URL", badge_for_state(state), state))
        rows = [
            _Row(r.url, r.group, r.detail, r.badge, r.state, r.url in self._marked, r.url == self._current, r.name)
            for r in rows
        ]
        rows.sort(key=lambda row: _GROUP_ORDER[row.group])  # stable: keeps discovery order
        return rows

    def _row_by_url(self) -> dict[str, _Row]:
        return {row.url: row for row in self._rows}

    def _render_rows(self) -> None:
        """Bring the option list in line with the rows, touching as little as possible."""
        rows = self._compute_rows()
        if not self.is_mounted:
            self._rows = rows
            return
        option_list = self.option_list
        old_ids = [row.url for row in self._rows]
        if [row.url for row in rows] == old_ids and option_list.option_count:
            for old, new in zip(self._rows, rows, strict=True):
                if old != new:
                    option_list.replace_option_prompt(new.url, self._prompt(new))
            self._rows = rows
            return
        keep = self.highlighted_url
        self._rows = rows
        option_list.clear_options()
        option_list.add_options(self._options(rows))
        target = keep if keep in self._row_by_url() else self._current
        index = self._option_index(target) if target is not None else None
        if index is None:
            index = self._first_device_index()
        option_list.highlighted = index

    def _options(self, rows: list[_Row]) -> list[Option]:
        """Group headers (disabled, so the cursor skips them) and one option per device."""
        options: list[Option] = []
        for group, title in _GROUPS:
            members = [row for row in rows if row.group == group]
            if not members and group != "serial":
                continue
            header = Content.styled(title, "bold $text-secondary")
            options.append(Option(header, id=f"group:{group}", disabled=True))
            if not members:
                hint = Content.styled(f"  {_NO_SERIAL_HINT}", "$text-muted")
                options.append(Option(hint, id="hint:serial", disabled=True))
            options.extend(Option(self._prompt(row), id=row.url) for row in members)
        return options

    @staticmethod
    def _prompt(row: _Row) -> Content:
        """Two lines: badge symbol, URL (or name) and badge word; then the detail, muted."""
        style = badge_style(row.badge)
        return Content.assemble(
            ("☑ " if row.marked else "", "bold $text-accent"),
            (f"{BADGE_SYMBOLS[row.badge]} ", style),
            (row.name or row.url, "bold underline" if row.selected else "bold"),
            " ",
            (_badge_text(row), style),
            "\n",
            (f"  {row.detail}", "$text-muted"),
        )

    def _option_index(self, url: str) -> int | None:
        if url not in self._row_by_url():
            return None
        try:
            return self.option_list.get_option_index(url)
        except OptionDoesNotExist:
            return None

    def _first_device_index(self) -> int | None:
        return self._option_index(self._rows[0].url) if self._rows else None

    @staticmethod
    def _check_url_argument(url: object) -> None:
        if not isinstance(url, str) or not url.strip():
            raise ValueError(f"url must be a non-empty device URL, not {url!r}")

    # ------------------------------------------------------------------ connecting

    @on(OptionList.OptionSelected, "#device-list")
    def _on_device_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        url = event.option.id
        if url is not None and url in self._row_by_url():
            self.post_message(self.ConnectRequested(url, self))

    @on(Input.Submitted, "#device-url")
    def _on_url_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        names = {entry.name: entry.url for entry in self._entries if entry.name}
        url = resolve_device(event.value, names).url  # a name or shortcut: the URL it stands for
        problem = check_device_url(url)
        if problem is not None:
            self.notify(problem, title="Device URL", severity="error", markup=False)
            return
        self.post_message(self.ConnectRequested(url, self))
