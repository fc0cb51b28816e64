"""The devices pane: badges, live discovery, connecting by row or typed URL."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Input, OptionList

from workbench.app.badges import badge_style
from workbench.app.themes import register_themes
from workbench.app.widgets.devices_pane import DevicesPane
from workbench.discovery.devices import EMBEDDED_DEFAULT, DeviceEntry
from workbench.discovery.ports import PortInfo
from workbench.discovery.urls import check_device_url
from workbench.manager.badges import BADGES, badge_for_state
from workbench.protocol.connection import State

PICO = DeviceEntry(
    "/dev/ttyACM0",
    "serial",
    "Board in FS mode",
    "Raspberry Pi Pico / RP2040 / RP2350 (MicroPython)",
    PortInfo(
        device="/dev/ttyACM0",
        vid=0x2E8A,
        pid=0x0005,
        serial_number="E66038B7",
        description="Board in FS mode",
        manufacturer="MicroPython",
        product="Board in FS mode",
        location="1-1:1.0",
        board_guess="Raspberry Pi Pico / RP2040 / RP2350 (MicroPython)",
    ),
)
ESP = DeviceEntry("/dev/ttyUSB0", "serial", "CP2102 USB to UART", "ESP32/ESP8266 board (CP210x bridge)")
SIM = DeviceEntry(EMBEDDED_DEFAULT, "simulated", "any board on native USB", "generic")
SIM_ESP32 = DeviceEntry("sim://esp32", "simulated", "ESP32 DevKit", "esp32")
LOCAL = DeviceEntry("spawn://micropython", "local", "the MicroPython unix port on a pty", "unix port")


class FakeDiscovery:
    """A discovery function whose result the test changes (a board plugged in or out)."""

    def __init__(self, *entries: DeviceEntry) -> None:
        self.entries = list(entries)
        self.calls = 0
        self.error: Exception | None = None

    def __call__(self) -> list[DeviceEntry]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return list(self.entries)


class PaneApp(App[None]):
    """Hosts one DevicesPane and records connect requests."""

    def __init__(self, discover: Callable[[], list[DeviceEntry]], interval: float = 3600.0) -> None:
        super().__init__()
        register_themes(self)
        self.discover = discover
        self.interval = interval
        self.requests: list[str] = []

    def compose(self) -> ComposeResult:
        yield DevicesPane(discover=self.discover, refresh_interval_s=self.interval)

    def on_devices_pane_connect_requested(self, message: DevicesPane.ConnectRequested) -> None:
        self.requests.append(message.url)


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "config"))


async def discover_now(pilot, pane: DevicesPane) -> None:
    """Run one discovery and let the UI apply it."""
    await pane.refresh_devices().wait()
    await pilot.pause()
    await pilot.pause()


def notifications(app: App) -> list[str]:
    return [notification.message for notification in app._notifications]


def row_text(pane: DevicesPane, url: str) -> str:
    return pane.option_list.get_option(url).prompt.plain


# --------------------------------------------------------------------------- badges and URLs


@pytest.mark.parametrize(
    ("state", "badge"),
    [
        ("disconnected", "disconnected"),
        ("closed", "disconnected"),
        (None, "disconnected"),
        ("friendly REPL", "friendly"),
        ("raw REPL, ready", "raw"),
        ("entering the raw REPL", "raw"),
        ("soft reset", "raw"),
        ("running (stdout)", "running"),
        ("running (stderr)", "running"),
        ("sending code (raw-paste)", "running"),
        ("state unknown", "error"),
        ("could not open port /dev/ttyACM0: [Errno 16] Device or resource busy", "error"),
    ],
)
def test_session_states_map_to_five_badges(state: str | None, badge: str) -> None:
    assert badge_for_state(state) == badge


def test_every_protocol_state_has_a_badge() -> None:
    for state in State:
        assert badge_for_state(state.value) in BADGES
    assert badge_for_state(State.UNKNOWN.value) == "error"


@pytest.mark.parametrize(
    "url",
    [
        "/dev/ttyACM0",
        "COM3",
        "/dev/cu.usbmodem1101",
        "socket://192.168.4.1:2000",
        "socket://[::1]:2000",
        "rfc2217://localhost:4000?ign_set_control",
        "sim://esp32",
        "sim://generic?drop=0.001&latency_ms=30",
        "spawn://micropython",
        "spawn:///usr/bin/micropython?arg=-X&arg=heapsize=2M",
        "loop://",
    ],
)
def test_good_urls_pass(url: str) -> None:
    assert check_device_url(url) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "Type a device URL"),
        ("   ", "Type a device URL"),
        ("sim://esp 32", "no spaces"),
        ("socket://host", "HOST:PORT"),
        ("socket://host:99999", "HOST:PORT"),
        ("rfc2217://:4000", "HOST:PORT"),
        ("http://example.com", "Unknown URL scheme 'http://'"),
        ("sim://nosuchboard", "Unknown simulated board 'nosuchboard'"),
        ("sim:esp32", "did you mean sim://esp32"),
        ("localhost:2000", "did you mean socket://localhost:2000"),
        ("spawn://", "spawn:// needs a command"),
    ],
)
def test_obviously_bad_urls_get_a_clear_message(url: str, words: str) -> None:
    problem = check_device_url(url)
    assert problem is not None and words in problem


def test_bad_constructor_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="refresh_interval_s"):
        DevicesPane(refresh_interval_s=0)
    with pytest.raises(TypeError, match="refresh_interval_s"):
        DevicesPane(refresh_interval_s="2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="discover"):
        DevicesPane(discover=[SIM])  # type: ignore[arg-type]


def test_no_literal_colours_in_the_css_or_badges() -> None:
    literal = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(")
    assert not literal.search(DevicesPane.DEFAULT_CSS)
    for badge in BADGES:
        assert "$" in badge_style(badge)
        assert not literal.search(badge_style(badge))


# --------------------------------------------------------------------------- the list


async def test_devices_are_grouped_by_kind_with_badges_and_usb_details() -> None:
    app = PaneApp(FakeDiscovery(PICO, SIM, SIM_ESP32, LOCAL))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        assert pane.urls == ["/dev/ttyACM0", EMBEDDED_DEFAULT, "sim://esp32", "spawn://micropython"]
        ids = [option.id for option in pane.option_list.options]
        assert ids == [
            "group:serial",
            "/dev/ttyACM0",
            "group:simulated",
            EMBEDDED_DEFAULT,
            "sim://esp32",
            "group:local",
            "spawn://micropython",
        ]
        assert pane.option_list.get_option("group:serial").disabled
        pico = row_text(pane, "/dev/ttyACM0")
        assert "Raspberry Pi Pico" in pico and "2e8a:0005" in pico and "disconnected" in pico
        assert all(pane.badge(url) == "disconnected" for url in pane.urls)


async def test_no_serial_ports_shows_a_hint() -> None:
    app = PaneApp(FakeDiscovery(SIM))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        hint = pane.option_list.get_option("hint:serial")
        assert hint.disabled and "plug a board in" in hint.prompt.plain


async def test_set_state_changes_the_badge_without_rebuilding_the_list() -> None:
    app = PaneApp(FakeDiscovery(PICO, SIM))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        options_before = list(pane.option_list.options)
        for state, badge in [
            ("friendly REPL", "friendly"),
            ("raw REPL, ready", "raw"),
            ("running (stdout)", "running"),
            ("state unknown", "error"),
            ("closed", "disconnected"),
        ]:
            pane.set_state(EMBEDDED_DEFAULT, state)
            await pilot.pause()
            assert pane.badge(EMBEDDED_DEFAULT) == badge
            assert badge in row_text(pane, EMBEDDED_DEFAULT)
        assert [option.id for option in pane.option_list.options] == [option.id for option in options_before]
        with pytest.raises(ValueError, match="url"):
            pane.set_state("", "raw REPL, ready")
        with pytest.raises(TypeError, match="state"):
            pane.set_state(EMBEDDED_DEFAULT, None)  # type: ignore[arg-type]


async def test_plugged_in_boards_appear_and_unplugged_ones_disappear() -> None:
    discovery = FakeDiscovery(SIM)
    app = PaneApp(discovery)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        assert pane.urls == [EMBEDDED_DEFAULT]

        discovery.entries = [PICO, ESP, SIM]
        await discover_now(pilot, pane)
        assert pane.urls == ["/dev/ttyACM0", "/dev/ttyUSB0", EMBEDDED_DEFAULT]

        discovery.entries = [PICO, SIM]
        await discover_now(pilot, pane)
        assert pane.urls == ["/dev/ttyACM0", EMBEDDED_DEFAULT]


async def test_the_connected_board_stays_listed_as_disconnected_when_unplugged() -> None:
    discovery = FakeDiscovery(PICO, SIM)
    app = PaneApp(discovery)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        pane.set_state("/dev/ttyACM0", "raw REPL, ready")
        pane.highlight("/dev/ttyACM0")
        await pilot.pause()
        assert pane.badge("/dev/ttyACM0") == "raw"

        discovery.entries = [SIM]
        await discover_now(pilot, pane)
        assert pane.urls == ["/dev/ttyACM0", EMBEDDED_DEFAULT]
        assert pane.badge("/dev/ttyACM0") == "disconnected"
        assert "not found any more" in row_text(pane, "/dev/ttyACM0")
        assert pane.highlighted_url == "/dev/ttyACM0"

        discovery.entries = [PICO, SIM]  # plugged back in: the session's state shows again
        await discover_now(pilot, pane)
        assert pane.badge("/dev/ttyACM0") == "raw"

        pane.set_state(EMBEDDED_DEFAULT, "raw REPL, ready")  # the app moved to another device
        pane.highlight(EMBEDDED_DEFAULT)
        pane.forget_state("/dev/ttyACM0")  # ...and closed this one (open boards stay listed)
        discovery.entries = [SIM]
        await discover_now(pilot, pane)
        assert pane.urls == [EMBEDDED_DEFAULT]


async def test_the_timer_refreshes_the_list_while_the_app_runs() -> None:
    discovery = FakeDiscovery(SIM)
    app = PaneApp(discovery, interval=0.02)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(DevicesPane)
        discovery.entries = [PICO, SIM]
        for _ in range(300):  # bounded: about 3 s at most
            if "/dev/ttyACM0" in pane.urls:
                break
            await pilot.pause(0.01)
        assert "/dev/ttyACM0" in pane.urls
        assert discovery.calls >= 2


async def test_a_failing_discovery_is_reported_once_and_the_list_is_kept() -> None:
    discovery = FakeDiscovery(PICO, SIM)
    app = PaneApp(discovery)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        discovery.error = OSError("no /sys here")
        await discover_now(pilot, pane)
        await discover_now(pilot, pane)
        assert pane.urls == ["/dev/ttyACM0", EMBEDDED_DEFAULT]
        problems = [text for text in notifications(app) if "device discovery failed" in text]
        assert len(problems) == 1 and "no /sys here" in problems[0]


async def test_discovery_returning_the_wrong_thing_is_reported() -> None:
    app = PaneApp(lambda: ["/dev/ttyACM0"])  # type: ignore[list-item, return-value]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        assert any("DeviceEntry" in text for text in notifications(app))


# --------------------------------------------------------------------------- connecting


async def test_enter_on_a_row_requests_a_connection() -> None:
    app = PaneApp(FakeDiscovery(PICO, SIM, SIM_ESP32))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        pane.option_list.focus()
        pane.highlight("sim://esp32")
        await pilot.press("enter")
        await pilot.pause()
        assert app.requests == ["sim://esp32"]
        await pilot.press("up", "enter")  # the cursor skips group headers
        await pilot.pause()
        assert app.requests[-1] == EMBEDDED_DEFAULT


async def test_a_typed_url_requests_a_connection() -> None:
    app = PaneApp(FakeDiscovery(SIM))
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.query_one(DevicesPane)
        url_input = pane.query_one("#device-url", Input)
        assert url_input.placeholder and "socket://" in url_input.placeholder
        url_input.focus()
        url_input.value = "  socket://localhost:2000 "
        await pilot.press("enter")
        await pilot.pause()
        assert app.requests == ["socket://localhost:2000"]


LAB = DeviceEntry("rfc2217://lab-pi:4000", "named", "named 'lab' in the settings file", name="lab")
NAMED_PICO = DeviceEntry(PICO.url, "named", "named 'pico' in the settings file", PICO.board, PICO.port, "pico")


async def test_named_devices_are_rows_that_show_their_name() -> None:
    app = PaneApp(FakeDiscovery(LAB, NAMED_PICO, PICO, SIM))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        assert pane.urls == [LAB.url, PICO.url, EMBEDDED_DEFAULT]  # the named port once, by its name
        ids = [option.id for option in pane.option_list.options]
        assert ids[:3] == ["group:named", LAB.url, PICO.url]
        first, detail = row_text(pane, LAB.url).split("\n")
        assert "lab" in first and "rfc2217" not in first
        assert LAB.url in detail
        assert "pico" in row_text(pane, PICO.url).split("\n")[0]
        pane.option_list.focus()
        pane.highlight(LAB.url)
        await pilot.press("enter")
        await pilot.pause()
        assert app.requests == [LAB.url]  # the app is asked for the URL


async def test_the_url_field_takes_names_and_shortcuts() -> None:
    app = PaneApp(FakeDiscovery(LAB, SIM))
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        url_input = pane.query_one("#device-url", Input)
        url_input.focus()
        for typed in (" lab ", "u0", "c3"):
            url_input.value = typed
            await pilot.press("enter")
            await pilot.pause()
        assert app.requests == [LAB.url, "/dev/ttyUSB0", "COM3"]


async def test_a_bad_typed_url_gives_a_notification_not_a_request() -> None:
    app = PaneApp(FakeDiscovery(SIM))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        pane = app.query_one(DevicesPane)
        url_input = pane.query_one("#device-url", Input)
        url_input.focus()
        url_input.value = "socket://[host"
        await pilot.press("enter")
        await pilot.pause()
        assert app.requests == []
        assert any("HOST:PORT" in text for text in notifications(app))
        url_input.value = ""
        await pilot.press("enter")
        await pilot.pause()
        assert app.requests == []
        assert any("Type a device URL" in text for text in notifications(app))


async def test_highlight_selects_a_typed_url_and_keeps_it_listed() -> None:
    app = PaneApp(FakeDiscovery(PICO, SIM))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        pane.highlight("socket://bench-pi:2000")
        pane.set_state("socket://bench-pi:2000", "raw REPL, ready")
        await pilot.pause()
        assert pane.current_url == "socket://bench-pi:2000"
        assert pane.highlighted_url == "socket://bench-pi:2000"
        assert pane.urls[-1] == "socket://bench-pi:2000"
        assert pane.option_list.get_option("group:other").disabled
        await discover_now(pilot, pane)
        assert pane.highlighted_url == "socket://bench-pi:2000"  # a refresh keeps the cursor
        pane.highlight(EMBEDDED_DEFAULT)
        await pilot.pause()
        assert pane.highlighted_url == EMBEDDED_DEFAULT


# --------------------------------------------------------------------------- theme colours


def colour_at(app: App, text: str) -> Color:
    """Foreground colour on screen where ``text`` starts."""
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    for y, line in enumerate(lines):
        x = line.find(text)
        if x >= 0:
            style = app.screen.get_style_at(x, y)
            assert style.color is not None
            return Color.from_rich_color(style.color)
    raise AssertionError(f"{text!r} not on screen:\n" + "\n".join(lines))


async def test_badge_colours_follow_the_theme() -> None:
    app = PaneApp(FakeDiscovery(SIM, SIM_ESP32))
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        pane.set_state("sim://esp32", "raw REPL, ready")
        pane.option_list.highlighted = pane.option_list.get_option_index(EMBEDDED_DEFAULT)
        seen = []
        for name in ("workbench-dark", "workbench-high-contrast", "workbench-light"):
            app.theme = name
            await pilot.pause()
            await pilot.pause()
            expected = Color.parse(app.get_css_variables()["text-success"])
            actual = colour_at(app, "● sim://esp32")
            assert (actual.r, actual.g, actual.b) == (expected.r, expected.g, expected.b), name
            seen.append(actual)
        assert len(set(seen)) == 3


async def test_list_focus_and_keyboard_basics_at_80_columns() -> None:
    app = PaneApp(FakeDiscovery(PICO, SIM))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(DevicesPane)
        await discover_now(pilot, pane)
        assert isinstance(pane.option_list, OptionList)
        assert pane.option_list.region.width <= 80
        assert pane.highlighted_url == "/dev/ttyACM0"  # the first device, not a header
