"""A device profile: every protocol setting for one board, named, validated, with units in the names.

The settings are declared once, as the engine's :class:`~workbench.engine.profile.Profile`;
:class:`DeviceProfile` inherits them and adds a name and a description. What this module adds
is trust: profiles come from places the program does not control (a hand-edited TOML file, a
file a colleague exported, a form the user is typing into, the settings of the .NET library
people migrate from), so every value is checked once, here, by the rule :data:`_RULES` holds
for its field, with a message that names where it came from, which field is wrong and why.
The engine then receives only values it can trust, via :meth:`DeviceProfile.to_engine_profile`.

A profile is a frozen dataclass: sessions and the UI can share one without copying, and a
constructed profile is always valid (``__post_init__`` runs the same checks as
:meth:`DeviceProfile.from_dict`)."""

from __future__ import annotations

import codecs
import math
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any, Literal

from workbench.engine.profile import Profile, RawPasteMode
from workbench.protocol.records import Record, record

__all__ = [
    "ENGINE_FIELD_NAMES",
    "FIELD_HELP",
    "FIELD_NAMES",
    "DeviceProfile",
    "ProfileError",
    "RawPasteMode",
    "format_field",
    "from_seed_settings",
    "validate_field",
]

#: Longest timeout we accept (an hour): anything longer is a typo (ms typed as s) or "no limit",
#: which is spelled ``none`` for exec_timeout_s.
MAX_TIMEOUT_S = 3600.0
#: Longest delay we accept: a delay is paid on every connect or interrupt, a minute is already absurd.
MAX_DELAY_S = 60.0
MAX_CHUNK_SIZE = 65536
MAX_RETRIES = 20
#: Smallest raw-paste window cap: the protocol's flow control byte plus a few bytes of code.
MIN_WINDOW_SIZE = 8
MAX_WINDOW_SIZE = 65536
MIN_FILE_BLOCK = 16
MAX_FILE_BLOCK = 500_000
MIN_BAUDRATE = 300
#: FTDI's FT232H tops out at 12 Mbaud; anything above is a typo.
MAX_BAUDRATE = 12_000_000
#: Standard rates below MIN_BAUDRATE that pyserial still accepts (old hardware, never a typo).
LOW_STANDARD_BAUDRATES = frozenset({50, 75, 110, 134, 150, 200})
MAX_TRACE_BUDGET_BYTES = 1024 * 1024 * 1024
MAX_NAME_LENGTH = 64


_RAW_PASTE_MODES: tuple[str, ...] = ("auto", "always", "never")
_VERIFY_MODES: tuple[str, ...] = ("auto", "always", "never")
#: verify_code was true / false before it had three values ("auto" checks only what plain raw
#: mode sends): files written then keep their meaning.
_VERIFY_FROM_BOOL = {True: "always", False: "never"}
_TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "off", "0"})
_NONE_WORDS = frozenset({"none", "null", "default", ""})


class ProfileError(ValueError):
    """A profile value was refused. ``source`` says where it came from, ``field`` which setting.

    Carries every issue found (``issues``: (field, reason) pairs) so a user fixing a file sees
    all mistakes at once instead of one per attempt; ``field`` and ``reason`` are the first.
    """

    def __init__(self, source: str, issues: list[tuple[str | None, str]]) -> None:
        if not issues:
            raise ValueError("ProfileError needs at least one issue")
        self.source = source
        self.issues = list(issues)
        self.field, self.reason = self.issues[0]
        parts = [f"{field}: {reason}" if field else reason for field, reason in self.issues]
        super().__init__(f"{source}: " + "; ".join(parts))


Kind = Literal["float", "int", "bool", "str", "choice", "encoding"]


