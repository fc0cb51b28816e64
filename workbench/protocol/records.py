"""``@record``: the protocol's event classes as frozen, slotted dataclasses that are cheap to define.

Why not ``@dataclass(frozen=True, slots=True)`` itself: on Python 3.11 it compiles six methods
for every class (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``,
``__delattr__``), about half a millisecond each class. The protocol core has some thirty event
classes, all defined when a command starts, so a one-line ``workbench exec`` spent about ten
milliseconds of its life compiling them (``bench/bench_cli.py``). Here only ``__init__`` is
compiled per class (it sets the fields as a frozen dataclass's does, so making an event costs
the same); the other five are written once, in :class:`Record`, from the fields.

What stays the same as a frozen dataclass: ``dataclasses.fields`` / ``replace`` / ``asdict``
work (these are dataclasses), equality compares the class and the fields in order, the hash is
that of the fields, the repr reads ``Name(field=value, ...)``, and assigning or deleting a field
after ``__init__`` raises :class:`dataclasses.FrozenInstanceError`.
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from typing import Any, TypeVar

__all__ = ["Record", "record"]

T = TypeVar("T")


class Record:
    """Base of classes made with :func:`record`: frozen after ``__init__``, compared by fields."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _field_names(type(self)))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _field_names(type(self)))
        return f"{type(self).__qualname__}({shown})"


_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    return names


def record(cls: type[T]) -> type[T]:
    """``@dataclass(frozen=True, slots=True)`` for a subclass of :class:`Record`, at a third
    of the cost of defining it (see the module docstring)."""
    if not issubclass(cls, Record):
        raise TypeError(f"{cls.__name__} must derive from Record to be a @record")
    made = dataclass(slots=True, init=False, repr=False, eq=False)(cls)
    made.__init__ = _make_init(made)  # type: ignore[misc]
    return made


def _make_init(cls: type) -> Any:
    """The ``__init__`` a frozen dataclass would have: every field a parameter, in order, with
    its default (or a fresh value from its default factory), set with ``object.__setattr__``."""
    scope: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": _FACTORY}
    params, body = [], []
    for f in fields(cls):  # type: ignore[arg-type]
        name = f.name
        if f.default is not MISSING:
            scope[f"_d_{name}"] = f.default
            params.append(f"{name}=_d_{name}")
        elif f.default_factory is not MISSING:
            scope[f"_f_{name}"] = f.default_factory
            params.append(f"{name}=_FACTORY")
            body.append(f"if {name} is _FACTORY: {name} = _f_{name}()")
        else:
            params.append(name)
        body.append(f"_set(self, {name!r}, {name})")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n    " + "\n    ".join(body or ["pass"])
    exec(source, scope)  # noqa: S102 - generated from the class's own field names, as dataclasses does
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


class _Factory:
    """Marks a parameter left out whose field has a default factory."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()
