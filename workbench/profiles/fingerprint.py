"""The fingerprint: one small exec that asks a board what firmware it runs.

Why its own module: it runs on every connection to a board not known yet (the app and the
command line pick the preset from its answer, :mod:`workbench.profiles.choice`), so it must be
cheap to import and to run, and it must work on any board: one that loses bytes when written
to quickly, one whose raw-paste is broken (it is sent in plain raw mode, before raw-paste is
ever asked for), an old or odd port (anything it cannot read gives an empty fingerprint). The
probe (:mod:`workbench.profiles.probe`) reports the same answer as one of its steps.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from workbench.engine.profile import Profile
    from workbench.engine.session import Session

__all__ = ["FINGERPRINT_CODE", "Fingerprint", "fingerprint", "fingerprint_profile", "parse_fingerprint"]

#: Marker of the fingerprint line, so boot noise or a board's own prints are not misread.
_FP_MARK = "WBFP"

#: Runs on the device, as small as it can be: on every connection to a board not known yet it
#: goes, with its CTRL-D, as one write that a 64-byte receive buffer takes whole (no pause
#: between writes, which would cost every first connection 10 ms). It prints the marker,
#: ``sys.platform`` and ``sys.implementation`` as the firmware shows it, and leaves no name
#: behind. A port without one of them raises instead: no marker line, an empty fingerprint
#: (the generic preset), nothing the user sees. The host reads the fields
#: (:func:`parse_fingerprint`): MicroPython and CircuitPython print an attribute tuple,
#: ``(name='micropython', version=(1, 22, 2, ''), _machine='...', _mpy=...)`` (no
#: ``_machine`` before 1.20; a three-part version on CircuitPython and before 1.22, a
#: fourth part, a pre-release word or '', since), ports built without attribute tuples a
#: plain ``('micropython', (1, 12, 0))``.
FINGERPRINT_CODE = f"import sys as s;print('{_FP_MARK}',s.platform,s.implementation);del s"
#: The fingerprint's writes: no more than this many bytes...
FINGERPRINT_CHUNK_SIZE = 64
#: ...at least this far apart (a 64-byte receive buffer emptied every 10 ms takes them).
FINGERPRINT_CHUNK_DELAY_S = 0.01
#: Longest fingerprint line read (anything longer is not ours).
_FP_MAX_LINE = 1024
#: Bound on the fingerprint's exec (the engine's own deadlines end it sooner on a silent board).
FINGERPRINT_TIMEOUT_S = 10.0


class Fingerprint(NamedTuple):
    """What the firmware says it is; empty strings for whatever it would not tell."""

    implementation: str
    version: str
    platform: str
    machine: str


def fingerprint(session: Session) -> Fingerprint:
    """One small exec that identifies the firmware (used to pick a preset at connect).

    Sent in plain raw mode with small, spaced writes (:func:`fingerprint_profile`, for this
    exec only), so it works on a board that loses bytes and before raw-paste is ever asked for. Never raises for an odd device: a
    failed or unreadable answer gives an empty fingerprint (the generic preset then
    applies). A lost device still raises, as any exec would.
    """
    from workbench.errors import DeviceTimeout, TransferError

    try:
        result = session.exec(FINGERPRINT_CODE, timeout=FINGERPRINT_TIMEOUT_S, profile=fingerprint_profile(session.profile))
    except (DeviceTimeout, TransferError):
        return Fingerprint("", "", "", "")
    return parse_fingerprint(result.stdout) or Fingerprint("", "", "", "")


def fingerprint_profile(profile: Profile) -> Profile:
    """The settings of the fingerprint's one exec, from the session's ``profile``: plain raw
    mode (raw-paste not asked for yet: a board may break it, and presets can turn it off
    for firmware known to), writes of at most 64 bytes 10 ms apart (a small receive buffer
    takes them whole: the code is one such write), and no integrity check (the reply
    itself shows damage, and the check would cost a round trip on every connect)."""
    return profile.with_changes(
        raw_paste="never",
        chunk_size=min(profile.chunk_size, FINGERPRINT_CHUNK_SIZE),
        chunk_delay_s=max(profile.chunk_delay_s, FINGERPRINT_CHUNK_DELAY_S),
        verify_code="never",
    )


def parse_fingerprint(stdout: str) -> Fingerprint | None:
    """What :data:`FINGERPRINT_CODE` printed, read on the host; None without its line.

    The line is ``WBFP <platform> <sys.implementation>``. The implementation's text is parsed
    as a call (``f(name='micropython', version=(1, 22, 2, ''), ...)``), never evaluated:
    only the literal values of its fields are read, and anything odd gives empty fields.
    """
    for line in stdout.splitlines():
        if not line.startswith(_FP_MARK + " ") or len(line) > _FP_MAX_LINE:
            continue
        platform, _, shown = line[len(_FP_MARK) + 1 :].partition(" ")
        fields = _implementation_fields(shown.strip())
        return Fingerprint(
            _field(fields.get("name")),
            _version_text(fields.get("version")),
            platform.strip(),
            _field(fields.get("_machine")),
        )
    return None


def _implementation_fields(shown: str) -> dict[str, object]:
    """``name``, ``version``, ``_machine``... from the text of ``sys.implementation``: an
    attribute tuple's ``(name=..., ...)`` or a plain tuple's ``(name, version)``."""
    if not shown.startswith("("):
        return {}
    try:
        call = ast.parse("f" + shown, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return {}
    if not isinstance(call, ast.Call):
        return {}
    fields: dict[str, object] = {}
    named = [(keyword.arg, keyword.value) for keyword in call.keywords if keyword.arg]
    for name, node in [*zip(("name", "version"), call.args, strict=False), *named]:
        try:
            fields[name] = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue  # a field that is not a literal: left empty
    return fields


def _field(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _version_text(version: object) -> str:
    """``(1, 22, 2, '')`` -> ``1.22.2``, ``(1, 24, 0, 'preview')`` -> ``1.24.0-preview``,
    CircuitPython's ``(8, 2, 9)`` -> ``8.2.9``; anything else: its text, or ""."""
    if isinstance(version, tuple | list):
        text = ".".join(str(part) for part in version[:3])
        if len(version) > 3 and version[3]:
            text += "-" + str(version[3])
        return text
    return _field(version)
