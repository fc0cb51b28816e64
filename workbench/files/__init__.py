"""Files on the board: list, read, write (verified, atomic), remove, rename, hash, sync.

:class:`BoardFS` works on an open :class:`~workbench.engine.session.Session`; the CLI's
``workbench fs`` and the app's Files pane both use it. Paths are the board's own (``main.py``,
``lib/x.py``, ``/flash/boot.py``): relative ones are taken from the board's current folder,
as mpremote does.
"""

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:
    from workbench.files.board_fs import BoardFS
    from workbench.files.model import FileEntry, SyncAction, SyncReport, TransferProgress

__all__ = ["BoardFS", "FileEntry", "SyncAction", "SyncReport", "TransferProgress"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "BoardFS": "workbench.files.board_fs",
        "FileEntry": "workbench.files.model",
        "SyncAction": "workbench.files.model",
        "SyncReport": "workbench.files.model",
        "TransferProgress": "workbench.files.model",
    },
    globals(),
)
