"""The editor's tab strip: one line with a tab per open document, the active one highlighted.

Why not Textual's ``Tabs``: it is two lines high (a row and an animated underline), takes the
keyboard focus (the app's Ctrl+E would land on it instead of in the text), and adds and removes
tabs asynchronously. This strip is one line, never focused (the keys that switch tabs work in
the text: Ctrl+PageDown / Ctrl+PageUp), and redrawn from the editor's documents at once.
A click on a tab posts :class:`DocumentTabs.Selected`.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from workbench.app.documents import MODIFIED_MARK
from workbench.protocol.records import Record, record


@record
class TabLabel(Record):
    """What one tab shows: the document's id, its title, and whether it is unsaved."""

    document_id: int
    title: str
    modified: bool = False


class DocumentTabs(Widget):
    """One tab per document; when they do not fit, those around the active one, with ‹ › marks."""

    DEFAULT_CSS = """
    DocumentTabs {
        height: 1;
        width: 1fr;
        color: $text-muted;
    }
    DocumentTabs > .document-tabs--active {
        background: $accent 30%;
        color: $text;
        text-style: bold;
    }
    DocumentTabs > .document-tabs--modified {
        color: $warning;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"document-tabs--active", "document-tabs--modified"}

    class Selected(Message):
        """A tab was clicked: show its document."""

        def __init__(self, document_id: int) -> None:
            super().__init__()
            self.document_id = document_id

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._tabs: tuple[TabLabel, ...] = ()
        self._active: int | None = None
        self._spans: list[tuple[int, int, int]] = []
        """(first column, column after, document id) of each tab drawn last."""

    @property
    def tabs(self) -> tuple[TabLabel, ...]:
        """The tabs in order (what a test or the app can read instead of the drawing)."""
        return self._tabs

    @property
    def active(self) -> int | None:
        """The id of the highlighted document."""
        return self._active

    def set_tabs(self, tabs: list[TabLabel], active: int | None) -> None:
        """Show ``tabs`` with ``active`` highlighted (redrawn only when something changed)."""
        new = tuple(tabs)
        if new != self._tabs or active != self._active:
            self._tabs = new
            self._active = active
            self.refresh()

    def render(self) -> Content:
        width = self.content_size.width
        cells = [Content(_tab_text(tab)) for tab in self._tabs]
        first, last = _window([cell.cell_length for cell in cells], self._active_index(), width)
        active_style = self.get_visual_style("document-tabs--active")
        modified_style = self.get_visual_style("document-tabs--modified", partial=True)
        parts: list[Content] = []
        self._spans = []
        column = 0
        if first > 0:
            parts.append(Content("‹"))
            column += 1
        for index in range(first, last):
            tab, content = self._tabs[index], cells[index]
            if tab.modified:
                mark = content.plain.rindex(MODIFIED_MARK)
                content = content.stylize(modified_style, mark, mark + 1)
            if tab.document_id == self._active:
                content = content.stylize_before(active_style)
            parts.append(content)
            self._spans.append((column, column + content.cell_length, tab.document_id))
            column += content.cell_length
        if last < len(self._tabs):
            parts.append(Content("›"))
        return Content("").join(parts)

    def on_click(self, event: events.Click) -> None:
        """A click on a tab shows its document (a click between tabs does nothing)."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for start, end, document_id in self._spans:
            if start <= offset.x < end:
                event.stop()
                self.post_message(self.Selected(document_id))
                return

    def _active_index(self) -> int:
        for index, tab in enumerate(self._tabs):
            if tab.document_id == self._active:
                return index
        return 0


def _tab_text(tab: TabLabel) -> str:
    return f" {tab.title} {MODIFIED_MARK} " if tab.modified else f" {tab.title} "


def _window(widths: list[int], active: int, width: int) -> tuple[int, int]:
    """The tabs ``[first, last)`` to draw in ``width`` columns: all that fit, always the active
    one, then its neighbours to the right and left in turn (a ‹ or › takes a column)."""
    if sum(widths) <= width or not widths:
        return 0, len(widths)
    first, last = active, active + 1
    used = widths[active]

    def fits(extra: int, new_first: int, new_last: int) -> bool:
        marks = (new_first > 0) + (new_last < len(widths))
        return used + extra + marks <= width

    grew = True
    while grew:
        grew = False
        if last < len(widths) and fits(widths[last], first, last + 1):
            used += widths[last]
            last += 1
            grew = True
        if first > 0 and fits(widths[first - 1], first - 1, last):
            first -= 1
            used += widths[first]
            grew = True
    return first, last
