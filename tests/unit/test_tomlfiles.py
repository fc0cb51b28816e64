"""TOML for the files the user keeps (workbench.tomlfiles): what it writes reads back the same, bad input is a sentence."""

from __future__ import annotations

import datetime as dt
import math
import tomllib

import pytest

from workbench.tomlfiles import dumps_toml, nesting_depth, parse_toml


def test_dumps_toml_round_trips_the_supported_types() -> None:
    data = {
        "text": 'quote " backslash \\ newline \n tab \t bell \x07 del \x7f unicode é ☃',
        "key with spaces": "ok",
        "int": -42,
        "float": 1.5,
        "tiny": 1e-300,
        "big": float("inf"),
        "neg": float("-inf"),
        "yes": True,
        "no": False,
        "list": [1, 2, 3],
        "strings": ["a", "b\"c"],
        "when": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
        "day": dt.date(2024, 5, 1),
        "table": {"inner": 1, "nested": {"deep": "x"}},
        "only_tables": {"a": {"b": 1}},
        "empty": {},
    }
    text = dumps_toml(data)
    assert tomllib.loads(text) == data


def test_dumps_toml_writes_nan() -> None:
    assert math.isnan(tomllib.loads(dumps_toml({"x": float("nan")}))["x"])


def test_dumps_toml_of_nothing_is_empty() -> None:
    assert dumps_toml({}) == ""


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"obj": object()}, "obj: cannot store a value of type object"),
        ({"t": {"v": {1, 2}}}, "t.v: cannot store a value of type set"),
        ({"rows": [{"a": 1}]}, "rows: arrays of tables"),
    ],
)
def test_dumps_toml_names_the_key_it_cannot_write(data: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        dumps_toml(data)


def test_dumps_toml_rejects_non_string_keys() -> None:
    with pytest.raises(TypeError, match="not a string"):
        dumps_toml({1: "x"})  # type: ignore[dict-item]


def test_parse_toml_says_what_is_wrong() -> None:
    assert parse_toml('a = 1\n[t]\nb = "x"\n') == {"a": 1, "t": {"b": "x"}}
    with pytest.raises(ValueError, match="is not valid TOML"):
        parse_toml("a = ")
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_toml("x = " + "[" * 40 + "]" * 40)


def test_nesting_depth_counts_tables_and_arrays() -> None:
    assert nesting_depth(1) == 0
    assert nesting_depth({"a": [1, {"b": 2}]}) == 3
