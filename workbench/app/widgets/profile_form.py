"""The profile as a form: one row per setting, checked as the user types.

Why one text field per setting (even for true/false and the raw-paste choice): the same
parser reads the form, the TOML file and the seeds' settings (``validate_field``), so a
value that the form accepts is exactly a value the profile file accepts, and every refusal
comes with the same reason. Beside each field the form shows what detection proposes, with
the rows where the proposal differs from the form highlighted.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static

from workbench.profiles import FIELD_HELP, FIELD_NAMES, DeviceProfile, format_field, validate_field


class ProfileForm(VerticalScroll):
    """Rows of ``name | value | proposed | reason or help`` for every profile field."""

    DEFAULT_CSS = """
    ProfileForm {
        height: 1fr;
    }
    ProfileForm .field-row {
        height: 1;
    }
    ProfileForm .field-name {
        width: 24;
        color: $text;
    }
    ProfileForm Input {
        width: 22;
        margin-right: 1;
    }
    ProfileForm Input.-invalid {
        color: $text-error;
    }
    ProfileForm .proposed {
        width: 14;
        color: $text-muted;
    }
    ProfileForm .proposed.-differs {
        color: $text-warning;
        text-style: bold;
    }
    ProfileForm .note {
        width: 1fr;
        color: $text-muted;
    }
    ProfileForm .note.-invalid {
        color: $text-error;
    }
    ProfileForm .field-row.-header {
        text-style: bold;
    }
    """

    class Changed(Message):
        """A field changed; ``valid`` says whether every field is acceptable now."""

        def __init__(self, form: ProfileForm, valid: bool) -> None:
            super().__init__()
            self.form = form
            self.valid = valid

    def __init__(self, profile: DeviceProfile, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = profile
        self._errors: dict[str, str] = {}
        self._values: dict[str, Any] = profile.to_dict()
        self._proposed: DeviceProfile | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row -header"):
            yield Label("setting", classes="field-name")
            yield Label("value", classes="field-name", id="value-header")
            yield Label("detection", classes="proposed")
            yield Label("what it does", classes="note")
        for name in FIELD_NAMES:
            with Horizontal(classes="field-row"):
                yield Label(name, classes="field-name")
                yield Input(
                    format_field(name, self._values[name]),
                    id=f"field-{name}",
                    compact=True,
                    select_on_focus=False,
                )
                yield Static("", id=f"proposed-{name}", classes="proposed")
                yield Static(FIELD_HELP[name], id=f"note-{name}", classes="note")

    # ------------------------------------------------------------------ reading and writing
    @property
    def valid(self) -> bool:
        """Every field holds an acceptable value."""
        return not self._errors

    @property
    def errors(self) -> dict[str, str]:
        """Field -> reason for every refused field."""
        return dict(self._errors)

    def profile(self) -> DeviceProfile:
        """The profile the form describes (raises ProfileError naming the first bad field)."""
        if self._errors:
            from workbench.profiles import ProfileError

            raise ProfileError("the settings form", list(self._errors.items()))
        return DeviceProfile.from_dict(self._values, source="the settings form")

    def set_profile(self, profile: DeviceProfile) -> None:
        """Fill every field from ``profile`` (Reset to preset, Use proposed)."""
        for name in FIELD_NAMES:
            self.query_one(f"#field-{name}", Input).value = format_field(name, getattr(profile, name))
        # Input.Changed handlers run later; set the state now so callers see it at once.
        self._values = profile.to_dict()
        self._errors.clear()
        for name in FIELD_NAMES:
            self._show_note(name, None)
        self._mark_differences()

    def set_proposed(self, proposed: DeviceProfile | None) -> None:
        """Show what detection proposes beside each field (None clears the column)."""
        self._proposed = proposed
        for name in FIELD_NAMES:
            text = "" if proposed is None else format_field(name, getattr(proposed, name))
            self.query_one(f"#proposed-{name}", Static).update(text)
        self._mark_differences()

    def differing_fields(self) -> list[str]:
        """Fields whose form value differs from the proposal (empty without a proposal)."""
        if self._proposed is None:
            return []
        skip = {"name", "description"}
        return [
            name
            for name in FIELD_NAMES
            if name not in skip and name not in self._errors and self._values[name] != getattr(self._proposed, name)
        ]

    # ------------------------------------------------------------------ events
    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        field = (event.input.id or "").removeprefix("field-")
        if field not in FIELD_NAMES:
            return
        event.stop()
        value, reason = validate_field(field, event.value)
        if reason is None:
            self._values[field] = value
            self._errors.pop(field, None)
        else:
            self._errors[field] = reason
        self._show_note(field, reason)
        self._mark_differences()
        self.post_message(self.Changed(self, self.valid))

    def _show_note(self, field: str, reason: str | None) -> None:
        note = self.query_one(f"#note-{field}", Static)
        note.update(reason if reason is not None else FIELD_HELP[field])
        note.set_class(reason is not None, "-invalid")
        self.query_one(f"#field-{field}", Input).set_class(reason is not None, "-invalid")

    def _mark_differences(self) -> None:
        differing = set(self.differing_fields())
        for name in FIELD_NAMES:
            self.query_one(f"#proposed-{name}", Static).set_class(name in differing, "-differs")
