"""The status line: device, state, paste credit, traffic rates, trace drops, 80-column fit."""

from __future__ import annotations

import re

import pytest
from textual.app import App, ComposeResult
from textual.color import Color

from workbench.app.themes import register_themes
from workbench.app.widgets import status_bar
from workbench.app.widgets.status_bar import StatusBar, elide_end, elide_middle, format_rate

LONG_URL = "rfc2217://bench-raspberry-pi.lab.example.internal:4000?ign_set_control&logging=debug"


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class BarApp(App[None]):
    def __init__(self, clock: FakeClock, tick: float = 3600.0) -> None:
        super().__init__()
        register_themes(self)
        self.clock = clock
        self.tick = tick

    def compose(self) -> ComposeResult:
        yield StatusBar(clock=self.clock, tick_interval_s=self.tick)

    def on_mount(self) -> None:
        self.theme = "workbench-dark"


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "config"))


def screen_line(app: App) -> str:
    """The bar as it is drawn on screen."""
    row = app.query_one(StatusBar).region.y
    return app.screen._compositor.render_strips()[row].text


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("rate", "text"),
    [(0, "0 B/s"), (640, "640 B/s"), (999, "999 B/s"), (1200, "1.2 KB/s"), (45_600, "45.6 KB/s"), (3.4e6, "3.4 MB/s")],
)
def test_format_rate(rate: float, text: str) -> None:
    assert format_rate(rate) == text


def test_elide_middle_keeps_both_ends() -> None:
    assert elide_middle("short", 10) == "short"
    assert elide_middle("abcdefghij", 5) == "ab…ij"
    assert elide_middle("abcdefghij", 6) == "abc…ij"
    assert len(elide_middle(LONG_URL, 30)) == 30
    assert elide_middle("abc", 1) == "…"
    assert elide_middle("abc", 0) == ""


def test_elide_end() -> None:
    assert elide_end("raw REPL, ready", 20) == "raw REPL, ready"
    assert elide_end("sending code (raw-paste)", 10) == "sending c…"


# --------------------------------------------------------------------------- the widget


