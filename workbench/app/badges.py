"""How a board's badge looks: theme variables only, shared by the devices pane and the status bar.

Which badge a state earns is the library's rule (:mod:`workbench.manager.badges`); its colour
is the app's. The ``text-*`` variants are the ones Textual tunes for legibility on the
theme's background (plain ``$success`` is meant for backgrounds, not text).
"""

from __future__ import annotations

__all__ = ["badge_style"]

_BADGE_STYLES = {
    "disconnected": "$text-muted",
    "friendly": "$text-accent",
    "raw": "$text-success",
    "running": "$text-primary",
    "connecting": "$text-muted",
    "lost": "bold $text-warning",
    "error": "bold $text-error",
}


def badge_style(badge: str) -> str:
    """The Textual style (theme variables only) used to draw ``badge``."""
    return _BADGE_STYLES.get(badge, _BADGE_STYLES["error"])
