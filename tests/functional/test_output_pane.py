"""Pilot tests of the output pane: line assembly, colours, summaries, limits, traceback jumps."""

from __future__ import annotations

import re
import time

from rich.cells import cell_len
from rich.color import Color as RichColor
from textual.app import App, ComposeResult
from textual.color import Color

from tests.support.pilot import wait_until
from workbench.app.widgets.output_pane import MAX_LINE_CHARS, OutputPane, format_summary, wrap_points
from workbench.engine.result import ExecResult
from workbench.protocol.tracebacks import parse_traceback

TRACEBACK = (
    "Traceback (most recent call last):\r\n"
    '  File "<stdin>", line 4, in <module>\r\n'
    '  File "<stdin>", line 2, in f\r\n'
    "ZeroDivisionError: divide by zero\r\n"
)


class OutputApp(App[None]):
    """Hosts one OutputPane and records the jumps it asks for."""

    def __init__(self, max_lines: int = 10_000) -> None:
        super().__init__()
        self.max_lines = max_lines
        self.jumps: list[int] = []

    def compose(self) -> ComposeResult:
        yield OutputPane(max_lines=self.max_lines)

    def on_output_pane_jump_to_line(self, event: OutputPane.JumpToLine) -> None:
        self.jumps.append(event.line)

    @property
    def pane(self) -> OutputPane:
        return self.query_one(OutputPane)



def result(
    *, exception_text: str = "", raw_paste: bool = True, rebooted: bool = False, total_s: float = 0.0025
) -> ExecResult:
    return ExecResult(
        stdout="",
        stderr=exception_text,
        exception=parse_traceback(exception_text),
        raw_paste=raw_paste,
        bytes_sent=30,
        send_s=0.0025,
        run_s=0.001,
        total_s=total_s,
        rebooted=rebooted,
    )


def text_color(pane: OutputPane, row: int) -> RichColor | None:
    """Foreground colour of the first segment rendered for ``row`` (visible rows only)."""
    strip = pane.render_line(row - pane.scroll_offset.y)
    return strip._segments[0].style.color


def theme_color(app: App, name: str) -> RichColor:
    return Color.parse(app.get_css_variables()[name]).rich_color


async def write_in_pieces(pilot, pane: OutputPane, data: str) -> float:
    """Write ``data`` in 4 KB pieces as a board's output arrives, letting the screen render
    now and then as a live app would; the seconds spent in ``write`` alone."""
    writing = 0.0
    for piece_number, start in enumerate(range(0, len(data), 4096)):
        started = time.perf_counter()
        pane.write("stdout", data[start : start + 4096])
        writing += time.perf_counter() - started
        if piece_number % 8 == 0:
            await pilot.pause()
    return writing


async def test_pieces_are_assembled_into_lines_with_the_partial_line_shown() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.write("stdout", "hel")
        assert pane.lines_text() == ["hel"]  # the partial line is visible while it grows
        pane.write("stdout", "lo\r")
        pane.write("stdout", "\nwor")
        assert pane.lines_text() == ["hello", "wor"]
        pane.write("stdout", "ld\r\n\r\nend\n")
        assert pane.lines_text() == ["hello", "world", "", "end"]
        pane.write("stdout", "")
        assert pane.lines_text() == ["hello", "world", "", "end"]
        await pilot.pause()
        assert pane.render_line(1).text.rstrip() == "world"


async def test_carriage_return_rewrites_the_line_and_controls_are_visible() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)):
        pane = app.pane
        pane.write("stdout", "10%\r")
        pane.write("stdout", "50%\r90%")
        assert pane.lines_text() == ["90%"]
        pane.write("stdout", "\n\x1b[31mred\x1b[0m\tx\x07\n")
        assert pane.lines_text() == ["90%", "red     x\N{REPLACEMENT CHARACTER}"]


async def test_switching_stream_starts_a_new_line() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)):
        pane = app.pane
        pane.write("stdout", "no newline")
        pane.write("stderr", "Error\r\n")
        assert pane.lines_text() == ["no newline", "Error"]


async def test_stderr_is_drawn_in_the_themes_error_colour() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.write("stdout", "normal\n")
        pane.write("stderr", "bad\n")
        await pilot.pause()
        stdout_color = text_color(pane, 0)
        stderr_color = text_color(pane, 1)
        assert stdout_color != stderr_color
        assert stderr_color == theme_color(app, "error")


