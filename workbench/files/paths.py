"""Board paths: joined and split the way the board's ``os`` takes them ("/" only)."""

from __future__ import annotations


def join(folder: str, name: str) -> str:
    """``folder/name``; "" is the board's current folder, so ``join("", "a")`` is ``"a"``."""
    if not folder or folder == ".":
        return name
    return folder + name if folder.endswith("/") else f"{folder}/{name}"


def basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] if path.rstrip("/") else path


def dirname(path: str) -> str:
    """The folder of ``path``: "" for a name in the current folder, "/" for one in the root."""
    trimmed = path.rstrip("/")
    if "/" not in trimmed:
        return ""
    head = trimmed.rsplit("/", 1)[0]
    return head or "/"


def normal(path: str) -> str:
    """``path`` without a trailing "/" (except the root) or doubled slashes; "." is ""."""
    if path in ("", "."):
        return ""
    absolute = path.startswith("/")
    parts = [part for part in path.split("/") if part and part != "."]
    joined = "/".join(parts)
    return "/" + joined if absolute else joined


def temporary_name(path: str) -> str:
    """Where an upload is written before it is checked: beside the target, on the same
    filesystem, so the rename that puts it in place is atomic."""
    return path + ".wbtmp"
