"""``workbench fs`` as a person uses it: mpremote's ``:`` paths, output, exit status, Ctrl-C.

In-process runs of the CLI against a simulated board whose filesystem is a folder of the
test's (``sim://generic?fs=DIR``), so what the board holds is checked on the host's disk.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.cli import main as cli_main

Run = Callable[..., tuple[int, bytes, bytes]]


@pytest.fixture
def board(tmp_path: Path) -> Path:
    """The simulated board's filesystem."""
    folder = tmp_path / "board"
    folder.mkdir()
    return folder


@pytest.fixture
def fs(board: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> Run:
    """``fs(*words)``: ``workbench fs URL *words``, its exit status, stdout and stderr."""
    url = f"sim://generic?boot_ms=0&fs={board}"

    def run(*words: str) -> tuple[int, bytes, bytes]:
        for cached in (cli_main._profile_store, cli_main._port_for, cli_main._learned_store):
            cached.cache_clear()  # each run reads this test's config and state folders, as a process would
        code = cli_main.main(["fs", url, *words])
        out, err = capsysbinary.readouterr()
        return code, out, err

    return run


def test_a_path_on_the_wrong_side_is_a_usage_error_that_shows_the_right_form(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # u97 is /dev/ttyUSB97, which is not there: exit 2 and not 3 shows nothing was opened.
    for words, right in (
        (["cat", "main.py"], "(workbench fs cat :main.py)"),
        (["rm", "-r", "lib"], "(workbench fs rm :lib)"),
        (["cp", "a.py", "b.py"], "(workbench fs cp a.py :)"),
        (["sync", "src", "lib"], "(workbench fs sync src :lib)"),
        (["sync", ":src", ":"], "(workbench fs sync src :)"),
    ):
        assert cli_main.main(["fs", "u97", *words]) == 2, words
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("workbench: fs ") and err.rstrip().endswith(right), err


def test_cp_up_and_down_keeps_every_byte_and_ls_lists_it(fs: Run, board: Path, tmp_path: Path) -> None:
    data = bytes(range(256)) * 8  # CTRL-C, CTRL-D and every other byte value, 2,048 bytes
    (tmp_path / "all.bin").write_bytes(data)
    assert fs("cp", str(tmp_path / "all.bin"), ":")[0] == 0
    assert (board / "all.bin").read_bytes() == data
    assert fs("cp", ":all.bin", str(tmp_path / "back.bin")) == (0, b"", b"")
    assert (tmp_path / "back.bin").read_bytes() == data
    assert fs("cat", ":all.bin") == (0, data, b"")
    assert fs("mkdir", ":lib")[0] == 0
    assert fs("ls", ":") == (0, b"           0 lib/\n        2048 all.bin\n", b"")


def test_a_missing_file_is_one_line_naming_it_with_exit_1(fs: Run, tmp_path: Path) -> None:
    for words in (("cat", ":nosuch.py"), ("cp", ":nosuch.py", str(tmp_path))):
        code, out, err = fs(*words)
        assert (code, out) == (1, b""), words
        assert err.count(b"\n") == 1 and err.startswith(b"workbench: ") and b":nosuch.py" in err, err
    assert not (tmp_path / "nosuch.py").exists()


def test_sync_uploads_what_differs_and_a_dry_run_changes_nothing(
    fs: Run, board: Path, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    (src / "lib").mkdir(parents=True)
    (src / "main.py").write_text("print('v1')\n")
    (src / "lib" / "util.py").write_text("X = 1\n")
    code, out, _err = fs("sync", str(src), ":")
    lines = out.decode().splitlines()
    assert code == 0
    assert "mkdir :lib" in lines and "upload main.py -> :main.py (12 B)" in lines
    assert (board / "lib" / "util.py").read_text() == "X = 1\n"
    code, out, _err = fs("sync", str(src), ":")
    assert code == 0 and b"upload" not in out and out.decode().splitlines()[-1] == "2 unchanged"
    (src / "main.py").write_text("print('v2')\n")
    code, out, _err = fs("sync", str(src), ":", "--dry-run")
    assert code == 0 and "would upload main.py -> :main.py (12 B)" in out.decode().splitlines()
    assert (board / "main.py").read_text() == "print('v1')\n"


def test_a_sync_of_several_files_says_one_line_each_and_a_second_one_sends_nothing(
    fs: Run, board: Path, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    (src / "lib").mkdir(parents=True)
    files = {"main.py": b"import lib.a\n", "boot.py": b"", "data.bin": bytes(range(256)) * 4,
             **{f"lib/{name}.py": f"{name} = 1\n".encode() for name in "abc"}}
    for name, data in files.items():
        (src / name).write_bytes(data)
    code, out, err = fs("sync", str(src), ":")
    assert (code, err) == (0, b"")
    lines = out.decode().splitlines()
    assert lines[0] == "mkdir :lib" and len(lines) == 1 + len(files) + 1
    assert "upload data.bin -> :data.bin (1,024 B)" in lines and "upload lib/b.py -> :lib/b.py (6 B)" in lines
    assert lines[-1] == "6 uploaded (1,055 B), 1 folder made, 0 unchanged"
    assert {name: (board / name).read_bytes() for name in files} == files
    assert not list(board.rglob("*.wbtmp"))
    assert fs("sync", str(src), ":") == (0, b"6 unchanged\n", b"")


def test_cp_of_several_files_ctrl_c_names_the_file_under_way(
    fs: Run, board: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.cli.fs import Board
    from workbench.engine.session import Session

    (board / "b.bin").write_bytes(b"old")
    (tmp_path / "a.py").write_bytes(b"a = 1\n")
    (tmp_path / "b.bin").write_bytes(os.urandom(64 * 1024))
    interrupted = threading.Event()
    original_interrupt, original_progress = Session.interrupt, Board.on_progress

    def interrupt(self: Session) -> None:
        original_interrupt(self)
        interrupted.set()

    def on_progress(self: Board, progress: object) -> None:
        original_progress(self, progress)  # type: ignore[arg-type]
        if progress.path == "b.bin" and not interrupted.is_set():  # type: ignore[attr-defined]
            os.kill(os.getpid(), signal.SIGINT)
            assert interrupted.wait(5)

    with monkeypatch.context() as patched:
        patched.setattr(Session, "interrupt", interrupt)
        patched.setattr(Board, "on_progress", on_progress)
        code, _out, err = fs("cp", str(tmp_path / "a.py"), str(tmp_path / "b.bin"), ":")
    assert (code, err) == (1, b"workbench: cancelled: :b.bin unchanged on the board\n")
    assert (board / "a.py").read_bytes() == b"a = 1\n" and (board / "b.bin").read_bytes() == b"old"
    assert sorted(p.name for p in board.iterdir()) == ["a.py", "b.bin"]


def test_rm_needs_r_for_a_folder(fs: Run, board: Path) -> None:
    (board / "lib" / "deep").mkdir(parents=True)
    (board / "lib" / "deep" / "x.py").write_text("x = 1\n")
    code, _out, err = fs("rm", ":lib")
    assert code == 1 and err.count(b"\n") == 1 and (board / "lib" / "deep" / "x.py").exists()
    assert fs("rm", "-r", ":lib") == (0, b"", b"")
    assert not (board / "lib").exists()


def test_ctrl_c_cancels_an_upload_and_leaves_the_old_file(
    fs: Run, board: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.cli.fs import Board
    from workbench.engine.session import Session

    (board / "big.bin").write_bytes(b"old")
    (tmp_path / "big.bin").write_bytes(os.urandom(64 * 1024))
    interrupted = threading.Event()
    original_interrupt, original_progress = Session.interrupt, Board.on_progress

    def interrupt(self: Session) -> None:
        original_interrupt(self)
        interrupted.set()

    def on_progress(self: Board, progress: object) -> None:
        original_progress(self, progress)  # type: ignore[arg-type]
        if not interrupted.is_set():  # the first block is on its way: Ctrl-C, as a person would
            os.kill(os.getpid(), signal.SIGINT)
            assert interrupted.wait(5)

    with monkeypatch.context() as patched:
        patched.setattr(Session, "interrupt", interrupt)
        patched.setattr(Board, "on_progress", on_progress)
        code, _out, err = fs("cp", str(tmp_path / "big.bin"), ":")
    assert (code, err) == (1, b"workbench: cancelled: :big.bin unchanged on the board\n")
    assert (board / "big.bin").read_bytes() == b"old"
    assert fs("ls", ":") == (0, b"           3 big.bin\n", b"")  # the board answers, no leftovers


def test_the_bar_shows_only_on_a_terminal_after_a_second_and_is_wiped_at_the_end() -> None:
    import io

    from workbench.cli.progress import CLEAR_LINE, ProgressBar
    from workbench.files.model import TransferProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def steps(bar: ProgressBar) -> None:
        for done, elapsed in ((10_000, 0.5), (34_000, 1.2), (100_000, 2.9)):
            bar.update(TransferProgress("main.py", "upload", done, 100_000, elapsed))

    terminal, pipe = Terminal(), io.StringIO()
    steps(ProgressBar(terminal))
    steps(ProgressBar(pipe))
    assert pipe.getvalue() == ""
    drawn = terminal.getvalue()
    assert drawn.startswith(CLEAR_LINE + "main.py   34%  [==========") and drawn.endswith(CLEAR_LINE)
    assert "27.7 KB/s" in drawn and "10%" not in drawn  # 34,000 B in 1.2 s; nothing in the first second
