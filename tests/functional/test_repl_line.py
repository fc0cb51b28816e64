"""The REPL line: friendly-REPL translation of expressions, history, submit behaviour."""

from __future__ import annotations

import contextlib
import io
import re
import traceback

import pytest
from textual.app import App, ComposeResult

from workbench.app.widgets import repl_line
from workbench.app.widgets.repl_line import MAX_HISTORY, RESULT_NAME, ReplLine, translate


def run(code: str, namespace: dict | None = None) -> str:
    """Run translated code like the device would (one shared global namespace); return stdout."""
    namespace = {} if namespace is None else namespace
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<stdin>", "exec"), namespace)  # noqa: S102 - runs it like the device would
    return out.getvalue()


# --------------------------------------------------------------------------- translation


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("1 + 1", "2\n"),
        ("'text'", "'text'\n"),
        ("1, 2", "(1, 2)\n"),
        ("[x * x for x in range(3)]", "[0, 1, 4]\n"),
        ("1 + 1  # a comment with ) and (", "2\n"),
        ("  41 + 1", "42\n"),
        ("(lambda: 3)()", "3\n"),
        ("None", ""),
        ("print('once')", "once\n"),  # print returns None: nothing more, like the friendly REPL
    ],
)
def test_expressions_print_their_repr_unless_none(source: str, printed: str) -> None:
    code = translate(source)
    assert code != source
    compile(code, "<stdin>", "exec")  # valid Python
    namespace: dict = {}
    assert run(code, namespace) == printed
    assert RESULT_NAME not in namespace  # cleaned up


def test_the_result_name_never_clobbers_user_variables() -> None:
    namespace: dict = {}
    run("_ = 'mine'\nr = 'also mine'", namespace)
    run(translate("6 * 7"), namespace)
    assert namespace["_"] == "mine"
    assert namespace["r"] == "also mine"


def test_an_error_in_an_expression_points_at_line_1() -> None:
    code = translate("1 / 0")
    with pytest.raises(ZeroDivisionError) as info:
        run(code)
    frames = [frame for frame in traceback.extract_tb(info.value.__traceback__) if frame.filename == "<stdin>"]
    assert frames[-1].lineno == 1


@pytest.mark.parametrize(
    "source",
    [
        "x = 5",
        "import sys",
        "for i in range(3): print(i)",
        "def f(): return 1",
        "del x",
        "x += 1",
        "a = 1; a",
        "if True: pass",
    ],
)
def test_statements_are_sent_as_typed(source: str) -> None:
    assert translate(source) == source
    compile(translate(source), "<stdin>", "exec")


@pytest.mark.parametrize("source", ["1 +", "print('unterminated", "def", "x ==", ")", "a = \x00"])
def test_syntax_errors_are_sent_unchanged_for_the_device_to_report(source: str) -> None:
    assert translate(source) == source


def test_statement_output_is_unchanged() -> None:
    assert run(translate("for i in range(3): print(i)")) == "0\n1\n2\n"


# --------------------------------------------------------------------------- the widget


class ReplApp(App[None]):
    """Hosts one ReplLine and records what it submits."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__()
        self.kwargs = kwargs
        self.submitted: list[ReplLine.Submitted] = []

    def compose(self) -> ComposeResult:
        yield ReplLine(id="repl", **self.kwargs)  # type: ignore[arg-type]

    def on_repl_line_submitted(self, message: ReplLine.Submitted) -> None:
        self.submitted.append(message)


async def enter(pilot, text: str) -> None:
    """Type ``text`` into the focused input and press Enter."""
    for char in text:
        await pilot.press("space" if char == " " else char)
    await pilot.press("enter")
    await pilot.pause()


async def test_enter_posts_source_and_code_and_clears_the_input() -> None:
    app = ReplApp()
    async with app.run_test(size=(80, 24)) as pilot:
        line = app.query_one(ReplLine)
        assert app.focused is line
        await enter(pilot, "1+1")
        assert len(app.submitted) == 1
        message = app.submitted[0]
        assert message.source == "1+1"
        assert message.code == translate("1+1")
        assert message.control is line
        assert line.value == ""
        assert line.history == ["1+1"]

        await enter(pilot, "x=1")
        assert app.submitted[-1].code == "x=1"


async def test_an_empty_or_blank_line_is_ignored() -> None:
    app = ReplApp()
    async with app.run_test(size=(80, 24)) as pilot:
        line = app.query_one(ReplLine)
        await pilot.press("enter")
        await enter(pilot, "   ")
        await pilot.pause()
        assert app.submitted == []
        assert line.history == []
        assert line.value == ""


async def test_up_and_down_walk_the_history_and_restore_the_draft() -> None:
    app = ReplApp()
    async with app.run_test(size=(160, 50)) as pilot:
        line = app.query_one(ReplLine)
        for text in ("a=1", "b=2", "c=3"):
            await enter(pilot, text)
        for char in "dr":
            await pilot.press(char)
        seen = []
        for key in ("up", "up", "up", "up", "down", "down", "down", "down"):
            await pilot.press(key)
            seen.append(line.value)
        assert seen == ["c=3", "b=2", "a=1", "a=1", "b=2", "c=3", "dr", "dr"]
        await pilot.press("up")
        assert line.cursor_position == len("c=3")  # cursor at the end, like a shell


async def test_editing_a_recalled_line_leaves_the_history_alone() -> None:
    app = ReplApp()
    async with app.run_test(size=(80, 24)) as pilot:
        line = app.query_one(ReplLine)
        await enter(pilot, "print(1)")
        await enter(pilot, "print(2)")
        await pilot.press("up", "up")
        assert line.value == "print(1)"
        await pilot.press("backspace", "backspace", "9", ")")
        assert line.value == "print(9)"
        assert line.history == ["print(1)", "print(2)"]
        await pilot.press("down")
        assert line.value == "print(2)"
        await pilot.press("up")
        assert line.value == "print(1)"  # the stored entry, not the edit
        await pilot.press("end", "backspace", "backspace", "7", ")", "enter")
        await pilot.pause()
        assert line.history == ["print(1)", "print(2)", "print(7)"]
        assert app.submitted[-1].source == "print(7)"


async def test_no_consecutive_duplicates() -> None:
    app = ReplApp()
    async with app.run_test(size=(80, 24)) as pilot:
        line = app.query_one(ReplLine)
        for text in ("x", "x", "y", "x"):
            await enter(pilot, text)
        assert line.history == ["x", "y", "x"]
        assert len(app.submitted) == 4  # every Enter still runs


async def test_the_history_is_bounded() -> None:
    app = ReplApp(max_history=3)
    async with app.run_test(size=(80, 24)) as pilot:
        line = app.query_one(ReplLine)
        for text in ("a", "b", "c", "d"):
            await enter(pilot, text)
        assert line.history == ["b", "c", "d"]


def test_the_default_bound_is_500_and_history_is_a_copy() -> None:
    line = ReplLine(history=(f"x = {n}" for n in range(600)))
    assert MAX_HISTORY == 500
    assert len(line.history) == 500
    assert line.history[0] == "x = 100" and line.history[-1] == "x = 599"
    line.history.clear()
    assert len(line.history) == 500


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_bad_max_history_is_refused_clearly(bad: object) -> None:
    with pytest.raises(ValueError, match="max_history"):
        ReplLine(max_history=bad)  # type: ignore[arg-type]


async def test_up_with_no_history_does_nothing() -> None:
    app = ReplApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a", "up", "down")
        assert app.query_one(ReplLine).value == "a"


def test_no_literal_colours_in_the_css() -> None:
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", repl_line.ReplLine.DEFAULT_CSS)
