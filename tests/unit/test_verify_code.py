"""Verified runs (profile ``verify_code``): damaged code never runs, and a run that checks its
code looks to the user exactly like one that does not (output, tracebacks, line numbers)."""

from __future__ import annotations

import pytest

import workbench
from tests.conftest import requires_micropython
from workbench import Profile, TransferError, WorkbenchError
from workbench.engine.verify import check_problem, stage_code
from workbench.errors import DeviceTimeout
from workbench.profiles import PRESETS, DeviceProfile
from workbench.profiles.schema import validate_field

VERIFIED = Profile(verify_code=True)
DEVICES = [
    pytest.param("spawn://micropython", marks=requires_micropython, id="micropython"),
    pytest.param("sim://generic", id="sim-generic"),
    pytest.param("sim://legacy?boot_ms=0", id="sim-legacy"),
]
CODE = "x = 1\nprint('hi', x)\n\ndef f():\n    return 1 / 0\n\nf()\n"


@pytest.mark.parametrize("url", DEVICES)
def test_a_verified_run_has_the_codes_own_output_and_traceback(url: str) -> None:
    with workbench.connect(url) as plain_session:
        plain = plain_session.exec(CODE)
    streamed: list[str] = []
    with workbench.connect(url, VERIFIED) as session:
        checked = session.exec(CODE, on_output=lambda stream, text: streamed.append(text) if stream == "stderr" else None)
        assert checked.stdout == plain.stdout
        assert checked.stderr == plain.stderr == "".join(streamed)  # the wrapper's frame never shows
        assert checked.exception == plain.exception
        assert checked.exception is not None and checked.exception.stdin_line == 5
        notes = [record.meaning for record in session.trace.records() if record.dir == "note"]
        assert any(note.startswith("verify_code: the board holds all") for note in notes)
        again = session.exec("print('_wb_c' in globals(), x)")  # nothing of ours left behind
        assert again.stdout.split() == ["False", "1"]


def test_a_verified_run_names_the_file_in_its_traceback() -> None:
    with workbench.connect("sim://generic", VERIFIED) as session:
        result = session.exec("a = 1\nprint(b)\n", source_name="blink.py")
    assert 'File "blink.py", line 2' in result.stderr and "line 1, in <module>" not in result.stderr


def test_damaged_code_never_runs_and_says_how_much_was_lost() -> None:
    """On a link that drops 2 % of the bytes, no run reports a wrong result as a success."""
    wrong = lost = right = 0
    for seed in range(40):
        try:
            with workbench.connect(f"sim://generic?drop=0.02&seed={seed}", Profile(verify_code=True, response_timeout_s=0.5)) as s:
                result = s.exec("print(1000000+2000000)", timeout=5)
        except TransferError as exc:
            lost += 1
            assert "nothing ran" in str(exc)
            continue
        except WorkbenchError:
            continue  # lost during the connection or negotiation: a clear error as well
        if result.ok:
            right += result.stdout.strip() == "3000000"
            wrong += result.stdout.strip() != "3000000"
    assert wrong == 0
    assert lost > 0 and right > 0


def test_the_check_reads_length_and_sum() -> None:
    from workbench.engine.result import ExecResult

    payload = b"print(1)\n"

    def stage(stdout: str) -> ExecResult:
        return ExecResult(stdout, "", None, True, 10, 0.0, 0.0, 0.0)

    assert check_problem(stage(f"WBV {len(payload)} {sum(payload)}\r\n"), payload) is None
    assert "2 bytes lost" in (check_problem(stage(f"WBV {len(payload) - 2} 0\n"), payload) or "")
    assert "not the same bytes" in (check_problem(stage(f"WBV {len(payload)} 1\n"), payload) or "")
    assert "damaged" in (check_problem(stage("Traceback..."), payload) or "")
    assert stage_code(b"\x03\x04\xff'").isascii()  # no byte the raw REPL would act on


def test_presets_for_boards_behind_uart_bridges_verify_every_run_and_the_others_plain_raw_runs() -> None:
    assert PRESETS["esp32"].profile.verify_mode == PRESETS["esp8266"].profile.verify_mode == "always"
    assert {PRESETS[name].profile.verify_mode for name in ("generic", "rp2040", "stm32", "circuitpython")} == {"auto"}
    assert Profile().verify_mode == "never"  # the bare protocol, as lessons show it


def test_old_true_false_values_keep_their_meaning() -> None:
    assert DeviceProfile.from_dict({"name": "x", "verify_code": True}, source="test").verify_code == "always"
    assert DeviceProfile.from_dict({"name": "x", "verify_code": False}, source="test").verify_code == "never"
    assert validate_field("verify_code", "yes") == ("always", None)
    assert validate_field("verify_code", "Auto") == ("auto", None)
    assert "one of auto, always, never" in (validate_field("verify_code", "sometimes")[1] or "")


def _legacy_with_fifo(**changes: object) -> Profile:
    """sim://legacy with a 64-byte receive FIFO: a 256-byte chunk overruns it."""
    return Profile(raw_paste="auto", chunk_size=256, chunk_delay_s=0.01, response_timeout_s=1.0, **changes)


PROGRAM_1K = "".join(f"a{i:02d} = {i * 7}\n" for i in range(100)) + "print(sum([" + ",".join(f"a{i:02d}" for i in range(100)) + "]))\n"


def test_auto_checks_plain_raw_runs_so_damaged_code_never_runs() -> None:
    """A board without raw-paste that reads too slowly: with verify_code auto every run gives
    the right answer or says bytes were lost; never a wrong answer or a damaged program's error."""
    with workbench.connect("sim://legacy?rx_fifo=64&boot_ms=0", _legacy_with_fifo(verify_code="auto")) as session:
        try:
            result = session.exec(PROGRAM_1K)
        except (TransferError, DeviceTimeout) as exc:
            assert "lost" in str(exc) and "chunk_size" in str(exc)
        else:
            assert result.ok and result.stdout == "34650\r\n"


def test_without_the_check_a_timeout_in_plain_raw_mode_says_bytes_were_probably_lost() -> None:
    with (
        workbench.connect("sim://legacy?rx_fifo=64&boot_ms=0", _legacy_with_fifo(verify_code="never")) as session,
        pytest.raises(DeviceTimeout) as caught,
    ):
        session.exec(PROGRAM_1K)
    message = str(caught.value)
    assert "waiting for OK" in message and "bytes were probably lost" in message
    assert "chunk_size / chunk_delay_s" in message and "workbench probe" in message
