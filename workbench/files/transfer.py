"""The host's side of a streamed transfer (the board's side is in :mod:`.programs`).

Upload: the host sends escaped blocks, each behind its length; the board writes each to a
temporary file and answers ``.`` (ACK). At most :data:`IN_FLIGHT` blocks are unanswered, so the
link stays busy while the board writes, yet the board never holds more than that much unread
(its receive buffer is small). At the end the board reports the hash of what it wrote, the
host compares and answers ``Y`` (rename over the old file) or ``N`` (drop it).

Upload of several files (:func:`upload_many`): one run of a program that takes the files one
after the other, each behind its path (:data:`PATH_HEADER_SIZE` digits of length, then the
path) and, once the board answers ``+`` (its temporary copy is open), exactly as a single
upload; a path length of zeros ends the run. The program, entering it and its start cost
once for all the files: for a project of small files most of the time a file took.

Download: the board sends escaped blocks, each behind its length, and the hash of what it
read; the host has nothing to answer (a download is stopped with CTRL-C).

Block sizes (:func:`block_size`): large on the unix port (a pty holds 64 KB), small on a
board, whose UART or USB receive buffer may hold only a few hundred bytes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from workbench.engine.conversation import Conversation
from workbench.errors import TransferCancelled, TransferError
from workbench.files.codec import (
    DOWN_ESCAPED,
    END_HEADER,
    HEADER_SIZE,
    UP_ESCAPED,
    escape,
    hash_kind,
    header,
    host_hash,
    unescape,
)
from workbench.files.model import TransferProgress

ProgressCallback = Callable[[TransferProgress], None]

#: Blocks sent ahead of the board's answers.
IN_FLIGHT = 2
#: Platforms of MicroPython's unix-like ports, which read a pty or pipe with a large buffer.
HOST_PLATFORMS = frozenset({"linux", "darwin", "freebsd", "win32", "windows", "cygwin"})
HOST_BLOCK = 32768
#: A board without raw-paste: the window most boards announce (half a 256-byte buffer).
BOARD_BLOCK = 128
#: A download's blocks need not fit the board's input buffer (the host's is large): bigger
#: blocks spend fewer bytes on headers, yet stay small for a board's RAM.
BOARD_DOWNLOAD_BLOCK = 1024
#: What the board answers for each block it wrote. Not a letter: at the start of a line the
#: protocol core holds back bytes that may begin a reboot banner ("Adafruit CircuitPython").
ACK = ord(".")


def block_size(platform: str, override: int | None = None, window: int = 0) -> int:
    """Payload bytes per block for a board that reports ``platform``: ``override`` (the
    profile's ``file_block_size``) if given; else large for the unix port; else the board's
    raw-paste ``window``, half its input buffer, so the two blocks in flight fit in it."""
    if override:
        return max(16, min(override, 500_000))
    if platform in HOST_PLATFORMS:
        return HOST_BLOCK
    return window or BOARD_BLOCK


class _Stream:
    """The program's stdout as a byte stream: lines and exact counts, each with a deadline."""

    def __init__(self, conversation: Conversation, wait_s: float) -> None:
        self.conversation = conversation
        self.wait_s = wait_s
        self.buf = bytearray()

    def fill(self, step: str, expected: str, wait_s: float | None = None) -> None:
        data = self.conversation.receive(self.wait_s if wait_s is None else wait_s, step, expected)
        self.buf += data

    def line(self, step: str, expected: str) -> str:
        while b"\n" not in self.buf:
            if self.conversation.cancel_requested:
                raise _cancelled(self.conversation)
            self.fill(step, expected)
        end = self.buf.index(b"\n")
        text = bytes(self.buf[:end]).decode("utf-8", "replace").strip("\r")
        del self.buf[: end + 1]
        return text

    def exact(self, size: int, step: str, expected: str) -> bytes:
        while len(self.buf) < size:
            if self.conversation.cancel_requested:
                raise _cancelled(self.conversation)
            self.fill(step, expected)
        data = bytes(self.buf[:size])
        del self.buf[:size]
        return data


def _cancelled(conversation: Conversation) -> TransferCancelled:
    conversation.clear_cancel()
    return TransferCancelled("transfer cancelled")


def _platform(stream: _Stream, name: str) -> str:
    line = stream.line(f"starting the transfer of {name}", "the board's 'WBGO' (its transfer program started)")
    if not line.startswith("WBGO"):
        raise TransferError(f"the board's transfer program said {line[:80]!r} instead of starting")
    return line[4:].strip()


def upload(
    conversation: Conversation,
    data: bytes,
    name: str,
    *,
    progress: ProgressCallback | None,
    wait_s: float,
    link_bps: float,
    block: int | None = None,
    window: int = 0,
) -> str | None:
    """Send ``data`` to the board's UPLOAD program (see the module docstring). Returns None
    when the board put the file in place, else what went wrong: the board then drops its
    copy and ends by itself (raising here would interrupt that clean-up with CTRL-C)."""
    stream = _Stream(conversation, wait_s)
    platform = _platform(stream, name)
    size = block_size(platform, block, window)
    return _send_file(conversation, stream, data, name, size, progress, wait_s, link_bps)


#: Before each file of a batch: the length of its path (UTF-8 bytes) in this many digits;
#: all zeros end the batch.
PATH_HEADER_SIZE = 4
END_OF_BATCH = b"0" * PATH_HEADER_SIZE
#: The batch program's answer once it opened a file's temporary copy: the host sends no
#: block before it, so a file that cannot be opened (read-only, no such folder) ends the
#: program with nothing of the file on its way. Not a letter (see :data:`ACK`).
READY = ord("+")


class BatchPosition:
    """Which file of a batch is under way (``index``; ``len(items)`` once all are done): the
    caller names that file when the program ends early. ``started``: the program said it runs
    (an error before that is the firmware's, not a file's)."""

    def __init__(self) -> None:
        self.index = 0
        self.started = False


def upload_many(
    conversation: Conversation,
    items: list[tuple[str, bytes]],
    *,
    position: BatchPosition,
    progress: ProgressCallback | None,
    on_written: Callable[[int], None] | None,
    wait_s: float,
    link_bps: float,
    block: int | None = None,
    window: int = 0,
) -> str | None:
    """Send several files (board path, bytes) to the board's UPLOAD_MANY program, one after
    the other in one run: each behind its path, then as :func:`upload` sends one. Returns None
    when every file is in place (``on_written(index)`` after each), else what went wrong with
    the file at ``position.index``: the batch then ends there (the files before it are in
    place, the ones after it untouched), as a loop of single uploads stops at its first error."""
    stream = _Stream(conversation, wait_s)
    platform = _platform(stream, f"{len(items)} files")
    position.started = True
    size = block_size(platform, block, window)
    for index, (path, data) in enumerate(items):
        position.index = index
        name = path.rstrip("/").rsplit("/", 1)[-1]
        encoded = path.encode("utf-8")
        conversation.send(b"%0*d" % (PATH_HEADER_SIZE, len(encoded)) + encoded, f"next file: {path} ({len(data):,} B)")
        conversation.label = f"the board opening {name}"
        ready = stream.exact(1, f"opening {name}", "the board's '+' (the file's temporary copy is open)")
        if ready[0] != READY:
            raise TransferError(f"the board said {ready!r} instead of '+' before receiving {name}")
        problem = _send_file(conversation, stream, data, name, size, progress, wait_s, link_bps)
        if problem is not None:
            conversation.send(END_OF_BATCH, "end of the files: the batch stops at the damaged one")
            return problem
        if on_written is not None:
            on_written(index)
    position.index = len(items)
    conversation.send(END_OF_BATCH, f"end of the files ({len(items)})")
    return None


def _send_file(
    conversation: Conversation,
    stream: _Stream,
    data: bytes,
    name: str,
    size: int,
    progress: ProgressCallback | None,
    wait_s: float,
    link_bps: float,
) -> str | None:
    """One file's blocks, its end, the board's hash and the host's Y or N (see :func:`upload`)."""
    started = time.monotonic()
    total = len(data)
    unanswered: deque[int] = deque()
    sent = done = 0
    while sent < total or unanswered:
        if conversation.cancel_requested:
            raise _cancelled(conversation)
        while sent < total and len(unanswered) < IN_FLIGHT:
            piece = data[sent : sent + size]
            coded = escape(piece, UP_ESCAPED)
            sent += len(piece)
            percent = 100 * sent // total
            conversation.send(header(len(coded)) + coded, f"file data {len(piece):,} B of {name}, {percent} %")
            unanswered.append(len(piece))
        # The answer to a block may wait for the bytes still on their way before it.
        allowance = wait_s + IN_FLIGHT * (size * 1.05 + HEADER_SIZE) / link_bps
        conversation.label = f"acknowledgement of {name} blocks"
        stream.fill(
            f"sending {name}",
            f"the board's acknowledgement '.' of a block of {unanswered[0]:,} bytes",
            allowance,
        )
        while stream.buf and unanswered:
            answer = stream.buf.pop(0)
            if answer != ACK:
                raise TransferError(
                    f"the board answered {bytes([answer])!r} instead of '.' while receiving {name}: "
                    "bytes were lost or altered on the way"
                )
            done += unanswered.popleft()
            if progress is not None:
                progress(TransferProgress(name, "upload", done, total, time.monotonic() - started))
    conversation.send(END_HEADER, f"end of {name} ({total:,} B)")
    conversation.label = f"hash of {name} as written on the board"
    board = stream.line(f"checking {name}", "the board's hash of what it wrote ('WBH ...')")
    if not board.startswith("WBH "):
        raise TransferError(f"the board said {board[:80]!r} instead of the hash of {name}")
    board_hash = board[4:].strip()
    mine = host_hash(data, hash_kind(board_hash))
    if board_hash != mine:
        conversation.send(b"N", f"hash mismatch: {name} not replaced")
        lost = _size_of(board_hash)
        how = f"the board wrote {lost:,} of {total:,} bytes" if lost is not None and lost != total else "the bytes differ"
        return (
            f"{name} arrived damaged ({how}; its hash does not match): bytes were lost or altered on the "
            "way; the file on the board is unchanged. Try again, or slow the link down"
        )
    conversation.send(b"Y", f"hash matches: rename over {name}")
    conversation.label = f"{name} in place"
    answer = stream.line(f"renaming {name} into place", "'WBOK'")
    if answer != "WBOK":
        raise TransferError(f"the board said {answer[:80]!r} instead of 'WBOK' after renaming {name}")
    return None


def _size_of(board_hash: str) -> int | None:
    parts = board_hash.split(":")
    return int(parts[1]) if parts[0] == "sum" and len(parts) == 3 else None


def download(
    conversation: Conversation,
    name: str,
    total: int,
    *,
    progress: ProgressCallback | None,
    wait_s: float,
    link_bps: float,
    block: int,
) -> tuple[bytes, str | None]:
    """Receive a file from the board's DOWNLOAD program: the bytes and None, or what went wrong
    (its hash does not match the board's)."""
    started = time.monotonic()
    stream = _Stream(conversation, wait_s + 2 * (block * 1.05 + HEADER_SIZE) / link_bps)
    conversation.label = f"start of {name}"
    said = _platform(stream, name).split()
    if total <= 0 and len(said) > 1 and said[-1].lstrip("-").isdigit():
        total = int(said[-1])  # the board's size of the file (-1: it cannot tell)
    received = bytearray()
    while True:
        percent = 100 * len(received) // total if total > 0 else 100
        conversation.label = f"file data of {name}, {percent} %"
        head = stream.exact(HEADER_SIZE, f"receiving {name}", "the length of the next block (6 digits)")
        if not head.isdigit():
            raise TransferError(f"the board sent {head!r} where the length of a block of {name} belongs")
        if head == END_HEADER:
            break
        coded = stream.exact(int(head), f"receiving {name}", f"a block of {int(head):,} bytes")
        received += unescape(coded, DOWN_ESCAPED)
        if progress is not None:
            progress(TransferProgress(name, "download", len(received), max(total, len(received)), time.monotonic() - started))
    conversation.label = f"hash of {name} as read on the board"
    board = stream.line(f"checking {name}", "the board's hash of what it read ('WBH ...')")
    data = bytes(received)
    board_hash = board[4:].strip() if board.startswith("WBH ") else ""
    if not board_hash or host_hash(data, hash_kind(board_hash)) != board_hash:
        return data, (
            f"{name} arrived damaged: its hash does not match the board's, so bytes were lost or altered "
            "on the way; nothing was saved. Try again, or slow the link down"
        )
    return data, None
