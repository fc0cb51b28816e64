"""What thread workers do for a board: connect it with its profile, apply a profile, detect its
settings, run code on it (or on several), stop and reset it.

Why apart from the app: this is the blocking half of every board action. Each method runs on a
Textual thread worker, is handed the board it works for, goes through the session manager, and
reports with messages the app applies on the UI thread. It touches no widget, and of a board
it reads only what is replaced whole (``url``, ``bridge``, ``applied``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.message import Message
from textual.notifications import SeverityLevel

from workbench.app.board import DeviceBoard
from workbench.app.messages import (
    BoardNotice,
    DeviceConnected,
    DeviceStatus,
    ProbeFinished,
    ProbeProgress,
    ProfileApplied,
    RunFinished,
    SeveralRunFinished,
)
from workbench.errors import DeviceDisconnected, WorkbenchError
from workbench.manager import SessionManager
from workbench.manager.manager import ManagedSession
from workbench.profiles import DeviceProfile, ProfileStore, device_key, find_port, saved_profile, storage_key
from workbench.profiles.choice import ProfileChoice, choose_before_connect, refine_by_fingerprint
from workbench.profiles.probe import probe
from workbench.trace.record import TraceRecorder

#: Why an edit applied in the settings screen is in force.
APPLIED_REASON = "your edit in the settings screen (this run of the app only; Save keeps it)"


class BoardWork:
    """The worker side of board actions, for one app (its manager, profiles and settings)."""

    def __init__(
        self,
        manager: SessionManager,
        profiles: ProfileStore,
        *,
        post: Callable[[Message], object],
        auto_reconnect: Callable[[str], bool],
        trace_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._manager = manager
        self._profiles = profiles
        self._post = post
        self._auto_reconnect = auto_reconnect
        """Whether the board with this device key reopens by itself once lost."""
        self._trace_clock = trace_clock

    # ------------------------------------------------------------------ connecting
    def new_trace(self, profile: DeviceProfile) -> TraceRecorder:
        """A board's trace recorder, within the profile's budget (kept across reconnects and probes)."""
        return TraceRecorder(profile.trace_budget_bytes, clock=self._trace_clock)

    def open(self, board: DeviceBoard, trace: TraceRecorder | None = None) -> None:
        """Open the board with its profile, enter the raw REPL, report to the UI.

        ``trace``: the recorder to go on with (a probe's), else the board's own or a new one.
        The profile: the board's applied edit, else the one saved for it, else the generic
        preset until the firmware has said what it is (:mod:`workbench.profiles.choice`).
        """
        url = board.url
        port = find_port(url)
        choice = choose_before_connect(self._profiles, url, port, board.applied)
        managed = self._manager.get(url)
        if trace is None:
            trace = managed.trace if managed is not None else self.new_trace(choice.profile)
        if board.bridge.add_trace not in trace.listeners:
            trace.listeners.append(board.bridge.add_trace)
        key = device_key(url, port.serial_number if port is not None else None)
        try:
            managed = self._manager.open(
                url, choice.profile.to_engine_profile(), trace=trace, auto_reconnect=self._auto_reconnect(key), port=port
            )
            session = managed.session
            if session is None:
                raise WorkbenchError(f"{url} was lost while connecting")
            refined = refine_by_fingerprint(choice, self._profiles, url, port, session)
            if refined.profile != choice.profile:
                managed.set_profile(refined.profile.to_engine_profile())
        except WorkbenchError as exc:
            self._post(DeviceStatus(url, str(exc), error=True))
            return
        self._post(DeviceConnected(url, session, refined))

    def close(self, url: str) -> None:
        """Close ``url``'s session, if open, and say so."""
        if self._manager.get(url) is not None:
            self._manager.close(url)
            self._post(DeviceStatus(url, "disconnected"))

    # ------------------------------------------------------------------ profiles
    def apply_profile(self, board: DeviceBoard, profile: DeviceProfile, save: bool) -> None:
        """Use ``profile`` for this board at once; with ``save`` also for this device from now on."""
        url = board.url
        port = find_port(url)
        if save:
            key = storage_key(url, port)
            if not self._profiles.save(key, profile):
                problem = "; ".join(self._profiles.problems) or "the profile could not be saved"
                self._post(DeviceStatus(url, f"profile not saved: {problem}", error=True))
                return
            found = saved_profile(self._profiles, url=url, port=port)
            choice = ProfileChoice(profile, found[1] if found is not None else f"saved for {key}", True)
        else:
            choice = ProfileChoice(profile, APPLIED_REASON, True)
        managed = self._manager.get(url)
        if managed is not None:
            try:
                managed.set_profile(profile.to_engine_profile())  # also used when it reconnects
            except WorkbenchError as exc:
                self._post(ProfileApplied(url, choice, saved=save, error=str(exc)))
                return
        self._post(ProfileApplied(url, choice, saved=save))

    def probe(self, board: DeviceBoard, current: DeviceProfile) -> None:
        """Detection needs the port to itself: close, measure, reconnect. The board's trace
        goes on through all three (marker rows say where the probe starts and ends)."""
        url = board.url
        managed = self._manager.get(url)
        trace = managed.trace if managed is not None else self.new_trace(current)
        if board.bridge.add_trace not in trace.listeners:
            trace.listeners.append(board.bridge.add_trace)
        trace.mark("probe: the workbench closes its connection; detection opens the device on its own")
        self.close(url)
        try:
            report = probe(
                url,
                base=current.to_engine_profile(),
                on_step=lambda text: self._post(ProbeProgress(f"Probing: {text}")),
                trace=trace,
            )
        except WorkbenchError as exc:
            self._post(ProbeFinished(url, None, str(exc)))
        else:
            self._post(ProbeFinished(url, report))
        trace.mark("probe: detection is over; the workbench opens its connection again")
        self.open(board, trace)

    # ------------------------------------------------------------------ running
    def run(self, board: DeviceBoard, managed: ManagedSession, code: str, source_name: str | None) -> None:
        """Run ``code`` on the board; its output goes through the board's bridge as it comes."""
        try:
            result = managed.exec(code, on_output=board.bridge.add_output, source_name=source_name)
        except WorkbenchError as exc:
            self._post(RunFinished(board.url, None, str(exc), lost=isinstance(exc, DeviceDisconnected)))
            return
        self._post(RunFinished(board.url, result))

    def run_several(self, boards: list[DeviceBoard], code: str, label: str) -> None:
        """Run ``code`` on every board at once (connecting those not open yet); one summary."""
        for board in boards:
            if self._manager.get(board.url) is None:
                self.open(board)  # marked but not connected yet
        bridges = {board.url: board.bridge for board in boards}
        started = time.monotonic()  # the run itself, not the connecting
        outcomes = self._manager.run_on(
            list(bridges), code, on_output=lambda url, stream, text: bridges[url].add_output(stream, text)
        )
        self._post(SeveralRunFinished(outcomes, label, time.monotonic() - started))

    def control(
        self,
        board: DeviceBoard,
        call: Callable[[ManagedSession], object],
        what: str,
        done: Callable[[object], tuple[str, SeverityLevel]] | None = None,
    ) -> None:
        """``call`` (stop, a reset) on the board while it takes commands; ``done`` words its
        result for the user."""
        managed = board.managed
        if managed is None or board.session is None:
            return
        try:
            result = call(managed)
        except WorkbenchError as exc:
            self._post(DeviceStatus(board.url, f"{what} failed: {exc}", error=True))
            return
        if done is not None:
            self._post(BoardNotice(board.url, *done(result)))