async def test_device_and_state_are_shown() -> None:
    app = BarApp(FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.query_one(StatusBar)
        assert "no device" in bar.summary
        bar.set_device("sim://esp32")
        bar.set_state("raw REPL, ready")
        await pilot.pause()
        assert bar.summary.startswith("sim://esp32 │ raw REPL, ready")
        assert "↑ 0 B/s ↓ 0 B/s" in bar.summary
        assert "sim://esp32 │ raw REPL, ready" in screen_line(app)


async def test_rates_use_a_sliding_one_second_window() -> None:
    clock = FakeClock(10.0)
    app = BarApp(clock)
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set_device("/dev/ttyACM0")
        bar.add_traffic(1000, 500, now=10.0)
        bar.add_traffic(200, 140, now=10.5)
        await pilot.pause()
        assert bar.rates == (1200, 640)
        assert "↑ 1.2 KB/s ↓ 640 B/s" in bar.summary
        assert "↑ 1.2 KB/s ↓ 640 B/s" in screen_line(app)

        bar.refresh_rates(now=11.2)  # the first batch is older than a second now
        assert bar.rates == (200, 140)
        bar.add_traffic(0, 0, now=11.6)  # no bytes: only moves the window
        assert bar.rates == (0, 0)
        assert "↑ 0 B/s ↓ 0 B/s" in bar.summary


async def test_rates_fall_to_zero_when_the_wire_goes_quiet() -> None:
    clock = FakeClock(50.0)
    app = BarApp(clock, tick=0.01)
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set_device("/dev/ttyACM0")
        bar.add_traffic(4000, 4000, now=50.0)
        assert bar.rates == (4000, 4000)
        clock.now = 52.0  # the timer reads the clock
        for _ in range(300):  # bounded: about 3 s at most
            if bar.rates == (0, 0):
                break
            await pilot.pause(0.01)
        assert bar.rates == (0, 0)


async def test_credit_is_shown_only_while_a_paste_is_in_flight() -> None:
    app = BarApp(FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set_device("sim://esp32")
        bar.set_credit(256)
        await pilot.pause()
        assert "credit 256" in bar.summary
        bar.set_credit(0)
        assert "credit 0" in bar.summary
        bar.set_credit(None)
        assert "credit" not in bar.summary


async def test_trace_drops_are_shown_only_when_there_are_some() -> None:
    app = BarApp(FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set_device("sim://esp32")
        bar.set_trace_drops(0)
        assert "trace" not in bar.summary
        bar.set_trace_drops(17)
        await pilot.pause()
        assert "trace drops 17" in bar.summary


async def test_everything_fits_80_columns_with_the_url_elided_in_the_middle() -> None:
    app = BarApp(FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set_device(LONG_URL)
        bar.set_state("sending code (raw-paste)")
        bar.set_credit(128)
        bar.add_traffic(1200, 640, now=100.0)
        bar.set_trace_drops(3)
        await pilot.pause()
        text = bar.summary
        assert len(text) <= 78  # 80 columns minus the padding
        url = text.split("│")[0]  # tight: thin separators give the URL more room
        assert "…" in url and url.startswith("rfc2217") and url.endswith(LONG_URL[-(len(url) - url.index("…") - 1) :])
        for part in ("credit 128", "↑ 1.2 KB/s ↓ 640 B/s", "trace drops 3"):
            assert part in text
        assert screen_line(app).strip() == text


async def test_a_long_url_is_shown_whole_when_there_is_room() -> None:
    app = BarApp(FakeClock())
    async with app.run_test(size=(160, 50)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set_device(LONG_URL)
        bar.set_state("running (stdout)")
        await pilot.pause()
        assert bar.summary.startswith(f"{LONG_URL} │ running (stdout)")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "…" in screen_line(app)
        assert len(bar.summary) <= 78


async def test_state_colour_comes_from_the_theme() -> None:
    app = BarApp(FakeClock())
    async with app.run_test(size=(100, 24)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set_device("/dev/ttyACM0")
        bar.set_state("could not open /dev/ttyACM0")
        await pilot.pause()
        line = screen_line(app)
        x = line.index("could not open")
        style = app.screen.get_style_at(x, bar.region.y)
        expected = Color.parse(app.get_css_variables()["text-error"])
        actual = Color.from_rich_color(style.color)
        assert (actual.r, actual.g, actual.b) == (expected.r, expected.g, expected.b)


def test_bad_values_are_refused_clearly() -> None:
    bar = StatusBar()
    with pytest.raises(ValueError, match="tx_bytes"):
        bar.add_traffic(-1, 0, now=1.0)
    with pytest.raises(ValueError, match="rx_bytes"):
        bar.add_traffic(0, 1.5, now=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="credit"):
        bar.set_credit(-5)
    with pytest.raises(ValueError, match="count"):
        bar.set_trace_drops(-1)
    with pytest.raises(ValueError, match="url"):
        bar.set_device("")
    with pytest.raises(TypeError, match="state"):
        bar.set_state(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tick_interval_s"):
        StatusBar(tick_interval_s=0)


def test_no_literal_colours_in_the_css() -> None:
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", status_bar.StatusBar.DEFAULT_CSS)


async def test_an_unchanged_line_is_not_redrawn() -> None:
    """The app reports the state 4 times a second; each redraw of the bar is a layout refresh
    that repaints the screen (bytes on the network for a browser tab of ``workbench serve``):
    the same line is drawn once, a changed one again."""
    app = BarApp(FakeClock())
    async with app.run_test(size=(100, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.set_device("sim://generic")
        bar.set_state("raw REPL, ready")
        await pilot.pause()
        drawn: list[object] = []
        original = bar.update
        bar.update = lambda content="": (drawn.append(content), original(content))[1]  # type: ignore[method-assign]
        for _ in range(5):
            bar.set_state("raw REPL, ready")
            bar.set_credit(None)
            bar.set_trace_drops(0)
        assert drawn == []
        bar.set_state("running")
        assert len(drawn) == 1
        await pilot.pause()
        assert "running" in screen_line(app)
