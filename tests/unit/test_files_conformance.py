"""File operations on every conformance device: the real interpreter and each simulated board.

What a user relies on: every byte value arrives unchanged, names with spaces and accents work,
folders nest, a sync sends only what changed, a missing file is named, and a transfer that
fails (a lost byte, a pulled cable, a cancel) leaves the old file as it was.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

import workbench
from tests.conftest import CONFORMANCE_DEVICES, requires_micropython
from workbench.errors import BoardFileError, BoardFileNotFound, BoardReadOnly, NoFolders, TransferCancelled
from workbench.files import BoardFS

EVERY_BYTE = bytes(range(256)) * 2
NAME = "ünï cödé.py"


def _writable(url: str) -> str:
    """CircuitPython's filesystem is read-only for code while it is a USB drive (the default)."""
    return url + "?usb_drive=0" if url == "sim://circuitpython" else url


@pytest.fixture(params=CONFORMANCE_DEVICES)
def board_url(request: pytest.FixtureRequest) -> str:
    return _writable(request.param)


def test_files_round_trip_unchanged(board_url: str) -> None:
    with workbench.connect(board_url) as session:
        fs = BoardFS(session)
        fs.write("every.bin", EVERY_BYTE)
        fs.write("empty.txt", b"")
        fs.write(NAME, "print('ü')\n".encode())
        fs.write("every.bin", EVERY_BYTE[::-1])  # over an existing file
        assert fs.read("every.bin") == EVERY_BYTE[::-1]
        assert fs.read("empty.txt") == b""
        assert fs.read(NAME) == "print('ü')\n".encode()
        listed = {entry.name: entry.size for entry in fs.ls("")}
        assert listed["every.bin"] == 512 and listed["empty.txt"] == 0 and NAME in listed
        assert not any(name.endswith(".wbtmp") for name in listed)
        board_hash = fs.hash("every.bin")
        assert board_hash in ("sha256:" + hashlib.sha256(EVERY_BYTE[::-1]).hexdigest(), f"sum:512:{sum(EVERY_BYTE)}")
        with pytest.raises(BoardFileNotFound, match=r":nope\.py"):
            fs.read("nope.py")
        # The board is usable as before: its REPL state is untouched by the transfers.
        assert session.exec("print(6 * 7)").stdout.strip() == "42"


def test_folders_nest_rename_and_remove(board_url: str) -> None:
    with workbench.connect(board_url) as session:
        fs = BoardFS(session)
        fs.mkdir("wb_t")
        fs.mkdir("wb_t/lib sub")
        fs.write("wb_t/lib sub/m.py", b"x = 1\n")
        fs.write("wb_t/a.py", b"a")
        tree = {entry.path: entry.is_dir for entry in fs.tree("wb_t")}
        assert tree == {"wb_t/lib sub": True, "wb_t/lib sub/m.py": False, "wb_t/a.py": False}
        fs.rename("wb_t/a.py", "wb_t/b.py")
        assert [entry.name for entry in fs.ls("wb_t")] == ["lib sub", "b.py"]  # folders first
        with pytest.raises(BoardFileError, match="folder"):
            fs.rm("wb_t")
        fs.rm("wb_t", recursive=True)
        assert not fs.exists("wb_t")


def test_sync_twice_sends_nothing_the_second_time(board_url: str, tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "main.py").write_text("import helper\n")
    (tmp_path / "lib" / "helper.py").write_text("X = 1\n")
    with workbench.connect(board_url) as session:
        fs = BoardFS(session)
        first = fs.sync(tmp_path, "wb_sync")
        assert {a.remote for a in first.of("upload")} == {"wb_sync/main.py", "wb_sync/lib/helper.py"}
        second = fs.sync(tmp_path, "wb_sync")
        assert second.of("upload") == () and len(second.of("unchanged")) == 2
        (tmp_path / "main.py").write_text("import helper  # changed\n")
        (tmp_path / "lib" / "helper.py").unlink()
        third = fs.sync(tmp_path, "wb_sync", delete=True)
        assert [a.remote for a in third.of("upload")] == ["wb_sync/main.py"]
        assert [a.remote for a in third.of("delete")] == ["wb_sync/lib/helper.py"]
        assert fs.read("wb_sync/main.py") == b"import helper  # changed\n"
        fs.rm("wb_sync", recursive=True)


