"""Properties of the protocol core that must hold for any input, not just the transcripts.

* Same events however the device's bytes are split into reads (after merging the events
  whose number depends on the reads: adjacent output of one stream, adjacent stray bytes).
* Raw-paste: the host never has more code outstanding than the device granted.
* Requests that make no sense are refused before any byte is produced, leaving the
  connection as it was.
* Deadlines come from the caller's clock and the configured timeouts.
"""

from __future__ import annotations

import random
import re
import struct
from collections.abc import Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.protocol_helpers import (
    all_transcripts,
    chunks_at,
    chunks_bytewise,
    chunks_whole,
    events_of,
    merge_events,
    output_bytes,
    pump,
)
from workbench.protocol import (
    RUNNING_STATES,
    CodeSent,
    EndOfCode,
    EnterRaw,
    ExecAccepted,
    ExecFinished,
    FriendlyPrompt,
    Interrupt,
    LeaveRaw,
    LocalProtocolError,
    OwedEndOfPaste,
    PasteAcknowledged,
    PasteEndedEarly,
    RawPasteAccepted,
    RawPasteRefused,
    RawPasteRequest,
    RawReady,
    RawReplConnection,
    SoftReboot,
    SoftReset,
    State,
    StdoutEnded,
    Timeouts,
    TrafficObserver,
    Typed,
    UnexpectedBytes,
    WindowCredit,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BANNER = b"raw REPL; CTRL-B to exit\r\n"
BANNER_LF = b"raw REPL; CTRL-B to exit\n"
FRIENDLY_BANNER = (
    b"\r\nMicroPython v1.24.0 on 2024-10-25; Generic ESP32 module with ESP32\r\n"
    b'Type "help()" for more information.\r\n>>> '
)
REBOOT_LINES = [
    b"MPY: soft reboot\r\n",
    b"MPY: soft reboot\n",
    b"PYB: soft reboot\r\n",  # MicroPython 1.10 and older
    b"soft reboot\r\n",
    b"soft reboot\n",
]

Splitter = Callable[[bytes], Iterable[bytes]]


# ---------------------------------------------------------------------------- strategies
def _no_eot(data: bytes) -> bytes:
    return data.replace(b"\x04", b"")


#: Lines of boot banners, as program output may print them: alone they are not a reboot.
BANNER_LINES = [
    b'Type "help()" for more information.',
    b'Type "help()" for more information.\r\n',
    b"MicroPython v1.22.2 on 2024-02-22; Generic board\r\n",
    b"Adafruit CircuitPython 9.0.0 on 2024-03-19; Pico with rp2040\r\n",
    b"Press any key to enter the REPL. Use CTRL-D to reload.",
    b">>> ",
    b"\n",
]

#: A whole reboot shape at a line start (see workbench/protocol/reboot.py), written as regular
#: expressions here so the generator does not lean on the code it tests.
_REBOOT_SHAPES = re.compile(
    rb'(?:^|\n)(?:MicroPython [^\r\n]*; [^\r\n]*\r?\nType "help\(\)" for more information\.\r?\n>>> '
    rb"|Adafruit CircuitPython [^\r\n]*; [^\r\n]*\r?\n>>> "
    rb"|Press any key to enter the REPL\. Use CTRL-D to reload\.\r?\n)"
)


def _not_a_reboot(data: bytes) -> bool:
    """Program output may hold banner lines, but not a whole reboot shape: that output is a
    board reset under the code (tested on its own below)."""
    return _REBOOT_SHAPES.search(data) is None


no_eot_bytes = (
    st.lists(st.one_of(st.binary(max_size=60).map(_no_eot), st.sampled_from(BANNER_LINES)), max_size=4)
    .map(b"".join)
    .filter(_not_a_reboot)
)

noise_piece = st.one_of(
    no_eot_bytes,
    st.sampled_from([b">", b">>", b">>> ", b"\r\n", b"\n", b"OK", b"R\x01", b"ets Jun  8 2016 00:22:57\r\n"]),
    st.integers(1, len(BANNER) - 1).map(lambda n: BANNER[:n]),
    st.integers(1, len(REBOOT_LINES[0]) - 1).map(lambda n: REBOOT_LINES[0][:n]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.encode),
)
#: Boot noise: anything but CTRL-D, including '>' and pieces of banners.
noise = st.lists(noise_piece, max_size=6).map(b"".join)

line_end = st.sampled_from([b"\r\n", b"\n"])


@st.composite
def tracebacks(draw: st.DrawFn) -> bytes:
    nl = draw(line_end)
    frames = draw(st.lists(st.integers(1, 500), min_size=0, max_size=3))
    kind = draw(st.sampled_from(["ZeroDivisionError", "ValueError", "OSError", "KeyboardInterrupt"]))
    message = draw(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30))
    text = b""
    if frames:
        text += b"Traceback (most recent call last):" + nl
        for line in frames:
            text += b'  File "<stdin>", line %d, in <module>' % line + nl
    return text + f"{kind}: {message}".encode() + nl


stderr_section = st.one_of(st.just(b""), tracebacks(), no_eot_bytes)
code_text = st.binary(min_size=1, max_size=300).map(lambda b: _no_eot(b) or b"x")

#: One step: the host's request (``none`` for none), its argument, then the device's answer.
Step = tuple[str, object, bytes]


