"""What thread workers do for a board: connect it with its profile, apply a profile, detect its
settings, run code on it (or on several), stop and reset it, and remember what each board
turned out to be able to do.

Why apart from the app: this is the blocking half of every board action. Each method runs on a
Textual thread worker, is handed the board it works for, goes through the session manager, and
reports with messages the app applies on the UI thread. It touches no widget, and of a board
it reads only what is replaced whole (``url``, ``bridge``, ``applied``).

What was learned (:mod:`workbench.profiles.learned`): a board is opened with the facts known
about it, and after every run, connection and probe what its session found is remembered. A
finding that changes the profile (raw-paste found broken: plain raw mode from now on) is
applied to the open session at once, so the next run needs no reconnect and no action of
the user's. The profile in force per board is kept here (``_in_force``), on the worker side,
because the worker that applies a finding must not wait for the UI thread to learn the choice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message
from textual.notifications import SeverityLevel

from workbench.app.board import DeviceBoard
from workbench.app.messages import (
    BoardNotice,
    DeviceConnected,
    DeviceStatus,
    LearnedAboutBoard,
    ProbeFinished,
    ProbeProgress,
    ProfileApplied,
    RunFinished,
    SeveralRunFinished,
)
from workbench.engine.session import Session
from workbench.errors import DeviceDisconnected, PortInUse, WorkbenchError
from workbench.manager import SessionManager
from workbench.manager.manager import ManagedSession
from workbench.profiles import DeviceProfile, ProfileStore, device_key, find_port, saved_profile, storage_key
from workbench.profiles.choice import (
    ProfileChoice,
    apply_learned,
    choose_before_connect,
    refine_by_fingerprint,
)
from workbench.profiles.learned import Learned, LearnedStore, learned_key, remember_findings, remember_probe
from workbench.profiles.probe import probe
from workbench.trace.record import TraceRecorder

#: Why an edit applied in the settings screen is in force.
APPLIED_REASON = "your edit in the settings screen (this run of the app only; Save keeps it)"


@dataclass(frozen=True, slots=True)
class _InForce:
    """A board's learned key (USB serial, else VID:PID, else URL) and the profile choice its
    session runs with now, as this side last set it."""

    key: str
    choice: ProfileChoice


class BoardWork:
    """The worker side of board actions, for one app (its manager, profiles and settings)."""

    def __init__(
        self,
        manager: SessionManager,
        profiles: ProfileStore,
        learned: LearnedStore,
        *,
        post: Callable[[Message], object],
        auto_reconnect: Callable[[str], bool],
        trace_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._manager = manager
        self._profiles = profiles
        self._learned = learned
        self._in_force: dict[str, _InForce] = {}
        """Per URL: written when a board is opened, a profile applied or a finding applied
        (each entry replaced whole, so any thread may read it)."""
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
        preset until the firmware has said what it is (:mod:`workbench.profiles.choice`), with
        what was learned about the board applied; a fingerprint the store knows costs no exec.
        """
        url = board.url
        port = find_port(url)
        key = learned_key(url, port)
        choice = choose_before_connect(self._profiles, url, port, board.applied, learned=self._learned.get(key))
        self._in_force[url] = _InForce(key, choice)
        managed = self._manager.get(url)
        if trace is None:
            trace = managed.trace if managed is not None else self.new_trace(choice.profile)
        if board.bridge.add_trace not in trace.listeners:
            trace.listeners.append(board.bridge.add_trace)
        reconnect_key = device_key(url, port.serial_number if port is not None else None)
        learned: list[Message] = []
        try:
            managed = self._manager.open(
                url,
                choice.profile.to_engine_profile(),
                trace=trace,
                auto_reconnect=self._auto_reconnect(reconnect_key),
                port=port,
            )
            session = managed.session
            if session is None:
                raise WorkbenchError(f"{url} was lost while connecting")
            try:
                refined = refine_by_fingerprint(choice, self._profiles, url, port, session, learned=self._learned)
            except WorkbenchError:
                learned = self._learn(url, managed, session)  # the fingerprint's exec broke raw-paste
                raise
            if refined.profile != choice.profile:
                managed.set_profile(refined.profile.to_engine_profile())
            self._in_force[url] = _InForce(key, refined)
            learned = self._learn(url, managed, session)
        except WorkbenchError as exc:
            self._post(DeviceStatus(url, str(exc), error=True, in_use=isinstance(exc, PortInUse)))
            self._post_all(learned)
            return
        self._post(DeviceConnected(url, session, self._in_force[url].choice))
        self._post_all(learned)

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
        self._in_force[url] = _InForce(self.learned_key(url), choice)
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
            key = self.learned_key(url)
            known = remember_probe(self._learned, key, report)  # the reconnect below uses it
            self._post(ProbeFinished(url, report))
            self._post_all([LearnedAboutBoard(url, key, known), *self._store_problems(url)])
        trace.mark("probe: detection is over; the workbench opens its connection again")
        self.open(board, trace)

    # ------------------------------------------------------------------ running
    def run(self, board: DeviceBoard, managed: ManagedSession, code: str, source_name: str | None) -> None:
        """Run ``code`` on the board; its output goes through the board's bridge as it comes.

        Then what the run found out about the board is remembered and applied (after the UI
        heard the run is over: asking the session waits behind whatever the person queued
        meanwhile, such as a reset waiting at its step in step mode)."""
        session = managed.session  # findings are read from it even if the board is lost meanwhile
        try:
            result = managed.exec(code, on_output=board.bridge.add_output, source_name=source_name)
        except WorkbenchError as exc:
            self._post(RunFinished(board.url, None, str(exc), lost=isinstance(exc, DeviceDisconnected)))
        else:
            self._post(RunFinished(board.url, result))
        self._post_all(self._learn(board.url, managed, session))

    def run_several(self, boards: list[DeviceBoard], code: str, label: str) -> None:
        """Run ``code`` on every board at once (connecting those not open yet); one summary."""
        for board in boards:
            if self._manager.get(board.url) is None:
                self.open(board)  # marked but not connected yet
        bridges = {board.url: board.bridge for board in boards}
        opened = {url: managed for url in bridges if (managed := self._manager.get(url)) is not None}
        sessions = {url: managed.session for url, managed in opened.items()}
        started = time.monotonic()  # the run itself, not the connecting
        outcomes = self._manager.run_on(
            list(bridges), code, on_output=lambda url, stream, text: bridges[url].add_output(stream, text)
        )
        self._post(SeveralRunFinished(outcomes, label, time.monotonic() - started))
        for url, managed in opened.items():
            self._post_all(self._learn(url, managed, sessions[url]))

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

    # ------------------------------------------------------------------ what was learned
    def learned_key(self, url: str) -> str:
        """The key ``url``'s learned facts are kept under: the one found when it was last opened
        (USB serial, else VID:PID), else its URL's. Any thread (no port listing here)."""
        in_force = self._in_force.get(url)
        return in_force.key if in_force is not None else learned_key(url, None)

    def learned_about(self, url: str) -> Learned | None:
        """What is known about the board at ``url`` (None: nothing yet)."""
        return self._learned.get(self.learned_key(url))

    def forget_learned(self, url: str) -> Learned | None:
        """Forget what was learned about the board at ``url``; what was forgotten (None:
        nothing was known). The open session keeps its profile; the next connection asks
        the board again. Small enough a write for the UI thread."""
        key = self.learned_key(url)
        known = self._learned.get(key)
        forgotten = self._learned.forget(key)
        return known if forgotten else None

    def store_problems(self) -> list[str]:
        """What went wrong with the learned store's file since last asked (cleared)."""
        return self._learned.take_problems()

    def _store_problems(self, url: str) -> list[Message]:
        return [BoardNotice(url, problem, "warning") for problem in self.store_problems()]

    def _learn(self, url: str, managed: ManagedSession, session: Session | None) -> list[Message]:
        """Remember what ``session`` found out about the board at ``url``; a finding that
        changes its profile (raw-paste broken or absent: plain raw mode) is applied to the
        session at once. The messages that tell the UI, to be posted after the run's own."""
        if session is None:
            return []
        key = self.learned_key(url)
        known = remember_findings(self._learned, key, session.findings())
        messages = self._store_problems(url)
        if known is None:
            return messages
        in_force = self._in_force.get(url)
        if in_force is None:
            return [LearnedAboutBoard(url, key, known), *messages]
        adjusted = apply_learned(in_force.choice, known)
        if adjusted.profile == in_force.choice.profile:
            return [LearnedAboutBoard(url, key, known), *messages]
        self._in_force[url] = _InForce(key, adjusted)
        learned_notes = adjusted.reason.removeprefix(in_force.choice.reason).lstrip("; ")
        try:
            managed.set_profile(adjusted.profile.to_engine_profile())  # also used when it reconnects
        except WorkbenchError as exc:
            text = f"Learned about {url}: {learned_notes}; kept for its next connection (not applied now: {exc})."
            return [LearnedAboutBoard(url, key, known, adjusted), BoardNotice(url, text, "warning"), *messages]
        text = (
            f"Learned about {url}: {learned_notes}. In force from the next run, and remembered for "
            "this board (the settings screen, F4, shows what was learned and can forget it)."
        )
        return [LearnedAboutBoard(url, key, known, adjusted), BoardNotice(url, text), *messages]

    def _post_all(self, messages: list[Message]) -> None:
        for message in messages:
            self._post(message)
