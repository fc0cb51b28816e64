"""The app's output and trace panes draw terminal escape sequences inert (issue 12, item 11).

A board's output and a trace file's notes can hold ESC/OSC sequences (clear the screen, set the
window title, write the clipboard with OSC 52) and 8-bit C1 controls. Textual writes a
segment's text to the terminal as it is, so whatever these widgets render must hold none.
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from workbench.app.widgets.output_pane import OutputPane
from workbench.app.widgets.trace_view import TraceView
from workbench.trace import TraceRecord

HOSTILE = "\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]52;c;aGVsbG8=\x1b\\\x9b31m\x9d0;t\x9c\x1bc"
#: What a terminal acts on: C0 controls (ESC, BEL, ...), DEL and the C1 range.
TERMINAL_CONTROLS = {chr(c) for c in range(0x20)} | {"\x7f"} | {chr(c) for c in range(0x80, 0xA0)}


def assert_inert(lines: list[str]) -> None:
    for line in lines:
        found = sorted({f"U+{ord(char):04X}" for char in line if char in TERMINAL_CONTROLS})
        assert not found, f"{found} in {line!r}"


class Panes(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.explanations: list[str] = []

    def compose(self) -> ComposeResult:
        yield OutputPane()
        yield TraceView()

    def on_trace_view_record_selected(self, message: TraceView.RecordSelected) -> None:
        self.explanations.append(message.explanation)


def rendered(widget: OutputPane | TraceView) -> list[str]:
    """Every row the widget draws, as the segments' text (what reaches the terminal)."""
    return [
        "".join(segment.text for segment in widget.render_line(y))
        for y in range(widget.scrollable_content_region.height)
    ]


async def test_the_output_pane_draws_escape_sequences_inert() -> None:
    app = Panes()
    async with app.run_test(size=(120, 40)):
        pane = app.query_one(OutputPane)
        pane.write("stdout", f"before {HOSTILE} after\n")
        pane.write("stderr", f"Traceback: {HOSTILE}\n")
        pane.error(f"device said {HOSTILE}")
        shown = rendered(pane)
        assert any("before" in line and "after" in line for line in shown)
        assert_inert(shown)


async def test_the_trace_view_draws_a_files_escape_sequences_inert() -> None:
    records = [
        TraceRecord(0.0, "rx", HOSTILE.encode("utf-8"), note="from a file " + HOSTILE, meaning=HOSTILE + " meaning"),
        TraceRecord(0.1, "tx", b"\x01", note="note " + HOSTILE),
        TraceRecord(0.2, "note", b"", meaning="marker " + HOSTILE),
    ]
    app = Panes()
    async with app.run_test(size=(160, 40)) as pilot:
        view = app.query_one(TraceView)
        view.add_records(records)
        view.focus()
        await pilot.pause()
        assert_inert(rendered(view))
        view.hex_mode = True
        await pilot.pause()
        assert_inert(rendered(view))
        for key in ("home", "down", "down"):
            await pilot.press(key)
        await pilot.pause()
        assert len(app.explanations) >= 2
        assert_inert([line for text in app.explanations for line in text.split("\n")])  # its own two lines
        assert any("^[]52;c;" in text for text in app.explanations)  # shown, not dropped


async def test_a_trace_note_with_markup_brackets_is_shown_as_written(tmp_path) -> None:
    """A saved trace is anyone's file: '[/]' or '[@click=app.quit]' in a note is text, not markup."""
    from tests.functional.test_app import connected, make_app
    from workbench.app.widgets.trace_view import TraceView
    from workbench.trace import save_jsonl
    from workbench.trace.record import TraceRecord

    path = tmp_path / "odd.jsonl"
    note = "[@click=app.quit]quit[/] and [/]"
    # A marker row: its text is shown as the file gives it (a write's explanation comes from
    # its bytes' events, so the note of a marker row is where a file's own words reach the panel).
    save_jsonl(path, [TraceRecord(0.0, "note", b"", "", note)])
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        app._open_trace_from(str(path))
        await pilot.pause()
        trace = app.query_one("#trace", TraceView)
        trace.focus()
        await pilot.press("home")
        await pilot.pause()
        shown = str(app.query_one("#explain").render())
        assert "[/]" in shown and app.is_running


async def test_a_device_url_with_markup_brackets_is_reported_not_a_crash(tmp_path) -> None:
    from textual.widgets._toast import Toast

    from tests.functional.test_app import make_app, output_lines, wait_for

    app = make_app(tmp_path, "/dev/tty[/]x")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await wait_for(pilot, lambda: any("could not open /dev/tty[/]x" in line for line in output_lines(app)))
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
        toasts = list(app.screen.query(Toast))
        shown = [str(toast.render()) for toast in toasts]  # what is drawn (markup would raise here)
        assert any("/dev/tty[/]x" in text for text in shown), shown


async def test_a_file_name_with_markup_brackets_is_the_editors_title_as_written(tmp_path) -> None:
    from tests.functional.test_app import connected, make_app
    from workbench.app.widgets.editor_pane import EditorPane

    program = tmp_path / "odd[b]name[i].py"
    program.write_text("print(1)\n")
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        editor = app.query_one("#editor", EditorPane)
        editor.load_file(program)
        await pilot.pause()
        assert "odd[b]name[i].py" in str(editor._border_title)  # drawn as text, not as bold markup
