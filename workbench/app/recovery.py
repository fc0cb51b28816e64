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

Every running app has a folder of its own, a *slot* (:meth:`RecoveryStore.claim`): with
``workbench serve`` each browser tab is an app process of the same user, and two apps
sharing one folder would offer each other's text back and overwrite each other's
``recovery.json``. The first app's slot is the ``recovery`` folder itself (so one app works
exactly as it always did), the others' are ``recovery/2``, ``recovery/3``, ... A slot belongs
to the app holding an exclusive ``flock`` on its ``.lock`` file; the system lets go of it when
the process ends, however it ends. An app that starts adopts the copies of every slot nobody
holds (a tab that was closed, a crash), so they come back in it as documents of their own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; every app shares the one folder, as before slots
    fcntl = None  # type: ignore[assignment]

from workbench.config import STATE_DIR_ENV, state_dir
from workbench.protocol.records import Record, record
from workbench.storage import atomic_write_bytes

ENV_STATE_DIR = STATE_DIR_ENV
"""Environment variable that moves the state directory (tests, portable installs)."""

RECOVERY_FILE = "recovery.json"
COPY_PREFIX = "recovery-"
"""Keyed copies are ``recovery-<digest of the key>.json`` beside the main one."""
LOCK_FILE = ".lock"
"""Held (``flock``) by the running app whose slot the folder is."""
MAX_SLOTS = 256
"""How many slots :meth:`RecoveryStore.claim` tries before it shares the first one unlocked
(the behaviour before slots): a bound on the search, far beyond the apps one person runs."""


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
        self._lock_fd: int | None = None
        """The open ``.lock`` of the slot this store claimed (None: not a claimed slot)."""

    @classmethod
    def claim(cls, base: Path | None = None) -> RecoveryStore:
        """A store on a slot of its own under ``base`` (default :func:`default_recovery_dir`),
        holding it for the life of the process, with the copies of ended apps' slots adopted.

        The first free slot wins: ``base`` itself, else ``base/2``, ``base/3``, ... Nothing
        here raises: where slots cannot be locked (Windows, a folder we cannot write, every
        slot up to :data:`MAX_SLOTS` taken) the store is ``base`` unlocked, as before slots.
        """
        base = Path(base) if base is not None else default_recovery_dir()
        if fcntl is None:
            return cls(base)
        for number in range(1, MAX_SLOTS + 1):
            directory = _slot_dir(base, number)
            try:
                directory.mkdir(parents=True, exist_ok=True)
                fd = _try_lock(directory)
            except FileNotFoundError:
                continue  # another app just adopted and removed this slot: take the next
            except OSError:
                return cls(base)  # cannot lock at all here: share the folder as before
            if fd is None:
                continue  # a running app's slot
            store = cls(directory)
            store._lock_fd = fd
            store._adopt_free_slots(base)
            return store
        return cls(base)

    @property
    def claimed(self) -> bool:
        """Whether this store holds its slot (another app will neither read nor adopt it)."""
        return self._lock_fd is not None

    def release(self) -> None:
        """Let go of the slot: its copies stay, for the next app that starts to adopt.

        Only needed before the process ends (tests, an app built twice); the system releases
        the lock of a process that ends anyway.
        """
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)

    def _adopt_free_slots(self, base: Path) -> None:
        """Move the copies of every slot no running app holds into ours (oldest slot first)."""
        try:
            numbered = sorted(
                {
                    int(entry.name)
                    for entry in base.iterdir()
                    if entry.name.isascii()
                    and entry.name.isdigit()
                    and int(entry.name) >= 2
                    and entry.is_dir()
                }
            )
        except OSError:
            return
        for number in [1, *numbered]:
            directory = _slot_dir(base, number)
            if directory == self.directory:
                continue
            try:
                fd = _try_lock(directory)
            except OSError:
                continue  # gone meanwhile, or not ours to open: left as it is
            if fd is None:
                continue  # a running app's slot: never read or touched
            try:
                self._adopt(directory, remove=number != 1)
            except OSError:
                pass  # what could not be moved stays where it is, for the next app
            finally:
                os.close(fd)

    def _adopt(self, directory: Path, *, remove: bool) -> None:
        """Move the files of the free slot ``directory`` (whose lock we hold) into ours, then
        remove the slot's folder when ``remove`` (never the base slot: it holds the others).

        Its main copy becomes a keyed copy here (its host file's key, else a new untitled
        one) so it opens as a tab of its own instead of replacing our main copy.
        """
        for file in sorted(directory.iterdir()):
            if file.name == LOCK_FILE or not file.is_file():
                continue
            if file.name == RECOVERY_FILE:
                self._adopt_main_copy(file)
            elif file.name.startswith(COPY_PREFIX) and file.name.endswith(".json"):
                self._adopt_keyed_copy(file, self.directory / file.name)
            else:  # a copy set aside, a temporary file of an interrupted save: kept as is
                _move_keeping_both(file, self.directory / file.name)
        if remove:
            (directory / LOCK_FILE).unlink()  # while we hold it: a late claimer sees it is stale
            with contextlib.suppress(OSError):
                directory.rmdir()  # not empty: a file appeared meanwhile, left for later

    def _adopt_main_copy(self, file: Path) -> None:
        """Another slot's ``recovery.json`` becomes a keyed copy of ours."""
        document = _read_document(file)
        if document is None or not isinstance(document.get("text"), str):
            _move_keeping_both(file, self.directory / f"{RECOVERY_FILE}.adopted")
            return
        path = document.get("path")
        key = host_key(path) if isinstance(path, str) and path else untitled_key(uuid.uuid4().hex)
        document["key"] = key
        target = self.copy_path(key)
        if target.exists():
            self._settle_clash(document, target)
        else:
            _write_document(target, document)
        file.unlink()

    def _adopt_keyed_copy(self, file: Path, target: Path) -> None:
        """Another slot's keyed copy moves here under its own name (both kept on a clash)."""
        if not target.exists():
            os.replace(file, target)
            return
        document = _read_document(file)
        if document is None:
            _move_keeping_both(file, target)
            return
        self._settle_clash(document, target)
        file.unlink()

    def _settle_clash(self, incoming: dict[str, object], target: Path) -> None:
        """Two copies of one document (two apps had it unsaved): the newer (``saved_at``) keeps
        the document's copy, the other is kept as untitled text so it comes back as a tab too."""
        present = _read_document(target)
        if present is None:  # damaged: ours stays for a person to read, under another name
            _move_keeping_both(target, target.with_name(target.name + ".adopted"))
            _write_document(target, incoming)
            return
        if _saved_at(incoming) > _saved_at(present):
            self._keep_as_untitled(present)
            _write_document(target, incoming)
        else:
            self._keep_as_untitled(incoming)

    def _keep_as_untitled(self, document: dict[str, object]) -> None:
        key = untitled_key(uuid.uuid4().hex)
        kept = {
            "text": document.get("text"),
            "path": None,
            "saved_at": document.get("saved_at", 0.0),
            "key": key,
        }
        _write_document(self.copy_path(key), kept)

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


