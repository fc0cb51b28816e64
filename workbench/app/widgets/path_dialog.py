"""A small modal asking for a file path (Open, Save As).

It returns the text as typed (stripped) or None; resolving ``~`` and checking the file is the
caller's job, because Open and Save As judge an existing file differently.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class PathDialog(ModalScreen[str | None]):
    """Title, a prefilled path Input and OK/Cancel; Enter submits, Escape cancels."""

    DEFAULT_CSS = """
    PathDialog {
        align: center middle;
        background: $background 60%;
    }
    PathDialog > Vertical {
        width: 70;
        max-width: 90%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    PathDialog #path-dialog-title {
        width: 100%;
        text-style: bold;
        margin-bottom: 1;
    }
    PathDialog #path-dialog-hint {
        width: 100%;
        color: $text-muted;
        height: auto;
    }
    PathDialog Horizontal {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    PathDialog Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, path: str = "", *, ok_label: str = "OK", placeholder: str = "path/to/file.py"
    ) -> None:
        super().__init__()
        self.dialog_title = title
        self.initial_path = path
        self.ok_label = ok_label
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.dialog_title, id="path-dialog-title")
            yield Input(self.initial_path, placeholder=self.placeholder, id="path-dialog-input")
            yield Label("", id="path-dialog-hint")
            with Horizontal():
                yield Button(self.ok_label, variant="primary", id="path-dialog-ok")
                yield Button("Cancel", id="path-dialog-cancel")

    def on_mount(self) -> None:
        path_input = self.query_one(Input)
        path_input.focus()
        path_input.cursor_position = len(path_input.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "path-dialog-ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Escape: close without a path."""
        self.dismiss(None)

    def _submit(self) -> None:
        """Return the typed path; an empty one stays open with a hint instead of returning ""."""
        value = self.query_one(Input).value.strip()
        if not value:
            self.query_one("#path-dialog-hint", Label).update("Type a file path, or press Escape to cancel.")
            return
        self.dismiss(value)
