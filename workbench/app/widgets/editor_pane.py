"""The code editor: a Python TextArea that knows its file and never loses typed text.

It edits the way Thonny, Mu and VS Code do: Ctrl+A selects everything, Enter keeps the
indentation (one level more after a line ending in ``:``), Tab and Shift+Tab indent and
dedent by four spaces, the selected lines when several are selected. Saving is atomic (a crash mid-save leaves the old file, not half of the new one), unreadable
files are refused with a notification instead of a traceback, and while the buffer differs
from disk a debounced copy goes to the :class:`RecoveryStore` so a crash costs at most about
a second of typing.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.markup import escape
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

from workbench.app.recovery import RecoveryStore
from workbench.storage import atomic_write_text

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Larger files are refused: they are not MicroPython scripts and would make typing sluggish."""

MODIFIED_MARK = "●"
UNTITLED = "untitled"
INDENT = "    "
"""One indentation level: four spaces, as PEP 8 and every MicroPython editor use."""


class PythonTextArea(TextArea):
    """A TextArea with the indentation keys of a Python editor.

    Each of these keys is one edit, so one Ctrl+Z undoes it. The app's priority bindings
    (F-keys, Ctrl+E/L/G/N/B/O/S/T/R/F) are left alone; Escape still leaves the editor.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # TextArea binds Ctrl+A to "line start" (Emacs); Home still does that.
        Binding("ctrl+a", "select_all", "Select all", show=False),
        # Over the screen's Shift+Tab (focus previous) while the editor has the keyboard.
        Binding("shift+tab", "dedent", "Dedent", show=False),
    ]

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
            self.replace(" " * (len(INDENT) - width % len(INDENT)), start, end,
                         maintain_selection_offset=False)
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


class EditorPane(Vertical):
    """A bordered Python editor whose border title is the file name plus ``●`` when unsaved."""

    DEFAULT_CSS = """
    EditorPane {
        height: 1fr;
        border: round $primary;
        border-title-color: $text;
        &:focus-within {
            border: round $accent;
        }
        &.-modified {
            border-title-color: $warning;
        }
        & > TextArea {
            height: 1fr;
            border: none;
            padding: 0;
            &:focus {
                border: none;
            }
        }
    }
    """

    modified: reactive[bool] = reactive(False)
    """The buffer differs from the file on disk (or was never saved)."""

    path: reactive[Path | None] = reactive(None)
    """The file the buffer belongs to; None for an untitled buffer."""

    class Modified(Message):
        """The unsaved state flipped (the app may update a title or guard quitting)."""

        def __init__(self, editor_pane: EditorPane, modified: bool) -> None:
            super().__init__()
            self.editor_pane = editor_pane
            self.modified = modified

        @property
        def control(self) -> EditorPane:
            """The editor pane whose state changed."""
            return self.editor_pane

    def __init__(
        self,
        text: str = "",
        *,
        path: Path | None = None,
        recovery: RecoveryStore | None = None,
        recovery_delay: float = 0.5,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """``recovery_delay`` (seconds, at most 1) bounds how much typing a crash can cost."""
        super().__init__(name=name, id=id, classes=classes)
        self._initial_text = text
        self._saved_text: str | None = text
        """Text as last loaded or saved; None when the buffer has never matched a file."""
        self.recovery = recovery
        self.recovery_delay = min(max(recovery_delay, 0.0), 1.0)
        self._recovery_timer: Timer | None = None
        self._last_text = text  # the buffer as of the last change, readable after teardown
        self._recovery_written = False
        """We put text in the store this session, so it is ours to clear again."""
        self._recovery_error_shown = False
        self.set_reactive(EditorPane.path, path)

    def compose(self) -> ComposeResult:
        yield PythonTextArea.code_editor(self._initial_text, language="python")

    def on_mount(self) -> None:
        self._update_title()

    # --- public API -----------------------------------------------------------------

    @property
    def text_area(self) -> TextArea:
        """The wrapped TextArea (for bindings or styling by the app)."""
        return self.query_one(TextArea)

    @property
    def text(self) -> str:
        """The whole buffer (the last known one while the pane is being torn down)."""
        try:
            return self.text_area.text
        except NoMatches:
            return self._last_text

    def set_text(self, text: str, path: Path | None = None, *, modified: bool = False) -> None:
        """Replace the buffer (clears undo). ``modified=True`` for text not on disk, e.g. recovered.

        Note: this does not ask before replacing unsaved text; the app checks ``modified`` first.
        """
        self._saved_text = None if modified else text
        self.path = Path(path) if path is not None else None
        self.text_area.load_text(text)
        self._set_modified(modified)

    def load_file(self, path: Path | str) -> bool:
        """Open ``path`` into the buffer; on any problem notify, keep the buffer, return False."""
        path = Path(path)
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                self._notify_error(f"Cannot open {path}: not a regular file")
                return False
            size = info.st_size
            if size > MAX_FILE_BYTES:
                self._notify_error(
                    f"Cannot open {path}: {size / 1024 / 1024:.1f} MB is over the "
                    f"{MAX_FILE_BYTES // 1024 // 1024} MB limit for the editor"
                )
                return False
            data = path.read_bytes()
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the typed path
            self._notify_error(f"Cannot open {path}: {_os_reason(exc)}")
            return False
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._notify_error(f"Cannot open {path}: not UTF-8 text (bad byte at offset {exc.start})")
            return False
        self.set_text(text, path)
        return True

    def save(self) -> bool:
        """Save to ``path``; False when there is none (the app then asks for one) or on error."""
        if self.path is None:
            return False
        return self.save_as(self.path)

    def save_as(self, path: Path | str) -> bool:
        """Write the buffer to ``path`` atomically and adopt it as the buffer's file.

        On failure the buffer, ``path`` and the old file stay as they were; a notification
        says why and False is returned.
        """
        path = Path(path)
        text = self.text
        try:
            atomic_write_text(path, text, make_parents=False)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the typed path
            self._notify_error(f"Could not save {path}: {_os_reason(exc)}")
            return False
        self._saved_text = text
        self.path = path
        self._set_modified(False)
        self._clear_recovery()
        self.notify(f"Saved {path}", timeout=2)
        return True

    def selected_or_all(self) -> str:
        """The selection if there is one, else the whole buffer (what "run" should send)."""
        selected = self.text_area.selected_text
        return selected if selected else self.text

    def goto_line(self, line: int, *, focus: bool = True) -> None:
        """Put the cursor at the start of 1-based ``line`` (clamped), visible; focused unless
        ``focus`` is False (a jump the user did not ask for must not take the keyboard)."""
        text_area = self.text_area
        row = min(max(line, 1), text_area.document.line_count) - 1
        text_area.move_cursor((row, 0), center=True)
        text_area.scroll_cursor_visible(center=True)
        if focus:
            text_area.focus()

    def focus(self, scroll_visible: bool = True) -> EditorPane:
        """Focusing the pane focuses the text inside it."""
        self.text_area.focus(scroll_visible)
        return self

    def on_unmount(self) -> None:
        """Leaving the screen (quit, crash teardown): the last keystrokes go to recovery too."""
        if self._recovery_timer is not None:
            self.flush_recovery()

    def flush_recovery(self) -> None:
        """Write the recovery copy now (the app calls this on quit) instead of after the delay."""
        self._cancel_recovery_timer()
        self._write_recovery()

    # --- internals ------------------------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Track unsaved state and schedule a recovery copy after each change."""
        event.stop()
        self._last_text = event.text_area.text
        modified = self._saved_text is None or self.text != self._saved_text
        self._set_modified(modified)
        if self.recovery is not None and (modified or self._recovery_written):
            self._schedule_recovery()

    def _set_modified(self, modified: bool) -> None:
        if modified != self.modified:
            self.modified = modified
            self.post_message(self.Modified(self, modified))

    def watch_modified(self, modified: bool) -> None:
        self.set_class(modified, "-modified")
        self._update_title()

    def watch_path(self, path: Path | None) -> None:
        self._update_title()

    def _update_title(self) -> None:
        name = escape(self.path.name) if self.path is not None else UNTITLED  # a title is markup
        self.border_title = f"{name} {MODIFIED_MARK}" if self.modified else name

    def _schedule_recovery(self) -> None:
        """Save at most ``recovery_delay`` after the first unsaved change (throttled, not reset).

        Resetting on every keystroke would postpone the copy forever during steady typing.
        """
        if self._recovery_timer is None:
            self._recovery_timer = self.set_timer(self.recovery_delay, self._on_recovery_timer)

    def _on_recovery_timer(self) -> None:
        self._recovery_timer = None
        self._write_recovery()

    def _cancel_recovery_timer(self) -> None:
        if self._recovery_timer is not None:
            self._recovery_timer.stop()
            self._recovery_timer = None

    def _write_recovery(self) -> None:
        """Store the buffer while it is unsaved; drop our copy once it matches the disk again."""
        store = self.recovery
        if store is None:
            return
        try:
            if self.modified:
                store.save(self.text, str(self.path) if self.path is not None else None)
                self._recovery_written = True
            elif self._recovery_written:
                store.clear()
                self._recovery_written = False
        except OSError as exc:
            if not self._recovery_error_shown:
                self._recovery_error_shown = True
                self.notify(
                    f"Cannot keep a recovery copy in {store.directory}: {_os_reason(exc)}",
                    severity="warning",
                    timeout=8,
                )
            return
        self._recovery_error_shown = False

    def _clear_recovery(self) -> None:
        self._cancel_recovery_timer()
        if self.recovery is None:
            return
        try:
            self.recovery.clear()
        except OSError:
            return  # a stale copy is only offered again, never harmful
        self._recovery_written = False

    def _notify_error(self, message: str) -> None:
        self.notify(message, severity="error", timeout=8)


def _os_reason(exc: OSError | ValueError) -> str:
    """A short human reason ("Permission denied") rather than the exception's repr."""
    strerror = exc.strerror if isinstance(exc, OSError) else None
    return strerror or str(exc) or type(exc).__name__
