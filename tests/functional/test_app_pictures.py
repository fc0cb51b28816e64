"""The plotter and the timeline in the app, from the keys a person presses in the editor."""

from __future__ import annotations

from pathlib import Path

from tests.functional.test_app import connected, make_app, wait_for
from workbench.app.widgets.plot_pane import PlotPane
from workbench.app.widgets.timeline_view import TimelineView
from workbench.app.widgets.trace_view import TraceView

SENSOR = "for i in range(20):\n    print('t=%d h=%d' % (20 + i, 40 - i))\n"


async def test_the_numbers_a_run_prints_are_plotted_per_board(tmp_path: Path) -> None:
    app = make_app(tmp_path, code=SENSOR)
    async with app.run_test(size=(160, 45)) as pilot:
        await connected(pilot)
        await pilot.press("shift+f11")  # from the editor, where the keyboard starts
        plot = app.query_one("#plot", PlotPane)
        assert plot.display and app.focused is plot
        await pilot.press("ctrl+e", "f5")
        await wait_for(pilot, lambda: plot.store().total == 20)
        _xs, temperatures = plot.store().view().series("t")
        assert temperatures[:3] == [20.0, 21.0, 22.0] and plot.store().view().series("h")[1][-1] == 21.0
        await pilot.press("shift+f11")
        assert not plot.display


async def test_enter_on_an_exec_in_the_timeline_selects_its_rows_in_the_trace(tmp_path: Path) -> None:
    app = make_app(tmp_path, code="print('one')\n")
    async with app.run_test(size=(160, 45)) as pilot:
        await connected(pilot)
        await pilot.press("f5")
        timeline = app.query_one("#timeline", TimelineView)
        await wait_for(pilot, lambda: len(timeline.timeline.spans) >= 1 and timeline.timeline.spans[-1].result == "ok")
        await pilot.press("shift+f10")
        assert timeline.display and app.focused is timeline
        await pilot.press("left", "enter")
        span = timeline.selected_span
        trace = app.query_one("#trace", TraceView)
        await wait_for(pilot, lambda: app.focused is trace)
        selected = trace.selected_record
        assert span is not None and selected is not None
        ran = app.boards.shown.trace_records()[span.first : span.last + 1]
        assert any(selected is record for record in ran)  # a row of that exec, not another
        assert any(b"print('one')" in record.data for record in ran)
