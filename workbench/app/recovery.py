"""Keep the editor's unsaved text safe across crashes and quits.

The editor writes its buffer here (debounced) while it differs from the file on disk, so a
crash, a killed terminal or a power cut costs at most about a second of typing. The next
start offers the text back. The store never deletes what it cannot read: a damaged file is
renamed aside so a person can still dig the text out of it.

The editor has several documents open at once, each with its own copy. The *main* copy
(``recovery.json``, :meth:`RecoveryStore.load`) is the first document's, the one the editor
starts with, as it always was; every other document's copy is kept under a key made from its
origin (:func:`host_key`, :func:`board_key` with the device URL and the board path,
:func:`untitled_key`) in ``recovery-<digest>.json``, so two documents never overwrite each
other's copy and a board's ``main.py`` is never taken for the host's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path

from workbench.config import STATE_DIR_ENV, state_dir
from workbench.protocol.records import Record, record
from workbench.storage import atomic_write_bytes

ENV_STATE_DIR = STATE_DIR_ENV
"""Environment variable that moves the state directory (tests, portable installs)."""

RECOVERY_FILE = "recovery.json"
COPY_PREFIX = "recovery-"
"""Keyed copies are ``recovery-<digest of the key>.json`` beside the main one."""


def host_key(path: str | os.PathLike[str]) -> str:
    """The recovery key of a host file: its absolute path."""
    return "host:" + str(Path(path).absolute())


def board_key(url: str, board_path: str) -> str:
    """The recovery key of a file on a board: the device URL and the path on the board."""
    return "board:" + json.dumps([url, board_path], ensure_ascii=False)


def untitled_key(token: str) -> str:
    """The recovery key of an untitled document (``token`` tells two of them apart)."""
    return "untitled:" + token


@record
class RecoveredDocument(Record):
    """A keyed recovery copy: its key, text, and origin (a host path, a board file, or none)."""

    key: str
    text: str
    path: str | None = None
    board_url: str | None = None
    board_path: str | None = None
    saved_at: float = 0.0


def default_recovery_dir() -> Path:
    """Where recovery files live: ``recovery`` in the state folder (:func:`workbench.config.state_dir`)."""
    return state_dir() / "recovery"


class RecoveryStore:
    """The main recovery document (``{"text", "path", "saved_at"}``) and the keyed ones of
    the editor's other documents, in ``directory``.

    Writes are atomic (:func:`workbench.storage.atomic_write_bytes`) so a crash in
    the middle of a save leaves the previous recovery text intact rather than half a file.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_recovery_dir()

    @property
    def path(self) -> Path:
        """The recovery document's file."""
        return self.directory / RECOVERY_FILE

    def copy_path(self, key: str | None) -> Path:
        """The file of the copy under ``key`` (None: the main copy, :attr:`path`)."""
        if key is None:
            return self.path
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        return self.directory / f"{COPY_PREFIX}{digest}.json"

    def save(
        self,
        text: str,
        path: str | None,
        *,
        key: str | None = None,
        board_url: str | None = None,
        board_path: str | None = None,
    ) -> None:
        """Store ``text`` (and the file it belongs to, if any) atomically.

        Without ``key`` this is the main copy; with one, the copy of that document (a board
        file's also records ``board_url`` and ``board_path`` so it can be reopened).
        Raises ``OSError`` when the directory is not writable; the caller decides how to tell
        the user (the editor notifies once rather than on every keystroke).
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        document: dict[str, object] = {"text": text, "path": path, "saved_at": time.time()}
        if key is not None:
            document["key"] = key
            if board_url is not None and board_path is not None:
                document["board"] = {"url": board_url, "path": board_path}
        data = json.dumps(document, ensure_ascii=False).encode("utf-8")
        atomic_write_bytes(self.copy_path(key), data)

    def load(self) -> tuple[str, str | None] | None:
        """The main copy's ``(text, path)``, or None when there is nothing (readable) to recover.

        An unreadable or malformed document is renamed to ``recovery.json.corrupt-<time>``
        (never deleted: it may still hold the only copy of someone's work) and None returned.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            self._set_aside()
            return None
        try:
            document = json.loads(raw.decode("utf-8"))
            text = document["text"]
            path = document.get("path")
            if not isinstance(text, str) or not (path is None or isinstance(path, str)):
                raise ValueError("wrong field types")
        except (ValueError, KeyError, TypeError, AttributeError):
            self._set_aside()
            return None
        return text, path

    def clear(self, key: str | None = None) -> None:
        """Forget the recovery text (it was saved to disk, or the user declined it); with
        ``key``, that document's copy instead of the main one."""
        with contextlib.suppress(FileNotFoundError):
            self.copy_path(key).unlink()

    def load_documents(self) -> list[RecoveredDocument]:
        """Every keyed copy (not the main one), oldest first; damaged ones are set aside."""
        found: list[RecoveredDocument] = []
        for file in sorted(self.directory.glob(f"{COPY_PREFIX}*.json")):
            try:
                document = json.loads(file.read_bytes().decode("utf-8"))
                board = document.get("board")
                copy = RecoveredDocument(
                    key=document["key"],
                    text=document["text"],
                    path=document.get("path"),
                    board_url=board["url"] if board else None,
                    board_path=board["path"] if board else None,
                    saved_at=float(document.get("saved_at", 0.0)),
                )
                if not all(isinstance(value, str) for value in (copy.key, copy.text)) or not all(
                    value is None or isinstance(value, str)
                    for value in (copy.path, copy.board_url, copy.board_path)
                ):
                    raise ValueError("wrong field types")
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self._set_aside(file)  # kept for a person to read, never deleted
                continue
            found.append(copy)
        return sorted(found, key=lambda copy: copy.saved_at)

    def _set_aside(self, file: Path | None = None) -> Path | None:
        """Rename a damaged recovery file (the main one by default) out of the way; returns
        its new name (None if stuck)."""
        file = self.path if file is None else file
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = file.with_name(f"{file.name}.corrupt-{stamp}")
        counter = 1
        while target.exists():
            target = file.with_name(f"{file.name}.corrupt-{stamp}-{counter}")
            counter += 1
        try:
            os.replace(file, target)
        except OSError:
            return None
        return target