def test_several_files_go_in_one_run_verified_and_the_first_error_names_its_file(board_url: str) -> None:
    from workbench.files.codec import hash_kind, host_hash
    from workbench.trace import TraceRecorder

    trace = TraceRecorder()
    with workbench.connect(board_url, trace=trace) as session:
        fs = BoardFS(session)
        fs.mkdir("wb_b")
        # A folder that is not there: that file is named, the one before it is in place, the
        # one after it untouched, and no temporary copy is left.
        with pytest.raises(BoardFileNotFound, match=r":wb_b/nope/x\.py"):
            fs.write_many([("wb_b/a.py", b"old"), ("wb_b/nope/x.py", b"x"), ("wb_b/every.bin", b"new")])
        assert [e.name for e in fs.ls("wb_b")] == ["a.py"]
        files = [("wb_b/every.bin", EVERY_BYTE), ("wb_b/empty.txt", b""), (f"wb_b/{NAME}", "x = 'ü'\n".encode()),
                 ("wb_b/a.py", b"a = 1\n")]  # the last one over the file the failed batch left
        written: list[int] = []
        trace.clear()
        fs.write_many(files, on_written=written.append)
        assert written == [0, 1, 2, 3]
        # One run of the transfer program for the four files (its definition crossed once).
        assert sum(record.data.count(b"def _wbv") for record in trace.records() if record.dir == "tx") == 1
        hashes = fs.hashes([path for path, _ in files])
        assert hashes == [host_hash(data, hash_kind(str(got))) for (_, data), got in zip(files, hashes, strict=True)]
        assert sorted(e.name for e in fs.ls("wb_b")) == sorted(["a.py", "every.bin", "empty.txt", NAME])
        fs.rm("wb_b", recursive=True)


def test_cancel_mid_batch_keeps_the_file_under_way_and_the_ones_after_it(tmp_path: Path) -> None:
    with workbench.connect(f"sim://generic?fs={tmp_path}") as session:
        fs = BoardFS(session, block_size=1024)
        fs.write_many([("b.bin", b"old b"), ("c.bin", b"old c")])
        asked = threading.Event()

        def progress(p) -> None:
            if p.path == "b.bin" and p.done >= 4096 and not asked.is_set():
                asked.set()
                threading.Thread(target=session.interrupt).start()

        with pytest.raises(TransferCancelled, match=r":b\.bin cancelled; the file on the board is unchanged"):
            fs.write_many([("a.bin", b"new a"), ("b.bin", os.urandom(200_000)), ("c.bin", b"new c")], progress=progress)
    # The board's files, read on the host: no temporary copy left.
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a.bin": b"new a", "b.bin": b"old b", "c.bin": b"old c"}


@pytest.mark.parametrize(
    "url",
    [pytest.param("spawn://micropython", marks=requires_micropython, id="micropython"), pytest.param("sim://generic", id="sim-generic")],
)
def test_one_megabyte_both_ways(url: str) -> None:
    data = os.urandom(1 << 20)
    with workbench.connect(url) as session:
        fs = BoardFS(session)
        fs.write("big.bin", data)
        assert fs.read("big.bin") == data


@pytest.mark.parametrize(
    "url",
    [pytest.param("spawn://micropython", marks=requires_micropython, id="micropython"), pytest.param("sim://generic", id="sim-generic")],
)
def test_cancel_mid_upload_keeps_the_old_file_and_the_board_usable(url: str) -> None:
    data = os.urandom(400_000)
    with workbench.connect(url) as session:
        fs = BoardFS(session, block_size=4096)
        fs.write("keep.bin", b"old contents")
        asked = threading.Event()

        def progress(p) -> None:
            if p.done >= 100_000 and not asked.is_set():
                asked.set()
                threading.Thread(target=session.interrupt).start()

        with pytest.raises(TransferCancelled, match="unchanged"):
            fs.write("keep.bin", data, progress=progress)
        assert fs.read("keep.bin") == b"old contents"
        assert [e.name for e in fs.ls("") if e.name.startswith("keep")] == ["keep.bin"]
        assert session.exec("print('still here')").stdout.strip() == "still here"