@st.composite
def exec_steps(draw: st.DrawFn) -> list[Step]:
    stdout, stderr = draw(no_eot_bytes), draw(stderr_section)
    return [("send_code", draw(code_text), b"OK" + stdout + b"\x04" + stderr + b"\x04>")]


@st.composite
def interrupted_exec_steps(draw: st.DrawFn) -> list[Step]:
    nl = draw(line_end)
    traceback = b'Traceback (most recent call last):%s  File "<stdin>", line 3, in <module>%s' % (nl, nl)
    return [
        ("send_code", draw(code_text), b"OK" + draw(no_eot_bytes)),
        ("interrupt", None, b"\x04" + traceback + b"KeyboardInterrupt: " + nl + b"\x04>"),
    ]


def paste_frames(length: int, window: int, groups: list[int], tail: bytes) -> list[bytes]:
    """What a device consuming everything at once answers after each of the host's sends.

    The host sends everything its credit allows after each frame; the device sends one CTRL-A
    per window it consumed, grouped into reads as ``groups`` says, and after the host's
    CTRL-D its own CTRL-D and ``tail`` (stdout, stderr, prompt).
    """
    frames = []
    sent = min(2 * window, length)
    granted = 0
    group = iter(groups)
    while True:
        available = sent // window - granted
        if sent == length:
            frames.append(b"\x01" * available + b"\x04" + tail)
            return frames
        take = max(1, min(available, next(group, 1)))
        frames.append(b"\x01" * take)
        granted += take
        credit = 2 * window + granted * window - sent
        sent += min(credit, length - sent)


@st.composite
def paste_steps(draw: st.DrawFn) -> list[Step]:
    window = draw(st.sampled_from([16, 32, 128, 256]))
    code = draw(st.binary(min_size=1, max_size=1500).map(lambda b: _no_eot(b) or b"y"))
    groups = draw(st.lists(st.integers(1, 3), max_size=200))
    tail = draw(no_eot_bytes) + b"\x04" + draw(stderr_section) + b"\x04>"
    frames = paste_frames(len(code), window, groups, tail)
    steps: list[Step] = [("request_raw_paste", None, b"R\x01" + struct.pack("<H", window) + b"\x01")]
    steps.append(("send_code", code, frames[0]))
    steps += [("pump", None, frame) for frame in frames[1:]]
    return steps


@st.composite
def paste_ended_early_steps(draw: st.DrawFn) -> list[Step]:
    window = draw(st.sampled_from([16, 32, 128]))
    code = b"x" * (2 * window + draw(st.integers(1, 500)))
    nl = draw(line_end)
    traceback = nl.join(
        [
            b"Traceback (most recent call last):",
            b'  File "<stdin>", line 1',
            b"SyntaxError: invalid syntax",
            b"",
        ]
    )
    return [
        ("request_raw_paste", None, b"R\x01" + struct.pack("<H", window) + b"\x01"),
        ("send_code", code, b"\x04"),  # the device stops reading: a compile error
        ("pump", None, b"\x04" + traceback + b"\x04>"),
    ]


@st.composite
def paste_refused_steps(draw: st.DrawFn) -> list[Step]:
    answer = draw(st.sampled_from([b"R\x00>", BANNER + b">", BANNER_LF + b">"]))
    return [("request_raw_paste", None, answer), *draw(exec_steps())]


@st.composite
def soft_reset_steps(draw: st.DrawFn) -> list[Step]:
    banner = draw(st.sampled_from([BANNER, BANNER_LF]))
    answer = b"OK\r\n" + draw(st.sampled_from(REBOOT_LINES)) + draw(noise) + banner + b">"
    return [("soft_reset", None, answer)]


leave_and_enter_steps = st.just(
    [("leave_raw", None, FRIENDLY_BANNER), ("enter_raw", None, b"\r\n" + BANNER + b">")]
)


RUNS = {"send_code"}


@st.composite
def sessions(draw: st.DrawFn) -> tuple[list[Step], int]:
    """A realistic conversation, and how many runs (ExecFinished) it contains."""
    steps: list[Step] = []
    if draw(st.booleans()):
        steps.append(("none", None, draw(noise)))
    steps.append(("interrupt", None, b"\r\n>>> " * draw(st.integers(1, 3))))
    enter_echo = draw(st.sampled_from([b"", b"\r\n>>> \r\n", b"\r\n"]))
    steps.append(("enter_raw", None, enter_echo + draw(st.sampled_from([BANNER, BANNER_LF])) + b">"))
    kinds = st.one_of(
        exec_steps(),
        interrupted_exec_steps(),
        paste_steps(),
        paste_ended_early_steps(),
        paste_refused_steps(),
        soft_reset_steps(),
        leave_and_enter_steps,
    )
    for block in draw(st.lists(kinds, max_size=5)):
        steps += block
    runs = sum(1 for action, _, _ in steps if action in RUNS)
    return steps, runs


# ---------------------------------------------------------------------------- driver
def act(conn: RawReplConnection, action: str, arg: object, now: float) -> object:
    """Do the host's part of a step; returns what it wrote (or the error it got)."""
    try:
        if action == "none":
            return b""
        if action == "send_code":
            assert isinstance(arg, bytes)
            conn.send_code(arg, now)
            return pump(conn, now)
        if action == "pump":
            return pump(conn, now)
        return getattr(conn, action)(now) + pump(conn, now)
    except LocalProtocolError as exc:
        return ("refused", action, str(exc))