@record
class _Rule(Record):
    """How one field is typed and checked; shared by construction, from_dict and validate_field."""

    kind: Kind
    optional: bool = False
    check: Callable[[Any], str | None] | None = None
    choices: tuple[str, ...] = ()
    """The words a "choice" field accepts."""
    from_bool: Mapping[bool, str] | None = None
    """A "choice" field that used to be true / false: what each old value means now."""

    def type_words(self) -> str:
        """What a value of this field must be, in words."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        return _TYPE_WORDS[self.kind]


def _timeout(value: float) -> str | None:
    if not 0 < value <= MAX_TIMEOUT_S:
        return f"must be more than 0 and at most {MAX_TIMEOUT_S:g} seconds, not {value:g}"
    return None


def _delay(value: float) -> str | None:
    if not 0 <= value <= MAX_DELAY_S:
        return f"must be between 0 and {MAX_DELAY_S:g} seconds, not {value:g}"
    return None


def _between(low: int, high: int, unit: str = "") -> Callable[[Any], str | None]:
    def check(value: int) -> str | None:
        if not low <= value <= high:
            return f"must be between {low} and {high}{unit}, not {value}"
        return None

    return check


def _window(value: int) -> str | None:
    if value < MIN_WINDOW_SIZE:
        return f"must be at least {MIN_WINDOW_SIZE} bytes (or none to use the board's window), not {value}"
    if value > MAX_WINDOW_SIZE:
        return f"must be at most {MAX_WINDOW_SIZE} bytes, not {value}"
    return None


def _baudrate(value: int) -> str | None:
    if value in LOW_STANDARD_BAUDRATES or MIN_BAUDRATE <= value <= MAX_BAUDRATE:
        return None
    return f"must be a standard rate or between {MIN_BAUDRATE} and {MAX_BAUDRATE}, not {value}"


def _name(value: str) -> str | None:
    if not value.strip():
        return "must not be empty"
    if len(value) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters"
    if any(ord(char) < 0x20 for char in value):
        return "must not contain control characters"
    return None


def _encoding(value: str) -> str | None:
    try:
        info = codecs.lookup(value)
    except LookupError:
        return f"{value!r} is not a known text encoding"
    # rot13, hex, zlib... are codecs too, but not str <-> bytes text encodings.
    if not getattr(info, "_is_text_encoding", True):
        return f"{value!r} is a codec but not a text encoding"
    return None


_RULES: dict[str, _Rule] = {
    "name": _Rule("str", check=_name),
    "description": _Rule("str"),
    "startup_delay_s": _Rule("float", check=_delay),
    "interrupt_delay_s": _Rule("float", check=_delay),
    "response_timeout_s": _Rule("float", check=_timeout),
    "reset_timeout_s": _Rule("float", check=_timeout),
    "exec_timeout_s": _Rule("float", optional=True, check=_timeout),
    "raw_paste": _Rule("choice", choices=_RAW_PASTE_MODES),
    "window_size_override": _Rule("int", optional=True, check=_window),
    "chunk_size": _Rule("int", check=_between(1, MAX_CHUNK_SIZE, " bytes")),
    "chunk_delay_s": _Rule("float", check=_delay),
    "file_block_size": _Rule("int", optional=True, check=_between(MIN_FILE_BLOCK, MAX_FILE_BLOCK, " bytes")),
    "retries": _Rule("int", check=_between(0, MAX_RETRIES)),
    "soft_reset_before_run": _Rule("bool"),
    "verify_code": _Rule("choice", choices=_VERIFY_MODES, from_bool=_VERIFY_FROM_BOOL),
    "dtr": _Rule("bool", optional=True),
    "rts": _Rule("bool", optional=True),
    "baudrate": _Rule("int", check=_baudrate),
    "encoding": _Rule("encoding", check=_encoding),
    "verbose_trace": _Rule("bool"),
    "trace_budget_bytes": _Rule("int", check=_between(0, MAX_TRACE_BUDGET_BYTES, " bytes")),
}

_TYPE_WORDS: dict[Kind, str] = {
    "float": "a number of seconds",
    "int": "a whole number",
    "bool": "true or false",
    "str": "a string",
    "choice": "one of the words listed for the field",
    "encoding": "an encoding name such as utf-8",
}


def _type_name(value: object) -> str:
    """How the user wrote it, in TOML terms where possible ("a string", "a boolean")."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def _check_value(name: str, value: Any) -> tuple[Any, str | None]:
    """Type-check and range-check an already-typed value (from TOML, JSON or code).

    Returns the value normalised (int seconds become float) and None, or (None, reason).
    Strings are never parsed here: ``"2"`` in a TOML file is a mistake worth reporting, the
    form path (:func:`validate_field`) is where text is parsed.
    """
    rule = _RULES[name]
    if value is None:
        if rule.optional:
            return None, None
        return None, f"must be {rule.type_words()}, not empty"
    wrong = f"must be {rule.type_words()}{' or none' if rule.optional else ''}, not {_type_name(value)}"
    if rule.kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, wrong
        value = float(value)
        if not math.isfinite(value):
            return None, f"must be a finite number, not {value}"
    elif rule.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                return None, wrong
    elif rule.kind == "bool":
        if not isinstance(value, bool):
            return None, wrong
    elif rule.kind == "choice":
        if isinstance(value, bool) and rule.from_bool is not None:
            value = rule.from_bool[value]
        if not isinstance(value, str):
            return None, wrong
        if value not in rule.choices:
            return None, f"must be one of {', '.join(rule.choices)}, not {value!r}"
    elif not isinstance(value, str):  # str, encoding
        return None, wrong
    if rule.check is not None:
        reason = rule.check(value)
        if reason is not None:
            return None, reason
    return value, None


