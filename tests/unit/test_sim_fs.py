"""Every simulated board has files: a folder of its own, seen by the code as the board's "/".

What the code sees is compared with the real interpreter where it can show it: the unix port
mounts a littlefs or FAT volume on a RAM block device (``os.VfsLfs2``/``os.VfsFat``), which is
what a board's flash holds, and runs the same program there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import workbench
from tests.conftest import micropython_path, requires_micropython
from workbench.sim.folders import sweep_abandoned
from workbench.transports import open_port

#: Makes, lists, stats, renames and removes, and prints what each gives (the times of ``stat``
#: left out: the clocks differ).
FS_PROGRAM = """import os
def t(label, f):
    try:
        print(label, f())
    except Exception as e:
        print(label, repr(e), e, e.args)
f = open('a.txt', 'w'); f.write('hello'); f.close()
f = open('b.bin', 'wb'); f.write(bytes(range(256))); f.close()
os.mkdir('lib')
f = open('lib/m.py', 'w'); f.write('x = 1\\n'); f.close()
os.mkdir('empty')
t('ilistdir', lambda: sorted(os.ilistdir()))
t('stat file', lambda: os.stat('b.bin')[:7])
t('stat dir', lambda: os.stat('lib')[0])
t('chdir file', lambda: os.chdir('a.txt'))
for name, op in (('stat', os.stat), ('open', open), ('listdir', os.listdir), ('rmdir', os.rmdir),
                 ('remove', os.remove)):
    for path in ('nope', 'a.txt/x', 'lib', 'empty', 'a.txt'):
        t(name + ' ' + path, lambda: op(path) and None)
