"""Protocol events as JSON objects, so a saved trace keeps them and a script can read them.

An event becomes ``{"type": "<class name>", "<field>": <value>, ...}``: ``type`` is the
event class's name (:mod:`workbench.protocol.events` for the device's side,
:mod:`workbench.protocol.host_events` for the host's), the other keys are its fields. Values:
text, numbers, booleans and ``null`` as they are; bytes as a hex string (``"68690d0a"``); an
enum by its value (``"exec_timeout"``); a nested dataclass (an :class:`ExecFinished
<workbench.protocol.events.ExecFinished>`'s ``RemoteException`` and its ``Frame`` s) as an
object of its fields, tuples as lists. For example::

    {"type": "RawPasteAccepted", "window": 128}
    {"type": "Output", "stream": "stdout", "data": "68690d0a"}
    {"type": "ExecFinished", "exception": {"type_name": "ZeroDivisionError", "message": "...",
     "frames": [{"file": "<stdin>", "line": 1, "function": "<module>"}], "text": "...",
     "source": "<stdin>"}}

Reading checks every value against the field's type and raises :class:`EventFormatError`
(a ValueError saying which field and why) rather than building a wrong event. A field the
object leaves out takes the field's default, if it has one, so an older file still reads
after a field with a default is added.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from functools import cache
from typing import Any

from workbench.trace.wording import WORDING, ProtocolEvent

__all__ = ["EVENT_TYPES", "EventFormatError", "event_from_json", "event_to_json"]

#: Every event type a trace can hold, by class name: the ones the wording table knows.
EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in WORDING}


class EventFormatError(ValueError):
    """An event object that does not describe an event: the message says what is wrong."""


def event_to_json(event: ProtocolEvent) -> dict[str, Any]:
    """The JSON object of ``event`` (see the module docstring)."""
    return {"type": type(event).__name__, **_fields_to_json(event)}


def event_from_json(obj: object) -> ProtocolEvent:
    """The event an object from :func:`event_to_json` describes; EventFormatError if none."""
    if not isinstance(obj, dict):
        raise EventFormatError(f"an event must be an object, got {_kind(obj)}")
    name = obj.get("type")
    cls = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise EventFormatError(f"unknown event type {_short(name)}")
    fields = {key: value for key, value in obj.items() if key != "type"}
    return _dataclass_from_json(cls, fields, name)


# --------------------------------------------------------------------------- writing
def _fields_to_json(obj: Any) -> dict[str, Any]:
    return {field.name: _to_json(getattr(obj, field.name)) for field in dataclasses.fields(obj)}


def _to_json(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields_to_json(value)
    if isinstance(value, tuple | list):
        return [_to_json(item) for item in value]
    return value


# --------------------------------------------------------------------------- reading
@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _dataclass_from_json(cls: type, fields: dict[str, Any], where: str) -> Any:
    declared = {field.name: field for field in dataclasses.fields(cls)}
    unknown = sorted(set(fields) - set(declared))
    if unknown:
        raise EventFormatError(f"{where}: no field {_short(unknown[0])}")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for name, field in declared.items():
        if name in fields:
            values[name] = _from_json(hints[name], fields[name], f"{where}.{name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise EventFormatError(f"{where}: field {name!r} is missing")
    return cls(**values)


def _from_json(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        others = [option for option in options if option is not type(None)]
        if len(others) == 1:
            return _from_json(others[0], value, where)
        raise EventFormatError(f"{where}: cannot read a value of type {tp}")
    if origin is typing.Literal:
        if value not in typing.get_args(tp) or isinstance(value, bool):
            choices = ", ".join(repr(arg) for arg in typing.get_args(tp))
            raise EventFormatError(f"{where}: must be one of {choices}, got {_short(value)}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise EventFormatError(f"{where}: must be a list, got {_kind(value)}")
        (item_type, _ellipsis) = typing.get_args(tp)
        return tuple(_from_json(item_type, item, f"{where}[{i}]") for i, item in enumerate(value))
    if tp is bool:
        return _checked(value, isinstance(value, bool), "true or false", where)
    if tp is int:
        return _checked(value, isinstance(value, int) and not isinstance(value, bool), "an integer", where)
    if tp is str:
        return _checked(value, isinstance(value, str), "text", where)
    if tp is bytes:
        _checked(value, isinstance(value, str), "hexadecimal text", where)
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise EventFormatError(f"{where}: must be hexadecimal text, got {_short(value)}") from None
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            choices = ", ".join(repr(member.value) for member in tp)
            raise EventFormatError(f"{where}: must be one of {choices}, got {_short(value)}") from None
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise EventFormatError(f"{where}: must be an object, got {_kind(value)}")
        return _dataclass_from_json(tp, value, where)
    raise EventFormatError(f"{where}: cannot read a value of type {tp}")


def _checked(value: Any, ok: bool, wanted: str, where: str) -> Any:
    if not ok:
        raise EventFormatError(f"{where}: must be {wanted}, got {_short(value)}")
    return value


def _short(value: object) -> str:
    """A value quoted for a message, cut short: a file may hold anything."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: object) -> str:
    """What a JSON value is, in words."""
    return {dict: "an object", list: "a list", str: "text", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
