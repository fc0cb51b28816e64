"""What the file operations return: entries, transfer progress, sync plans and reports."""

from __future__ import annotations

from typing import Literal

from workbench.protocol.records import Record, record

Direction = Literal["upload", "download"]
SyncKind = Literal["upload", "delete", "mkdir", "unchanged"]


@record
class FileEntry(Record):
    """One file or folder on the board.

    ``path`` is the path to use in further calls (the listed folder joined with ``name``);
    ``size`` is None for folders and where the firmware cannot tell.
    """

    path: str
    name: str
    is_dir: bool
    size: int | None = None


@record
class TransferProgress(Record):
    """How far a transfer is: ``done`` of ``total`` payload bytes of the file ``path``.

    Handed to a ``progress`` callback on the session's worker thread, after each block: the
    callback must only hand it on (post a message, update a bar), never call the session.
    """

    path: str
    direction: Direction
    done: int
    total: int
    elapsed_s: float = 0.0

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)

    @property
    def bytes_per_s(self) -> float:
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0


@record
class SyncAction(Record):
    """One step of a sync: upload ``local`` to ``remote``, make the folder ``remote``, delete
    ``remote`` (``--delete``), or nothing (the board's copy has the same hash)."""

    kind: SyncKind
    remote: str
    local: str = ""
    size: int = 0


@record
class SyncReport(Record):
    """What a sync did (or, with ``dry_run``, would do)."""

    actions: tuple[SyncAction, ...]
    dry_run: bool = False

    def of(self, kind: SyncKind) -> tuple[SyncAction, ...]:
        return tuple(action for action in self.actions if action.kind == kind)

    @property
    def bytes_sent(self) -> int:
        return 0 if self.dry_run else sum(action.size for action in self.of("upload"))

    def summary(self) -> str:
        """One line: ``2 uploaded (3,100 B), 1 deleted, 5 unchanged`` (``would upload`` ...)."""
        parts = []
        verbs = {
            "upload": ("uploaded", "would upload"),
            "mkdir": ("folders made", "folders to make"),
            "delete": ("deleted", "would delete"),
            "unchanged": ("unchanged", "unchanged"),
        }
        for kind, (done, planned) in verbs.items():
            items = self.of(kind)  # type: ignore[arg-type]
            if not items and kind != "unchanged":
                continue
            words = planned if self.dry_run else done
            if len(items) == 1:
                words = words.replace("folders", "folder")
            text = f"{len(items)} {words}"
            if kind == "upload" and items:
                text += f" ({sum(a.size for a in items):,} B)"
            parts.append(text)
        return ", ".join(parts)
