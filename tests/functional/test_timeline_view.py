"""TimelineView in a tiny host app, driven by keys: what the rows show, and what Enter tells the app.

The screen is read back with the view's own rows (``row_text``: the Line API's output as text).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from tests.support.pilot import wait_until
from workbench.app.widgets.timeline_view import TimelineView
from workbench.trace import TraceRecord, annotate, load_jsonl

UNIX_PORT = Path(__file__).resolve().parents[1] / "data" / "transcripts" / "unix-port"
NAMES = ["01-enter-raw", "02-exec-ok", "03-exec-exception", "05-raw-paste-small", "07-interrupt-running"]


def session() -> list[TraceRecord]:
    """Four execs, each 0.5 s after the last, read as one annotated trace; a 2 s pause before the last."""
    records: list[TraceRecord] = []
    t0 = 0.0
    for name in NAMES:
        records += [replace(rec, t=rec.t + t0) for rec in load_jsonl(UNIX_PORT / f"{name}.jsonl")[0]]
        t0 = records[-1].t + (2.0 if name.startswith("05") else 0.5)
    return annotate(records)


class TimelineApp(App[None]):
    def __init__(self, records: list[TraceRecord]) -> None:
        super().__init__()
        self.initial = records
        self.chosen: list[tuple[int, int]] = []

    def compose(self) -> ComposeResult:
        yield TimelineView()

    def on_mount(self) -> None:
        view = self.query_one(TimelineView)
        view.set_records(self.initial)
        view.focus()

    def on_timeline_view_span_selected(self, message: TimelineView.SpanSelected) -> None:
        self.chosen.append((message.first_index, message.last_index))


def rows(view: TimelineView) -> dict[str, str]:
    """The rows by the name in their gutter (the detail and gaps rows by position)."""
    texts = [view.row_text(y) for y in range(10)]
    named = {text[:5].strip(): text for text in texts if text[:5].strip()}
    return named | {"detail": texts[8], "gaps": texts[9]}


async def test_keys_choose_an_exec_and_enter_selects_its_rows() -> None:
    records = session()
    app = TimelineApp(records)
    async with app.run_test(size=(120, 12)) as pilot:
        view = app.query_one(TimelineView)
        shown = rows(view)
        assert "4 execs" in shown["detail"]
        assert len(re.findall("━+", shown["exec"])) == 4  # a bar for each exec, at least a column each
        assert "1 pause(s) over 1.00 s" in shown["gaps"] and "╎" in shown["exec"]
        assert set(shown["tx"][5:]) - {" "} and set(shown["rx"][5:]) - {" "}  # traffic each way

        await pilot.press("left")  # from nothing chosen: the newest exec
        assert "exec 4/4: raw 43 B" in rows(view)["detail"] and "interrupted" in rows(view)["detail"]
        await pilot.press("left", "left")
        detail = rows(view)["detail"]
        assert "exec 2/4: raw 41 B" in detail and "ZeroDivisionError" in detail
        await pilot.press("enter")
        await pilot.press("right")
        detail = rows(view)["detail"]
        assert "exec 3/4: raw-paste 16 B" in detail and "window 128 B" in detail
        await pilot.press("home", "enter")
        await pilot.pause()

    spans = view.timeline.spans
    assert app.chosen == [(spans[1].first, spans[1].last), (spans[0].first, spans[0].last)]
    # exec 2 is transcript 03: all of its rows, after 01's 8 and 02's 4
    assert app.chosen[0] == (12, 19)


async def test_live_records_show_within_a_fifth_of_a_second() -> None:
    records = session()
    app = TimelineApp([])
    async with app.run_test(size=(120, 12)) as pilot:
        view = app.query_one(TimelineView)
        assert "No trace records yet" in view.row_text(0)
        view.add_records(records[:12])  # 01 and 02: one exec so far
        assert "No trace records yet" in view.row_text(0)  # drawn on the view's timer, not per batch
        await wait_until(pilot, lambda: "1 execs" in rows(view)["detail"])
        view.add_records(records[12:])
        await wait_until(pilot, lambda: "4 execs" in rows(view)["detail"])


def selected_columns(view: TimelineView) -> list[int]:
    """Columns of the exec row drawn in the selected style: where the chosen exec shows."""
    style = view.get_component_rich_style("timeline-view--selected")
    columns, x = [], 0
    for segment in view.render_line(6):
        if segment.style == style:
            columns += range(x, x + len(segment.text))
        x += len(segment.text)
    return columns


async def test_plus_zooms_in_and_minus_returns_to_the_whole_trace() -> None:
    app = TimelineApp(session())
    async with app.run_test(size=(120, 12)) as pilot:
        view = app.query_one(TimelineView)
        whole = [view.row_text(y) for y in range(10)]
        assert view.zoom == 1 and view.border_subtitle == ""
        await pilot.press("plus")
        assert view.zoom > 1 and view.row_text(0) != whole[0]  # a finer time per column
        start, end = view.visible_range
        assert view.border_subtitle == f"x{view.zoom:g}, {start:.2f} s - {end:.2f} s"
        await pilot.press("minus")
        assert view.zoom == 1 and view.border_subtitle == ""
        assert [view.row_text(y) for y in range(10)] == whole
        await pilot.press("equals_sign", "equals_sign", "0")  # `=` zooms in too; 0 fits the whole trace
        assert [view.row_text(y) for y in range(10)] == whole


async def test_zoomed_in_the_selected_exec_stays_on_screen_and_shift_arrows_pan() -> None:
    app = TimelineApp(session())
    async with app.run_test(size=(120, 12)) as pilot:
        view = app.query_one(TimelineView)
        await pilot.press("left", "left", "left")  # exec 2, a 337 µs one in a 6 s trace
        for _ in range(6):
            await pilot.press("plus")
            span = view.selected_span
            assert span is not None and span.number == 1
            start, end = view.visible_range
            assert start <= span.start < end and selected_columns(view)
        assert view.zoom >= 50  # 6 steps of x2 / x2.5
        await pilot.press("right")  # exec 3, far off screen at this zoom
        start, end = view.visible_range
        assert "exec 3/4" in rows(view)["detail"] and start <= view.selected_span.start < end  # type: ignore[union-attr]
        await pilot.press("shift+left")
        assert view.visible_range[0] == pytest.approx(start - (end - start) / 2, abs=(end - start) / 100)
        await pilot.press("right_square_bracket")
        assert view.visible_range[0] == pytest.approx(start)


async def test_live_records_move_a_zoomed_view_only_when_it_follows_the_newest_exec() -> None:
    records = session()
    app = TimelineApp(records[:27])  # execs 1 to 3
    async with app.run_test(size=(120, 12)) as pilot:
        view = app.query_one(TimelineView)
        await pilot.press("left", "left", "plus", "plus")  # on exec 2, zoomed
        before = view.visible_range
        view.add_records(records[27:])
        await wait_until(pilot, lambda: "/4" in rows(view)["detail"])
        assert view.visible_range == before  # reading exec 2: not yanked

        await pilot.press("end")  # the newest exec: follow the live edge, as a log does
        more = [replace(rec, t=rec.t + 3.0) for rec in records[-5:]]
        view.add_records(more)
        await wait_until(pilot, lambda: view.visible_range[1] > more[-1].t)
        assert view.visible_range[0] <= more[-1].t
