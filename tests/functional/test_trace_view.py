"""TraceView, driven the way a user drives it: keys, clicks, and batches of records arriving.

What the user sees is read back with ``render_line`` (the Line API's own output for each row
of the view), so the assertions are about the screen, not internal lists, wherever possible.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from workbench.app.widgets.trace_view import TraceView
from workbench.protocol import CodeSent, EnterRaw, Output, StdoutEnded
from workbench.trace import TraceRecord, annotate, load_jsonl
from workbench.trace.explain import explain, is_event

UNIX_PORT = Path(__file__).resolve().parents[1] / "data" / "transcripts" / "unix-port"

#: A dump line: a 4-digit offset (when the pane has room), up to 16 hex bytes padded to 47
#: columns, |one character a byte|.
DUMP_LINE = re.compile(r"^(?:[0-9a-f]{4}  )?(?:[0-9a-f]{2} ){0,15}[0-9a-f]{2} *  \|[ -~]{1,16}\|$")
HEADER_LINE = re.compile(r"^ *\d+\.\d{6} (?:→ tx|← rx) +\d+ B")
#: Content widths of the trace pane on 120, 140, 160, 180 and 200 column terminals.
PANE_WIDTHS = (45, 56, 68, 79, 90)


def session_records() -> list[TraceRecord]:
    """Transcripts 01..10 were recorded in order on one connection: annotate them as one."""
    records: list[TraceRecord] = []
    for path in sorted(UNIX_PORT.glob("*.jsonl")):
        records.extend(load_jsonl(path)[0])
    return annotate(records)


SESSION = session_records()


class TraceApp(App[None]):
    """Nothing but a TraceView, focused, holding the annotated session (or nothing)."""

    def __init__(self, records: list[TraceRecord] | None = None, *, max_records: int = 100_000,
                 hex_mode: bool = False) -> None:
        super().__init__()
        self.initial = SESSION if records is None else records
        self.max_records = max_records
        self.hex_mode = hex_mode
        self.selected: list[TraceView.RecordSelected] = []

    def compose(self) -> ComposeResult:
        yield TraceView(max_records=self.max_records)

    def on_mount(self) -> None:
        view = self.query_one(TraceView)
        view.add_records(self.initial)
        view.hex_mode = self.hex_mode
        view.focus()

    def on_trace_view_record_selected(self, message: TraceView.RecordSelected) -> None:
        self.selected.append(message)


def screen_lines(view: TraceView) -> list[str]:
    """The rows of the view as the user sees them."""
    return [view.render_line(y).text.rstrip() for y in range(view.scrollable_content_region.height)]


def small_records(count: int, start: int = 0) -> list[TraceRecord]:
    return [TraceRecord(float(i) / 1000, "rx", b"x", meaning="stdout 1 B") for i in range(start, start + count)]


def view_size(content_width: int) -> tuple[int, int]:
    """Terminal size for a TraceApp whose view is ``content_width`` wide (plus its scrollbar)."""
    return content_width + 2, 30


async def test_text_mode_shows_time_direction_text_and_meaning() -> None:
    app = TraceApp()
    async with app.run_test(size=view_size(68)) as pilot:
        view = app.query_one(TraceView)
        await pilot.press("home")
        await pilot.pause()
        lines = screen_lines(view)
        assert lines[0].split() == ["0.000073", "→", "tx", "^M^C^C", "CTRL-C", "twice:", "interrupt,",
                                    "clear", "the", "line"]
        assert any("→ tx ^M^A" in line and line.endswith("CTRL-A: enter the raw REPL") for line in lines)
        assert any("OK: code accepted, running" in line for line in lines)
        # Long records: the text column shows their start and an ellipsis.
        assert any(line.startswith("0.301883 ← rx ^J>>> ^M^Jr…  1 B outside a frame") for line in lines)
        assert view.search("window 128")
        await pilot.pause()
        lines = screen_lines(view)
        assert any("^A.^@^A" in line and "raw-paste accepted, window 128" in line for line in lines)
        # Nothing wraps: every row fits the width.
        assert all(len(line) <= view.scrollable_content_region.width for line in lines)


@pytest.mark.parametrize("width", PANE_WIDTHS)
async def test_the_meaning_keeps_its_room_at_the_widths_the_app_gives_the_trace(width: int) -> None:
    app = TraceApp()
    async with app.run_test(size=view_size(width)) as pilot:
        view = app.query_one(TraceView)
        assert view.scrollable_content_region.width == width
        assert view.search("enter the raw REPL")
        await pilot.pause()
        row = next(line for line in screen_lines(view) if line.startswith("0.301644 → tx ^M^A "))
        meaning = row.split("^M^A", 1)[1].strip()
        assert "CTRL-A: enter the raw REPL".startswith(meaning)
        assert len(meaning) >= min(width - 22, len("CTRL-A: enter the raw REPL"))
        if width >= 68:  # from 160 columns on: the whole meaning, and a raw-paste answer's window
            assert meaning == "CTRL-A: enter the raw REPL"
            assert view.search("raw-paste accepted")
            await pilot.pause()
            row = next(line for line in screen_lines(view) if "← rx ^A.^@^A " in line)
            assert "R CTRL-A: raw-paste accepted, window 128" in row


async def test_long_rows_scroll_sideways_with_the_arrow_keys() -> None:
    app = TraceApp()
    async with app.run_test(size=view_size(68)) as pilot:
        view = app.query_one(TraceView)
        assert view.search("raw-paste accepted")
        await pilot.pause()
        selected = view.selected_record
        assert selected is not None and selected.meaning.endswith("(now 256)")
        assert view.max_scroll_x > 0
        assert not any("(now 256)" in line for line in screen_lines(view))
        for _ in range(100):
            await pilot.press("right")
            if any(line.endswith("(now 256)") for line in screen_lines(view)):
                break
        assert any(line.endswith("(now 256)") for line in screen_lines(view))
        assert view.selected_record is selected  # sideways is not a cursor move
        await pilot.press("left")
        assert 0 < view.scroll_x < view.max_scroll_x


async def test_hex_mode_lines_have_the_dump_format() -> None:
    app = TraceApp()
    async with app.run_test(size=view_size(79)) as pilot:
        view = app.query_one(TraceView)
        await pilot.press("x")
        await pilot.pause()
        assert view.hex_mode
        assert view.line_count == sum(1 + (len(r.data) + 15) // 16 for r in SESSION)
        lines = [line for line in screen_lines(view) if line]
        assert lines and all(HEADER_LINE.match(line) or DUMP_LINE.match(line) for line in lines), lines
        assert any(HEADER_LINE.match(line) for line in lines)
        assert any(DUMP_LINE.match(line) for line in lines)
        await pilot.press("home")
        await pilot.pause()
        lines = screen_lines(view)
        assert HEADER_LINE.match(lines[0]) and "3 B" in lines[0] and "interrupt" in lines[0]
        assert lines[1] == "0000  0d 03 03" + " " * 39 + "  |...|"


@pytest.mark.parametrize("width", [68, 79, 90])
async def test_the_hex_dump_shows_all_16_characters_of_a_line(width: int) -> None:
    app = TraceApp(hex_mode=True)
    async with app.run_test(size=view_size(width)) as pilot:
        view = app.query_one(TraceView)
        assert view.search("raw REPL; CTRL-B")
        await pilot.pause()
        dump = [line for line in screen_lines(view) if DUMP_LINE.match(line)]
        assert any(line.endswith("4c 3b  |.>>> ..raw REPL;|") for line in dump), dump
        assert any(line.endswith("0d  | CTRL-B to exit.|") for line in dump), dump
        assert all(len(line) <= width for line in dump)  # whole on screen, nothing to scroll to
        with_offsets = [line for line in dump if re.match(r"[0-9a-f]{4}  ", line)]
        assert with_offsets == (dump if width >= 73 else [])  # the offset only where it fits


async def test_the_trace_pane_of_the_app_shows_meanings_and_whole_dump_lines(tmp_path: Path) -> None:
    from workbench.app.app import WorkbenchApp
    from workbench.app.recovery import RecoveryStore
    from workbench.config import Settings

    for columns in (160, 200):
        app = WorkbenchApp("sim://generic", discover=list, recovery=RecoveryStore(tmp_path / "recovery"),
                           settings=Settings.load(tmp_path / "settings.toml"))
        async with app.run_test(size=(columns, 50)) as pilot:
            view = app.query_one("#trace", TraceView)
            for _ in range(500):  # connected: the raw prompt came
                if app.session is not None and any("raw prompt" in record.meaning for record in view.records()):
                    break
                await pilot.pause(0.01)
            await pilot.press("f5")  # the first run asks for raw-paste (connecting does not)
            for _ in range(500):
                if any("raw-paste accepted" in record.meaning for record in view.records()):
                    break
                await pilot.pause(0.01)
            await pilot.press("ctrl+b")
            assert app.focused is view
            assert view.search("raw-paste accepted")
            await pilot.pause()
            width = view.scrollable_content_region.width
            lines = screen_lines(view)
            assert any("enter the raw REPL" in line for line in lines), lines
            assert any("raw-paste accepted, window" in line for line in lines), lines
            await pilot.press("x")
            assert view.search("raw REPL; CTRL-B")
            await pilot.pause()
            dump = [line for line in screen_lines(view) if DUMP_LINE.match(line)]
            assert any(re.search(r"\|[ -~]{16}\|$", line) for line in dump), dump
            assert all(len(line) <= width for line in dump), (width, dump)


async def test_toggling_hex_mode_keeps_the_selected_record_in_view() -> None:
    app = TraceApp()
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        assert view.search("soft reboot")
        await pilot.pause()
        for _ in range(2):
            await pilot.press("x")
            await pilot.pause()
            assert any("soft reboot: 'MPY: soft reboot'" in line for line in screen_lines(view))
            assert view.selected_record is not None and b"soft reboot" in view.selected_record.data


async def test_toggling_hex_mode_without_a_cursor_keeps_the_top_record() -> None:
    app = TraceApp()
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        view.follow = False
        view.scroll_to(y=40, animate=False)
        await pilot.pause()
        top_time = screen_lines(view)[0].split()[0]
        for _ in range(4):  # text → hex → text ...: the same record stays at the top
            await pilot.press("x")
            await pilot.pause()
            assert screen_lines(view)[0].split()[0] == top_time
            assert not view.follow


async def test_direction_filter_shows_only_tx() -> None:
    app = TraceApp()
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        await pilot.press("d")
        await pilot.pause()
        assert view.direction == "tx"
        assert view.visible_records() == [r for r in SESSION if r.dir == "tx"]
        lines = [line for line in screen_lines(view) if line]
        assert lines and all("→ tx" in line for line in lines)
        await pilot.press("d")
        await pilot.pause()
        assert view.direction == "rx"
        assert all("← rx" in line for line in screen_lines(view) if line)
        await pilot.press("d")
        assert view.direction == "all"
        assert len(view.visible_records()) == len(SESSION)


async def test_events_only_hides_output_only_records() -> None:
    app = TraceApp()
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        await pilot.press("e")
        await pilot.pause()
        visible = view.visible_records()
        assert visible == [r for r in SESSION if is_event(r)]
        assert not any(r.meaning in ("stdout 1 B", "stdout 9 B", "") for r in visible)
        assert any(r.meaning == "CTRL-D: end of stdout" for r in visible)
        assert not any(line.endswith("stdout 9 B") for line in screen_lines(view))
        assert len(view.records()) == len(SESSION)  # filtering hides, never forgets


async def test_events_only_goes_by_the_events_of_live_records() -> None:
    """The workbench's own writes come with a note and events but no meaning: the filter
    keeps the protocol steps among them and hides the code, from the events alone."""
    records = [
        TraceRecord(0.0, "tx", b"\r\x01", "CR CTRL-A: enter the raw REPL", "", (EnterRaw(cr=True),)),
        TraceRecord(0.1, "tx", b"x=1\n", "code 4 B (raw-paste)", "", (CodeSent(4, "raw-paste"),)),
        TraceRecord(0.2, "rx", b"hi", "", "stdout 2 B", (Output("stdout", b"hi"),)),
        TraceRecord(0.3, "rx", b"\x04", "", "CTRL-D: end of stdout", (StdoutEnded(),)),
        TraceRecord(0.4, "rx", b"O", "", "", ()),  # a frame not finished yet
    ]
    app = TraceApp(records)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        await pilot.press("e")
        await pilot.pause()
        assert view.visible_records() == [records[0], records[3]]
        assert any(line.endswith("CR CTRL-A: enter the raw REPL") for line in screen_lines(view))


async def test_selecting_a_row_posts_record_selected_with_an_explanation() -> None:
    app = TraceApp()
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        await pilot.press("home")
        await pilot.pause()
        assert len(app.selected) == 1
        assert app.selected[0].record is SESSION[0]
        await pilot.click(TraceView, offset=(10, 5))
        await pilot.pause()
        message = app.selected[-1]
        assert message.record is SESSION[5]
        assert message.explanation == explain(SESSION[5]) + "\n2 B: 0d 01"  # and its bytes in hex
        assert "raw REPL" in message.explanation
        await pilot.press("down")
        await pilot.pause()
        assert app.selected[-1].record is SESSION[6]
        assert view.selected_record is SESSION[6]
        # The selected row is drawn with the cursor style, the others are not.
        cursor = view.get_component_rich_style("trace-view--cursor")
        assert next(iter(view.render_line(6))).style == cursor
        assert next(iter(view.render_line(5))).style != cursor


async def test_select_range_highlights_every_row_of_the_exec_until_the_cursor_leaves_it() -> None:
    app = TraceApp()
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        assert view.select_range(12, 19)  # transcript 03: an exec that raised, 8 rows
        await pilot.pause()
        assert app.selected[-1].record is SESSION[12] and view.selected_record is SESSION[12]

        def looks() -> dict[int, str]:
            """Each record on screen: drawn as the cursor, in the range, or plainly."""
            cursor = view.get_component_rich_style("trace-view--cursor")
            band = view.get_component_rich_style("trace-view--range").bgcolor
            top = int(view.scroll_offset.y)
            seen = {}
            for y in range(view.scrollable_content_region.height):
                style = next(iter(view.render_line(y))).style
                seen[top + y] = "cursor" if style == cursor else "range" if style.bgcolor == band else "plain"
            return seen

        shown = looks()
        assert all(index in shown for index in range(12, 20))  # the whole exec is on screen
        assert shown[12] == "cursor" and {shown[i] for i in range(13, 20)} == {"range"}
        assert shown.get(11, "plain") == "plain" and shown[20] == "plain"
        await pilot.press("down", "down")  # reading the exec's rows one by one: the range stays
        assert view.selected_range == (12, 19) and looks()[12] == "range" and looks()[14] == "cursor"
        await pilot.press(*["down"] * 6)  # out of it: gone
        assert view.selected_range is None and looks()[19] == "plain"


async def test_search_finds_soft_reboot_and_moves_the_cursor() -> None:
    app = TraceApp()
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        await pilot.press("home")
        assert view.search("SOFT REBOOT")
        await pilot.pause()
        selected = view.selected_record
        assert selected is not None and selected.data == b"PY: soft reboot\r\n"
        assert app.selected[-1].record is selected
        assert any("soft reboot: 'MPY: soft reboot'" in line for line in screen_lines(view))
        assert not view.follow
        # Hex search, and n / N repeating it both ways (wrapping).
        assert view.search("05 41 01")
        first_request = view.selected_record
        await pilot.press("n")
        second_request = view.selected_record
        assert second_request is not first_request and second_request.data == b"\x05A\x01"
        await pilot.press("N")
        assert view.selected_record is first_request
        assert not view.search("no such text anywhere")
        assert view.selected_record is first_request


async def test_cap_keeps_max_records_and_counts_the_dropped() -> None:
    app = TraceApp([], max_records=100_000)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        for batch in range(200):
            view.add_records(small_records(1000, batch * 1000))
        await pilot.pause()
        kept = view.records()
        assert len(kept) == view.max_records == 100_000
        assert view.dropped == 100_000
        assert kept[0].t == 100.0 and kept[-1].t == 199.999
        assert view.line_count == 100_000
        assert screen_lines(view)[-1].startswith("199.999000 ← rx x ")


async def test_follow_shows_the_newest_then_pauses_when_the_user_scrolls_up() -> None:
    app = TraceApp([])
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        view.add_records(small_records(500))
        await pilot.pause()
        assert view.follow
        assert view.scroll_y == view.max_scroll_y > 0
        assert screen_lines(view)[-1].startswith("0.499000 ← rx")
        view.scroll_relative(y=-10, animate=False)  # what the mouse wheel does
        await pilot.pause()
        assert not view.follow
        before = screen_lines(view)
        view.add_records(small_records(500, 500))
        await pilot.pause()
        assert screen_lines(view) == before
        await pilot.press("end")
        await pilot.pause()
        assert view.follow
        assert screen_lines(view)[-1].startswith("0.999000 ← rx")


async def test_follow_key_and_cursor_keys_pause_and_resume() -> None:
    app = TraceApp()
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        await pilot.press("f")
        assert not view.follow
        await pilot.press("f")
        assert view.follow
        await pilot.press("pageup")
        assert not view.follow
        top = view.scroll_y
        view.add_records(SESSION[:10])
        await pilot.pause()
        assert view.scroll_y == top


async def test_dropping_while_paused_keeps_the_same_records_on_screen() -> None:
    app = TraceApp([], max_records=1000)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        view.add_records(small_records(1000))
        view.follow = False
        view.scroll_to(y=500, animate=False)
        await pilot.pause()
        before = screen_lines(view)
        view.add_records(small_records(100, 1000))
        await pilot.pause()
        assert view.dropped == 100
        assert screen_lines(view) == before


async def test_set_records_and_clear() -> None:
    app = TraceApp([], max_records=50)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        view.set_records(SESSION)
        await pilot.pause()
        assert view.records() == SESSION[-50:]
        assert view.dropped == len(SESSION) - 50
        view.clear()
        await pilot.pause()
        assert view.records() == [] and view.dropped == 0 and view.line_count == 0
        assert all(line == "" for line in screen_lines(view))


class PreloadedApp(App[None]):
    """Records and settings given before the view is mounted (a saved trace opened at start)."""

    def compose(self) -> ComposeResult:
        view = TraceView()
        view.add_records(SESSION[:5])
        view.hex_mode = True
        view.follow = False
        yield view


async def test_settings_made_before_mount_apply() -> None:
    app = PreloadedApp()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        view = app.query_one(TraceView)
        lines = screen_lines(view)
        assert HEADER_LINE.match(lines[0]) and DUMP_LINE.match(lines[1])
        assert view.line_count == sum(1 + (len(r.data) + 15) // 16 for r in SESSION[:5])


async def test_page_keys_move_a_screen_at_a_time() -> None:
    app = TraceApp()
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(TraceView)
        await pilot.press("home", "pagedown")
        assert view.selected_record is SESSION[view.scrollable_content_region.height]
        await pilot.press("pageup")
        assert view.selected_record is SESSION[0]
        await pilot.press("end")
        assert view.selected_record is SESSION[-1] and view.follow


def test_bindings_are_described_for_the_footer() -> None:
    shown = {b.key: b.description for b in TraceView.BINDINGS if getattr(b, "show", True)}
    assert set(shown) == {"x", "f", "d", "e", "n", "N"}
    assert all(shown.values())


def test_rejects_an_unknown_direction() -> None:
    view = TraceView()
    with pytest.raises(ValueError):
        view.direction = "sideways"  # type: ignore[assignment]


class SnapshotApp(TraceApp):
    """The session at the end (follow), optionally in hex mode on the raw-paste handshake."""

    def on_mount(self) -> None:
        super().on_mount()
        if self.hex_mode:
            self.query_one(TraceView).search("raw-paste accepted")


def test_snapshot_text_mode(snap_compare) -> None:
    assert snap_compare(SnapshotApp(), terminal_size=(120, 30))


def test_snapshot_hex_mode(snap_compare) -> None:
    assert snap_compare(SnapshotApp(hex_mode=True), terminal_size=(120, 30))


async def test_the_explanation_of_a_long_record_spells_its_first_bytes_and_points_at_the_dump() -> None:
    app = TraceApp()
    async with app.run_test(size=view_size(68)) as pilot:
        assert app.query_one(TraceView).search("code 41 B")
        await pilot.pause()
        message = app.selected[-1]
        assert len(message.record.data) == 41
        sentence, bytes_line = message.explanation.rsplit("\n", 1)
        assert sentence == explain(message.record)
        assert bytes_line == f"41 B: {message.record.data[:32].hex(' ')} … and 9 more (x: the hex dump)"