def _slot_dir(base: Path, number: int) -> Path:
    """Slot 1 is ``base`` itself (where the only app always kept its copies); others below it."""
    return base if number == 1 else base / str(number)


def _try_lock(directory: Path) -> int | None:
    """The open, exclusively locked ``.lock`` of ``directory``, or None when a running app holds
    it (or it was just removed by an app adopting the slot). Raises ``OSError`` when it cannot
    be opened."""
    assert fcntl is not None
    lock = directory / LOCK_FILE
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # An adopting app unlinks the lock of a slot it empties: ours must still be the file
        # the folder has, or we locked a file nobody will look at again.
        if os.stat(lock).st_ino != os.fstat(fd).st_ino:
            os.close(fd)
            return None
    except BlockingIOError:
        os.close(fd)
        return None
    except FileNotFoundError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_document(file: Path) -> dict[str, object] | None:
    """A recovery file's JSON object, None when it cannot be read as one."""
    try:
        document = json.loads(file.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _write_document(file: Path, document: dict[str, object]) -> None:
    atomic_write_bytes(file, json.dumps(document, ensure_ascii=False).encode("utf-8"))


def _saved_at(document: dict[str, object]) -> float:
    value = document.get("saved_at")
    return float(value) if isinstance(value, (int, float)) else 0.0


def _move_keeping_both(file: Path, target: Path) -> None:
    """Move ``file`` to ``target``, or beside it under a numbered name: never over a file."""
    candidate = target
    counter = 1
    while candidate.exists():
        candidate = target.with_name(f"{target.name}.{counter}")
        counter += 1
    os.replace(file, candidate)
