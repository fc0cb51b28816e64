"""The code editor: Python text areas in tabs that know their files and never lose typed text.

It edits the way Thonny, Mu and VS Code do (:mod:`workbench.app.widgets.python_text_area`).
Several documents can be open at once (host files, files on a board, untitled text), each in
a tab with its own unsaved marker. Saving is atomic (a crash mid-save leaves the old file, not
half of the new one), unreadable files are refused with a notification instead of a traceback,
and while a document differs from its file a debounced copy goes to the
:class:`RecoveryStore`, one per document, so a crash costs at most about a second of typing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import TextArea

from workbench.app.documents import (
    MAX_FILE_BYTES,
    MODIFIED_MARK,
    UNTITLED,
    BoardFile,
    Document,
    UnreadableFile,
    os_reason,
    read_host_text,
)
from workbench.app.recovery import RecoveryStore
from workbench.app.widgets.confirm_dialog import ConfirmDialog
from workbench.app.widgets.editor_tabs import DocumentTabs, TabLabel
from workbench.app.widgets.python_text_area import INDENT, PythonTextArea
from workbench.storage import atomic_write_text

__all__ = [
    "INDENT",
    "MAX_FILE_BYTES",
    "MODIFIED_MARK",
    "UNTITLED",
    "BoardFile",
    "EditorPane",
    "PythonTextArea",
]


class EditorPane(Vertical):
    """A bordered Python editor with a tab per open document; its border title is the active
    document's name plus ``●`` when unsaved.

    Documents are host files, files on a board (:class:`BoardFile`) or untitled text. Every
    attribute and method that existed before tabs (``text``, ``path``, ``modified``,
    ``set_text``, ``load_file``, ``save``, ``save_as``, ``selected_or_all``, ``goto_line``,
    ``text_area``, ``focus``, the :class:`Modified` message) acts on the *active* document.

    Each document has a text area of its own, shown while its tab is active and hidden
    otherwise. Why not one text area and a swap of documents: a hidden text area keeps the
    document's undo history, cursor, selection and scroll position as they were for free,
    where a swap would have to take TextArea's history apart and rebuild it; the cost, a few
    kilobytes per open file, is nothing beside that. The tab strip appears with the second
    document, so one document looks exactly as the editor always did.

    Keys in the text: Ctrl+PageDown / Ctrl+PageUp for the next and previous tab, Ctrl+W
    closes the active one (asking first when it has unsaved changes). Ctrl+S on a board
    file posts :class:`SaveToBoard`: the app writes the file (verified, atomic) and calls
    :meth:`mark_saved`.
    """

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
        & > DocumentTabs {
            display: none;
        }
        &.-tabs > DocumentTabs {
            display: block;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+pagedown", "next_document", "Next tab", show=False),
        Binding("ctrl+pageup", "previous_document", "Previous tab", show=False),
    ]

    modified: reactive[bool] = reactive(False)
    """The active document differs from its file (or was never saved)."""

    path: reactive[Path | None] = reactive(None)
    """The active document's host file; None for untitled text and for a board file."""

    class Modified(Message):
        """The active document's unsaved state flipped, or another document with another
        state became active (the app may update a title or guard quitting)."""

        def __init__(self, editor_pane: EditorPane, modified: bool) -> None:
            super().__init__()
            self.editor_pane = editor_pane
            self.modified = modified

        @property
        def control(self) -> EditorPane:
            """The editor pane whose state changed."""
            return self.editor_pane

    class SaveToBoard(Message):
        """Save was asked for a board file: the app writes ``text`` to ``board_path`` on the
        board at ``url`` and then calls :meth:`EditorPane.mark_saved` with ``document_id``
        and ``text`` (on failure it leaves the document unsaved: nothing is lost)."""

        def __init__(
            self, editor_pane: EditorPane, url: str, board_path: str, text: str, document_id: int
        ) -> None:
            super().__init__()
            self.editor_pane = editor_pane
            self.url = url
            self.board_path = board_path
            self.text = text
            self.document_id = document_id

        @property
        def control(self) -> EditorPane:
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
        self.recovery = recovery
        self.recovery_delay = min(max(recovery_delay, 0.0), 1.0)
        self._next_id = 1
        self._documents: list[Document] = []
        self._areas: dict[int, PythonTextArea] = {}
        self._recovery_timers: dict[int, Timer] = {}
        self._recovery_error_shown = False
        first = self._new_document(text, path=path, saved_text=text, main_copy=True)
        self._documents.append(first)
        self._active = first
        self.set_reactive(EditorPane.path, first.path)

    def compose(self) -> ComposeResult:
        yield DocumentTabs()
        yield self._areas[self._active.id]

    def on_mount(self) -> None:
        self._update_title()
        self._update_tabs()

    # --- public API: the active document ---------------------------------------------

    @property
    def text_area(self) -> TextArea:
        """The active document's TextArea (for bindings or styling by the app)."""
        return self._areas[self._active.id]

    @property
    def text(self) -> str:
        """The active document's whole text."""
        return self._text_of(self._active)

    @property
    def board_file(self) -> BoardFile | None:
        """The active document's file on a board, None for a host file or untitled text."""
        return self._active.board_file

    @property
    def document(self) -> Document:
        """The active document."""
        return self._active

    @property
    def documents(self) -> list[Document]:
        """The open documents in tab order (``id``, ``title``, ``modified``, ``path``, ``board_file``)."""
        return list(self._documents)

    def set_text(self, text: str, path: Path | None = None, *, modified: bool = False) -> None:
        """Replace the active document's text (clears undo); it becomes the host file ``path``
        (or untitled). ``modified=True`` for text not on disk, e.g. recovered.

        Note: this does not ask before replacing unsaved text; the app checks ``modified`` first.
        """
        self._replace_text(self._active, text, modified=modified)
        self._set_origin(self._active, Path(path) if path is not None else None, None)

    def load_file(self, path: Path | str) -> bool:
        """Open ``path`` into the active document; on any problem notify, keep the text,
        return False. A file already open in another tab is shown there instead (one tab
        per file, or two copies would overwrite each other)."""
        return self._open_host(Path(path), lambda text, file: self.set_text(text, file))

    def open_host_file(self, path: Path | str) -> bool:
        """Open ``path`` in a tab of its own, or show its tab when it is open already; on any
        problem notify and return False. An empty untitled document that was never touched
        gives its place to the file instead of staying as a tab of its own."""
        return self._open_host(
            Path(path), lambda text, file: self._open(self._new_document(text, path=file, saved_text=text))
        )

    def _open_host(self, path: Path, put: Callable[[str, Path], object]) -> bool:
        """Show ``path``'s tab if it is open; else read it and ``put`` its text somewhere.
        False (after a notification) when it cannot be read."""
        already = self._find_host_file(path)
        if already is not None:
            self.switch_to(already.id)
            return True
        text = self._read_host_file(path)
        if text is None:
            return False
        put(text, path)
        return True

    def open_board_file(self, url: str, board_path: str, text: str) -> None:
        """Show ``board_path`` of the board at ``url`` with ``text`` (as just read from the
        board) in a tab of its own. Already open: its tab is shown, and refreshed with
        ``text`` unless it has unsaved changes (those are kept, never overwritten)."""
        board_file = BoardFile(url, board_path)
        for document in self._documents:
            if document.board_file == board_file:
                if not document.modified and self._text_of(document) != text:
                    self._replace_text(document, text, modified=False)
                self.switch_to(document.id)
                return
        self._open(self._new_document(text, board_file=board_file, saved_text=text))

    def save(self) -> bool:
        """Save the active document: a host file to disk; a board file by posting
        :class:`SaveToBoard` (True: the app writes it); False when it has no file yet (the
        app then asks for one) or on error."""
        document = self._active
        if document.board_file is not None:
            self.post_message(
                self.SaveToBoard(
                    self,
                    document.board_file.url,
                    document.board_file.path,
                    self._text_of(document),
                    document.id,
                )
            )
            return True
        if document.path is None:
            return False
        return self.save_as(document.path)

    def save_as(self, path: Path | str) -> bool:
        """Write the active document to the host file ``path`` atomically and adopt it as the
        document's file (a board file's document becomes that host file's).

        On failure the text, the document's file and the old file on disk stay as they were;
        a notification says why and False is returned.
        """
        path = Path(path)
        document = self._active
        other = next((d for d in self._documents if d is not document and d.is_host_file(path)), None)
        if other is not None:  # two tabs of one file would overwrite each other's work
            self._notify_error(f"Could not save {path}: it is open in another tab; close that one first")
            return False
        text = self._text_of(document)
        try:
            atomic_write_text(path, text, make_parents=False)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the typed path
            self._notify_error(f"Could not save {path}: {os_reason(exc)}")
            return False
        document.saved_text = text
        self._set_origin(document, path, None)
        self._set_document_modified(document, False)
        self._clear_recovery(document)
        self.notify(f"Saved {path}", timeout=2)
        return True

    def mark_saved(self, document_id: int, text: str) -> None:
        """The app wrote ``text`` to the document's board file: unsaved no more, unless the
        document changed meanwhile (then it stays unsaved, and so does its recovery copy)."""
        document = self._find(document_id)
        if document is None or document.board_file is None:
            return  # closed, or saved as a host file meanwhile: nothing to mark
        document.saved_text = text
        modified = self._text_of(document) != text
        self._set_document_modified(document, modified)
        if not modified:
            self._clear_recovery(document)

    def switch_to(self, document_id: int) -> bool:
        """Show the document ``document_id`` (False when no such document is open). The
        keyboard follows when it was in the editor."""
        document = self._find(document_id)
        if document is None:
            return False
        self._activate(document)
        return True

    def close_document(self, document_id: int | None = None, *, ask: bool = True) -> None:
        """Close a document (the active one by default). With unsaved changes and ``ask``,
        a dialog asks first and nothing is lost unless the person says so. Closing the
        last document leaves an empty untitled one."""
        document = self._active if document_id is None else self._find(document_id)
        if document is None:
            return
        if not (ask and document.modified):
            self._close(document)
            return

        def answered(go: bool | None) -> None:
            if go and document in self._documents:
                self._close(document)

        self.app.push_screen(
            ConfirmDialog(
                f"Close {document.title} without saving?",
                f"{document.title} has changes that are not saved. Closing it throws them "
                "away; Cancel keeps it open so you can save them (Ctrl+S).",
                go_label="Close without saving",
            ),
            answered,
        )

    def selected_or_all(self) -> str:
        """The selection if there is one, else the whole document (what "run" should send)."""
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
        """Focusing the pane focuses the active document's text."""
        self.text_area.focus(scroll_visible)
        return self

    def on_unmount(self) -> None:
        """Leaving the screen (quit, crash teardown): the last keystrokes go to recovery too."""
        for document in list(self._documents):
            if document.id in self._recovery_timers:
                self._flush_document(document)

    def flush_recovery(self) -> None:
        """Write every document's recovery copy now (the app calls this on quit) instead of
        after the delay."""
        for document in list(self._documents):
            self._flush_document(document)

    def restore_recovered(self) -> list[str]:
        """Bring back the unsaved text of the last session (the app calls this at start).

        The main copy goes into the first document, as it always did; every other copy
        opens in a tab of its own (a host file, a board file, untitled), unsaved. A copy
        whose file is open already with other unsaved text opens as untitled text beside
        it: nothing is lost. Returns what came back, for the app to say so.
        """
        store = self.recovery
        if store is None:
            return []
        restored: list[str] = []
        main = store.load()
        if main is not None:
            text, path = main
            document = next((d for d in self._documents if d.main_copy), self._active)
            self._replace_text(document, text, modified=True)
            self._set_origin(document, Path(path) if path else None, None)
            restored.append(path or UNTITLED)
        for copy in store.load_documents():
            board_file = (
                BoardFile(copy.board_url, copy.board_path)
                if copy.board_url is not None and copy.board_path is not None
                else None
            )
            path = Path(copy.path) if copy.path and board_file is None else None
            document = self._restore_copy(copy.key, copy.text, path, board_file)
            restored.append(str(board_file) if board_file is not None else str(path or document.title))
        return restored

    # --- keys -----------------------------------------------------------------------

    def action_next_document(self) -> None:
        """Ctrl+PageDown: the tab to the right (the first after the last)."""
        self._step(1)

    def action_previous_document(self) -> None:
        """Ctrl+PageUp: the tab to the left (the last before the first)."""
        self._step(-1)

    def on_python_text_area_close_requested(self, event: PythonTextArea.CloseRequested) -> None:
        event.stop()
        self.close_document()

    def on_document_tabs_selected(self, event: DocumentTabs.Selected) -> None:
        """A click on a tab: show it, with the keyboard in its text (where a person types next)."""
        event.stop()
        if self.switch_to(event.document_id):
            self.text_area.focus()

    def _step(self, direction: int) -> None:
        if len(self._documents) > 1:
            index = self._documents.index(self._active)
            self._activate(self._documents[(index + direction) % len(self._documents)])

    # --- documents ------------------------------------------------------------------

    def _new_document(
        self,
        text: str,
        *,
        path: Path | None = None,
        board_file: BoardFile | None = None,
        saved_text: str | None,
        main_copy: bool = False,
    ) -> Document:
        """A document and its text area (not yet on screen: :meth:`_open` mounts it)."""
        document = Document(
            id=self._next_id,
            text=text,
            path=path,
            board_file=board_file,
            saved_text=saved_text,
            modified=saved_text is None,
            main_copy=main_copy,
        )
        self._next_id += 1
        self._areas[document.id] = PythonTextArea.code_editor(text, language="python")
        return document

    def _open(self, document: Document) -> None:
        """Add ``document`` as a tab and show it; a pristine untitled one gives it its place."""
        active = self._active
        pristine = active if active.pristine and not self._text_of(active) else None
        if pristine is not None:
            index = self._documents.index(pristine)
            self._documents.insert(index + 1, document)
        else:
            self._documents.append(document)
        area = self._areas[document.id]
        area.display = False
        area.can_focus = False
        self.mount(area)
        self._activate(document)
        if pristine is not None:
            self._close(pristine)
        if document.modified and self.recovery is not None:
            self._schedule_recovery(document)

    def _activate(self, document: Document) -> None:
        """Show ``document``'s text area, hide the others; the keyboard follows if it was here."""
        previous = self._active
        previous_area = self._areas.get(previous.id)
        had_focus = previous_area is not None and self.is_mounted and self.app.focused is previous_area
        self._active = document
        for other in self._documents:
            area = self._areas[other.id]
            shown = other is document
            area.display = shown
            # A hidden text area must not take the keyboard (the app focuses a pane's first
            # focusable child on Ctrl+E): only the active one can be focused.
            area.can_focus = shown
        self.path = document.path
        self._set_modified(document.modified)
        self._update_title()
        self._update_tabs()
        if had_focus and previous is not document:
            self._areas[document.id].focus()

    def _close(self, document: Document) -> None:
        """Close without asking: its copy goes (the person chose so), its tab and text area too."""
        self._cancel_recovery_timer(document)
        if self.recovery is not None and document.recovery_written:
            with contextlib.suppress(OSError):  # a stale copy is only offered again, never harmful
                self.recovery.clear(document.recovery_key)
        index = self._documents.index(document)
        self._documents.remove(document)
        area = self._areas.pop(document.id)
        had_focus = self.is_mounted and self.app.focused is area
        if not self._documents:
            replacement = self._new_document("", saved_text="", main_copy=True)
            self._documents.append(replacement)
            self.mount(self._areas[replacement.id])
        if document is self._active:
            self._activate(self._documents[min(index, len(self._documents) - 1)])
        else:
            self._update_tabs()
        if had_focus:  # before the removal, or the screen would pick some other widget
            self.text_area.focus()
        area.remove()

    def _find(self, document_id: int) -> Document | None:
        return next((d for d in self._documents if d.id == document_id), None)

    def _find_host_file(self, path: Path) -> Document | None:
        return next((d for d in self._documents if d.is_host_file(path)), None)

    def _document_of(self, text_area: TextArea) -> Document | None:
        return next((d for d in self._documents if self._areas.get(d.id) is text_area), None)

    def _text_of(self, document: Document) -> str:
        area = self._areas.get(document.id)
        return area.text if area is not None else document.text

    def _replace_text(self, document: Document, text: str, *, modified: bool) -> None:
        document.saved_text = None if modified else text
        document.text = text
        self._areas[document.id].load_text(text)
        self._set_document_modified(document, modified)

    def _set_origin(self, document: Document, path: Path | None, board_file: BoardFile | None) -> None:
        """Make ``document`` the host file ``path``, the board file, or untitled. A copy kept
        under its old origin's key moves to the new key (the old file would be offered back
        under a name the text no longer belongs to)."""
        old_key = document.recovery_key
        document.path = path
        document.board_file = board_file
        if document.recovery_key != old_key and document.recovery_written and self.recovery is not None:
            with contextlib.suppress(OSError):
                self.recovery.clear(old_key)
            document.recovery_written = False
            if document.modified:
                self._schedule_recovery(document)
        if document is self._active:
            self.path = path
            self._update_title()
        self._update_tabs()

    def _read_host_file(self, path: Path) -> str | None:
        """The text of ``path``, or None after notifying why it cannot be opened."""
        try:
            return read_host_text(path)
        except UnreadableFile as exc:
            self._notify_error(str(exc))
            return None

    def _restore_copy(self, key: str, text: str, path: Path | None, board_file: BoardFile | None) -> Document:
        """Open one keyed recovery copy as an unsaved document that keeps using that copy."""
        same = next(
            (
                d
                for d in self._documents
                if (board_file is not None and d.board_file == board_file)
                or (board_file is None and path is not None and d.is_host_file(path))
            ),
            None,
        )
        if same is not None and not same.modified:
            document = same
            self._replace_text(same, text, modified=True)
        else:
            if same is not None:  # its file is open with other unsaved text: keep both
                path, board_file = None, None
            document = self._new_document(text, path=path, board_file=board_file, saved_text=None)
            self._documents.append(document)
            area = self._areas[document.id]
            area.display = False
            area.can_focus = False
            self.mount(area)
        if document.recovery_key == key:
            document.recovery_written = True  # the copy is ours: saving or closing clears it
        elif self.recovery is not None:
            self._write_recovery(document)  # under its own key first, then the old copy goes
            if document.recovery_written and not any(d.recovery_key == key for d in self._documents):
                with contextlib.suppress(OSError):
                    self.recovery.clear(key)
        self._update_tabs()
        return document

    # --- unsaved state ----------------------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Track unsaved state and schedule a recovery copy after each change."""
        event.stop()
        document = self._document_of(event.text_area)
        if document is None:
            return  # a closed document's last message
        document.text = event.text_area.text
        modified = document.saved_text is None or document.text != document.saved_text
        self._set_document_modified(document, modified)
        if self.recovery is not None and (modified or document.recovery_written):
            self._schedule_recovery(document)

    def _set_document_modified(self, document: Document, modified: bool) -> None:
        if modified != document.modified:
            document.modified = modified
            self._update_tabs()
        if document is self._active:
            self._set_modified(modified)

    def _set_modified(self, modified: bool) -> None:
        if modified != self.modified:
            self.modified = modified
            self.post_message(self.Modified(self, modified))

    def watch_modified(self, modified: bool) -> None:
        self.set_class(modified, "-modified")
        self._update_title()

    def watch_path(self, path: Path | None) -> None:
        """``path`` set from outside (as before tabs) makes the active document that file."""
        document = self._active
        if path != document.path:
            self._set_origin(document, path, None)
        self._update_title()

    def _update_title(self) -> None:
        title = escape(self._active.title)  # a border title is markup
        self.border_title = f"{title} {MODIFIED_MARK}" if self.modified else title

    def _update_tabs(self) -> None:
        if not self.is_mounted:
            return
        self.set_class(len(self._documents) > 1, "-tabs")
        self.query_one(DocumentTabs).set_tabs(
            [TabLabel(d.id, d.title, d.modified) for d in self._documents], self._active.id
        )

    # --- recovery copies --------------------------------------------------------------

    def _schedule_recovery(self, document: Document) -> None:
        """Save at most ``recovery_delay`` after the first unsaved change (throttled, not reset).

        Resetting on every keystroke would postpone the copy forever during steady typing.
        """
        if document.id not in self._recovery_timers:
            self._recovery_timers[document.id] = self.set_timer(
                self.recovery_delay, lambda: self._on_recovery_timer(document)
            )

    def _on_recovery_timer(self, document: Document) -> None:
        self._recovery_timers.pop(document.id, None)
        if document in self._documents:
            self._write_recovery(document)

    def _cancel_recovery_timer(self, document: Document) -> None:
        timer = self._recovery_timers.pop(document.id, None)
        if timer is not None:
            timer.stop()

    def _flush_document(self, document: Document) -> None:
        self._cancel_recovery_timer(document)
        self._write_recovery(document)

    def _write_recovery(self, document: Document) -> None:
        """Store the document while it is unsaved; drop our copy once it is saved again."""
        store = self.recovery
        if store is None:
            return
        key = document.recovery_key
        try:
            if document.modified:
                board_file = document.board_file
                store.save(
                    self._text_of(document),
                    str(document.path) if document.path is not None else None,
                    key=key,
                    board_url=board_file.url if board_file is not None else None,
                    board_path=board_file.path if board_file is not None else None,
                )
                document.recovery_written = True
            elif document.recovery_written:
                store.clear(key)
                document.recovery_written = False
        except OSError as exc:
            if not self._recovery_error_shown:
                self._recovery_error_shown = True
                self.notify(
                    f"Cannot keep a recovery copy in {store.directory}: {os_reason(exc)}",
                    severity="warning",
                    timeout=8,
                )
            return
        self._recovery_error_shown = False

    def _clear_recovery(self, document: Document) -> None:
        self._cancel_recovery_timer(document)
        if self.recovery is None:
            return
        try:
            self.recovery.clear(document.recovery_key)
        except OSError:
            return  # a stale copy is only offered again, never harmful
        document.recovery_written = False

    def _notify_error(self, message: str) -> None:
        self.notify(message, severity="error", timeout=8)
