"""One board's plotted values: a rolling window of samples, pause, clear and CSV export.

A *sample* is one printed line that carried numbers (see :mod:`workbench.plot.parse`); its x is
its number since the last clear (1, 2, 3, ...), so the x axis counts readings and a board that
prints faster simply fills the window sooner. The store keeps the last :attr:`SeriesStore.window`
samples in a ``deque`` with ``maxlen``: adding a sample is one append, however long the run, and
the samples pushed out of the window are counted (:attr:`SeriesStore.dropped`) so the pane can
say how many are no longer shown.

Pause freezes the *view*, not the collection (as Mu's plotter does): while paused, samples keep
arriving into the window, and :meth:`SeriesStore.view` returns the copy taken at the pause, so
what is on screen holds still to be read or exported. Resume shows the live window again.

A window in seconds may narrow it further (:attr:`SeriesStore.seconds`, "the last 30 s"): the
caller passes each sample's arrival time (the pane's clock), and the view keeps the samples that
arrived less than that many seconds before the newest one, still at most :attr:`SeriesStore.window`.

It is pure (no Textual, no clock): the pane owns the timer that redraws and the clock.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from dataclasses import dataclass, field

__all__ = ["DEFAULT_WINDOW", "MAX_SERIES", "MAX_WINDOW", "MIN_WINDOW", "SeriesStore", "View"]

DEFAULT_WINDOW = 500
MIN_WINDOW = 10
MAX_WINDOW = 100_000
MAX_SERIES = 10
"""Series one board may have; values under further new names are ignored (a legend of 50 names
helps nobody, and each series costs drawing time)."""

Sample = tuple[int, dict[str, float]]


@dataclass(frozen=True)
class View:
    """What to draw or export: the samples in the window and the series names, in first-seen order."""

    samples: tuple[Sample, ...]
    names: tuple[str, ...]
    total: int = 0
    """Samples received since the last clear (shown ones and dropped ones)."""

    def series(self, name: str) -> tuple[list[int], list[float]]:
        """The x and y values of one series (samples without it are skipped: a gap)."""
        xs: list[int] = []
        ys: list[float] = []
        for x, values in self.samples:
            y = values.get(name)
            if y is not None:
                xs.append(x)
                ys.append(y)
        return xs, ys

    def to_csv(self) -> str:
        """The view as CSV: a header ``x`` then the series names, one row per sample, an empty
        cell where a sample lacks a series."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["x", *self.names])
        for x, values in self.samples:
            writer.writerow([x, *(_cell(values.get(name)) for name in self.names)])
        return out.getvalue()


def _cell(value: float | None) -> str:
    """A CSV cell: empty for a missing value, ``repr`` otherwise (round-trips through ``float``)."""
    return "" if value is None else repr(value)


@dataclass
class SeriesStore:
    """One board's samples; see the module docstring."""

    window: int = DEFAULT_WINDOW
    seconds: float | None = None
    """Show only the samples that arrived within this many seconds of the newest (None: all in
    the window)."""
    _samples: deque[Sample] = field(init=False)
    _times: deque[float] = field(init=False)
    _names: dict[str, None] = field(init=False, default_factory=dict)
    _total: int = field(init=False, default=0)
    _frozen: View | None = field(init=False, default=None)
    ignored_series: int = field(init=False, default=0)
    """Values dropped because the board already had :data:`MAX_SERIES` series."""

    def __post_init__(self) -> None:
        self.window = _clamp(self.window)
        self._samples = deque(maxlen=self.window)
        self._times = deque(maxlen=self.window)

    def add(self, values: dict[str, float], now: float = 0.0) -> None:
        """Append one sample (one parsed line) that arrived at ``now`` (seconds, any clock);
        the oldest leaves the window when it is full."""
        names = self._names
        for name in values:
            if name not in names:
                if len(names) >= MAX_SERIES:
                    values = {k: v for k, v in values.items() if k in names}
                    self.ignored_series += 1
                    break
                names[name] = None
        if not values:
            return
        self._total += 1
        self._samples.append((self._total, values))
        self._times.append(now)

    @property
    def total(self) -> int:
        """Samples received since the last clear."""
        return self._total

    @property
    def kept(self) -> int:
        """Samples in the live window."""
        return len(self._samples)

    @property
    def dropped(self) -> int:
        """Samples received since the last clear that the live window no longer holds."""
        return self._total - len(self._samples)

    @property
    def paused(self) -> bool:
        return self._frozen is not None

    def pause(self) -> None:
        """Freeze the view at what is in the window now; collecting goes on."""
        if self._frozen is None:
            self._frozen = self._live_view()

    def resume(self) -> None:
        """Show the live window again."""
        self._frozen = None

    def toggle_pause(self) -> bool:
        """Pause or resume; returns whether it is now paused."""
        if self.paused:
            self.resume()
        else:
            self.pause()
        return self.paused

    def clear(self) -> None:
        """Forget every sample and series name (a paused view is emptied too, and stays paused)."""
        self._samples.clear()
        self._times.clear()
        self._names.clear()
        self._total = 0
        self.ignored_series = 0
        if self._frozen is not None:
            self._frozen = View((), (), 0)

    def set_window(self, window: int) -> int:
        """Keep the last ``window`` samples from now on (clamped); returns the window set.

        Shrinking drops the oldest samples at once; growing keeps what is there and fills up.
        """
        window = _clamp(window)
        if window != self.window:
            self.window = window
            self._samples = deque(self._samples, maxlen=window)
            self._times = deque(self._times, maxlen=window)
        return window

    def set_seconds(self, seconds: float | None) -> None:
        """Show only the last ``seconds`` of samples (None: the whole window)."""
        self.seconds = None if seconds is None or seconds <= 0 else float(seconds)

    def view(self) -> View:
        """What to draw: the frozen view while paused, the live window otherwise."""
        return self._frozen if self._frozen is not None else self._live_view()

    def _live_view(self) -> View:
        samples = tuple(self._samples)
        if self.seconds is not None and samples:
            times = self._times
            cutoff = times[-1] - self.seconds
            first = len(times)
            while first > 0 and times[first - 1] > cutoff:
                first -= 1
            samples = samples[first:]
        present: dict[str, None] = {}
        for _, values in samples:
            present.update(dict.fromkeys(values))
        names = tuple(name for name in self._names if name in present)
        return View(samples, names, self._total)


def _clamp(window: int) -> int:
    return max(MIN_WINDOW, min(MAX_WINDOW, int(window)))