def test_transfer_blocks_are_named_steps_in_the_trace() -> None:
    from workbench.trace import TraceRecorder

    trace = TraceRecorder()
    with workbench.connect("sim://generic", trace=trace) as session:
        BoardFS(session, block_size=1024).write("main.py", b"#" * 4096)
    notes = [record.note for record in trace.records() if record.dir == "tx"]
    assert "file data 1,024 B of main.py, 25 %" in notes
    assert "file data 1,024 B of main.py, 100 %" in notes


def _old_file_intact(folder: Path) -> None:
    """After a failed upload: the board (a clean connection to the same files) still has the
    old file, runs code, and the next upload works and leaves no temporary copy behind (a
    board restarted under the upload cannot remove its own, so the next one takes it over)."""
    with workbench.connect(f"sim://generic?fs={folder}") as session:
        fs = BoardFS(session)
        assert fs.read("keep.bin") == b"old contents"
        assert session.exec("print(1 + 1)").stdout.strip() == "2"
        fs.write("keep.bin", b"new contents")
        assert [e.name for e in fs.ls("")] == ["keep.bin"]
        assert fs.read("keep.bin") == b"new contents"


@pytest.fixture
def board_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "board"
    with workbench.connect(f"sim://generic?fs={folder}") as session:
        BoardFS(session).write("keep.bin", b"old contents")
    return folder


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_byte_lost_mid_upload_is_an_error_and_the_old_file_stays(board_folder: Path, seed: int) -> None:
    # About one byte in 5,000 lost on the way to the board: the 60 KB upload loses some.
    url = f"sim://generic?fs={board_folder}&drop=0.0002&seed={seed}"
    with workbench.connect(url) as session, pytest.raises(workbench.WorkbenchError, match="unchanged") as caught:
        BoardFS(session, block_size=2048).write("keep.bin", os.urandom(60_000))
    assert "lost" in str(caught.value) and "Traceback" not in str(caught.value)
    _old_file_intact(board_folder)


def test_a_cable_pulled_mid_upload_is_an_error_and_the_old_file_stays(board_folder: Path) -> None:
    url = f"sim://generic?fs={board_folder}&disconnect_after=30000"
    with workbench.connect(url) as session, pytest.raises(workbench.DeviceDisconnected, match="unchanged"):
        BoardFS(session, block_size=2048).write("keep.bin", os.urandom(60_000))
    _old_file_intact(board_folder)


def test_a_flat_filesystem_without_streams_or_sha256_still_transfers() -> None:
    # The micro:bit's firmware: no folders, no os.stat, no hashlib, no sys.stdin.buffer.
    with workbench.connect("sim://microbit") as session:
        fs = BoardFS(session)
        fs.write("every.bin", EVERY_BYTE[:300])
        assert fs.read("every.bin") == EVERY_BYTE[:300]
        assert fs.hash("every.bin") == f"sum:300:{sum(EVERY_BYTE[:300])}"
        assert [(e.name, e.size) for e in fs.ls("")] == [("every.bin", 300)]
        with pytest.raises(NoFolders, match="no folders"):
            fs.mkdir("lib")
        fs.write_many([("a.py", b"a"), ("b.py", b"\x03\x04")])  # one by one, as write does here
        assert fs.hashes(["a.py", "b.py"]) == ["sum:1:97", "sum:2:7"]


def test_circuitpython_mounted_as_a_usb_drive_is_read_only_and_says_so() -> None:
    with workbench.connect("sim://circuitpython") as session:
        fs = BoardFS(session)
        with pytest.raises(BoardReadOnly, match="USB drive"):
            fs.write("wb_new.py", b"print(1)\n")
        with pytest.raises(BoardReadOnly, match=r":wb_new\.py: .*USB drive"):
            fs.write_many([("wb_new.py", b"print(1)\n"), ("wb_two.py", b"")])
        assert not [e.name for e in fs.ls("") if e.name.startswith("wb_new")]  # nor a temporary copy
