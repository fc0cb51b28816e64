"""The plotter's model: which printed lines plot which numbers, line assembly, the series store."""

from __future__ import annotations

import csv
import io

import pytest

from workbench.plot.parse import MAX_PARTIAL_CHARS, MAX_VALUES, LineSplitter, parse_line
from workbench.plot.series import MAX_SERIES, MIN_WINDOW, SeriesStore


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # bare numbers, by position
        ("1 2.5 -3e2", {"1": 1.0, "2": 2.5, "3": -300.0}),
        ("1,2,3", {"1": 1.0, "2": 2.0, "3": 3.0}),
        ("  +4\t.5 ", {"1": 4.0, "2": 0.5}),
        ("(1.5, 20)", {"1": 1.5, "2": 20.0}),
        ("[1, 2]", {"1": 1.0, "2": 2.0}),
        ("1;2|3", {"1": 1.0, "2": 2.0, "3": 3.0}),
        # named values
        ("t=21.5 h=40", {"t": 21.5, "h": 40.0}),
        ("temp: 21.5, hum: 40", {"temp": 21.5, "hum": 40.0}),
        ("t = 3, h =4", {"t": 3.0, "h": 4.0}),
        ("x:1 y:-2", {"x": 1.0, "y": -2.0}),
        ("{'t': 21.5, 'h': 40}", {"t": 21.5, "h": 40.0}),
        ('{"t": 21.5}', {"t": 21.5}),
        ("sensor.temp=20", {"sensor.temp": 20.0}),
        # text with numbers plots its numbers; units glued on are allowed
        ("Temp 21.5 C", {"1": 21.5}),
        ("reading 7 of sensor esp32", {"1": 7.0}),
        ("21.5C 40% 3.3V 100ms 12km/h", {"1": 21.5, "2": 40.0, "3": 3.3, "4": 100.0, "5": 12.0}),
        # named values win over bare numbers on the same line
        ("t=21.5 after 3 tries", {"t": 21.5}),
        # a key without a number gives nothing, the others still count
        ("t=nan h=2", {"h": 2.0}),
        ("status=ok v=3", {"v": 3.0}),
        # nan/inf never plot, the finite numbers beside them do
        ("nan 1 inf -inf", {"1": 1.0}),
        # a trailing CR (a line end the splitter did not take) is whitespace
        ("5\r", {"1": 5.0}),
    ],
)
def test_lines_that_plot(line: str, expected: dict[str, float]) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "",
        "hello world",
        ">>> print(1, 2)",
        "... x = 3",
        "Traceback (most recent call last):",
        '  File "<stdin>", line 3, in <module>',
        '  File "main.py", line 12, in read',
        "OSError: [Errno 2] ENOENT",
        "ValueError: invalid syntax for integer with base 10: '12a'",
        "MemoryError: memory allocation failed, allocating 1024 bytes",
        "KeyboardInterrupt: ",
        "MicroPython v1.22.2 on 2024-02-22; ESP32 module with ESP32",
        "MicroPython 1.28.0 on 2025-01-01; linux [GCC 12.2.0] version",
        'Type "help()" for more information.',
        # digits inside words, versions, dates, times, addresses, hex are not readings
        "esp32 ESP32-S3 3V3 0x1F v1.22 1.22.2",
        "2024-02-22 12:34:56 192.168.1.1",
        "rst:0x1 (POWERON_RESET),boot:0x13",
        "nan inf",
        "t=nan",
        "1e999",  # overflows to inf
    ],
)
def test_lines_that_do_not_plot(line: str) -> None:
    assert parse_line(line) is None


def test_a_long_line_gives_at_most_max_values() -> None:
    values = parse_line(" ".join(str(i) for i in range(100)))
    assert values is not None
    assert list(values) == [str(i) for i in range(1, MAX_VALUES + 1)]


def test_splitter_keeps_the_partial_line_until_its_newline() -> None:
    splitter = LineSplitter()
    assert splitter.feed("1 2") == []
    assert splitter.feed("3\r") == []
    assert splitter.feed("\n4 5\r\n6") == ["1 23", "4 5"]
    assert splitter.partial == "6"
    assert splitter.feed("\n") == ["6"]


def test_splitter_bare_cr_keeps_what_follows_it() -> None:
    assert LineSplitter().feed("10%\r20%\r30%\n") == ["30%"]


def test_splitter_drops_an_overlong_line_whole() -> None:
    splitter = LineSplitter()
    assert splitter.feed("1" * (MAX_PARTIAL_CHARS + 1)) == []
    assert splitter.feed("2 3\n4\n") == ["4"]  # the rest of the overlong line is dropped too
    assert splitter.partial == ""


def test_store_window_drops_the_oldest_and_counts_them() -> None:
    store = SeriesStore(window=MIN_WINDOW)
    for i in range(25):
        store.add({"1": float(i)})
    assert (store.total, store.kept, store.dropped) == (25, MIN_WINDOW, 25 - MIN_WINDOW)
    xs, ys = store.view().series("1")
    assert xs == list(range(16, 26))
    assert ys == [float(i) for i in range(15, 25)]
    assert store.set_window(MIN_WINDOW + 5) == MIN_WINDOW + 5
    assert store.set_window(1) == MIN_WINDOW  # clamped
    store.set_window(5 * MIN_WINDOW)
    store.add({"1": 99.0})
    assert store.kept == MIN_WINDOW + 1  # growing keeps what is there and fills up


def test_store_pause_freezes_the_view_while_collecting_goes_on() -> None:
    store = SeriesStore(window=MIN_WINDOW)
    store.add({"a": 1.0})
    store.pause()
    for i in range(30):
        store.add({"a": float(i)})
    assert store.view().series("a") == ([1], [1.0])
    assert store.total == 31
    store.resume()
    assert store.view().series("a")[1][-1] == 29.0


def test_store_clear_forgets_samples_and_names() -> None:
    store = SeriesStore()
    store.add({"a": 1.0, "b": 2.0})
    store.clear()
    assert (store.total, store.view().names, store.view().samples) == (0, (), ())
    store.add({"c": 3.0})
    assert store.view().names == ("c",)
    assert store.view().samples == ((1, {"c": 3.0}),)


def test_store_caps_the_number_of_series() -> None:
    store = SeriesStore()
    store.add({f"s{i}": float(i) for i in range(MAX_SERIES + 3)})
    store.add({"new": 1.0, "s0": 5.0})
    assert len(store.view().names) == MAX_SERIES
    assert "new" not in store.view().names
    assert store.view().series("s0") == ([1, 2], [0.0, 5.0])


def test_csv_has_x_then_series_and_gaps_as_empty_cells() -> None:
    store = SeriesStore()
    for line in ["t=21.5 h=40", "t=21.75", "h=41 t=-1e-07"]:
        values = parse_line(line)
        assert values is not None
        store.add(values)
    rows = list(csv.reader(io.StringIO(store.view().to_csv())))
    assert rows == [["x", "t", "h"], ["1", "21.5", "40.0"], ["2", "21.75", ""], ["3", "-1e-07", "41.0"]]


def test_a_time_window_shows_only_the_last_seconds_of_readings() -> None:
    from workbench.plot.series import SeriesStore

    store = SeriesStore(window=100)
    for second in range(60):
        store.add({"t": float(second)}, now=float(second))
    store.set_seconds(10)
    assert store.view().series("t")[1] == [float(s) for s in range(50, 60)]
    store.set_seconds(None)
    assert len(store.view().samples) == 60
