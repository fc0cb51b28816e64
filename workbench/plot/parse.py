"""Numbers in a board's printed lines: what the plotter draws.

Boards print their sensor readings in many shapes; this module turns one printed line into
named values, or into nothing when the line is not data. It is pure (no Textual, no clock), so
every rule below is tested on its own in ``tests/unit/test_plot_parse.py``.

The rules, in order:

* A line that is MicroPython's own talk never plots: prompts (``>>>``, ``...``), traceback
  lines (``Traceback ...``, ``  File "<stdin>", line 3``, ``OSError: [Errno 2] ENOENT``) and the
  banner (``MicroPython v1.22.2 on 2024-02-22; ...``). Their numbers are line numbers, error
  codes and versions, not readings.
* The line is split into tokens at spaces, commas, semicolons, ``|``, quotes and brackets, so
  ``1 2.5 -3e2``, ``1,2,3``, ``(1.5, 20)``, ``[1, 2]`` and a printed dict
  (``{'t': 21.5, 'h': 40}``) all give their numbers.
* A token is a number only when all of it is one: ``21.5``, ``-3e2``, ``.5``, and a number with
  a unit glued on (``21.5C``, ``40%``, ``3.3V``, ``100ms``, ``12km/h``). Digits inside a word are
  not numbers: identifiers (``esp32``, ``ESP32-S3``, ``3V3``, ``0x1F``), versions (``v1.22``,
  ``1.22.2``), dates (``2024-02-22``), times (``12:34:56``) and addresses (``192.168.1.1``).
  ``nan`` and ``inf`` are not plotted (a gap, not a spike that flattens the y axis).
* ``name=value`` and ``name: value`` (also ``name = value``, ``name:value``) name a series
  after the key: ``t=21.5 h=40`` and ``temp: 21.5, hum: 40`` give series ``t``/``h`` and
  ``temp``/``hum``. A key whose value is not a number (``rst:0x1``, ``t=nan``) gives nothing.
* If a line has at least one named value, its bare numbers are ignored (``t=21.5 after 3 tries``
  plots ``t`` only): a line shaped as pairs says what it measures, and its loose numbers are
  most likely counts or units that would make a new series on every such line.
* Otherwise the bare numbers are series by position, named ``"1"``, ``"2"``, ...; a line with
  text and numbers plots its numbers (``Temp 21.5 C`` gives ``"1"`` = 21.5).
* At most :data:`MAX_VALUES` values per line (a printed list of 500 readings is not 500 series).

:class:`LineSplitter` cuts output that arrives in arbitrary pieces into whole lines, keeping the
partial last line until its newline comes.
"""

from __future__ import annotations

import re

__all__ = ["MAX_PARTIAL_CHARS", "MAX_VALUES", "LineSplitter", "parse_line"]

MAX_VALUES = 10
"""Values taken from one line; the rest of a long line is ignored."""

MAX_PARTIAL_CHARS = 4096
"""A partial line longer than this is no reading: it is dropped rather than kept growing."""

_SPLIT = re.compile(r"[\s,;|()\[\]{}\"']+")
# A whole number token: sign, digits with an optional fraction, optional exponent, optional unit
# of letters (after an optional degree or micro sign), percent, or letters/letters (km/h).
_NUMBER = re.compile(
    r"(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"(?:%|[°µ]?[A-Za-z]+(?:/[A-Za-z]+)?|°)?"
)
_KEY = re.compile(r"[A-Za-z_][\w.\-]*")
# ``key=value`` / ``key:value`` in one token, the value possibly empty (it is the next token).
_PAIR = re.compile(r"(?P<key>[A-Za-z_][\w.\-]*)\s*[=:](?P<value>.*)")
_DIGIT = re.compile(r"\d")
_NOT_DATA = re.compile(
    r"""^\s*(?:
        >>>|\.\.\.                                  # REPL prompts
      | Traceback\ \(most\ recent\ call\ last\)
      | File\ "                                      # a traceback frame
      | [A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Iteration|Warning)(?::|$)
      | MicroPython\ v?\d                            # the banner
      | Type\ "help\(\)"
    )""",
    re.VERBOSE,
)


def _number(token: str) -> float | None:
    """The value of ``token`` when the whole token is a number (with an optional unit)."""
    match = _NUMBER.fullmatch(token)
    if match is None:
        return None
    return float(match.group("num"))


def parse_line(line: str) -> dict[str, float] | None:
    """The values one printed line carries, by series name, or None when it plots nothing.

    See the module docstring for the rules. The order of the dict is the order in the line.
    """
    if _DIGIT.search(line) is None or _NOT_DATA.match(line):
        return None
    named: dict[str, float] = {}
    bare: list[float] = []
    pending_key: str | None = None  # a key whose value is the next token (``temp: 21.5``)
    previous: str | None = None  # the previous token, a key if the next one is a lone = or :
    for token in _SPLIT.split(line):
        if not token:
            continue
        if pending_key is not None:
            value = _number(token)
            if value is not None:
                named[pending_key] = value
                pending_key = previous = None
                continue
            pending_key = None
        if token in ("=", ":"):
            if previous is not None and _KEY.fullmatch(previous):
                pending_key = previous
            previous = None
            continue
        if token[0] in "=:" and previous is not None and _KEY.fullmatch(previous):  # ``t =21.5``
            value = _number(token[1:])
            if value is not None:
                named[previous] = value
            previous = None
            continue
        value = _number(token)
        if value is not None:
            bare.append(value)
            previous = None
            continue
        pair = _PAIR.fullmatch(token)
        if pair is not None:
            key, rest = pair.group("key"), pair.group("value")
            if not rest:
                pending_key = key
            else:
                value = _number(rest)
                if value is not None:
                    named[key] = value
            previous = None
            continue
        previous = token
    values = named if named else {str(i): v for i, v in enumerate(bare, start=1)}
    # nan/inf never match _NUMBER, but a huge literal overflows to inf: keep only finite values.
    finite = {k: v for k, v in values.items() if v - v == 0}
    if not finite:
        return None
    if len(finite) > MAX_VALUES:
        finite = dict(list(finite.items())[:MAX_VALUES])
    return finite


class LineSplitter:
    """Whole lines out of output that arrives in pieces (``\\n`` or ``\\r\\n`` end a line).

    A bare ``\\r`` (a progress line redrawn in place) keeps only what follows it, as a terminal
    shows. The partial last line waits for its newline; one longer than
    :data:`MAX_PARTIAL_CHARS` is dropped (and so is the rest of that line).
    """

    def __init__(self) -> None:
        self._partial = ""
        self._overlong = False

    def feed(self, text: str) -> list[str]:
        """The lines that ``text`` completes, without their line ends."""
        if "\n" not in text:
            self._keep(text)
            return []
        pieces = text.split("\n")
        first = self._partial + pieces[0]
        lines = [] if self._overlong else [first]
        lines.extend(pieces[1:-1])
        self._partial = ""
        self._overlong = False
        self._keep(pieces[-1])
        return [_visible(line) for line in lines]

    def _keep(self, text: str) -> None:
        if self._overlong:
            return
        self._partial += text
        if len(self._partial) > MAX_PARTIAL_CHARS:
            self._partial = ""
            self._overlong = True

    @property
    def partial(self) -> str:
        """The line still waiting for its newline."""
        return self._partial


def _visible(line: str) -> str:
    """What a terminal shows of ``line``: a trailing CR is a line end, a bare CR starts over."""
    line = line.removesuffix("\r")
    if "\r" in line:
        line = line.rsplit("\r", 1)[-1]
    return line
