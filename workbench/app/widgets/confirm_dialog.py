"""A small modal that says what is about to happen and asks to go on (Enter) or not (Escape).

For actions with a cost the user cannot see coming, such as a probe that closes and reopens
the board: they are told before, not after.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmDialog(ModalScreen[bool]):
    """A title, a paragraph, and two buttons; returns True to go on."""

    DEFAULT_CSS = """
    ConfirmDialog {
        align: center middle;
        background: $background 60%;
    }
    ConfirmDialog > Vertical {
        width: 72;
        max-width: 90%;
        height: auto;
        padding: 1 2;
        border: thick $warning;
        background: $surface;
    }
    ConfirmDialog #confirm-title {
        width: 100%;
        text-style: bold;
        margin-bottom: 1;
    }
    ConfirmDialog #confirm-text {
        width: 100%;
        height: auto;
    }
    ConfirmDialog Horizontal {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    ConfirmDialog Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "Cancel"),
        Binding("enter", "answer(True)", "Go on", show=False),
    ]

    def __init__(self, title: str, text: str, *, go_label: str = "Go on") -> None:
        super().__init__()
        self.dialog_title = title
        self.text = text
        self.go_label = go_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.dialog_title, id="confirm-title")
            yield Static(self.text, id="confirm-text")
            with Horizontal():
                yield Button(self.go_label, variant="warning", id="confirm-go")
                yield Button("Cancel", id="confirm-cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm-go", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-go")

    def action_answer(self, go: bool) -> None:
        """Enter goes on, Escape cancels."""
        self.dismiss(go)
