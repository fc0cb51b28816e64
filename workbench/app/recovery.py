"""Keep the editor's unsaved text safe across crashes and quits.

The editor writes its buffer here (debounced) while it differs from the file on disk, so a
crash, a killed terminal or a power cut costs at most about a second of typing. The next
start offers the text back. The store never deletes what it cannot read: a damaged file is
renamed aside so a person can still dig the text out of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from workbench.config import STATE_DIR_ENV, state_dir
from workbench.storage import atomic_write_bytes

ENV_STATE_DIR = STATE_DIR_ENV
"""Environment variable that moves the state directory (tests, portable installs)."""

RECOVERY_FILE = "recovery.json"


def default_recovery_dir() -> Path:
    """Where recovery files live: ``recovery`` in the state folder (:func:`workbench.config.state_dir`)."""
    return state_dir() / "recovery"


class RecoveryStore:
    """One recovery document (``{"text", "path", "saved_at"}``) in ``directory``.

    Writes are atomic (:func:`workbench.storage.atomic_write_bytes`) so a crash in
    the middle of a save leaves the previous recovery text intact rather than half a file.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_recovery_dir()

    @property
    def path(self) -> Path:
        """The recovery document's file."""
        return self.directory / RECOVERY_FILE

    def save(self, text: str, path: str | None) -> None:
        """Store ``text`` (and the file it belongs to, if any) atomically.

        Raises ``OSError`` when the directory is not writable; the caller decides how to tell
        the user (the editor notifies once rather than on every keystroke).
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        document = {"text": text, "path": path, "saved_at": time.time()}
        data = json.dumps(document, ensure_ascii=False).encode("utf-8")
        atomic_write_bytes(self.path, data)

    def load(self) -> tuple[str, str | None] | None:
        """The stored ``(text, path)``, or None when there is nothing (readable) to recover.

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

    def clear(self) -> None:
        """Forget the recovery text (it was saved to disk, or the user declined it)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _set_aside(self) -> Path | None:
        """Rename a damaged recovery file out of the way; returns its new name (None if stuck)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{RECOVERY_FILE}.corrupt-{stamp}")
        counter = 1
        while target.exists():
            target = self.path.with_name(f"{RECOVERY_FILE}.corrupt-{stamp}-{counter}")
            counter += 1
        try:
            os.replace(self.path, target)
        except OSError:
            return None
        return target