t('open dir w', lambda: open('lib', 'w'))
t('mkdir exists', lambda: os.mkdir('lib'))
t('mkdir in missing', lambda: os.mkdir('x/y'))
f = open('c.txt', 'w'); f.write('new'); f.close()
t('rename over file', lambda: os.rename('c.txt', 'b.bin'))
t('after rename', lambda: (open('b.bin').read(), sorted(os.listdir())))
t('rename missing', lambda: os.rename('nope', 'x'))
t('rename file over dir', lambda: os.rename('b.bin', 'lib'))
f = open('t.txt', 'w'); f.write('a\\r\\nb\\n'); f.close()
f = open('t.txt'); t('text', lambda: (f.readline(), f.read())); f.close()
"""

#: A RAM block device with a fresh volume, mounted and made the current folder (unix port).
RAM_VOLUME = """import os
class Ram:
    def __init__(self, blocks):
        self.data = bytearray(512 * blocks)
    def readblocks(self, n, buf, off=0):
        buf[:] = self.data[n * 512 + off:n * 512 + off + len(buf)]
    def writeblocks(self, n, buf, off=0):
        self.data[n * 512 + off:n * 512 + off + len(buf)] = buf
    def ioctl(self, op, arg):
        return {4: len(self.data) // 512, 5: 512, 6: 0}.get(op)
ram = Ram(512)
os.%(vfs)s.mkfs(ram)
os.mount(os.%(vfs)s(ram), '/ram')
os.chdir('/ram')
"""


def run(url: str, *codes: str) -> list[workbench.ExecResult]:
    with workbench.connect(url) as session:
        return [session.exec(code) for code in codes]


def test_files_last_across_execs_and_resets_and_go_with_the_board() -> None:
    with workbench.connect("sim://generic") as session:
        folder = Path(session.port.device.folder)
        session.exec("f = open('/notes.txt', 'w'); f.write('kept'); f.close()")
        assert session.exec("print(open('notes.txt').read())").stdout == "kept\r\n"
        session.soft_reset()
        assert session.exec("import os; print(os.listdir(), os.getcwd())").stdout == "['notes.txt'] /\r\n"
        assert (folder / "notes.txt").read_text() == "kept"
    assert not folder.exists()


def test_fs_option_keeps_the_files_in_a_folder_of_ones_choosing(tmp_path: Path) -> None:
    board = tmp_path / "board"
    run(f"sim://generic?fs={board}", "import os\nos.mkdir('lib')\nf = open('lib/x.py', 'w'); f.write('V = 7\\n'); f.close()")
    assert (board / "lib" / "x.py").read_text() == "V = 7\n"
    [result] = run(f"sim://generic?fs={board}", "import x\nprint(x.V, x.__file__)")
    assert result.stdout == "7 /lib/x.py\r\n"


def test_no_path_leads_out_of_the_folder(tmp_path: Path) -> None:
    board = tmp_path / "board"
    [result] = run(
        f"sim://generic?fs={board}",
        "import os\nf = open('/../../escaped', 'w'); f.write('x'); f.close()\n"
        "os.chdir('/../..'); os.mkdir('../up')\nprint(os.getcwd(), sorted(os.listdir('/..')))",
    )
    assert result.stdout == "/ ['escaped', 'up']\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board"]


@requires_micropython
@pytest.mark.parametrize(("vfs", "url"), [("VfsLfs2", "sim://generic"), ("VfsFat", "sim://legacy?boot_ms=0")])
def test_files_answer_as_the_real_interpreter_does(vfs: str, url: str, tmp_path: Path) -> None:
    program = tmp_path / "fs.py"
    program.write_text(RAM_VOLUME % {"vfs": vfs} + FS_PROGRAM)
    real = subprocess.run([micropython_path() or "micropython", str(program)], capture_output=True, timeout=30, check=False)
    assert real.returncode == 0, real.stderr
    [sim] = run(url, FS_PROGRAM)
    assert sim.stdout.replace("\r\n", "\n") == real.stdout.decode()


def test_microbit_has_one_flat_folder() -> None:
    listing, nested, missing, no_hashlib, no_buffer = run(
        "sim://microbit?boot_ms=0",
        "import os\nf = open('a.txt', 'w'); f.write('hi'); f.close()\n"
        "print(sorted(n for n in dir(os) if not n.startswith('_')), os.listdir(), os.size('a.txt'))",
        "open('lib/x.py', 'w')",
        "import os\nos.remove('nope')",
        "import hashlib",
        "import sys\nsys.stdin.buffer",
    )
    assert listing.stdout == "['listdir', 'remove', 'size', 'uname'] ['a.txt'] 2\r\n"
    assert nested.stderr.endswith("OSError: file not found\r\n")
    assert missing.stderr.endswith("OSError: file not found\r\n")
    assert no_hashlib.stderr.endswith("ImportError: no module named 'hashlib'\r\n")
    assert no_buffer.stderr.endswith("AttributeError: 'FileIO' object has no attribute 'buffer'\r\n")


def test_circuitpython_drive_is_read_only_while_the_host_has_it() -> None:
    write = "f = open('code.py', 'w'); f.write('print(1)'); f.close()\nprint(open('code.py').read())"
    [refused] = run("sim://circuitpython?boot_ms=0", write)
    assert refused.stderr.endswith("OSError: [Errno 30] Read-only filesystem\r\n")
    [written] = run("sim://circuitpython?boot_ms=0&usb_drive=0", write)
    assert written.stdout == "print(1)\r\n" and written.exception is None


class RawRun:
    """A program in the raw REPL, fed on stdin byte for byte, past the engine."""

    def __init__(self, url: str, program: bytes) -> None:
        self.port = open_port(url, baudrate=115200)
        self.port.timeout = 0.05
        self.received = b""
        self.expect(b">>> ")
        self.port.write(b"\x01")
        self.expect(b"raw REPL; CTRL-B to exit\r\n>")
        self.port.write(program + b"\x04")
        self.expect(b"OK")

    def expect(self, marker: bytes = b"\x04>") -> bytes:
        """What the board sent up to and including ``marker`` (the rest stays for the next call)."""
        deadline = time.monotonic() + 5
        while marker not in self.received and time.monotonic() < deadline:
            self.received += self.port.read(max(1, self.port.in_waiting))
        assert marker in self.received, f"the board did not send {marker!r}; got {self.received[-120:]!r}"
        end = self.received.index(marker) + len(marker)
        answer, self.received = self.received[:end], self.received[end:]
        return answer

    def close(self) -> None:
        self.port.close()


def test_kbd_intr_minus_one_makes_ctrl_c_data_until_the_run_ends() -> None:
    run_ = RawRun("sim://generic", b"import sys, micropython\nmicropython.kbd_intr(-1)\nprint('go')\n"
                                   b"print(sys.stdin.buffer.read(3))")
    try:
        run_.expect(b"go\r\n")
        run_.port.write(b"\x03\x04\x03")
        assert run_.expect().endswith(b"b'\\x03\\x04\\x03'\r\n\x04\x04>")
        run_.port.write(b"import sys\nprint('go')\nsys.stdin.buffer.read(1)\x04")  # the next run: CTRL-C again
        run_.expect(b"go\r\n")
        run_.port.write(b"\x03")
        assert b"KeyboardInterrupt" in run_.expect()
    finally:
        run_.close()


def test_dropped_bytes_are_lost_on_their_way_to_a_running_program() -> None:
    run_ = RawRun("sim://generic?drop=0.01&seed=3",
                  b"import sys\nprint('go')\nd = sys.stdin.buffer.read(4000)\nprint('sum', sum(d))")
    try:
        run_.expect(b"go\r\n")
        run_.port.write(b"\x01" * 4000)
        deadline = time.monotonic() + 5
        while b"\x04>" not in run_.received and time.monotonic() < deadline:  # zeros stand in for what was lost
            run_.port.write(b"\x00" * 50)
            run_.received += run_.port.read(max(1, run_.port.in_waiting))
        answer = run_.expect()
        assert 3800 < int(answer.split(b"sum ")[1].split(b"\r")[0]) < 4000
    finally:
        run_.close()


@requires_micropython
def test_board_modules_import_and_fail_as_on_the_real_interpreter(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("V = 5\ndef f():\n    raise OSError(2)\n")
    (tmp_path / "bad.py").write_text("x = 1\ny = = 2\n")
    programs = ["import helper\nprint(helper.V, helper.__file__)\nhelper.f()", "import bad"]
    real = [subprocess.run([micropython_path() or "micropython", "-c", code], cwd=tmp_path, capture_output=True,
                           timeout=30, check=False) for code in programs]
    sim = run(f"sim://generic?fs={tmp_path}", *programs)
    for real_run, sim_run in zip(real, sim, strict=True):  # the unix port prints its traceback on stdout
        assert (sim_run.stdout + sim_run.stderr).replace("\r\n", "\n") == (real_run.stdout + real_run.stderr).decode()


def test_microbit_reads_stdin_as_text() -> None:
    run_ = RawRun("sim://microbit?boot_ms=0", b"import sys\nprint('go')\nsys.stdout.write(repr(sys.stdin.read(3)))")
    try:
        run_.expect(b"go\r\n")
        run_.port.write(b"a\xc3\xa9b")
        assert run_.expect().startswith(b"'a\\xe9b'\x04")  # 3 characters; repr escapes beyond ASCII
    finally:
        run_.close()



def test_folders_of_killed_processes_are_swept(tmp_path: Path) -> None:
    """A board's temporary folder outlives a process killed outright; the next board removes it."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    (tmp_path / f"workbench-sim-{ended.pid}-abc").mkdir()
    (tmp_path / f"workbench-sim-{os.getpid()}-def").mkdir()
    sweep_abandoned("workbench-sim-", str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == [f"workbench-sim-{os.getpid()}-def"]
