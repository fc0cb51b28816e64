"""``@record`` behaves as ``@dataclass(frozen=True, slots=True)`` does, for everything the
workbench relies on (workbench/protocol/records.py)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from workbench.protocol.records import Record, record


@record
class Point(Record):
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)


@record
class Labelled(Point):
    label: str = ""


@dataclass(frozen=True, slots=True)
class Reference:
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)


def test_construction_defaults_repr_and_fields_match_a_frozen_dataclass() -> None:
    for args, kwargs in (((1,), {}), ((1, 2), {"tags": ("a",)}), ((), {"x": 3, "y": 4})):
        ours, theirs = Point(*args, **kwargs), Reference(*args, **kwargs)
        assert repr(ours) == repr(theirs).replace("Reference", "Point")
        assert dataclasses.astuple(ours) == dataclasses.astuple(theirs)
    assert [f.name for f in dataclasses.fields(Labelled)] == ["x", "y", "tags", "label"]
    assert Labelled(1, label="a") == Labelled(x=1, y=0, tags=(), label="a")
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, 2, (), 4)  # type: ignore[call-arg]


def test_equality_and_hash_are_by_class_and_fields() -> None:
    assert Point(1, 2) == Point(1, 2) and hash(Point(1, 2)) == hash(Point(1, 2))
    assert Point(1, 2) != Point(2, 1)
    assert Point(1) != Labelled(1)  # another class is never equal, as with dataclasses
    assert len({Point(1), Point(1), Point(2)}) == 2


def test_frozen_after_init_and_slotted() -> None:
    point = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.x
    with pytest.raises((AttributeError, dataclasses.FrozenInstanceError)):
        point.z = 1  # type: ignore[attr-defined]
    assert not hasattr(point, "__dict__")
    assert dataclasses.replace(point, y=5) == Point(1, 5)


def test_a_default_factory_gives_each_instance_its_own_value() -> None:
    @record
    class Bag(Record):
        items: list[int] = field(default_factory=list)

    first, second = Bag(), Bag()
    first.items.append(1)
    assert second.items == []


def test_post_init_runs() -> None:
    seen: list[int] = []

    @record
    class Checked(Record):
        value: int

        def __post_init__(self) -> None:
            seen.append(self.value)

    Checked(7)
    assert seen == [7]


def test_only_records_can_be_records() -> None:
    with pytest.raises(TypeError):
        record(type("Plain", (), {"__annotations__": {"x": int}}))