def run_session(steps: list[Step], split: Splitter) -> list[object]:
    """Everything that happened, in order: host markers, the host's bytes, and events."""
    conn = RawReplConnection()
    log: list[object] = []
    now = 0.0
    for action, arg, answer in steps:
        now += 1.0
        log.append(("host", action, act(conn, action, arg, now)))
        for piece in split(answer):
            now += 0.001
            conn.receive_data(piece, now)
            log += conn.events()
        log.append(("state", conn.state))
    return merge_events(log)


def random_splitter(rnd: random.Random) -> Splitter:
    def split(data: bytes) -> Iterable[bytes]:
        if len(data) < 2:
            return chunks_whole(data)
        cuts = rnd.sample(range(1, len(data)), rnd.randint(0, min(12, len(data) - 1)))
        return chunks_at(data, cuts)

    return split


# ---------------------------------------------------------------------------- split invariance
def _replay_transcripts(split: Splitter) -> list[object]:
    """All transcripts on one connection; the device's bytes between two host writes are
    one frame, fed as ``split`` says; the host's writes go through ``observe_sent``, whose
    typed host events are in the log too."""
    conn = TrafficObserver()
    log: list[object] = []
    for name, records in all_transcripts():
        log.append(("file", name))
        frame = b""
        for rec in [*records, None]:
            if rec is not None and rec.dir == "rx":
                frame += rec.data
                continue
            for piece in split(frame):
                conn.receive_data(piece, 0.0)
                log += conn.events()
            frame = b""
            if rec is not None:
                log.append(("host", conn.observe_sent(rec.data, rec.t)))
        log.append(("state", conn.state))
    return merge_events(log)


def test_transcripts_same_events_whole_or_bytewise() -> None:
    whole = _replay_transcripts(chunks_whole)
    assert events_of(whole, ExecFinished)  # the replay did something
    assert _replay_transcripts(chunks_bytewise) == whole


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_transcripts_same_events_at_random_splits(rnd: random.Random) -> None:
    assert _replay_transcripts(random_splitter(rnd)) == _replay_transcripts(chunks_whole)


@SETTINGS
@given(sessions(), st.randoms(use_true_random=False))
def test_generated_sessions_same_events_however_split(
    session: tuple[list[Step], int], rnd: random.Random
) -> None:
    steps, runs = session
    whole = run_session(steps, chunks_whole)
    assert run_session(steps, chunks_bytewise) == whole
    assert run_session(steps, random_splitter(rnd)) == whole
    # The sessions are realistic: every request was accepted and every run finished.
    refused = [
        item for item in whole if isinstance(item, tuple) and item[0] == "host" and isinstance(item[2], tuple)
    ]
    assert refused == []
    assert len(events_of(whole, ExecFinished)) == runs
    assert whole[-1] == ("state", State.RAW_READY)


#: The host event an observer must read in the bytes of each request.
_REQUEST_EVENTS = {
    "interrupt": Interrupt,
    "enter_raw": EnterRaw,
    "request_raw_paste": RawPasteRequest,
    "soft_reset": SoftReset,
    "leave_raw": LeaveRaw,
}


def observe_session(steps: list[Step], split: Splitter) -> tuple[list[object], list[object], list[object]]:
    """The same conversation twice: as the host that made it (the request methods) and as a
    :class:`TrafficObserver` reading that host's writes. Returns the device events the host
    saw, those the observer saw, and the host events the observer read in the writes."""
    host = RawReplConnection()
    observer = TrafficObserver()
    driven: list[object] = []
    observed: list[object] = []
    writes: list[object] = []
    now = 0.0
    for action, arg, answer in steps:
        now += 1.0
        wrote = act(host, action, arg, now)
        if isinstance(wrote, bytes) and wrote:
            writes.append((action, observer.observe_sent(wrote, now)))
        for piece in split(answer):
            now += 0.001
            host.receive_data(piece, now)
            driven += host.events()
            observed += observer.observe_received(piece, now)
    return merge_events(driven), merge_events(observed), writes


@SETTINGS
@given(sessions(), st.randoms(use_true_random=False))
def test_an_observer_reads_a_session_as_the_host_that_made_it(
    session: tuple[list[Step], int], rnd: random.Random
) -> None:
    """A saved trace reads the same whoever made it: the observer, given only the bytes,
    sees the device events the driving host saw, and reads the same host events in the
    writes however the device's bytes were split."""
    steps, _runs = session
    driven, observed, writes = observe_session(steps, chunks_whole)
    assert observed == driven
    for action, events in writes:
        assert events, action  # every write means something
        if action in _REQUEST_EVENTS:
            assert type(events[0]) is _REQUEST_EVENTS[action], (action, events)
        else:
            assert all(isinstance(event, CodeSent | EndOfCode | OwedEndOfPaste) for event in events), events
    assert observe_session(steps, random_splitter(rnd)) == (driven, observed, writes)


