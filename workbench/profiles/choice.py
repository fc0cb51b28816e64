"""Which profile a board is opened with, and which it keeps once its firmware has spoken.

One rule, used by the app and the command line alike, in two steps because the second needs
a connection:

1. before connecting (:func:`choose_before_connect`): an edit the user applied in this run,
   else the profile the user saved for this device (USB serial number, VID:PID, URL), else
   the generic preset;
2. once connected (:func:`choose_after_fingerprint`, or :func:`refine_by_fingerprint` which
   also asks the board): the user's own choice stays; otherwise the preset for the platform
   or implementation the firmware reported replaces the generic one.

Why the user's choice is never overridden: it is the only evidence that a person looked at
this board; what the firmware says is a guess about a family of boards. The reason travels
with the profile so the UI and ``-v`` can say why a timeout is what it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.discovery.ports import PortInfo
from workbench.profiles.matching import choose_profile, saved_profile
from workbench.profiles.schema import DeviceProfile
from workbench.profiles.store import ProfileStore

if TYPE_CHECKING:
    from workbench.engine.session import Session

__all__ = ["ProfileChoice", "choose_after_fingerprint", "choose_before_connect", "refine_by_fingerprint"]


@dataclass(frozen=True, slots=True)
class ProfileChoice:
    """A profile for one board and why it was chosen."""

    profile: DeviceProfile
    """The profiles-layer profile (``to_engine_profile()`` gives what a session runs with)."""
    reason: str
    """Why, in words ("URL sim://x: saved profile 'mine'", "preset esp32 for platform 'esp32'")."""
    users_own: bool
    """An edit applied in this run or a saved profile: the firmware's platform never overrides it."""

    def describe(self) -> str:
        """The profile's name and why, in one line (``'esp32': preset esp32 for ...``)."""
        return f"{self.profile.name!r}: {self.reason}"


def choose_before_connect(
    store: ProfileStore, url: str, port: PortInfo | None, applied: ProfileChoice | None = None
) -> ProfileChoice:
    """The profile to open ``url`` with: ``applied`` (an edit applied in this run), else the
    profile saved for this device, else the generic preset until the firmware has been asked.

    An applied edit always counts as the user's own, whatever ``applied.users_own`` says.
    """
    if applied is not None:
        return applied if applied.users_own else ProfileChoice(applied.profile, applied.reason, True)
    saved = saved_profile(store, url=url, port=port)
    if saved is not None:
        return ProfileChoice(saved[0], saved[1], True)
    profile, reason = choose_profile(store, url=url, port=port)
    return ProfileChoice(profile, reason, False)


def choose_after_fingerprint(
    choice: ProfileChoice,
    store: ProfileStore,
    url: str,
    port: PortInfo | None,
    platform: str | None,
    implementation: str | None,
) -> ProfileChoice:
    """The profile to keep once the firmware reported its platform and implementation.

    The user's own choice is returned unchanged; so is any choice when the firmware said
    nothing (empty or None for both). Otherwise the preset for what it reported (the user's
    saved version of that preset if any), or the generic preset naming the unknown platform.
    """
    if choice.users_own or not (platform or implementation):
        return choice
    profile, reason = choose_profile(store, url=url, port=port, platform=platform, implementation=implementation)
    return ProfileChoice(profile, reason, False)


def refine_by_fingerprint(
    choice: ProfileChoice, store: ProfileStore, url: str, port: PortInfo | None, session: Session
) -> ProfileChoice:
    """:func:`choose_after_fingerprint` for a connected ``session``, asking the firmware first.

    The user's own choice costs no exec. Runs on the thread that may use ``session`` (it runs
    one small exec); a lost device raises as any exec would, an odd one simply keeps ``choice``.
    The caller switches the session to the result's profile if it differs.
    """
    if choice.users_own:
        return choice
    from workbench.profiles.probe import fingerprint  # the engine session, only once connected

    found = fingerprint(session)
    return choose_after_fingerprint(choice, store, url, port, found.platform, found.implementation)
