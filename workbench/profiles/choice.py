"""Which profile a board is opened with, and which it keeps once its firmware has spoken.

One rule, used by the app and the command line alike, in two steps because the second needs
a connection:

1. before connecting (:func:`choose_before_connect`): an edit the user applied in this run,
   else the profile the user saved for this device (USB serial number, VID:PID, URL), else
   the generic preset;
2. once connected (:func:`choose_after_fingerprint`, or :func:`refine_by_fingerprint` which
   also asks the board, or takes its answer from what was learned before): the user's own
   choice stays; otherwise the preset for the platform or implementation the firmware
   reported replaces the generic one, adjusted for firmware versions known to lack or break
   raw-paste (:data:`FIRMWARE_RULES`);
3. on top of either, what the engine learned about this very board
   (:func:`apply_learned`, :mod:`workbench.profiles.learned`): a raw-paste found broken or
   absent is not asked for again, and a probe's plain raw pacing is used.

Why the user's choice is never overridden: it is the only evidence that a person looked at
this board; what the firmware says is a guess about a family of boards. The reason travels
with the profile so the UI and ``-v`` can say why a timeout is what it is.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import TYPE_CHECKING

from workbench.discovery.ports import PortInfo
from workbench.profiles.learned import Learned, LearnedStore, learned_key
from workbench.profiles.matching import choose_profile, saved_profile
from workbench.profiles.schema import DeviceProfile
from workbench.profiles.store import ProfileStore
from workbench.protocol.records import Record, record

if TYPE_CHECKING:
    from workbench.engine.session import Session

__all__ = [
    "FIRMWARE_RULES",
    "FirmwareRule",
    "ProfileChoice",
    "apply_learned",
    "choose_after_fingerprint",
    "choose_before_connect",
    "refine_by_fingerprint",
]


@record
class ProfileChoice(Record):
    """A profile for one board and why it was chosen."""

    profile: DeviceProfile
    """The profiles-layer profile (``to_engine_profile()`` gives what a session runs with)."""
    reason: str
    """Why, in words ("URL sim://x: saved profile 'mine'", "preset esp32 for platform 'esp32'")."""
    users_own: bool
    """An edit applied in this run or a saved profile: the firmware's platform never overrides it."""
    no_raw_paste: str = ""
    """Why raw-paste is off when the workbench turned it off (firmware rule, learned fact), not
    the profile itself: the board then runs without flow control, which the UI says."""

    def describe(self) -> str:
        """The profile's name and why, in one line (``'esp32': preset esp32 for ...``)."""
        return f"{self.profile.name!r}: {self.reason}"


def choose_before_connect(
    store: ProfileStore,
    url: str,
    port: PortInfo | None,
    applied: ProfileChoice | None = None,
    learned: Learned | None = None,
) -> ProfileChoice:
    """The profile to open ``url`` with: ``applied`` (an edit applied in this run), else the
    profile saved for this device, else the generic preset until the firmware has been asked;
    then what was ``learned`` about the board (:func:`apply_learned`).

    An applied edit always counts as the user's own, whatever ``applied.users_own`` says.
    """
    if applied is not None:
        choice = applied if applied.users_own else ProfileChoice(applied.profile, applied.reason, True)
    elif (saved := saved_profile(store, url=url, port=port)) is not None:
        choice = ProfileChoice(saved[0], saved[1], True)
    else:
        profile, reason = choose_profile(store, url=url, port=port)
        choice = ProfileChoice(profile, reason, False)
    return apply_learned(choice, learned)


@record
class FirmwareRule(Record):
    """Settings a firmware family needs whatever board it runs on, and why."""

    implementation: str
    below: tuple[int, ...]
    """Versions before this one."""
    changes: dict[str, object]
    reason: str


FIRMWARE_RULES: tuple[FirmwareRule, ...] = (
    FirmwareRule(
        "micropython",
        (1, 14),
        {"raw_paste": "never"},
        "MicroPython before 1.14 has no raw-paste (asking costs two round trips per connection)",
    ),
)
"""Firmware versions known to lack or break raw-paste; a preset's raw_paste gives way to them.
A build found broken on one board is remembered for that board (:func:`apply_learned`); a rule
here is for a whole release once it is known to be broken everywhere."""


def _version_tuple(version: str) -> tuple[int, ...]:
    """``"1.22.2-preview"`` -> (1, 22, 2); () when it does not start with a number."""
    return tuple(int(part) for part in re.findall(r"\d+", version.split("-", 1)[0])[:3])