def test_session_driver_understands_a_handwritten_session() -> None:
    """The generator's building blocks, checked once by hand."""
    steps: list[Step] = [
        ("none", None, b"ets Jun  8 2016\r\nboot: >> raw REPL; CT\r\n"),
        ("interrupt", None, b"\r\n>>> "),
        ("enter_raw", None, b"\r\n" + BANNER + b">"),
        ("send_code", b"print(1)", b"OK1\r\n\x04\x04>"),
        ("request_raw_paste", None, b"R\x01\x10\x00\x01"),
        ("send_code", b"a" * 40, b"\x01\x01"),
        ("pump", None, b"\x04out\x04\x04>"),
        ("request_raw_paste", None, b"R\x00>"),
        ("soft_reset", None, b"OK\r\nsoft reboot\r\nboot.py ran\r\n" + BANNER_LF + b">"),
    ]
    log = run_session(steps, chunks_whole)
    events = [item for item in log if not isinstance(item, tuple)]
    assert FriendlyPrompt() in events
    assert events_of(events, ExecAccepted) == [ExecAccepted()]
    assert output_bytes(events, "stdout") == b"1\r\nout"
    assert events_of(events, RawPasteAccepted) == [RawPasteAccepted(16)]
    assert events_of(events, WindowCredit)[-1] == WindowCredit(16, 32)
    assert events_of(events, PasteAcknowledged) == [PasteAcknowledged()]
    assert events_of(events, RawPasteRefused) == [RawPasteRefused(old_firmware=False)]
    assert events_of(events, SoftReboot) == [SoftReboot("soft reboot")]
    assert len(events_of(events, ExecFinished)) == 2
    assert isinstance(events[-1], RawReady)
    host = {item[1]: item[2] for item in log if isinstance(item, tuple) and item[0] == "host"}
    assert host["interrupt"] == b"\x03"  # issue 14: no CR (it ran a half-typed line), one CTRL-C
    assert host["pump"] == b"a" * 8 + b"\x04"


def test_paste_ended_early_then_host_ends_it() -> None:
    conn = RawReplConnection()
    conn.enter_raw(0.0)
    conn.receive_data(BANNER + b">", 0.0)
    conn.request_raw_paste(1.0)
    conn.receive_data(b"R\x01\x20\x00\x01", 1.0)
    conn.send_code(b"x" * 200, 1.0)
    assert pump(conn, 1.0) == b"x" * 64
    conn.receive_data(b"\x04", 1.1)
    assert conn.events()[-1] == PasteEndedEarly()
    # The device now ignores everything until the host's CTRL-D: nothing more of the code.
    assert pump(conn, 1.2) == b"\x04"
    assert pump(conn, 1.3) == b""
    assert conn.code_remaining == 0
    conn.receive_data(b'\x04Traceback (most recent call last):\r\n  File "<stdin>", line 1\r\n', 1.4)
    conn.receive_data(b"SyntaxError: invalid syntax\r\n\x04>", 1.5)
    events = conn.events()
    assert events[0] == StdoutEnded()
    exc = events_of(events, ExecFinished)[0].exception
    assert exc is not None and exc.type_name == "SyntaxError" and exc.stdin_line == 1
    assert events[-1] == RawReady()


def test_paste_ended_early_and_interrupted_owes_no_ctrl_d() -> None:
    """The device ended the paste early and waits for CTRL-C or CTRL-D; the host chose CTRL-C.

    After that run the raw REPL is idle: a CTRL-D now would be one on an empty raw line, a
    soft reset of the board. Nothing may be due, and the next code must go out as is.
    """
    conn = RawReplConnection()
    conn.enter_raw(0.0)
    conn.receive_data(BANNER + b">", 0.0)
    conn.request_raw_paste(1.0)
    conn.receive_data(b"R\x01\x10\x00\x01", 1.0)
    conn.send_code(b"x" * 100, 1.0)
    assert pump(conn, 1.0) == b"x" * 32
    conn.receive_data(b"\x04", 2.0)
    assert conn.events()[-1] == PasteEndedEarly()
    assert conn.interrupt(3.0) == b"\x03"
    conn.receive_data(b'\x04Traceback (most recent call last):\r\n  File "<stdin>", line 1\r\n', 4.0)
    conn.receive_data(b"SyntaxError: invalid syntax\r\n\x04>", 4.0)
    assert conn.events()[-1] == RawReady()
    assert conn.state is State.RAW_READY
    assert conn.next_send_at is None
    assert conn.data_to_send(5.0) == b""
    conn.send_code(b"print(1)", 6.0)
    assert pump(conn, 6.0) == b"print(1)\x04"


def test_raw_mode_pacing() -> None:
    """Plain raw mode hands code out in chunk_size pieces, one every chunk_delay_s."""
    conn = _connection_in(State.RAW_READY)
    conn.send_code(b"0123456789", 10.0, chunk_size=4, chunk_delay_s=0.5)
    assert conn.data_to_send(10.0) == b"0123"
    assert conn.data_to_send(10.2) == b""
    assert conn.next_send_at == 10.5
    assert conn.data_to_send(10.5) == b"4567"
    assert conn.state is State.RAW_SENDING
    assert conn.data_to_send(11.0) == b"89\x04"
    assert conn.state is State.AWAIT_OK
    assert conn.next_send_at is None
    assert conn.data_to_send(12.0) == b""


# ---------------------------------------------------------------------------- raw-paste credit
def _raw_paste_ready(window: int, now: float = 0.0) -> RawReplConnection:
    conn = RawReplConnection(now=now)
    conn.enter_raw(now)
    conn.receive_data(BANNER + b">", now)
    assert conn.request_raw_paste(now) == b"\x05A\x01"
    conn.receive_data(b"R\x01" + struct.pack("<H", window) + b"\x01", now)
    assert conn.events()[-2:] == [RawPasteAccepted(window), WindowCredit(window, 2 * window)]
    assert conn.state is State.PASTE_SENDING
    return conn