async def test_run_separator_and_summary_line() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.run_started("run 3")
        pane.write("stdout", "partial")
        pane.run_finished(result())
        await pilot.pause()
        lines = pane.lines_text()
        assert lines[0] == "── run 3 ──"
        assert lines[1] == "partial"  # the partial line was completed, not glued to the summary
        summary = lines[2]
        for part in ("raw-paste", "30 B", "2.5 ms", "11.7 KB/s", "ok"):
            assert part in summary
        assert text_color(pane, 2) == theme_color(app, "success")
        assert text_color(pane, 0) not in (None, text_color(pane, 1))  # muted, not the normal colour
        assert pane.last_stdin_line is None


def test_summary_formats() -> None:
    assert format_summary(result(raw_paste=False)).startswith("── raw · 30 B · 2.5 ms")
    assert "1234 ms" in format_summary(result(total_s=1.2344))
    failed = format_summary(result(exception_text=TRACEBACK))
    assert "ZeroDivisionError at line 2" in failed
    assert "board rebooted" in format_summary(result(rebooted=True))


async def test_summary_of_a_failed_run_names_the_exception_in_error_colour() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.write("stderr", TRACEBACK)
        pane.run_finished(result(exception_text=TRACEBACK))
        pane.run_finished(result(exception_text="Traceback (most recent call last):\nKeyboardInterrupt: \n"))
        await pilot.pause()
        assert "ZeroDivisionError" in pane.lines_text()[4]
        assert text_color(pane, 4) == theme_color(app, "error")
        assert "KeyboardInterrupt" in pane.lines_text()[5]
        assert text_color(pane, 5) == theme_color(app, "warning")
        assert pane.last_stdin_line is None  # the last run (interrupted) had no <stdin> frame


async def test_error_line() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.write("stdout", "half")
        pane.error("device disconnected: /dev/ttyACM0")
        await pilot.pause()
        assert pane.lines_text() == ["half", "device disconnected: /dev/ttyACM0"]
        assert text_color(pane, 1) == theme_color(app, "error")


async def test_line_limit_drops_the_oldest_lines_and_counts_them() -> None:
    app = OutputApp(max_lines=100)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.write("stdout", "".join(f"line {n}\n" for n in range(250)))
        await pilot.pause()
        assert pane.line_count == 100
        assert pane.dropped_lines == 150
        assert pane.lines_text()[0] == "line 150"
        assert pane.lines_text()[-1] == "line 249"
        pane.clear()
        assert pane.lines_text() == [] and pane.dropped_lines == 0


async def test_very_long_lines_continue_on_the_next_row() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)):
        pane = app.pane
        for _ in range(3):
            pane.write("stdout", "x" * MAX_LINE_CHARS)
        pane.write("stdout", "\n")
        assert [len(line) for line in pane.lines_text()] == [MAX_LINE_CHARS] * 3
        assert "".join(pane.lines_text()) == "x" * (3 * MAX_LINE_CHARS)  # nothing lost


async def test_clicking_a_stdin_frame_posts_jump_to_line() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.write("stdout", "before\n")
        pane.write("stderr", TRACEBACK)
        await pilot.pause()
        assert pane.jump_targets == [(2, 4), (3, 2)]
        assert await pilot.click(OutputPane, offset=(6, 2))
        await wait_until(pilot, lambda: app.jumps == [4])
        assert await pilot.click(OutputPane, offset=(6, 0))  # not a frame: nothing happens
        assert await pilot.click(OutputPane, offset=(6, 3))
        await wait_until(pilot, lambda: app.jumps == [4, 2])


async def test_enter_jumps_to_the_last_exception_line() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.write("stderr", TRACEBACK)
        pane.run_finished(result(exception_text=TRACEBACK))
        assert pane.last_stdin_line == 2
        pane.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.jumps == [2])


async def test_one_megabyte_in_4k_pieces_stays_fast_and_follows_the_end() -> None:
    app = OutputApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        data = "".join(f"sample {n:06d} value={n * 7 % 1000}\r\n" for n in range(42_000))
        assert len(data) >= 1_000_000
        writing = await write_in_pieces(pilot, pane, data)
        # Typically ~0.2 s in all; a bound far above that still catches work quadratic in output size.
        assert writing < 5
        assert pane.line_count == 10_000
        assert pane.dropped_lines == 32_000
        assert pane.lines_text()[-1] == "sample 041999 value=993"
        await pilot.pause()
        bottom_row = pane.scrollable_content_region.height - 1
        assert pane.render_line(bottom_row).text.rstrip() == "sample 041999 value=993"


