"""One status line: which device, what it is doing, and how busy the wire is.

Why these items: when a run seems stuck the first questions are "am I on the right board?",
"what state does the workbench think it is in?" and "are bytes still moving?". The raw-paste
window credit shows flow control at work (a paste that stalls at credit 0 is the device not
reading), and the trace drop count says the byte trace is incomplete. Everything fits one line
of an 80-column terminal: the URL is shortened in the middle (its start names the transport,
its end the port or board) and a long state is cut at the end.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from textual import events
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from workbench.app.badges import badge_style
from workbench.manager.badges import badge_for_state
from workbench.units import format_rate

__all__ = ["RATE_WINDOW_S", "StatusBar", "elide_end", "elide_middle", "format_rate"]

#: Bytes/s are averaged over this sliding window.
RATE_WINDOW_S = 1.0
_SEPARATOR = " │ "
_TIGHT_SEPARATOR = "│"
_MIN_URL = 12
_MIN_STATE = 8




def elide_middle(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters by replacing its middle with ``…``."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = (width - 1) // 2 + (width - 1) % 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def elide_end(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in ``…`` when cut."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    return text[: width - 1] + "…"


class StatusBar(Static):
    """Device URL, protocol state, a file transfer's progress, profile, raw-paste credit,
    traffic both ways, trace drops.

    Traffic is reported by the app as it happens (:meth:`add_traffic`); the rates shown are
    the bytes of the last second. A timer recomputes them so they fall to zero when the wire
    goes quiet. ``clock`` must be the clock the ``now`` values come from (monotonic by
    default); tests pass a fake one.
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        tick_interval_s: float = 0.5,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        if not callable(clock):
            raise TypeError(f"clock must be a function returning seconds, not {clock!r}")
        if isinstance(tick_interval_s, bool) or not isinstance(tick_interval_s, int | float) or tick_interval_s <= 0:
            raise ValueError(f"tick_interval_s must be a positive number of seconds, not {tick_interval_s!r}")
        super().__init__("", name=name, id=id, classes=classes)
        self._clock = clock
        self._tick_interval_s = float(tick_interval_s)
        self._url: str | None = None
        self._state: str | None = None
        self._credit: int | None = None
        self._downgrade: str | None = None
        self._profile: str | None = None
        self._mode: str | None = None
        self._transfer: str | None = None
        self._drops = 0
        self._traffic: deque[tuple[float, int, int]] = deque()  # (time, tx bytes, rx bytes)
        self._tx_rate = 0.0
        self._rx_rate = 0.0
        self._timer: Timer | None = None
        #: What the line shows now (text and styles): the app sets the state 4 times a second,
        #: and each ``update`` is a layout refresh that repaints the screen (in a browser tab of
        #: ``workbench serve``, bytes on the network): only a change is drawn.
        self._shown: tuple[str, tuple[object, ...]] | None = None

    def on_mount(self) -> None:
        self._timer = self.set_interval(self._tick_interval_s, self._tick, name="status bar rates")
        self._update_line()

    def on_resize(self, event: events.Resize) -> None:
        self._update_line()

    # ------------------------------------------------------------------ public API

    def set_device(self, url: str | None) -> None:
        """Show ``url`` as the device (None: no device). Resets the traffic figures."""
        if url is not None and (not isinstance(url, str) or not url.strip()):
            raise ValueError(f"url must be a non-empty device URL or None, not {url!r}")
        self._url = url
        self._traffic.clear()
        self._tx_rate = self._rx_rate = 0.0
        self._update_line()

    def set_state(self, state: str | None) -> None:
        """Show the session's state (``Session.state``) or an error text, coloured by badge."""
        if state is not None and not isinstance(state, str):
            raise TypeError(f"state must be a string such as 'raw REPL, ready', not {state!r}")
        self._state = state
        self._update_line()

    def set_mode(self, mode: str | None) -> None:
        """Show a mode the user switched on ("step mode"); None hides it."""
        self._mode = mode
        self._update_line()

    def set_transfer(self, text: str | None) -> None:
        """Show a file transfer's progress (``↑ main.py 34% 12.3 KB/s``); None hides it."""
        if text != self._transfer:
            self._transfer = text
            self._update_line()

    @property
    def transfer(self) -> str | None:
        """The transfer progress shown now (None: no transfer)."""
        return self._transfer

    def set_profile(self, name: str | None) -> None:
        """Show the name of the protocol profile in force (None hides it)."""
        self._profile = name
        self._update_line()

    def set_downgrade(self, text: str | None) -> None:
        """Say that the board runs without something the profile asked for (raw-paste turned
        off for this connection); None hides it."""
        if text != self._downgrade:
            self._downgrade = text
            self._update_line()

    def set_credit(self, credit: int | None) -> None:
        """Show the raw-paste window credit while a paste is in flight; None hides it."""
        if credit is not None and (isinstance(credit, bool) or not isinstance(credit, int) or credit < 0):
            raise ValueError(f"credit must be a byte count (0 or more) or None, not {credit!r}")
        self._credit = credit
        self._update_line()

    def set_trace_drops(self, count: int) -> None:
        """Show how many trace records were dropped (shown only when more than 0)."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count must be 0 or more, not {count!r}")
        self._drops = count
        self._update_line()

    def add_traffic(self, tx_bytes: int, rx_bytes: int, now: float) -> None:
        """Count bytes sent (tx) and received (rx) at time ``now`` (seconds, on ``clock``)."""
        for label, value in (("tx_bytes", tx_bytes), ("rx_bytes", rx_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{label} must be a byte count (0 or more), not {value!r}")
        if tx_bytes or rx_bytes:
            self._traffic.append((now, tx_bytes, rx_bytes))
        self._recompute(now)

    def refresh_rates(self, now: float | None = None) -> None:
        """Recompute the rates at ``now`` (default: ``clock()``), dropping old traffic."""
        self._recompute(self._clock() if now is None else now)

    @property
    def rates(self) -> tuple[float, float]:
        """(sent, received) bytes per second over the last :data:`RATE_WINDOW_S`."""
        return self._tx_rate, self._rx_rate

    @property
    def summary(self) -> str:
        """The line as plain text at the current width (what the user reads)."""
        return self._line(self._available_width()).plain

    # ------------------------------------------------------------------ internals

    def _tick(self) -> None:
        if self._traffic or self._tx_rate or self._rx_rate:
            self.refresh_rates()

    def _recompute(self, now: float) -> None:
        horizon = now - RATE_WINDOW_S
        while self._traffic and self._traffic[0][0] <= horizon:
            self._traffic.popleft()
        tx = sum(item[1] for item in self._traffic if item[0] <= now)
        rx = sum(item[2] for item in self._traffic if item[0] <= now)
        rates = (tx / RATE_WINDOW_S, rx / RATE_WINDOW_S)
        if rates != (self._tx_rate, self._rx_rate):
            self._tx_rate, self._rx_rate = rates
            self._update_line()

    def _available_width(self) -> int:
        """Columns for text; before the first layout there is no width yet, so no limit."""
        width = self.content_region.width if self.is_mounted else 0
        return width if width > 0 else 10_000

    def _update_line(self) -> None:
        if self.is_mounted:
            line = self._line(self._available_width())
            key = (line.plain, tuple(line.spans))
            if key != self._shown:
                self._shown = key
                self.update(line)

    def _line(self, width: int) -> Content:
        """The line for ``width`` columns; when it is tight, thinner separators buy the URL room."""
        content, cut = self._build_line(width, _SEPARATOR)
        if cut:
            content, _cut = self._build_line(width, _TIGHT_SEPARATOR)
        return content

    def _build_line(self, width: int, separator: str) -> tuple[Content, bool]:
        """Fixed items (credit, rates, drops) in full; URL and state share what is left.

        Returns the line and whether the URL or the state had to be shortened.
        """
        tail: list[tuple[str, str]] = []
        if self._mode:
            tail.append((self._mode, "bold $text-accent"))
        if self._transfer:
            tail.append((self._transfer, "bold $text-accent"))
        if self._profile:
            tail.append((f"profile {self._profile}", "$text-muted"))
        if self._downgrade:
            tail.append((self._downgrade, "bold $text-warning"))
        if self._credit is not None:
            tail.append((f"credit {self._credit}", "$text-accent"))
        if self._url is not None:
            rates = f"↑ {format_rate(self._tx_rate)} ↓ {format_rate(self._rx_rate)}"
            tail.append((rates, "$text-muted"))
        if self._drops > 0:
            tail.append((f"trace drops {self._drops}", "bold $text-warning"))

        url = self._url if self._url is not None else "no device"
        state = self._state or ""
        separators = len(tail) + (1 if state else 0)
        room = width - sum(len(text) for text, _style in tail) - len(separator) * separators
        cut = len(url) + len(state) > room
        if cut:
            # The URL keeps at least half the room (both its ends identify the device),
            # the state gets the rest and is cut at the end.
            url_room = max(_MIN_URL, min(len(url), room // 2), room - len(state))
            state = elide_end(state, max(_MIN_STATE, room - url_room)) if state else ""
            url = elide_middle(url, max(_MIN_URL, room - len(state)))

        parts: list[tuple[str, str]] = [(url, "bold $text" if self._url is not None else "$text-muted")]
        if state:
            parts.append((state, badge_style(badge_for_state(self._state))))
        parts.extend(tail)
        pieces: list[tuple[str, str] | str] = []
        for index, part in enumerate(parts):
            if index:
                pieces.append((separator, "$text-muted"))
            pieces.append(part)
        return Content.assemble(*pieces), cut