def _apply_firmware_rules(choice: ProfileChoice, implementation: str | None, version: str | None) -> ProfileChoice:
    found = _version_tuple(version or "")
    if not found:
        return choice
    profile, reasons = choice.profile, []
    for rule in FIRMWARE_RULES:
        if (implementation or "").lower() == rule.implementation and found < rule.below:
            changes = {k: v for k, v in rule.changes.items() if getattr(profile, k) != v}
            if changes:
                profile = profile.with_changes(**changes)
                reasons.append(rule.reason + ": " + ", ".join(f"{k} {v}" for k, v in changes.items()))
    if not reasons:
        return choice
    off = choice.no_raw_paste or _first_raw_paste_off(reasons)
    return ProfileChoice(profile, choice.reason + "; " + "; ".join(reasons), choice.users_own, off)


def _first_raw_paste_off(reasons: list[str]) -> str:
    return next((reason for reason in reasons if "raw_paste never" in reason), "")


def choose_after_fingerprint(
    choice: ProfileChoice,
    store: ProfileStore,
    url: str,
    port: PortInfo | None,
    platform: str | None,
    implementation: str | None,
    version: str | None = None,
) -> ProfileChoice:
    """The profile to keep once the firmware reported its platform and implementation.

    The user's own choice is returned unchanged; so is any choice when the firmware said
    nothing (empty or None for both). Otherwise the preset for what it reported (the user's
    saved version of that preset if any), or the generic preset naming the unknown platform,
    with the :data:`FIRMWARE_RULES` for its ``version``.
    """
    if choice.users_own or not (platform or implementation):
        return choice
    profile, reason = choose_profile(store, url=url, port=port, platform=platform, implementation=implementation)
    return _apply_firmware_rules(ProfileChoice(profile, reason, False), implementation, version)


def apply_learned(choice: ProfileChoice, learned: Learned | None) -> ProfileChoice:
    """``choice`` adjusted by what was learned about this board.

    A raw-paste found broken or absent turns ``auto`` into ``never`` (even in the user's own
    profile: auto means "ask and remember", and this is the remembering; ``always`` is left
    alone). Plain raw pacing a probe measured replaces a preset's guess, not the user's own.
    """
    if learned is None:
        return choice
    profile, notes, off = choice.profile, [], choice.no_raw_paste
    if learned.raw_paste in ("broken", "absent") and profile.raw_paste == "auto":
        profile = profile.with_changes(raw_paste="never")
        notes.append(f"raw-paste {learned.raw_paste} on this board (learned), so raw_paste never")
        off = off or f"raw-paste {learned.raw_paste} on this board"
    pacing = (learned.plain_raw_chunk_size, learned.plain_raw_chunk_delay_s)
    if not choice.users_own and None not in pacing and pacing != (profile.chunk_size, profile.chunk_delay_s):
        profile = profile.with_changes(chunk_size=pacing[0], chunk_delay_s=pacing[1])
        notes.append(f"plain raw pacing measured by a probe: chunk_size {pacing[0]}, chunk_delay_s {pacing[1]:g}")
    if not notes:
        return choice
    return ProfileChoice(profile, choice.reason + "; " + "; ".join(notes), choice.users_own, off)


def refine_by_fingerprint(
    choice: ProfileChoice,
    store: ProfileStore,
    url: str,
    port: PortInfo | None,
    session: Session,
    learned: LearnedStore | None = None,
) -> ProfileChoice:
    """:func:`choose_after_fingerprint` for a connected ``session``, asking the firmware first
    unless ``learned`` already knows its answer (which saves an exec on every connection).

    The user's own choice costs no exec. Runs on the thread that may use ``session`` (it runs
    one small exec); a lost device raises as any exec would, an odd one simply keeps ``choice``.
    A fresh answer is remembered in ``learned``. The result has the learned facts applied
    (:func:`apply_learned`); the caller switches the session to its profile if it differs.
    """
    if choice.users_own:
        return choice
    key = learned_key(url, port)
    known = learned.get(key) if learned is not None else None
    if known is not None and known.has_fingerprint:
        implementation, version, platform = known.implementation, known.version, known.platform
        cached = True
    else:
        from workbench.profiles.fingerprint import fingerprint  # the engine session, only once connected

        found = fingerprint(session)
        implementation, version, platform = found.implementation, found.version, found.platform
        cached = False
        if learned is not None and (found.implementation or found.platform):
            known = learned.remember(
                key,
                implementation=found.implementation,
                version=found.version,
                platform=found.platform,
                machine=found.machine,
                fingerprint_at=time.time(),
            )
    refined = choose_after_fingerprint(choice, store, url, port, platform, implementation, version)
    if cached and refined is not choice:
        refined = dataclasses.replace(refined, reason=refined.reason + " (firmware as learned earlier)")
    return apply_learned(refined, known)