async def test_new_output_does_not_yank_a_reader_who_scrolled_up() -> None:
    app = OutputApp(max_lines=200)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.write("stdout", "".join(f"old {n}\n" for n in range(150)))
        await wait_until(pilot, lambda: pane.scroll_offset.y > 0)  # following the end
        pane.scroll_to(y=40, animate=False, immediate=True)
        await pilot.pause()
        pane.write("stdout", "".join(f"new {n}\n" for n in range(20)))
        await pilot.pause()
        assert pane.scroll_offset.y == 40
        assert pane.render_line(0).text.startswith("old 40")
        pane.write("stdout", "".join(f"more {n}\n" for n in range(50)))  # 20 old lines dropped
        await pilot.pause()
        assert pane.dropped_lines == 20
        assert pane.scroll_offset.y == 20
        assert pane.render_line(0).text.startswith("old 40")  # still the same text on top
        pane.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        pane.write("stdout", "last\n")
        await pilot.pause()
        await pilot.pause()
        assert pane.render_line(pane.scrollable_content_region.height - 1).text.startswith("last")


# --- wrapping -------------------------------------------------------------------------------

INTRODUCTION = (
    "In this lesson the host talks to a simulated board in the raw REPL: it sends CTRL-A, "
    "waits for the raw prompt, then sends the code and CTRL-D and reads OK back."
)


def screen_rows(pane: OutputPane) -> list[str]:
    """The pane's rows as the user sees them (trailing blanks removed)."""
    return [pane.render_line(y).text.rstrip() for y in range(pane.scrollable_content_region.height)]


def test_wrap_points_break_after_spaces_cut_only_overlong_words_and_keep_every_character() -> None:
    text = "aaa bbb ccc dddd eeeeeeeeeeeeee f"
    points = wrap_points(text, 8)
    rows = [text[a:b] for a, b in zip((0, *points), (*points, len(text)), strict=True)]
    # Words move to the next row whole; one longer than a row fills the row and is cut.
    assert rows == ["aaa bbb ", "ccc dddd ", "eeeeeeee", "eeeeee f"]
    assert wrap_points("0123456 89", 7) == (8,)  # the space past the edge hangs, undrawn
    assert wrap_points("short", 8) == () and wrap_points("anything", 0) == ()
    wide = "温度 " * 10  # two cells a character: no row wider than the pane
    for width in (7, 9):
        points = wrap_points(wide, width)
        rows = [wide[a:b] for a, b in zip((0, *points), (*points, len(wide)), strict=True)]
        assert "".join(rows) == wide
        assert all(cell_len(row.rstrip()) <= width for row in rows)
        assert rows[0] == {7: "温度 ", 9: "温度 温度 "}[width]  # 9: the space past the edge hangs
    long_word = "a " + "温" * 10
    points = wrap_points(long_word, 7)
    assert [long_word[a:b] for a, b in zip((0, *points), (*points, len(long_word)), strict=True)] == [
        "a 温温", "温温温", "温温温", "温温"]


async def test_long_lines_wrap_at_spaces_to_the_pane_width() -> None:
    app = OutputApp()
    async with app.run_test(size=(40, 20)) as pilot:
        pane = app.pane
        pane.write("stdout", INTRODUCTION + "\n")
        await pilot.pause()
        width = pane.scrollable_content_region.width
        assert pane.lines_text() == [INTRODUCTION]  # still one line (copying, jumps)
        rows = [row for row in screen_rows(pane) if row]
        assert len(rows) == pane.row_count > 3
        assert all(len(row) <= width for row in rows)
        assert " ".join(rows) == INTRODUCTION  # every word there, none cut in two
        assert rows[0].startswith("In this lesson the host talks")


