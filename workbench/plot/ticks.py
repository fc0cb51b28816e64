"""Axis ticks a person reads at a glance: round steps, integers without ".0".

Why our own: plotext labels its axes at evenly spaced fractions of the data's range, as floats
("301.0", "75.8", "0.30000000000000004" in the worst case). A board that prints counts or
ADC readings prints integers, and the x axis counts readings; both should read as integers.
Here the ticks are multiples of a round step (1, 2 or 5 times a power of ten) inside the
data's range, and each label has just the decimals its step needs.

Pure (no plotext, no Textual): the pane hands the result to plotext's ``xticks``/``yticks``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Ticks", "axis_ticks", "format_tick", "is_integral"]

_MANTISSAS = (1, 2, 5, 10)
#: Beyond these magnitudes fixed decimals make long labels: a short general format instead.
_LARGE = 1e7
_SMALL_STEP = 1e-6


@dataclass(frozen=True, slots=True)
class Ticks:
    """Where to put the ticks of one axis and what to write there."""

    values: tuple[float, ...]
    labels: tuple[str, ...]


def is_integral(values: Iterable[float]) -> bool:
    """Whether every value is a whole number (the axis then never shows a fraction)."""
    return all(float(v).is_integer() for v in values)


def _step(span: float, count: int, integer: bool) -> float:
    """The round step that puts about ``count`` intervals across ``span`` (at least 1 for an
    axis of integers)."""
    raw = span / max(count, 1)
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in _MANTISSAS if m * power >= raw * (1 - 1e-9))
    return max(step, 1.0) if integer else step


def _decimals(step: float) -> int:
    """Decimals a label needs so that neighbouring ticks read differently (0.05 -> 2)."""
    return max(0, -math.floor(math.log10(step) + 1e-9))


def format_tick(value: float, decimals: int) -> str:
    """One label: fixed decimals (none for integers), a short general form for huge or tiny
    values; never "-0"."""
    if abs(value) >= _LARGE or (decimals > 0 and 10.0**-decimals < _SMALL_STEP):
        text = f"{value:.4g}"
    else:
        text = f"{value:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text  # a rounded -0.001 is "0.00", not "-0.00"


def axis_ticks(low: float, high: float, count: int, *, integer: bool) -> Ticks:
    """About ``count`` ticks at round multiples inside ``[low, high]`` (the data's range).

    ``integer``: the values on this axis are whole numbers, so the step is at least 1 and no
    label has decimals. A range of one value gets that value as its one tick.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return Ticks((), ())
    low, high = min(low, high), max(low, high)
    if high == low:
        return Ticks((low,), (format_tick(low, 0 if integer else _decimals(abs(low) / 100 or 1.0)),))
    step = _step(high - low, count, integer)
    decimals = 0 if integer else _decimals(step)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    values = tuple(round(k * step, decimals + 2) for k in range(first, last + 1))
    return Ticks(values, tuple(format_tick(v, decimals) for v in values))
