"""``workbench trace FILE --stats``: the numbers a bug report's reader relies on.

The expected values were read off the reference transcripts by hand (their ``t`` and ``hex``
fields, see tests/data/transcripts/README.md); the hand-made trace covers what the
transcripts cannot: several execs (percentiles), timeouts, an unfinished exec, a reboot,
dropped records, and the interrupt reasons a saved trace keeps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import TRANSCRIPT_ROOT
from workbench.cli.main import main
from workbench.protocol.events import (
    ExecAccepted,
    ExecFinished,
    PasteAcknowledged,
    RawPasteAccepted,
    RawReady,
    SoftReboot,
)
from workbench.protocol.host_events import CodeSent, EndOfCode, Interrupt, InterruptReason, RawPasteRequest
from workbench.protocol.tracebacks import RemoteException
from workbench.trace import save_jsonl
from workbench.trace.record import TraceRecord

UNIX = TRANSCRIPT_ROOT / "unix-port"
US = 1e-6  # the transcripts' resolution


def stats_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["trace", str(path), "--stats", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_raw_paste_in_many_windows(capsys: pytest.CaptureFixture[str]) -> None:
    stats = stats_json(UNIX / "06-raw-paste-multi-window.jsonl", capsys)
    assert stats["records"] == 44
    # tx: request 3 + code 256 + 16 x 128 + 59 + CTRL-D 1; rx: R+window 5, 18 credits,
    # the acknowledgement, 's', 'um 39601\n', two CTRL-Ds and '>'.
    assert stats["bytes"] == {"tx": 2367, "rx": 37}
    execs = stats["execs"]
    assert execs["total"] == 1 and execs["by_mode"] == {"raw": 0, "raw_paste": 1, "unknown": 0}
    assert execs["ok"] == 1 and execs["raised"] == 0 and execs["exceptions"] == {}
    (span,) = stats["exec_list"]
    assert span["code_bytes"] == 2363
    # CTRL-D at 0.005072, raw prompt at 0.005877.
    assert stats["round_trip"]["median_s"] == pytest.approx(0.000805, abs=US)
    # 2363 B from the first code byte (0.000361, after the acceptance at 0.000311) to the
    # device's acknowledgement (0.005460).
    assert stats["raw_paste_throughput"]["median_bytes_per_s"] == pytest.approx(2363 / 0.005099, rel=1e-3)
    gap = stats["longest_gap"]  # 0.002202 code, 0.002665 credit: 0.463 ms
    assert gap["seconds"] == pytest.approx(0.000463, abs=US) and gap["start_t"] == 0.002202
    assert gap["before"] == "tx code 128 B (raw-paste, credit left 0)"
    assert gap["after"] == "rx CTRL-A: window credit +128 (now 128)"
    assert stats["dropped"] == {"records": None, "bytes": None}  # a transcript does not say


def test_interrupted_exec_and_a_raised_one(capsys: pytest.CaptureFixture[str]) -> None:
    interrupted = stats_json(UNIX / "07-interrupt-running.jsonl", capsys)
    assert interrupted["execs"]["exceptions"] == {"KeyboardInterrupt": 1}
    assert interrupted["interrupts"] == {"total": 1, "by_reason": {"unknown": 1}}  # another host's
    assert interrupted["round_trip"]["median_s"] == pytest.approx(0.300853 - 0.000085, abs=US)
    gap = interrupted["longest_gap"]  # 'OK' at 0.000282, the CTRL-C at 0.300584
    assert gap["seconds"] == pytest.approx(0.300302, abs=US)
    assert (gap["before"], gap["after"]) == (
        "rx OK: code accepted, running",
        "tx CTRL-C: interrupt running code",
    )

    raised = stats_json(UNIX / "03-exec-exception.jsonl", capsys)
    assert raised["execs"]["by_mode"]["raw"] == 1 and raised["execs"]["exceptions"] == {
        "ZeroDivisionError": 1
    }
    assert raised["round_trip"]["median_s"] == pytest.approx(0.000388 - 0.000112, abs=US)
    assert raised["bytes"] == {"tx": 42, "rx": 150}

    rebooted = stats_json(UNIX / "08-soft-reset-in-raw.jsonl", capsys)
    assert rebooted["execs"]["total"] == 0 and rebooted["reboots"] == 1  # a soft reset is no exec
    assert rebooted["unexpected_bytes"] == {"events": 1, "bytes": 2, "by_state": {"soft reset": 2}}


def test_text_summary_of_a_raw_paste(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", str(UNIX / "05-raw-paste-small.jsonl"), "--stats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "execs        1 (1 raw-paste, 0 raw); 1 ok, 0 raised" in lines
    # 16 B from the code's write (0.301640) to the acknowledgement (0.302017): 42.4 KB/s.
    assert "raw-paste    median 41.4 KB/s (1 paste)" in lines
    assert "longest gap  301.4 ms at 0.000193 s" in lines  # the capture harness's pause


def _exec(start: float, round_trip: float, exception: str | None = None) -> list[TraceRecord]:
    end = start + 0.001
    error = RemoteException(exception, "boom") if exception else None
    return [
        TraceRecord(start, "tx", b"x = 1", events=(CodeSent(5, "raw"),)),
        TraceRecord(end, "tx", b"\x04", events=(EndOfCode("raw"),)),
        TraceRecord(
            end + round_trip, "rx", b"OK\x04\x04>", events=(ExecAccepted(), ExecFinished(error), RawReady())
        ),
    ]


def test_hand_made_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [
        TraceRecord(
            0.0, "tx", b"\x03", events=(Interrupt(1, False, False, InterruptReason.STOP_WHATEVER_RUNS),)
        )
    ]
    for start, round_trip, exception in (
        (1, 0.3, None),
        (2, 0.1, None),
        (3, 0.4, "ValueError"),
        (4, 0.2, None),
        (5, 1.0, "ValueError"),
    ):
        records += _exec(start, round_trip, exception)
    records += [  # a raw-paste of 256 B in 40 ms, its prompt in a later read
        TraceRecord(10.0, "tx", b"\x05A\x01", events=(RawPasteRequest(),)),
        TraceRecord(10.01, "rx", b"R\x01\x80\x00\x01", events=(RawPasteAccepted(128),)),
        TraceRecord(10.02, "tx", b"a" * 100, events=(CodeSent(100, "raw-paste"),)),
        TraceRecord(
            10.03, "tx", b"a" * 156 + b"\x04", events=(CodeSent(156, "raw-paste"), EndOfCode("raw-paste"))
        ),
        TraceRecord(10.06, "rx", b"\x04", events=(PasteAcknowledged(),)),
        TraceRecord(10.07, "rx", b"\x04\x04", events=(ExecFinished(None),)),
        TraceRecord(10.08, "rx", b">", events=(RawReady(),)),
        TraceRecord(11.0, "note", b"", "", "exec timed out"),
        TraceRecord(11.0, "tx", b"\x03", events=(Interrupt(1, False, True, InterruptReason.EXEC_TIMEOUT),)),
        *_exec(30.0, 0.0)[:2],  # reset under the code: rebooted
        TraceRecord(30.5, "rx", b"MPY: soft reboot\r\n", events=(SoftReboot("MPY: soft reboot"),)),
        *_exec(31.0, 0.0)[:2],  # never answered: unfinished
    ]
    path = tmp_path / "hand.jsonl"
    save_jsonl(path, records, {"device": "sim://generic", "dropped_records": 7, "dropped_bytes": 1234})
    stats = stats_json(path, capsys)

    execs = stats["execs"]
    assert execs["by_mode"] == {"raw": 7, "raw_paste": 1, "unknown": 0}
    assert (execs["ok"], execs["raised"], execs["rebooted"], execs["unfinished"]) == (4, 2, 1, 1)
    assert execs["exceptions"] == {"ValueError": 2}
    # Round trips 0.3 0.1 0.4 0.2 1.0 and the paste's 0.05 (CTRL-D 10.03, prompt 10.08):
    # sorted 0.05 0.1 0.2 0.3 0.4 1.0; median between 0.2 and 0.3, p95 at 4.75: 0.4 + 0.75 x 0.6.
    trips = stats["round_trip"]
    assert trips["count"] == 6
    assert trips["median_s"] == pytest.approx(0.25) and trips["p95_s"] == pytest.approx(0.85)
    assert trips["total_s"] == pytest.approx(2.05)
    assert stats["raw_paste_throughput"]["median_bytes_per_s"] == pytest.approx(256 / 0.04)
    gap = stats["longest_gap"]
    assert (gap["seconds"], gap["start_t"], gap["end_t"]) == (19.0, 11.0, 30.0)
    assert gap["before"] == "tx CTRL-C: exec timeout, interrupt"  # the saved reason, not a replay's guess
    assert stats["interrupts"]["by_reason"] == {"exec_timeout": 1, "stop_whatever_runs": 1}
    assert [t["t"] for t in stats["timeouts"]] == [11.0, 11.0]  # the note and the CTRL-C
    assert stats["reboots"] == 1
    assert stats["dropped"] == {"records": 7, "bytes": 1234}
    assert stats["duration_s"] == pytest.approx(31.001)

    assert main(["trace", str(path), "--stats"]) == 0
    text = capsys.readouterr().out
    assert "execs        8 (1 raw-paste, 7 raw); 4 ok, 2 raised, 1 ended by a reboot, 1 unfinished\n" in text
    assert "round trip   median 250.0 ms, p95 850.0 ms, total 2.05 s" in text
    assert "dropped      7 records (1,234 B)\n" in text


@pytest.mark.parametrize("content", ["hello\n", '{"t": 0, "dir": "sideways"}\n'])
def test_a_file_that_is_not_a_trace(tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text(content, encoding="utf-8")
    assert main(["trace", str(path), "--stats"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith(f"workbench: {path}:1: ") and out.err.count("\n") == 1