@SETTINGS
@given(
    size=st.integers(0, 5000),
    window=st.integers(16, 512),
    rnd=st.randoms(use_true_random=False),
    limit=st.sampled_from([0, 1, 7, 64]),
)
def test_raw_paste_never_sends_beyond_the_credit(size: int, window: int, rnd: random.Random, limit: int) -> None:
    conn = _raw_paste_ready(window)
    code = bytes(rnd.randrange(0x20, 0x7F) for _ in range(size))
    if not code:
        before = (conn.state, conn.credit, conn.deadline, conn.code_remaining)
        with pytest.raises(LocalProtocolError):
            conn.send_code(code, 0.0)
        assert (conn.state, conn.credit, conn.deadline, conn.code_remaining) == before
        return
    conn.send_code(code, 0.0, paste_write_limit=limit)
    ctrl_a = 1  # the one after the window size
    handed = bytearray()
    device_buffer = 0  # received by the device, not consumed yet
    since_credit = 0  # consumed since the device last sent CTRL-A
    ended = False
    now = 0.0
    for _ in range(100_000):
        now += 0.001
        for _ in range(rnd.randint(1, 3)):  # the host may ask more often than needed
            out = conn.data_to_send(now)
            if out.endswith(b"\x04") and len(handed) + len(out) - 1 == size:
                out, ended = out[:-1], True
            if limit:
                assert len(out) <= limit  # window_size_override: never a bigger burst
            handed += out
            device_buffer += len(out)
            assert len(handed) <= window + window * ctrl_a
            assert device_buffer <= 2 * window  # the device's buffer never overflows
            assert conn.credit >= 0
            if ended:
                break
        if ended:
            break
        # The device consumes part of what it holds, and grants a window per window consumed.
        assert device_buffer > 0, "deadlock: the host waits for credit the device cannot give"
        consumed = rnd.randint(1, device_buffer)
        device_buffer -= consumed
        since_credit += consumed
        grants = since_credit // window
        since_credit %= window
        if grants:
            conn.receive_data(b"\x01" * grants, now)
            ctrl_a += grants
            credit_events = events_of(conn.events(), WindowCredit)
            assert len(credit_events) == grants
    assert ended, "the code was never all sent"
    assert bytes(handed) == code
    assert conn.state is State.PASTE_ENDING
    assert conn.data_to_send(now) == b""  # the CTRL-D went out once
    conn.receive_data(b"\x04\x04\x04>", now)
    assert conn.events()[0] == PasteAcknowledged()
    assert conn.state is State.RAW_READY


# ---------------------------------------------------------------------------- refused requests
def _connection_in(state: State) -> RawReplConnection:
    """A connection brought into ``state`` the way a real exchange would."""
    conn = RawReplConnection(Timeouts(response_s=2.0, reset_s=10.0))
    if state is State.UNKNOWN:
        return conn
    if state is State.FRIENDLY:
        conn.receive_data(b"\r\n>>> ", 0.0)
        assert conn.events()[-1] == FriendlyPrompt()
        return conn
    conn.enter_raw(0.0)
    if state is State.ENTERING_RAW:
        return conn
    if state is State.AWAIT_PROMPT:
        conn.receive_data(BANNER, 0.0)  # the '>' is late
        return conn
    conn.receive_data(BANNER + b">", 0.0)
    if state is State.RAW_READY:
        pass
    elif state is State.RAW_SENDING:
        conn.send_code(b"x = 1", 0.0, chunk_size=2, chunk_delay_s=1.0)
        assert conn.data_to_send(0.0) == b"x "
    elif state in (State.AWAIT_OK, State.STDOUT, State.STDERR):
        conn.send_code(b"print(1)", 0.0)
        pump(conn, 0.0)
        if state is not State.AWAIT_OK:
            conn.receive_data(b"OK1\n", 0.1)
        if state is State.STDERR:
            conn.receive_data(b"\x04Trace", 0.2)
    elif state in (State.PASTE_NEGOTIATING, State.PASTE_SENDING, State.PASTE_ENDING):
        conn.request_raw_paste(0.0)
        if state is not State.PASTE_NEGOTIATING:
            conn.receive_data(b"R\x01\x80\x00\x01", 0.1)
            conn.send_code(b"y" * (1000 if state is State.PASTE_SENDING else 10), 0.1)
            pump(conn, 0.1)
    elif state is State.SOFT_RESETTING:
        conn.soft_reset(0.0)
    elif state is State.LEAVING_RAW:
        conn.leave_raw(0.0)
    conn.events()
    assert conn.state is state
    return conn


def _snapshot(conn: RawReplConnection) -> tuple:
    return (
        conn.state,
        conn.deadline,
        conn.expectation,
        conn.credit,
        conn.window,
        conn.pending_bytes,
        conn.code_remaining,
        conn.next_send_at,
    )


REFUSALS = [
    *[("send_code", s) for s in State if s not in (State.RAW_READY,)],
    *[("enter_raw", s) for s in sorted(RUNNING_STATES, key=lambda s: s.name)],
    *[("leave_raw", s) for s in sorted(RUNNING_STATES, key=lambda s: s.name)],
    *[("soft_reset", s) for s in State if s not in (State.RAW_READY, State.FRIENDLY)],
    *[("request_raw_paste", s) for s in State if s is not State.RAW_READY],
]


