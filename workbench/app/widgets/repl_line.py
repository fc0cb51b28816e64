"""A one-line REPL prompt that behaves like MicroPython's friendly REPL over the raw REPL.

Why translation is needed: the workbench runs code through the raw REPL, which executes a
block and prints only what the code prints. The friendly REPL also echoes the value of an
expression (``>>> 1 + 1`` shows ``2``). So an expression is wrapped in code that prints its
``repr`` unless it is None; statements go as typed. The result is kept in a name of our own
(``__wb_r``, deleted afterwards) rather than ``_``, so it never clobbers a user variable.

Lines that do not parse are sent unchanged: the device's compiler reports the error in its
own words, exactly as the friendly REPL would, and MicroPython accepts a few things CPython's
parser does not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

__all__ = ["MAX_HISTORY", "RESULT_NAME", "ReplLine", "translate"]

#: Entries kept in the history; older ones are dropped first.
MAX_HISTORY = 500
#: Where the value of an expression is kept while it is printed (deleted right after).
RESULT_NAME = "__wb_r"


def translate(source: str) -> str:
    """The code to run on the device for one typed line.

    An expression becomes three lines: the expression stays on line 1, so a traceback's line
    number matches what the friendly REPL would say::

        __wb_r = (<expression>)
        if __wb_r is not None: print(repr(__wb_r))
        del __wb_r

    Only the expression itself is taken from the line (via ``ast``), so a trailing
    ``# comment`` cannot swallow the closing parenthesis. Anything else, including lines
    with syntax errors, is returned unchanged.
    """
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError):  # ValueError: null bytes in the source
        return source
    expression = ast.get_source_segment(source.strip(), tree.body, padded=False)
    if expression is None:  # pragma: no cover - ast always records positions for parsed source
        return source
    return (
        f"{RESULT_NAME} = ({expression})\n"
        f"if {RESULT_NAME} is not None: print(repr({RESULT_NAME}))\n"
        f"del {RESULT_NAME}"
    )


class ReplLine(Input):
    """Type a line of Python; Enter asks the app to run it on the device.

    Up/Down walk the history (newest last, like a shell). Recalling a line and editing it
    does not change the history entry: the edited line is added as a new entry when
    submitted. Whatever was typed before walking the history comes back after the newest
    entry.
    """

    DEFAULT_CSS = """
    ReplLine {
        width: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history_previous", "Previous line", show=False),
        Binding("down", "history_next", "Next line", show=False),
    ]

    class Submitted(Message):
        """A line to run: ``source`` as typed, ``code`` as it should be sent to the device.

        Handle it with ``on_repl_line_submitted``. It replaces :class:`Input.Submitted`
        for this widget, so a handler for plain inputs does not see REPL lines.
        """

        def __init__(self, source: str, code: str, repl_line: ReplLine | None = None) -> None:
            super().__init__()
            self.source = source
            self.code = code
            self.repl_line = repl_line

        @property
        def control(self) -> ReplLine | None:
            """The widget the line came from (for ``@on(..., "#selector")``)."""
            return self.repl_line

    def __init__(
        self,
        *,
        placeholder: str = ">>> Python to run on the device (Up/Down: history)",
        history: Iterable[str] = (),
        max_history: int = MAX_HISTORY,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        if isinstance(max_history, bool) or not isinstance(max_history, int) or max_history < 1:
            raise ValueError(f"max_history must be a positive whole number, not {max_history!r}")
        super().__init__(placeholder=placeholder, name=name, id=id, classes=classes, disabled=disabled)
        self._max_history = max_history
        self._history: list[str] = []
        for line in history:
            self._remember(line)
        self._position: int | None = None  # index into history while walking it, else None
        self._draft = ""  # what was typed before walking the history

    @property
    def history(self) -> list[str]:
        """A copy of the lines entered, oldest first (changing it does not change the widget)."""
        return list(self._history)

    def _remember(self, line: str) -> None:
        """Append ``line`` unless it repeats the newest entry; keep at most ``max_history``."""
        if not line.strip() or (self._history and self._history[-1] == line):
            return
        self._history.append(line)
        if len(self._history) > self._max_history:
            del self._history[: len(self._history) - self._max_history]

    def _show(self, text: str) -> None:
        """Put ``text`` in the input with the cursor at its end, as shells do."""
        self.value = text
        self.cursor_position = len(text)

    def action_history_previous(self) -> None:
        """Up: an older line (stays on the oldest)."""
        if not self._history:
            return
        if self._position is None:
            self._draft = self.value
            self._position = len(self._history) - 1
        elif self._position > 0:
            self._position -= 1
        else:
            return
        self._show(self._history[self._position])

    def action_history_next(self) -> None:
        """Down: a newer line; past the newest, back to what was being typed."""
        if self._position is None:
            return
        if self._position < len(self._history) - 1:
            self._position += 1
            self._show(self._history[self._position])
        else:
            self._position = None
            self._show(self._draft)

    async def action_submit(self) -> None:
        """Enter: post :class:`ReplLine.Submitted`, remember the line, clear the input.

        An empty (or blank) line posts nothing: there is nothing to run.
        """
        source = self.value
        if not source.strip():
            self.value = ""
            return
        self._remember(source)
        self._position = None
        self._draft = ""
        self.value = ""
        self.post_message(self.Submitted(source, translate(source), self))
