"""The settings screen: the active profile as a form, detection beside it, what the workbench
learned about the board, and what to do.

The screen never talks to the device itself: Apply, Save and Probe become messages that
the app handles on its worker threads (one thread owns the port), and the app reports back
with :meth:`SettingsScreen.show_probe` / :meth:`SettingsScreen.show_active` /
:meth:`SettingsScreen.show_learned`. Forget is a message too: the app owns the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Select, Static

from workbench.app.widgets.confirm_dialog import ConfirmDialog
from workbench.app.widgets.path_dialog import PathDialog
from workbench.app.widgets.profile_form import ProfileForm
from workbench.profiles import (
    PRESET_NAMES,
    PRESETS,
    DeviceProfile,
    ProfileError,
    export_profile,
    import_profile,
)
from workbench.profiles.learned import Learned
from workbench.profiles.probe import ProbeReport

#: What the learned section says about a board nothing is known about.
NOTHING_LEARNED = "nothing learned yet: runs, connections and Probe (Alt+P) find out what this board can do"


class SettingsScreen(Screen[None]):
    """Edit the device's protocol profile; Apply (this session), Save (this device), Reset, Probe."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: a focused Input would otherwise take Alt+letter as the letter
        Binding("escape", "close", "Close", priority=True),
        Binding("alt+a", "apply", "Apply", priority=True),
        Binding("alt+s", "save", "Save", priority=True),
        Binding("alt+r", "reset", "Reset to preset", priority=True),
        Binding("alt+p", "probe", "Probe", priority=True),
        Binding("alt+u", "use_proposed", "Use proposed", priority=True),
        Binding("alt+e", "export", "Export", show=False, priority=True),
        Binding("alt+i", "import", "Import", show=False, priority=True),
        Binding("alt+f", "forget", "Forget learned", show=False, priority=True),
    ]

    DEFAULT_CSS = """
    SettingsScreen {
        layout: vertical;
    }
    SettingsScreen #settings-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
        text-style: bold;
    }
    SettingsScreen #settings-why, SettingsScreen #probe-summary {
        height: auto;
        max-height: 4;
        padding: 0 1;
        color: $text-muted;
    }
    SettingsScreen #settings-buttons {
        height: 3;
    }
    SettingsScreen #settings-buttons Button {
        margin-right: 1;
        min-width: 10;
    }
    SettingsScreen #preset {
        width: 22;
        margin: 1 1 0 0;
    }
    SettingsScreen #learned {
        height: auto;
        padding: 0 1;
    }
    SettingsScreen #learned-text {
        width: 1fr;
        height: auto;
    }
    SettingsScreen #learned-title {
        color: $text;
        text-style: bold;
    }
    SettingsScreen #learned-lines {
        color: $text-muted;
    }
    SettingsScreen #forget {
        min-width: 10;
    }
    """

    class ApplyRequested(Message):
        """Use ``profile`` for this session; ``save`` also stores it for this device."""

        def __init__(self, profile: DeviceProfile, *, save: bool) -> None:
            super().__init__()
            self.profile = profile
            self.save = save

    class ProbeRequested(Message):
        """Measure the device (the app closes the session for the probe, then reconnects)."""

    class ForgetRequested(Message):
        """Forget what was learned about the board at ``url`` (the app owns the store)."""

        def __init__(self, url: str) -> None:
            super().__init__()
            self.url = url

    def __init__(
        self,
        url: str,
        profile: DeviceProfile,
        why: str,
        *,
        report: ProbeReport | None = None,
        learned: Learned | None = None,
    ) -> None:
        super().__init__()
        self.url = url
        self._profile = profile
        self._why = why
        self._report = report
        self._learned = learned

    def compose(self) -> ComposeResult:
        yield Static(f"Protocol profile for {self.url}", id="settings-title")
        yield Static(self._why_text(), id="settings-why")
        yield Static("No detection yet: Probe (Alt+P) measures the device and proposes values.", id="probe-summary")
        yield ProfileForm(self._profile, id="profile-form")
        with Horizontal(id="learned"):
            with Vertical(id="learned-text"):
                yield Static("Learned about this board", id="learned-title")
                # Device text (platform, machine): never markup.
                yield Static(self._learned_text(), id="learned-lines", markup=False)
            yield Button(
                "Forget",
                id="forget",
                disabled=not self._learned_lines(),
                tooltip="Forget what was learned about this board; the next connection finds out again  [Alt+F]",
            )
        with Horizontal(id="settings-buttons"):
            yield Button("Apply", id="apply", variant="primary", tooltip="Use these values for this session")
            yield Button("Save", id="save", variant="success", tooltip="Use and remember them for this device")
            yield Select(
                [(name, name) for name in PRESET_NAMES],
                value=self._preset_guess(),
                allow_blank=False,
                id="preset",
                compact=True,
            )
            yield Button("Reset to preset", id="reset", tooltip="Fill the form from the chosen preset")
            yield Button("Probe", id="probe", tooltip="Measure the device and propose a profile")
            yield Button("Use proposed", id="use-proposed", disabled=True, tooltip="Fill the form from detection")
            yield Button("Export", id="export", tooltip="Write the form's profile to a TOML file  [Alt+E]")
            yield Button("Import", id="import", tooltip="Fill the form from a profile file  [Alt+I]")
            yield Button("Close", id="close")
        yield Footer()

    def on_mount(self) -> None:
        if self._report is not None:
            self.show_probe(self._report)
        self.query("ProfileForm Input").first().focus()

    # ------------------------------------------------------------------ app -> screen
    def show_active(self, profile: DeviceProfile, why: str) -> None:
        """The app applied or saved a profile: say which and why."""
        self._profile = profile
        self._why = why
        self.query_one("#settings-why", Static).update(self._why_text())

    def show_learned(self, learned: Learned | None) -> None:
        """What is known about the board now (after a run, a probe, or Forget)."""
        self._learned = learned
        self.query_one("#learned-lines", Static).update(self._learned_text())
        self.query_one("#forget", Button).disabled = not self._learned_lines()

    def show_probe(self, report: ProbeReport) -> None:
        """Detection finished: summary on top, proposal beside each field, differences lit."""
        self._report = report
        proposed = self.proposed_profile()
        self.query_one(ProfileForm).set_proposed(proposed)
        self.query_one("#probe-summary", Static).update(probe_summary(report))
        self.query_one("#use-proposed", Button).disabled = False
        self.probe_running(False)

    def show_probe_progress(self, text: str) -> None:
        """A probe step started (or failed: the text says so)."""
        self.query_one("#probe-summary", Static).update(text)

    def probe_running(self, running: bool) -> None:
        """Disable what must not happen while the device is being measured."""
        for button_id in ("apply", "save", "probe"):
            self.query_one(f"#{button_id}", Button).disabled = running

    def proposed_profile(self) -> DeviceProfile | None:
        """Detection's proposal as a profile named like the form's (None before a probe)."""
        if self._report is None:
            return None
        try:
            return DeviceProfile.from_engine_profile(
                self._report.proposed,
                name=self._profile.name,
                description=f"proposed by detection for {self.url}",
            )
        except ProfileError:
            return None

    # ------------------------------------------------------------------ actions
    def action_close(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        self._request(save=False)

    def action_save(self) -> None:
        self._request(save=True)

    def action_reset(self) -> None:
        name = self.query_one("#preset", Select).value
        preset = PRESETS.get(str(name))
        if preset is None:
            return
        self.query_one(ProfileForm).set_profile(preset.profile)
        self.notify(f"Form filled from preset {preset.profile.name}: Apply or Save to use it.")

    def action_probe(self) -> None:
        """Say what a probe costs before it happens; probe only if the user goes on."""

        def answered(go: bool | None) -> None:
            if not go:
                return
            self.probe_running(True)
            self.show_probe_progress("Probing: the connection is closed while the device is measured...")
            self.post_message(self.ProbeRequested())

        self.app.push_screen(ConfirmDialog("Probe this device?", probe_warning(self.url), go_label="Probe"), answered)

    def action_forget(self) -> None:
        """Forget the board's learned facts: no confirmation, since it costs at most a
        fingerprint (and one broken raw-paste) the next time."""
        self.post_message(self.ForgetRequested(self.url))

    def action_use_proposed(self) -> None:
        proposed = self.proposed_profile()
        if proposed is None:
            self.notify("Probe the device first (Alt+P).", severity="warning")
            return
        self.query_one(ProfileForm).set_profile(proposed)
        self.notify("Form filled from detection: Apply or Save to use it.")

    def action_export(self) -> None:
        """Write the form's profile to its own TOML file (to share it, or keep it with a project)."""
        try:
            profile = self.query_one(ProfileForm).profile()
        except ProfileError as exc:
            self.notify(f"Not exported: {exc}", severity="error")
            return
        default = f"{profile.name.replace(' ', '-').replace('/', '-')}.toml"
        self.app.push_screen(
            PathDialog("Export the profile to", default, placeholder="path/to/profile.toml"),
            lambda path: self._export_to(profile, path),
        )

    def _export_to(self, profile: DeviceProfile, path: str | None) -> None:
        if not path:
            return
        try:
            export_profile(profile, Path(path).expanduser())
        except OSError as exc:
            self.notify(f"Cannot write {path}: {exc}", severity="error")
            return
        self.notify(f"Profile {profile.name!r} exported to {path}.")

    def action_import(self) -> None:
        """Fill the form from a profile file (nothing is applied until Apply or Save)."""
        self.app.push_screen(
            PathDialog("Import a profile from", "", placeholder="path/to/profile.toml"), self._import_from
        )

    def _import_from(self, path: str | None) -> None:
        if not path:
            return
        try:
            profile = import_profile(Path(path).expanduser())
        except ProfileError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.query_one(ProfileForm).set_profile(profile)
        self.notify(f"Form filled from {path}: Apply or Save to use it.")

    def _request(self, *, save: bool) -> None:
        form = self.query_one(ProfileForm)
        try:
            profile = form.profile()
        except ProfileError as exc:
            self.notify(f"Not applied: {exc}", severity="error")
            return
        self.post_message(self.ApplyRequested(profile, save=save))

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {
            "apply": self.action_apply,
            "save": self.action_save,
            "reset": self.action_reset,
            "probe": self.action_probe,
            "use-proposed": self.action_use_proposed,
            "export": self.action_export,
            "import": self.action_import,
            "forget": self.action_forget,
            "close": self.action_close,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    @on(ProfileForm.Changed)
    def _form_changed(self, event: ProfileForm.Changed) -> None:
        for button_id in ("apply", "save"):
            self.query_one(f"#{button_id}", Button).disabled = not event.valid

    # ------------------------------------------------------------------ helpers
    def _why_text(self) -> str:
        return f"Active: {self._profile.name!r}, chosen by {self._why}"

    def _learned_lines(self) -> list[str]:
        return self._learned.describe() if self._learned is not None else []

    def _learned_text(self) -> str:
        return "\n".join(self._learned_lines()) or NOTHING_LEARNED

    def _preset_guess(self) -> str:
        return self._profile.name if self._profile.name in PRESET_NAMES else "generic"


def probe_summary(report: ProbeReport) -> str:
    """Two lines on what detection found, for the top of the screen."""
    firmware = " ".join(x for x in (report.implementation, report.version) if x) or "unknown firmware"
    if report.platform:
        firmware += f" on {report.platform}"
    if report.raw_paste_supported:
        paste = f"raw-paste window {report.window}"
    elif report.raw_paste_supported is False:
        paste = "no raw-paste"
    else:
        paste = "raw-paste unknown"
    if report.flow_control_reliable is False:
        paste += ", flow control UNRELIABLE"
    elif report.flow_control_reliable:
        paste += ", flow control reliable"
    if report.plain_raw_chunk_size is not None and report.plain_raw_chunk_delay_s is not None:
        rate = f" ({report.plain_raw_bytes_per_s / 1024:.1f} KB/s)" if report.plain_raw_bytes_per_s else ""
        paste += (
            f"; plain raw without loss: {report.plain_raw_chunk_size} B every "
            f"{report.plain_raw_chunk_delay_s * 1000:g} ms{rate}"
        )
    start = "start needed extra time" if report.start_needed_extra_time else "quick start"
    return (
        f"Detection: {firmware}; round trip median {report.round_trip_ms_median:.2f} ms, "
        f"p95 {report.round_trip_ms_p95:.2f} ms; {paste}; {start}.\n"
        "Highlighted proposals differ from the form: Use proposed (Alt+U) copies them."
    )


def probe_warning(url: str) -> str:
    """What a probe does to the connection, said before it happens."""
    return (
        f"Detection needs the port to itself: the workbench closes its connection to {url}, "
        "measures the device with its own connection, then opens it again.\n\n"
        "What the board holds in memory (variables, imports, a running program) may be gone: "
        "the probe runs code of its own, and simulated boards and the local interpreter start "
        "afresh. The trace keeps its history; the probe's bytes appear in it between two marker rows."
    )