@pytest.mark.parametrize(("request_name", "state"), REFUSALS, ids=lambda v: getattr(v, "name", v))
def test_senseless_requests_are_refused_and_change_nothing(request_name: str, state: State) -> None:
    if state is State.PASTE_WINDOW:
        conn = _connection_in(State.PASTE_NEGOTIATING)
        conn.receive_data(b"R\x01\x80", 0.1)  # one byte of the window size so far
        assert conn.state is State.PASTE_WINDOW
    else:
        conn = _connection_in(state)
    before = _snapshot(conn)
    with pytest.raises(LocalProtocolError):
        if request_name == "send_code":
            conn.send_code(b"print(2)", 5.0)
        else:
            getattr(conn, request_name)(5.0)
    assert _snapshot(conn) == before
    assert conn.events() == []


def test_empty_code_is_refused_in_the_raw_repl() -> None:
    conn = _connection_in(State.RAW_READY)
    before = _snapshot(conn)
    with pytest.raises(LocalProtocolError):
        conn.send_code(b"", 1.0)
    assert _snapshot(conn) == before
    assert conn.data_to_send(1.0) == b""  # above all, no CTRL-D: that would soft-reset


def test_a_refused_request_leaves_the_run_readable() -> None:
    """The host tried to enter the raw REPL while code ran; the run still ends normally."""
    conn = _connection_in(State.STDOUT)
    with pytest.raises(LocalProtocolError):
        conn.enter_raw(1.0)
    with pytest.raises(LocalProtocolError):
        conn.soft_reset(1.0)
    conn.receive_data(b"more\n\x04\x04>", 2.0)
    events = conn.events()
    assert output_bytes(events, "stdout") == b"more\n"
    assert events[-2:] == [ExecFinished(None), RawReady()]
    assert conn.interrupt(3.0) == b"\x03"  # idle raw REPL: just clear the line


# ---------------------------------------------------------------------------- deadlines
def test_enter_raw_deadline_is_now_plus_response_timeout() -> None:
    conn = RawReplConnection(Timeouts(response_s=2))
    assert conn.enter_raw(now=10) == b"\r\x01"
    assert conn.deadline == 12
    assert conn.expectation.since == 10
    assert "raw REPL" in conn.expectation.expected


def test_running_without_run_timeout_has_no_deadline() -> None:
    conn = RawReplConnection(Timeouts(response_s=2))
    conn.enter_raw(0.0)
    conn.receive_data(BANNER + b">", 0.5)
    conn.send_code(b"while True: pass", 1.0)
    pump(conn, 1.0)
    assert conn.deadline == 3.0  # OK is owed
    conn.receive_data(b"OK", 1.5)
    assert conn.state is State.STDOUT
    assert conn.deadline is None
    conn.receive_data(b"tick\n" * 10, 500.0)
    assert conn.deadline is None


@pytest.mark.parametrize("paste", [False, True], ids=["raw", "raw-paste"])
def test_run_timeout_counts_from_when_the_code_was_sent(paste: bool) -> None:
    conn = RawReplConnection(Timeouts(response_s=2))
    conn.enter_raw(0.0)
    conn.receive_data(BANNER + b">", 0.5)
    if paste:
        conn.request_raw_paste(1.0)
        conn.receive_data(b"R\x01\x80\x00\x01", 1.5)
    conn.send_code(b"import time\ntime.sleep(9)", 20.0, run_timeout_s=5)
    pump(conn, 20.0)
    conn.receive_data(b"\x04" if paste else b"OK", 20.5)
    assert conn.state is State.STDOUT
    assert conn.deadline == 25.0
    conn.receive_data(b"out\x04", 21.0)
    assert conn.state is State.STDERR
    assert conn.deadline == 25.0
    conn.receive_data(b"\x04", 22.0)
    assert conn.deadline == 24.0  # now the prompt is owed, within the response timeout


def test_waiting_for_credit_keeps_its_deadline() -> None:
    """Asking for data while out of credit must not push the flow-control deadline back."""
    from workbench.protocol import RawReplConnection, State, Timeouts

    conn = RawReplConnection(Timeouts(response_s=1.0))
    conn.enter_raw(0.0)
    conn.receive_data(b"raw REPL; CTRL-B to exit\r\n>", 0.0)
    conn.request_raw_paste(0.0)
    conn.receive_data(b"R\x01\x10\x00", 0.0)  # window 16, and no CTRL-A ever
    conn.send_code(b"x" * 100, 0.0)
    assert len(conn.data_to_send(0.0)) == 16
    deadline = conn.deadline
    assert deadline == 1.0
    for now in (0.2, 0.5, 0.9):
        assert conn.data_to_send(now) == b""
        assert conn.deadline == deadline
    assert conn.state is State.PASTE_SENDING


