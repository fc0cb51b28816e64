"""Reading MicroPython tracebacks from the stderr section of a run."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench
from tests.protocol_helpers import load_transcript
from workbench.protocol import Frame, RemoteException, SourceNamer, parse_traceback


def stderr_of(name: str) -> str:
    """The stderr section of the (only) run in a transcript: between its 1st and 2nd CTRL-D."""
    rx = b"".join(rec.data for rec in load_transcript(name) if rec.dir == "rx")
    return rx.split(b"\x04")[1].decode()


def crlf(text: str) -> str:
    """The same text as most boards send it."""
    return text.replace("\n", "\r\n")


# ---------------------------------------------------------------------------- transcripts
@pytest.mark.parametrize("convert", [str, crlf], ids=["lf", "crlf"])
def test_runtime_error_from_transcript(convert) -> None:
    text = convert(stderr_of("03-exec-exception"))
    exc = parse_traceback(text)
    assert exc is not None
    assert exc.type_name == "ZeroDivisionError"
    assert exc.message == "divide by zero"
    assert exc.frames == (Frame("<stdin>", 4, "<module>"), Frame("<stdin>", 2, "f"))
    assert exc.stdin_line == 2  # the innermost frame: where the editor should jump
    assert exc.summary() == "ZeroDivisionError: divide by zero"
    assert exc.text == text


@pytest.mark.parametrize("convert", [str, crlf], ids=["lf", "crlf"])
def test_syntax_error_from_transcript(convert) -> None:
    exc = parse_traceback(convert(stderr_of("04-exec-syntax-error")))
    assert exc is not None
    assert exc.type_name == "SyntaxError"
    assert exc.message == "invalid syntax"
    assert exc.frames == (Frame("<stdin>", 1, None),)  # compile errors name no function
    assert exc.stdin_line == 1


def test_keyboard_interrupt_from_transcript_has_empty_message() -> None:
    text = stderr_of("07-interrupt-running")
    assert "KeyboardInterrupt: \n" in text
    exc = parse_traceback(text)
    assert exc is not None
    assert exc.type_name == "KeyboardInterrupt"
    assert exc.message == ""
    assert exc.summary() == "KeyboardInterrupt"
    assert exc.frames == (Frame("<stdin>", 3, "<module>"),)
    assert exc.stdin_line == 3


def test_no_traceback_in_a_clean_run() -> None:
    assert stderr_of("02-exec-ok") == ""
    assert parse_traceback(stderr_of("02-exec-ok")) is None


# ---------------------------------------------------------------------------- other shapes
def test_keyboard_interrupt_without_frames() -> None:
    exc = parse_traceback("KeyboardInterrupt: \r\n")
    assert exc == RemoteException("KeyboardInterrupt", "", (), "KeyboardInterrupt: \r\n")
    assert exc.stdin_line is None


def test_multi_line_message_is_kept_whole() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "<stdin>", line 7, in <module>\n'
        "ValueError: first line\n"
        "second line\n"
        "  indented third\n"
    )
    exc = parse_traceback(text)
    assert exc is not None
    assert exc.type_name == "ValueError"
    assert exc.message == "first line\nsecond line\n  indented third"
    assert exc.stdin_line == 7


def test_message_with_colons_and_quotes() -> None:
    exc = parse_traceback(
        'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\n'
        "NameError: name 'x' isn't defined: really\r\n"
    )
    assert exc is not None
    assert exc.type_name == "NameError"
    assert exc.message == "name 'x' isn't defined: really"


def test_exception_without_traceback_header() -> None:
    exc = parse_traceback("OSError: [Errno 2] ENOENT\n")
    assert exc is not None
    assert exc.type_name == "OSError"
    assert exc.message == "[Errno 2] ENOENT"
    assert exc.frames == ()
    assert exc.stdin_line is None


def test_exception_without_message() -> None:
    exc = parse_traceback(
        'Traceback (most recent call last):\n  File "<stdin>", line 2, in g\nStopIteration\n'
    )
    assert exc is not None
    assert exc.type_name == "StopIteration"
    assert exc.message == ""
    assert exc.summary() == "StopIteration"


def test_frames_in_other_files_and_dotted_type() -> None:
    text = (
        "Traceback (most recent call last):\r\n"
        '  File "<stdin>", line 12, in <module>\r\n'
        '  File "<stdin>", line 5, in run\r\n'
        '  File "lib/driver.py", line 40, in read\r\n'
        "asyncio.CancelledError: \r\n"
    )
    exc = parse_traceback(text)
    assert exc is not None
    assert exc.type_name == "asyncio.CancelledError"
    assert exc.frames[-1] == Frame("lib/driver.py", 40, "read")
    # The innermost frame in the code we sent, not the library's line.
    assert exc.stdin_line == 5


def test_output_before_the_traceback_is_not_the_exception() -> None:
    text = (
        "warning: low memory\n"
        "Traceback (most recent call last):\n"
        '  File "<stdin>", line 3, in <module>\n'
        "MemoryError: memory allocation failed, allocating 4096 bytes\n"
    )
    exc = parse_traceback(text)
    assert exc is not None
    assert exc.type_name == "MemoryError"
    assert exc.message == "memory allocation failed, allocating 4096 bytes"


@pytest.mark.parametrize("text", ["", "\n", "\r\n", "  \r\n\t\n"])
def test_empty_text_is_no_exception(text: str) -> None:
    assert parse_traceback(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "\x00\xff### garbage ###\r\n",
        "something went wrong\n",
        "Done\n",  # what sys.exit("Done") prints on the unix port: no traceback, no colon
        "Done for today\n",
        "Traceback (most recent call last):\n",  # cut off before the exception line
        '  File "<stdin>", line 3, in <module>\n',
    ],
)
def test_garbage_is_a_remote_error_never_success(text: str) -> None:
    exc = parse_traceback(text)
    assert exc is not None
    assert exc.type_name == "RemoteError"
    assert exc.message == text.strip("\r\n")
    assert exc.text == text


def test_truncated_traceback_keeps_its_frames() -> None:
    exc = parse_traceback('Traceback (most recent call last):\n  File "<stdin>", line 9, in <module>\n')
    assert exc is not None
    assert exc.type_name == "RemoteError"
    assert exc.stdin_line == 9


# ---------------------------------------------------------------------------- the source name
TRACEBACK = (
    "Traceback (most recent call last):\r\n"
    '  File "<stdin>", line 4, in <module>\r\n'
    '  File "lib.py", line 7, in helper\r\n'
    '  File "<stdin>", line 2, in f\r\n'
    "ZeroDivisionError: divide by zero\r\n"
)


def test_a_renamed_exception_names_the_file_and_still_knows_the_line() -> None:
    exc = parse_traceback(TRACEBACK)
    assert exc is not None
    named = exc.renamed("blink.py")
    assert named.frames == (
        Frame("blink.py", 4, "<module>"), Frame("lib.py", 7, "helper"), Frame("blink.py", 2, "f")
    )
    assert named.stdin_line == 2  # the editor still jumps to the line in the sent code
    assert named.source == "blink.py"
    assert named.text == TRACEBACK.replace('File "<stdin>"', 'File "blink.py"')
    assert named.summary() == exc.summary()
    assert named.renamed("other.py").frames[0] == Frame("other.py", 4, "<module>")
    # a device file that happens to share no name with the source keeps its frames
    assert named.renamed("other.py").frames[1] == Frame("lib.py", 7, "helper")


def _feed_in_pieces(text: str, cuts: list[int], name: str) -> str:
    namer = SourceNamer(name)
    bounds = [0, *sorted(set(cuts)), len(text)]
    out = [namer.feed(text[start:end]) for start, end in itertools.pairwise(bounds)]
    return "".join(out) + namer.flush()


def test_a_frame_split_in_the_middle_of_its_name_is_still_renamed() -> None:
    cut = TRACEBACK.index("<std") + 4  # 'File "<std' | 'in>", line 4'
    assert _feed_in_pieces(TRACEBACK, [cut], "blink.py") == TRACEBACK.replace("<stdin>", "blink.py")


@settings(max_examples=150, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(['File "<stdin>"', 'File "<std', "in>", 'File "', "<stdin>", "F", '"', "x\r\n", " ", "é"]),
        max_size=12,
    ).map("".join),
    cuts=st.lists(st.integers(0, 200), max_size=8),
)
def test_renaming_in_pieces_is_renaming_the_whole(text: str, cuts: list[int]) -> None:
    cuts = [cut for cut in cuts if cut <= len(text)]
    assert _feed_in_pieces(text, cuts, "blink.py") == text.replace('File "<stdin>"', 'File "blink.py"')


def test_exec_with_a_source_name_renames_streamed_stderr_result_and_exception() -> None:
    streamed: list[str] = []
    with workbench.connect("sim://generic") as session:
        result = session.exec(
            "def f():\n    1/0\nf()\n",
            on_output=lambda stream, text: streamed.append(text) if stream == "stderr" else None,
            source_name="blink.py",
        )
        plain = session.exec("1/0")
    assert 'File "blink.py", line 3, in <module>' in "".join(streamed)
    assert "".join(streamed) == result.stderr and "<stdin>" not in result.stderr
    assert result.exception is not None and result.exception.stdin_line == 2
    assert result.exception.frames[-1] == Frame("blink.py", 2, "f")
    assert plain.exception is not None and plain.exception.frames == (Frame("<stdin>", 1, "<module>"),)
