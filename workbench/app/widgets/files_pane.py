"""The Files pane: the selected board's files and folders as a tree, with sizes.

Why it asks instead of listing: listing a folder is an exec on the board, which must never
run on the UI thread and must not run while code runs there or step mode holds every protocol
step. So the pane only says which folder it wants (:class:`FilesPane.ListRequested`, when a
folder is expanded or the tree is reloaded) and the app decides: it lists on a thread worker
and hands the entries back (:meth:`FilesPane.show_listing`), or says why not
(:meth:`FilesPane.show_note`). Folders are listed when first expanded, not all at once: a
board's flash can hold hundreds of files, and each folder costs an exec.

The pane follows the selected board (:meth:`FilesPane.show_board`); it remembers which folders
were open on each board, and a reload (after every change the app made, or ``r``) opens them
again and puts the cursor back on the entry it was on. Enter on a file asks the app to open it
(:class:`FilesPane.OpenRequested`); the other keys are the app's file actions, which work on
:attr:`FilesPane.selected_entry` and :attr:`FilesPane.target_folder`.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from workbench.app.texts import FILES_NOT_LISTED, format_size
from workbench.files.model import FileEntry

__all__ = ["FilesPane", "parent_folder"]

#: What an unlisted folder shows while its listing is on the way.
LOADING = "loading…"
EMPTY = "(empty)"


def parent_folder(path: str) -> str:
    """The folder ``path`` is in ("" for the board's current folder; "/" for a top-level
    absolute path)."""
    head, _sep, _tail = path.rstrip("/").rpartition("/")
    if not head and path.startswith("/"):
        return "/"
    return head


def join_path(folder: str, name: str) -> str:
    """``name`` in ``folder`` ("" is the board's current folder)."""
    if not folder:
        return name
    return folder.rstrip("/") + "/" + name


class FilesPane(Vertical):
    """A bordered tree of one board's files; keys for the app's file actions."""

    DEFAULT_CSS = """
    FilesPane {
        height: 1fr;
        border: round $secondary;
        border-title-color: $text-muted;
        &:focus-within {
            border: round $accent;
            border-title-color: $text;
        }
        & > Tree {
            height: 1fr;
            padding: 0;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "app.refresh_files", "Refresh"),
        Binding("u", "app.files_upload", "Upload"),
        Binding("d", "app.files_download", "Download"),
        Binding("delete", "app.files_delete", "Delete"),
        Binding("n", "app.files_new_folder", "New folder"),
        Binding("m", "app.files_rename", "Rename"),
        Binding("x", "app.files_run", "Run file"),
    ]

    class ListRequested(Message):
        """The pane wants the entries of the folder ``path`` ("" = the board's current folder)
        of the board at ``url``; the app answers with :meth:`FilesPane.show_listing`,
        :meth:`FilesPane.listing_failed` or :meth:`FilesPane.show_note`."""

        def __init__(self, url: str, path: str) -> None:
            super().__init__()
            self.url = url
            self.path = path

    class OpenRequested(Message):
        """Enter on a file: the app reads it from the board at ``url`` into the editor."""

        def __init__(self, url: str, entry: FileEntry) -> None:
            super().__init__()
            self.url = url
            self.entry = entry

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._url: str | None = None
        self._folders: dict[str, TreeNode[FileEntry | None]] = {}
        """The folder nodes of the tree on screen, by path ("" is the root)."""
        self._loaded: set[str] = set()
        """Folders of the tree on screen whose entries are shown (not loading, not failed)."""
        self._open: dict[str, set[str]] = {}
        """Per board: the folders the person opened, opened again after a reload."""
        self._cursor_path: dict[str, str] = {}
        """Per board: the entry the cursor was on, found again after a reload."""
        self.stale = True
        """The root needs listing (never listed for this board, or changed since)."""

    def compose(self) -> ComposeResult:
        tree: Tree[FileEntry | None] = Tree("", id="files-tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree

    def on_mount(self) -> None:
        self._update_title()

    # ------------------------------------------------------------------ what the app calls
    @property
    def tree(self) -> Tree[FileEntry | None]:
        return self.query_one("#files-tree", Tree)

    @property
    def url(self) -> str | None:
        """The board whose files are shown."""
        return self._url

    def show_board(self, url: str) -> None:
        """Show ``url``'s files from now on (the tree is listed again when the app says)."""
        if url == self._url:
            return
        self._remember_cursor()
        self._url = url
        self._update_title()
        self.show_note(FILES_NOT_LISTED)

    def reload(self, reveal: str | None = None) -> None:
        """List the board's current folder again, and then every folder that was open;
        ``reveal``: a path to show with the cursor on it (its folders are opened)."""
        if self._url is None:
            return
        self._remember_cursor()
        if reveal:
            folders = self._open.setdefault(self._url, set())
            folder = parent_folder(reveal)
            while folder and folder != "/" and folder not in folders:
                folders.add(folder)
                folder = parent_folder(folder)
            self._cursor_path[self._url] = reveal
        self._clear()
        root = self.tree.root
        root.add_leaf(Text(LOADING, style="dim"))
        self.stale = False
        self.post_message(self.ListRequested(self._url, ""))

    def show_note(self, text: str) -> None:
        """Say why the tree is empty (not connected, busy); the next reload lists it."""
        self._remember_cursor()
        self._clear()
        self.tree.root.add_leaf(Text(text, style="dim italic"))
        self.stale = True

    def show_listing(self, url: str, path: str, entries: list[FileEntry]) -> None:
        """The entries of ``path`` on ``url`` (ignored when the pane moved on meanwhile)."""
        node = self._folders.get(path) if url == self._url else None
        if node is None:
            return
        node.remove_children()
        self._forget_below(path)
        wanted = self._cursor_path.get(url)
        found: TreeNode[FileEntry | None] | None = None
        reopen: list[TreeNode[FileEntry | None]] = []
        for entry in entries:
            if entry.is_dir:
                child = node.add(_label(entry), entry, allow_expand=True)
                self._folders[entry.path] = child
                if entry.path in self._open.get(url, set()):
                    reopen.append(child)
            else:
                child = node.add_leaf(_label(entry), entry)
            if entry.path == wanted:
                found = child
        if not entries:
            node.add_leaf(Text(EMPTY, style="dim"))
        self._loaded.add(path)
        for child in reopen:
            child.expand()  # its listing is asked for by the expansion
        if found is not None:
            # Once the tree has laid out its new lines (a new node has no line before).
            self.call_after_refresh(self._move_cursor, found)
            self._cursor_path.pop(url, None)
        elif not path and self.tree.cursor_node is None and entries:
            self.tree.cursor_line = 0  # the keys act on an entry from the start

    def listing_failed(self, url: str, path: str, text: str) -> None:
        """Listing ``path`` failed (the app told the person why): the folder says so."""
        node = self._folders.get(path) if url == self._url else None
        if node is None:
            return
        node.remove_children()
        self._forget_below(path)
        node.add_leaf(Text(text, style="dim italic"))
        if not path:
            self.stale = True

    @property
    def selected_entry(self) -> FileEntry | None:
        """The file or folder under the cursor (None: a note, or nothing listed)."""
        node = self.tree.cursor_node
        data = node.data if node is not None else None
        return data if isinstance(data, FileEntry) else None

    @property
    def target_folder(self) -> str:
        """Where an upload or a new folder goes: the folder under the cursor, else the folder
        of the file under the cursor, else the board's current folder ("")."""
        node = self.tree.cursor_node
        while node is not None:
            data = node.data
            if isinstance(data, FileEntry) and data.is_dir:
                return data.path
            node = node.parent
        return ""

    def entries(self) -> list[FileEntry]:
        """Every entry on screen, in tree order (for tests and screen readers)."""
        found: list[FileEntry] = []

        def walk(node: TreeNode[FileEntry | None]) -> None:
            for child in node.children:
                if isinstance(child.data, FileEntry):
                    found.append(child.data)
                walk(child)

        walk(self.tree.root)
        return found

    def labels(self) -> list[str]:
        """The rows' text as shown (name and size), in tree order."""
        rows: list[str] = []

        def walk(node: TreeNode[FileEntry | None]) -> None:
            for child in node.children:
                rows.append(child.label.plain)
                if child.is_expanded:
                    walk(child)

        walk(self.tree.root)
        return rows

    def focus(self, scroll_visible: bool = True) -> FilesPane:
        """Focusing the pane focuses its tree."""
        self.tree.focus(scroll_visible)
        return self

    # ------------------------------------------------------------------ the tree's events
    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[FileEntry | None]) -> None:
        event.stop()
        entry = event.node.data
        if not isinstance(entry, FileEntry) or self._url is None:
            return
        self._open.setdefault(self._url, set()).add(entry.path)
        if entry.path in self._loaded:
            return
        event.node.remove_children()
        event.node.add_leaf(Text(LOADING, style="dim"))
        self.post_message(self.ListRequested(self._url, entry.path))

    @on(Tree.NodeCollapsed)
    def _collapsed(self, event: Tree.NodeCollapsed[FileEntry | None]) -> None:
        event.stop()
        entry = event.node.data
        if isinstance(entry, FileEntry) and self._url is not None:
            self._open.get(self._url, set()).discard(entry.path)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[FileEntry | None]) -> None:
        event.stop()
        entry = event.node.data
        if isinstance(entry, FileEntry) and not entry.is_dir and self._url is not None:
            self.post_message(self.OpenRequested(self._url, entry))

    # ------------------------------------------------------------------ internals
    def _clear(self) -> None:
        tree = self.tree
        tree.clear()
        self._folders = {"": tree.root}
        self._loaded = set()

    def _forget_below(self, path: str) -> None:
        """The nodes under ``path`` were replaced: their paths no longer name nodes."""
        prefix = path.rstrip("/") + "/" if path else ""
        for known in [p for p in self._folders if p and p != path and p.startswith(prefix)]:
            del self._folders[known]
            self._loaded.discard(known)

    def _move_cursor(self, node: TreeNode[FileEntry | None]) -> None:
        if node.tree is self.tree and node.line >= 0:  # still on screen
            self.tree.move_cursor(node)

    def _remember_cursor(self) -> None:
        entry = self.selected_entry
        if self._url is not None and entry is not None:
            self._cursor_path[self._url] = entry.path

    def _update_title(self) -> None:
        self.border_title = f"files: {escape(self._url)}" if self._url else "files"


def _label(entry: FileEntry) -> Text:
    """``name/`` for a folder, ``name  1.2 KB`` for a file (the size dim); never markup."""
    if entry.is_dir:
        return Text(entry.name + "/", style="bold")
    label = Text(entry.name)
    if entry.size is not None:
        label.append("  " + format_size(entry.size), style="dim")
    return label