async def test_wrapped_rows_keep_the_stderr_colour_and_the_traceback_link() -> None:
    frame = '  File "<stdin>", line 7, in a_function_with_a_rather_long_descriptive_name\r\n'
    app = OutputApp()
    async with app.run_test(size=(40, 20)) as pilot:
        pane = app.pane
        pane.write("stderr", "Traceback (most recent call last):\r\n" + frame)
        pane.write("stderr", "ValueError: " + "a long message about what went wrong " * 2 + "\r\n")
        await pilot.pause()
        assert pane.line_count == 3 and pane.row_count >= 6
        assert pane.jump_targets == [(1, 7)]
        error = theme_color(app, "error")
        assert all(text_color(pane, row) == error for row in range(pane.row_count))
        link = pane.render_line(2)  # the frame's second row is part of the link too
        assert link.text.strip() and all(seg.style.underline for seg in link if seg.text.strip())
        assert await pilot.click(OutputPane, offset=(3, 2))
        await wait_until(pilot, lambda: app.jumps == [7])


async def test_a_resize_wraps_again_and_keeps_following_the_newest_line() -> None:
    app = OutputApp()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.pane
        pane.write("stdout", "".join(f"{n:03d} {INTRODUCTION}\n" for n in range(40)))
        await wait_until(pilot, lambda: pane.scroll_offset.y > 0 and pane.scroll_y == pane.max_scroll_y)
        wide_rows = pane.row_count
        for size in [(50, 20), (50, 12), (90, 30), (40, 16)]:
            await pilot.resize_terminal(*size)
            await wait_until(pilot, lambda: pane.scroll_y == pane.max_scroll_y)
            rows = screen_rows(pane)
            assert all(len(row) <= pane.scrollable_content_region.width for row in rows)
            assert INTRODUCTION.endswith(rows[-1].rsplit(" ", 1)[-1])  # the newest line's end
            assert " ".join(rows[-3:]) in f"039 {INTRODUCTION}" or rows[-1].endswith("OK back.")
        assert pane.row_count > wide_rows
        pane.write("stdout", "after the resize\n")
        await wait_until(pilot, lambda: screen_rows(pane)[-1] == "after the resize")


async def test_a_resize_keeps_the_line_a_reader_scrolled_to_at_the_top() -> None:
    app = OutputApp()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.pane
        pane.write("stdout", "".join(f"{n:03d} {INTRODUCTION}\n" for n in range(40)))
        await wait_until(pilot, lambda: pane.scroll_offset.y > 0)
        pane.scroll_relative(y=-30, animate=False)  # the mouse wheel, up to read
        await pilot.pause()
        while not re.match(r"\d{3} ", screen_rows(pane)[0]):  # a line's first row at the top
            pane.scroll_relative(y=-1, animate=False)
            await pilot.pause()
        top = screen_rows(pane)[0][:4]
        for size in [(50, 20), (100, 24), (40, 20)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause()
            assert screen_rows(pane)[0].startswith(top), size
        pane.write("stdout", "new output\n")
        await pilot.pause()
        assert screen_rows(pane)[0].startswith(top)  # not yanked to the end either


async def test_one_megabyte_of_lines_wider_than_the_pane_wraps_each_only_once() -> None:
    app = OutputApp()
    async with app.run_test(size=(59, 30)) as pilot:
        pane = app.pane
        width = pane.scrollable_content_region.width
        assert 50 < width < 99
        data = "".join(f"{n:05d} " + "x" * 93 + "\n" for n in range(10_500))  # the bench's 1 MB
        writing = await write_in_pieces(pilot, pane, data)
        assert writing < 5  # typically ~0.1 s: wrapping is per new line, not per history
        assert pane.line_count == 10_000
        assert pane.row_count == 2 * 10_000
        await pilot.pause()
        rows = screen_rows(pane)
        assert rows[-2] == "10499 " + "x" * (width - 6)
        assert rows[-1] == "x" * (99 - width)


async def test_a_hidden_boards_output_is_wrapped_to_the_width_it_is_shown_at() -> None:
    app = OutputApp()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.pane
        pane.show_document("sim://a")
        pane.write("stdout", f"a: {INTRODUCTION}\n")
        pane.show_document("sim://b")
        pane.write("stdout", f"more for a: {INTRODUCTION}\n", document="sim://a")
        await pilot.resize_terminal(40, 20)
        await pilot.pause()
        pane.show_document("sim://a")
        await pilot.pause()
        width = pane.scrollable_content_region.width
        assert width < 40
        rows = [row for row in screen_rows(pane) if row]
        assert rows[0].startswith("a: In this lesson")
        assert all(len(row) <= width for row in rows)
        assert " ".join(rows) == f"a: {INTRODUCTION} more for a: {INTRODUCTION}"
        assert pane.document_lines("sim://b") == []