@record
class DeviceProfile(Profile):
    """Every protocol setting for one device, named and validated on construction.

    The settings themselves, their defaults, types and units, are the engine's
    :class:`~workbench.engine.profile.Profile` fields, inherited rather than declared again,
    so a profile that says nothing behaves exactly like the engine on its own. This class
    adds what only people need (a name, a description) and the checks in :data:`_RULES`.
    ``FIELD_NAMES`` (the order of forms and files) is the order of that table.
    """

    name: str = "generic"
    """Short name shown in the UI ("esp32", "my-feather")."""
    description: str = ""
    """One line for people: what board this is for and why the values are what they are."""

    def __post_init__(self) -> None:
        issues: list[tuple[str | None, str]] = []
        for name in FIELD_NAMES:
            value, reason = _check_value(name, getattr(self, name))
            if reason is not None:
                issues.append((name, reason))
            elif value is not getattr(self, name):
                object.__setattr__(self, name, value)  # int seconds -> float, frozen otherwise
        if issues:
            raise ProfileError(f"profile {self.name!r}", issues)

    # ------------------------------------------------------------------ conversions

    def to_engine_profile(self) -> Profile:
        """The engine's :class:`Profile` with every setting (not the name and description,
        which are for people and have no engine counterpart)."""
        return Profile(**{name: getattr(self, name) for name in ENGINE_FIELD_NAMES})

    @classmethod
    def from_engine_profile(cls, profile: Profile, *, name: str, description: str = "") -> DeviceProfile:
        """A named profile holding an engine profile's settings (a probe's proposal, say)."""
        values: dict[str, Any] = {name_: getattr(profile, name_) for name_ in ENGINE_FIELD_NAMES}
        values.update(name=name, description=description)
        return cls.from_dict(values, source=f"profile {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """Every field by name, in declaration order; optional fields may be None.

        TOML has no null, so the store leaves None values out (absent means the default, which
        is None for every optional field); JSON callers can keep them.
        """
        return {name: getattr(self, name) for name in FIELD_NAMES}

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, source: str, base: DeviceProfile | None = None
    ) -> DeviceProfile:
        """Build a profile from untrusted data (a TOML table, JSON), refusing anything doubtful.

        Missing fields come from ``base`` (default: the plain defaults). Raises
        :class:`ProfileError` naming ``source``, every bad field and why: unknown fields
        (with a did-you-mean), wrong types, values out of range. A missing ``name`` is an
        error unless ``base`` supplies one, because an unnamed profile cannot be shown.
        """
        if not isinstance(data, Mapping):
            raise ProfileError(source, [(None, f"expected a table of settings, not {_type_name(data)}")])
        issues: list[tuple[str | None, str]] = []
        values: dict[str, Any] = base.to_dict() if base is not None else {}
        for key, raw in data.items():
            if key not in _RULES:
                import difflib  # only for a misspelt key: not on every profile read

                close = difflib.get_close_matches(str(key), FIELD_NAMES, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                issues.append((str(key), f"unknown field{hint}"))
                continue
            value, reason = _check_value(key, raw)
            if reason is not None:
                issues.append((key, reason))
            else:
                values[key] = value
        if "name" not in values and not any(field == "name" for field, _ in issues):
            issues.append(("name", "missing (every profile needs a name)"))
        if issues:
            raise ProfileError(source, issues)
        return cls(**values)

    def with_changes(self, **changes: Any) -> DeviceProfile:
        """A validated copy with some fields changed (raises ProfileError on a bad value)."""
        data = self.to_dict()
        data.update(changes)
        return DeviceProfile.from_dict(data, source=f"profile {self.name!r}")


#: The engine's settings, in the engine's order (what :meth:`DeviceProfile.to_engine_profile` copies).
ENGINE_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Profile))
#: Every field of a device profile in the order forms, files and ``to_dict`` show them: the
#: order of the rules table, which must have one rule per field (tests/unit/test_profiles.py).
FIELD_NAMES: tuple[str, ...] = tuple(_RULES)
if set(FIELD_NAMES) != {f.name for f in fields(DeviceProfile)}:  # pragma: no cover - a contributor's slip
    raise TypeError(
        "every profile field needs a validation rule in workbench/profiles/schema.py _RULES and nothing else: "
        f"{sorted(set(FIELD_NAMES) ^ {f.name for f in fields(DeviceProfile)})}"
    )


#: One line per field for forms and ``--help`` texts: what it does, in the units of its name.
FIELD_HELP: dict[str, str] = {
    "name": "short name shown in the UI",
    "description": "what board this is for and why the values are what they are",
    "startup_delay_s": "wait after opening the port before the first byte (boards that reset on open)",
    "interrupt_delay_s": "after CTRL-C, how long output must be quiet before CTRL-A is sent",
    "response_timeout_s": "longest wait for any protocol reply (banner, OK, window credit, prompt)",
    "reset_timeout_s": "longest wait for a soft or hard reset to reach the raw prompt again",
    "exec_timeout_s": "longest a run may take; none lets code run until it ends or is stopped",
    "raw_paste": "auto: ask once and remember; always: fail if refused; never: plain raw mode",
    "window_size_override": "raw-paste: write at most this many bytes at a time; none: a whole window",
    "chunk_size": "plain raw mode writes code in pieces of this many bytes...",
    "chunk_delay_s": "...this far apart (also between capped raw-paste writes)",
    "file_block_size": "file transfers send blocks of this many bytes; none: chosen from the board",
    "retries": "extra attempts at entering the raw REPL before giving up",
    "soft_reset_before_run": "soft-reset before each run, for a fresh interpreter",
    "verify_code": "board checks length and sum of the code before running it: auto (plain raw only), always, never",
    "dtr": "DTR level set on open (none: leave it as the driver sets it)",
    "rts": "RTS level set on open (none: leave it as the driver sets it)",
    "baudrate": "line rate of a serial port (ignored by USB CDC boards and sockets)",
    "encoding": "how program text becomes bytes and output becomes text",
    "verbose_trace": "add the engine's expectations and state to every trace record",
    "trace_budget_bytes": "most trace bytes kept per session before the oldest are dropped",
}
if set(FIELD_HELP) != set(FIELD_NAMES):  # pragma: no cover - a contributor's slip
    raise TypeError(f"every profile field needs one help line: {sorted(set(FIELD_HELP) ^ set(FIELD_NAMES))}")


def format_field(name: str, value: Any) -> str:
    """A field's value as a form shows it and :func:`validate_field` reads it back."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


# --------------------------------------------------------------------------- form input


def validate_field(name: str, text: str) -> tuple[Any, str | None]:
    """Parse and check what the user typed into one form field, as they type it.

    Returns ``(value, None)`` when ``text`` is acceptable, ``(None, reason)`` otherwise, so a
    form can show the reason next to the field and only enable Save when every field is fine.
    Understands what people type: ``"2.5"``, ``"2"``, ``"none"`` (or an empty field) for
    optional settings, ``"true"``/``"yes"``/``"on"``, ``"Auto"``, ``"115_200"``.
    """
    rule = _RULES.get(name)
    if rule is None:
        return None, f"unknown field {name!r}"
    stripped = text.strip()
    if rule.kind == "str":
        return _check_value(name, text if name == "description" else stripped)
    if rule.optional and stripped.lower() in _NONE_WORDS:
        return None, None
    if not stripped:
        return None, "required"
    word = stripped.lower()
    value: Any
    if rule.kind == "float":
        try:
            value = float(stripped)
        except ValueError:
            return None, f"{stripped!r} is not a number (seconds, e.g. 0.5)"
    elif rule.kind == "int":
        try:
            value = int(stripped, 10)
        except ValueError:
            return None, f"{stripped!r} is not a whole number"
    elif rule.kind == "bool":
        if word in _TRUE_WORDS:
            value = True
        elif word in _FALSE_WORDS:
            value = False
        else:
            return None, f"{stripped!r} is not true or false" + (" (or none)" if rule.optional else "")
    elif rule.kind == "choice":
        value = word
        if rule.from_bool is not None and word in _TRUE_WORDS | _FALSE_WORDS:
            value = rule.from_bool[word in _TRUE_WORDS]
    else:  # encoding
        value = stripped
    return _check_value(name, value)


# --------------------------------------------------------------------------- seed settings

#: The .NET library's settings this module understands, and the field each becomes.
SEED_SETTINGS: dict[str, str] = {
    "StartupDelayMs": "startup_delay_s",
    "InterruptDelayMs": "interrupt_delay_s",
    "PreferredWindowSize": "window_size_override",
    "MaxRetryAttempts": "retries",
    "EnableRawPasteAutoDetection": "raw_paste",
    "EnableVerboseLogging": "verbose_trace",
    "EnableProtocolTracing": "verbose_trace",
    "EnableAdaptiveTiming": "",  # no field: recorded as a note
}


def from_seed_settings(
    settings: Mapping[str, Any],
    *,
    name: str = "imported",
    description: str = "imported from .NET library settings",
    base: DeviceProfile | None = None,
    source: str = "seed settings",
) -> tuple[DeviceProfile, list[str]]:
    """Translate the .NET library's RawRepl settings into a profile, plus notes for the user.

    Accepts the flat settings or the nesting they appear in (``{"Protocol": {"RawRepl":
    {...}}}``). Milliseconds become seconds; ``EnableRawPasteAutoDetection`` false means raw
    paste is never tried, true means ``auto``; ``PreferredWindowSize`` becomes a cap on the
    raw-paste window. ``EnableAdaptiveTiming`` has no counterpart (timings are per profile
    here), so it is accepted and reported in the notes. Unknown settings raise ProfileError
    rather than being silently ignored: a migrating user should know what was not carried over.
    """
    flat: Mapping[str, Any] = settings
    for level in ("Protocol", "RawRepl"):
        if set(flat) == {level} and isinstance(flat[level], Mapping):
            flat = flat[level]
    issues: list[tuple[str | None, str]] = []
    values: dict[str, Any] = {}
    notes: list[str] = []
    for key, raw in flat.items():
        target = SEED_SETTINGS.get(key)
        if target is None:
            import difflib  # only for a misspelt key: not on every profile read

            close = difflib.get_close_matches(str(key), list(SEED_SETTINGS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            issues.append((str(key), f"unknown seed setting{hint}"))
            continue
        if key.startswith("Enable"):
            if not isinstance(raw, bool):
                issues.append((key, f"must be true or false, not {_type_name(raw)}"))
                continue
            if key == "EnableAdaptiveTiming":
                notes.append(
                    f"EnableAdaptiveTiming={str(raw).lower()} has no equivalent: the workbench uses the "
                    "profile's fixed timings (adjust them in the profile instead)"
                )
            elif key == "EnableRawPasteAutoDetection":
                values["raw_paste"] = "auto" if raw else "never"
            else:
                values[target] = raw or values.get(target, False)
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            issues.append((key, f"must be a number, not {_type_name(raw)}"))
            continue
        value: Any = raw / 1000 if key.endswith("Ms") else raw
        checked, reason = _check_value(target, value)
        if reason is not None:
            issues.append((key, f"as {target}: {reason}"))
        else:
            values[target] = checked
    if issues:
        raise ProfileError(source, issues)
    start = (base or DeviceProfile()).to_dict()
    start.update(name=name, description=description)
    start.update(values)
    return DeviceProfile.from_dict(start, source=source), notes