def test_boot_banner_during_a_run_is_a_reboot_however_split() -> None:
    """machine.reset() under running code: no CTRL-D comes, the boot banner does."""
    from workbench.protocol import DeviceRebooted, FriendlyPrompt, Output, RawReplConnection

    reply = (
        b"OKworking\r\n"
        b"MicroPython v1.22.2 on 2024-02-22; PYBv1.1 with STM32F405RG\r\n"
        b'Type "help()" for more information.\r\n>>> '
    )
    outcomes = []
    for cut in range(1, len(reply)):
        conn = RawReplConnection()
        conn.enter_raw(0.0)
        conn.receive_data(b"raw REPL; CTRL-B to exit\r\n>", 0.0)
        conn.send_code(b"x", 0.0)
        conn.data_to_send(0.0)
        conn.receive_data(reply[:cut], 0.1)
        conn.receive_data(reply[cut:], 0.2)
        events = conn.events()
        stdout = b"".join(e.data for e in events if isinstance(e, Output))
        kinds: list[type] = []
        for event in events:  # adjacent stray-byte events merge, as in the other properties
            if not isinstance(event, Output) and (not kinds or kinds[-1] is not type(event)):
                kinds.append(type(event))
        outcomes.append((stdout, tuple(kinds)))
    assert len(set(outcomes)) == 1
    stdout, kinds = outcomes[0]
    assert stdout.startswith(b"working\r\n")
    assert DeviceRebooted in kinds and kinds[-1] is FriendlyPrompt


def test_code_sent_ahead_of_the_answer_still_waits_for_credit_with_a_deadline() -> None:
    """Pipelined raw-paste: once the answer comes and the credit is used up, CTRL-A is due."""
    from workbench.protocol import RawReplConnection, State, Timeouts

    conn = RawReplConnection(Timeouts(response_s=1.0))
    conn.enter_raw(0.0)
    conn.receive_data(b"raw REPL; CTRL-B to exit\r\n>", 0.0)
    conn.request_raw_paste(0.0, known_window=16)
    conn.send_code(b"y" * 100, 0.0)
    assert len(conn.data_to_send(0.0)) == 16  # one window ahead of the answer
    conn.receive_data(b"R\x01\x10\x00", 5.0)  # the answer; this device never sends CTRL-A
    assert conn.state is State.PASTE_SENDING
    assert conn.deadline == 6.0
    assert conn.data_to_send(5.5) == b""
    assert conn.deadline == 6.0


def test_raw_paste_write_limit_paces_pieces_by_the_chunk_delay() -> None:
    conn = _raw_paste_ready(128, now=1.0)
    conn.send_code(b"x" * 50, 1.0, chunk_delay_s=0.5, paste_write_limit=20)
    assert conn.data_to_send(1.0) == b"x" * 20
    assert conn.data_to_send(1.1) == b""  # not due yet
    assert conn.next_send_at == 1.5
    assert conn.data_to_send(1.5) == b"x" * 20
    assert conn.data_to_send(2.0) == b"x" * 10 + b"\x04"
    assert conn.state is State.PASTE_ENDING


def test_a_device_gone_idle_mid_run_still_has_a_deadline() -> None:
    """Issue 12: the board printed the raw banner and '>' where the run's 'OK' belonged; the
    run's end will never come, so the wait ends one response timeout later, naming the run."""
    conn = RawReplConnection(Timeouts(response_s=2.0))
    conn.enter_raw(0.0)
    conn.receive_data(BANNER + b">", 0.0)
    conn.send_code(b"print(1)", 1.0)
    pump(conn, 1.0)
    conn.receive_data(BANNER + b">", 5.0)
    assert conn.state is State.RAW_READY
    assert conn.deadline == 7.0
    assert conn.expectation.step == "running code"
    assert conn.in_flight == "running code"


def test_a_run_that_ends_at_its_prompt_leaves_nothing_in_flight() -> None:
    conn = _connection_in(State.RAW_READY)
    conn.send_code(b"print(1)", 1.0)
    pump(conn, 1.0)
    conn.receive_data(b"OK1\r\n\x04\x04>", 1.5)
    assert conn.in_flight is None and conn.deadline is None


def test_the_budget_caps_every_wait_and_says_so() -> None:
    conn = RawReplConnection(Timeouts(response_s=2.0))
    conn.set_budget(3.0, "running code", 0.0)
    conn.enter_raw(2.5)
    assert conn.deadline == 3.0  # not 4.5: the operation's budget ends first
    assert conn.expectation.overall and conn.expectation.since == 0.0
    assert conn.expectation.step == "running code (entering the raw REPL)"
    conn.set_budget(None)
    assert conn.deadline == 4.5 and not conn.expectation.overall


def test_a_raw_upload_waits_within_the_budget() -> None:
    """Plain raw mode paced in chunks has no reply to wait for, but the budget still ends it."""
    conn = _connection_in(State.RAW_READY)
    conn.set_budget(10.5, "running code", 10.0)
    conn.send_code(b"x" * 100, 10.0, chunk_size=10, chunk_delay_s=1.0)
    assert conn.data_to_send(10.0) == b"x" * 10
    assert conn.state is State.RAW_SENDING
    assert conn.deadline == 10.5


