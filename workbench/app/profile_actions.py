"""The app's side of profiles and detection: the settings screen's requests, done on workers.

A mixin of :class:`~workbench.app.app.WorkbenchApp` (it uses the app's manager, bridges and
widgets); kept apart so the app module stays about layout and wiring. Handlers are named
``on_<message>`` because Textual's ``@on`` is only collected on message-pump classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from workbench.app.bridge import SessionBridge
from workbench.app.messages import DeviceStatus, ProbeFinished, ProbeProgress, ProfileApplied
from workbench.app.widgets.settings_screen import SettingsScreen
from workbench.app.widgets.status_bar import StatusBar
from workbench.errors import WorkbenchError
from workbench.profiles import DeviceProfile, find_port, saved_profile, storage_key
from workbench.profiles.probe import probe

if TYPE_CHECKING:
    from workbench.app.app import WorkbenchApp

    _Base = WorkbenchApp
else:
    _Base = object


class ProfileActions(_Base):
    """F4 settings: Apply, Save, Probe for the selected board."""

    def action_settings(self) -> None:
        """Show the active profile as a form (F4)."""
        if isinstance(self.screen, SettingsScreen):
            return
        self.push_screen(
            SettingsScreen(
                self.device_url,
                self.active_profile,
                self.profile_reason,
                report=self._probe_reports.get(self.device_url),
            )
        )

    def on_settings_screen_apply_requested(self, message: SettingsScreen.ApplyRequested) -> None:
        if self._code_running:
            self.notify("The new settings apply from the next run.", timeout=5)
        self._apply_profile(self.device_url, message.profile, message.save)

    @work(thread=True, group="control", exit_on_error=False)
    def _apply_profile(self, url: str, profile: DeviceProfile, save: bool) -> None:
        """Use ``profile`` for this session at once; with ``save`` also for this device from now on."""
        port = find_port(url)
        if save:
            key = storage_key(url, port)
            if not self.profiles.save(key, profile):
                problem = "; ".join(self.profiles.problems) or "the profile could not be saved"
                self.post_message(DeviceStatus(url, f"profile not saved: {problem}", error=True))
                return
            self._applied.pop(url, None)
            found = saved_profile(self.profiles, url=url, port=port)
            why = found[1] if found is not None else f"saved for {key}"
        else:
            why = "your edit in the settings screen (this run of the app only; Save keeps it)"
            self._applied[url] = (profile, why)
        managed = self.manager.get(url)
        if managed is not None:
            try:
                managed.set_profile(profile.to_engine_profile())  # also used when it reconnects
            except WorkbenchError as exc:
                self.post_message(DeviceStatus(url, f"could not apply the profile: {exc}", error=True))
                return
        self.post_message(ProfileApplied(url, profile, why))

    def on_profile_applied(self, message: ProfileApplied) -> None:
        self._board_profiles[message.url] = (message.profile, message.why)
        if message.url != self.device_url:
            return
        self.query_one("#status", StatusBar).set_profile(message.profile.name)
        if isinstance(self.screen, SettingsScreen):
            self.screen.show_active(message.profile, message.why)
        self.notify(f"Profile {message.profile.name!r} in use: {message.why}.", timeout=6)

    def on_settings_screen_probe_requested(self, _message: SettingsScreen.ProbeRequested) -> None:
        if self._code_running:
            self.notify("Stop the running code first (F6): the probe needs the device.", severity="warning")
            if isinstance(self.screen, SettingsScreen):
                self.screen.probe_running(False)
            return
        self._probe(self.device_url, self.active_profile, self._bridge_for(self.device_url))

    @work(thread=True, group="connect", exit_on_error=False)
    def _probe(self, url: str, current: DeviceProfile, bridge: SessionBridge) -> None:
        """(worker) Detection needs the port to itself: close, measure, reconnect. The board's
        trace goes on through all three (marker rows say where the probe starts and ends)."""
        managed = self.manager.get(url)
        trace = managed.trace if managed is not None else self._new_trace()
        if bridge.add_trace not in trace.listeners:
            trace.listeners.append(bridge.add_trace)
        trace.mark("probe: the workbench closes its connection; detection opens the device on its own")
        self._close_board(url)
        base = current.to_engine_profile()
        try:
            report = probe(
                url,
                base=base,
                on_step=lambda text: self.post_message(ProbeProgress(f"Probing: {text}")),
                trace=trace,
            )
        except WorkbenchError as exc:
            self.post_message(ProbeFinished(url, None, str(exc)))
        else:
            self.post_message(ProbeFinished(url, report))
        trace.mark("probe: detection is over; the workbench opens its connection again")
        self._open_session(url, bridge, trace)

    def on_probe_progress(self, message: ProbeProgress) -> None:
        if isinstance(self.screen, SettingsScreen):
            self.screen.show_probe_progress(message.text)

    def on_probe_finished(self, message: ProbeFinished) -> None:
        screen = self.screen if isinstance(self.screen, SettingsScreen) else None
        if message.report is None:
            self.notify(f"Detection failed: {message.error}", severity="error", timeout=10)
            if screen is not None:
                screen.show_probe_progress(f"Detection failed: {message.error}")
                screen.probe_running(False)
            return
        self._probe_reports[message.url] = message.report
        if screen is not None and screen.url == message.url:
            screen.show_probe(message.report)
        self.notify("Detection finished: the proposal is beside each setting.", timeout=6)
