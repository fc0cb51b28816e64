"""The Python text area of the editor: the editing keys of Thonny, Mu and VS Code.

Ctrl+A selects everything, Enter keeps the indentation (one level more after a line ending in
``:``), Tab and Shift+Tab indent and dedent by four spaces, the selected lines when several
are selected. Ctrl+W asks the editor pane around it to close the document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

INDENT = "    "
"""One indentation level: four spaces, as PEP 8 and every MicroPython editor use."""


class PythonTextArea(TextArea):
    """A TextArea with the indentation keys of a Python editor.

    Each of these keys is one edit, so one Ctrl+Z undoes it. The app's priority bindings
    (F-keys, Ctrl+E/L/G/N/B/O/S/T/R/F) are left alone; Escape still leaves the editor.
    Ctrl+W asks the editor pane to close the document, as in a browser or VS Code.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # TextArea binds Ctrl+A to "line start" (Emacs); Home still does that.
        Binding("ctrl+a", "select_all", "Select all", show=False),
        # Over the screen's Shift+Tab (focus previous) while the editor has the keyboard.
        Binding("shift+tab", "dedent", "Dedent", show=False),
        # TextArea binds Ctrl+W to "delete word left" (Emacs); Ctrl+Backspace still does that.
        Binding("ctrl+w", "close_document", "Close tab", show=False),
    ]

    class CloseRequested(Message):
        """Ctrl+W: the pane closes the document (asking first when it is unsaved)."""

    def action_close_document(self) -> None:
        self.post_message(self.CloseRequested())

    async def _on_key(self, event: events.Key) -> None:
        """Enter and Tab indent; every other key goes on to TextArea's own handler."""
        if self.read_only or event.key not in ("enter", "tab"):
            return
        event.stop()
        event.prevent_default()  # TextArea's handler would insert a bare newline or tab
        self._restart_blink()  # as TextArea does for every key: the cursor shows while typing
        if event.key == "enter":
            self.newline_and_indent()
        else:
            self.indent()

    def newline_and_indent(self) -> None:
        """Start a new line indented like the cursor's line, one level more after a ``:``.

        A line that holds nothing but that indentation is left empty, not full of spaces.
        """
        start, end = sorted(self.selection)
        row, column = start
        before = self.document[row][:column]
        indent = before[: len(before) - len(before.lstrip(" \t"))]
        if _code_part(before).rstrip().endswith(":"):
            indent += INDENT
        if indent and indent == before and not self.document[end[0]][end[1] :].strip():
            start = (row, 0)
        self.replace("\n" + indent, start, end, maintain_selection_offset=False)

    def indent(self) -> None:
        """Tab: spaces to the next multiple of four, or indent every selected line."""
        start, end = sorted(self.selection)
        if start[0] == end[0]:
            width = self.get_column_width(*start)
            self.replace(
                " " * (len(INDENT) - width % len(INDENT)), start, end, maintain_selection_offset=False
            )
            return
        self._reindent(lambda line: INDENT + line if line.strip() else line)

    def action_dedent(self) -> None:
        """Shift+Tab: remove up to four leading spaces (or one tab) from the selected lines."""
        self._reindent(_dedent_line)

    def _reindent(self, change: Callable[[str], str]) -> None:
        """Apply ``change`` to each selected line (the cursor's line without a selection) in
        one edit, and keep the same text selected."""
        if self.read_only:
            return
        selection = self.selection
        first, last = sorted((selection.start[0], selection.end[0]))
        if last > first and max(selection.start, selection.end)[1] == 0:
            last -= 1  # a selection ending at a line's start does not include that line
        old = [self.document[row] for row in range(first, last + 1)]
        new = [change(line) for line in old]
        if new == old:
            return
        self.replace("\n".join(new), (first, 0), (last, len(old[-1])), maintain_selection_offset=False)

        def moved(location: tuple[int, int]) -> tuple[int, int]:
            row, column = location
            if not first <= row <= last:
                return location
            shift = len(new[row - first]) - len(old[row - first])
            return row, max(column + shift, 0) if column else 0

        self.selection = Selection(moved(selection.start), moved(selection.end))


def _code_part(line: str) -> str:
    """``line`` without its ``#`` comment (a ``#`` inside a string literal is not one)."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif quote:
            if char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def _dedent_line(line: str) -> str:
    if line.startswith("\t"):
        return line[1:]
    return line[min(len(line) - len(line.lstrip(" ")), len(INDENT)) :]