# ---------------------------------------------------------------------------- issue 14
@pytest.mark.parametrize(
    ("line", "text"),
    [
        (b"MPY: soft reboot\r\n", "MPY: soft reboot"),  # MicroPython 1.11 and later
        (b"MPY: soft reboot\n", "MPY: soft reboot"),
        (b"PYB: soft reboot\r\n", "PYB: soft reboot"),  # MicroPython 1.10 and older
        (b"PYB: soft reboot\n", "PYB: soft reboot"),
        (b"soft reboot\r\n", "soft reboot"),  # CircuitPython
    ],
)
@pytest.mark.parametrize("split", [chunks_whole, chunks_bytewise], ids=["whole", "bytewise"])
def test_every_firmwares_soft_reboot_line_is_recognised_whole(line: bytes, text: str, split: Splitter) -> None:
    """Whatever the firmware prints (ports' main.c, soft_reset_exit), the reboot is one event
    carrying the whole line, and none of its text is left over as stray bytes; boot.py's
    output between it and the raw banner is the board's own text."""
    conn = RawReplConnection()
    conn.enter_raw(0.0)
    conn.receive_data(b"\r\n" + BANNER + b">", 0.0)
    conn.events()
    conn.soft_reset(1.0)
    for piece in split(b"OK\r\n" + line + b"boot.py ran\r\n" + BANNER + b">"):
        conn.receive_data(piece, 1.1)
    events = conn.events()
    assert events_of(events, SoftReboot) == [SoftReboot(text)]
    stray = b"".join(event.data for event in events_of(events, UnexpectedBytes))
    assert b"soft reboot" not in stray and b"PYB" not in stray and b"MPY" not in stray
    assert b"boot.py ran" in stray
    assert events[-1] == RawReady() and conn.state is State.RAW_READY


def test_a_device_ctrl_d_after_the_hosts_end_of_paste_owes_nothing() -> None:
    """Issue 14: the board's early-end CTRL-D and its acknowledgement are the same byte.
    Once the host's CTRL-D went out, the board's CTRL-D is its answer, whatever the reason,
    and no second CTRL-D is due (it would soft-reset the board)."""
    conn = RawReplConnection()
    conn.enter_raw(0.0)
    conn.receive_data(BANNER + b">", 0.0)
    conn.request_raw_paste(1.0)
    conn.receive_data(b"R\x01\x80\x00\x01", 1.0)
    conn.send_code(b"x = 1\nprint(x +)\n", 1.0)
    assert pump(conn, 1.0) == b"x = 1\nprint(x +)\n\x04"
    conn.receive_data(b"\x04", 1.1)  # crossed the host's CTRL-D, or acknowledged it: one byte
    assert conn.events()[-1] == PasteAcknowledged()
    assert not conn.end_of_paste_owed
    assert conn.next_send_at is None and conn.data_to_send(1.2) == b""
    conn.receive_data(b'\x04Traceback (most recent call last):\r\n  File "<stdin>", line 2\r\n', 1.3)
    conn.receive_data(b"SyntaxError: invalid syntax\r\n\x04>", 1.3)
    assert conn.events()[-1] == RawReady()
    assert conn.data_to_send(1.4) == b""


def test_code_sent_ahead_with_its_ctrl_d_owes_nothing_after_the_devices_ctrl_d() -> None:
    """The same with the code and its CTRL-D sent right behind the raw-paste request."""
    conn = RawReplConnection()
    conn.enter_raw(0.0)
    conn.receive_data(BANNER + b">", 0.0)
    conn.request_raw_paste(1.0, known_window=128)
    conn.send_code(b"1 +* 2\n", 1.0)
    assert pump(conn, 1.0) == b"1 +* 2\n\x04"
    conn.receive_data(b"R\x01\x80\x00\x01\x04", 1.1)
    assert events_of(conn.events(), PasteAcknowledged) == [PasteAcknowledged()]
    assert not conn.end_of_paste_owed and conn.data_to_send(1.2) == b""


def test_an_early_end_owes_exactly_one_ctrl_d() -> None:
    conn = RawReplConnection()
    conn.enter_raw(0.0)
    conn.receive_data(BANNER + b">", 0.0)
    conn.request_raw_paste(1.0)
    conn.receive_data(b"R\x01\x20\x00\x01", 1.0)
    conn.send_code(b"1 +* 2\n" + b"pass\n" * 40, 1.0)
    assert len(pump(conn, 1.0)) == 64
    conn.receive_data(b"\x04", 1.1)
    assert conn.events()[-1] == PasteEndedEarly()
    assert conn.end_of_paste_owed
    assert conn.data_to_send(1.2) == b"\x04"
    assert not conn.end_of_paste_owed and conn.data_to_send(1.3) == b""


def test_a_command_key_on_a_half_typed_friendly_line_is_read_as_typing() -> None:
    """Issue 14: CTRL-A, B, D and E are commands only on an empty friendly line (readline.c);
    after 'abc' CTRL-A moves the cursor. A reader of someone's traffic must not take it for
    entering the raw REPL; after CTRL-C has emptied the line, it is that again."""
    observer = TrafficObserver()
    observer.observe_received(b"MicroPython v1.24; board\r\n>>> ", 0.0)
    assert observer.observe_sent(b"abc", 0.1) == (Typed(3),)
    observer.observe_received(b"abc", 0.1)
    assert observer.observe_sent(b"\x01", 0.2) == (Typed(1, key=0x01),)
    observer.observe_received(b"\x08\x08\x08", 0.2)
    assert observer.observe_sent(b"\x05", 0.3) == (Typed(1, key=0x05),)  # to the end, not paste mode
    assert observer.observe_sent(b"\x03", 0.4) == (Interrupt(1, False, False),)
    observer.observe_received(b"\r\n>>> ", 0.4)
    assert observer.observe_sent(b"\x01", 0.5) == (EnterRaw(False),)
    assert observer.observe_received(b"\r\n" + BANNER + b">", 0.5)[-1] == RawReady()
