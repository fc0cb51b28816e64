"""What the workbench learned about each board, remembered between runs.

Why: some facts about a board cost time or trouble to find out, and do not change while the
same firmware runs on it. A build whose raw-paste is broken stops answering when asked for it
(until it is restarted): asking again after every restart would break it every time. The
fingerprint (implementation, version, platform) costs an exec on every connection; the plain
raw pacing a probe measured is what a board without flow control can take. So the engine's
findings are kept per device, in the state folder (:func:`workbench.config.state_dir`,
``learned.toml``), and applied the next time the board is opened
(:func:`workbench.profiles.choice.apply_learned`). People see them in ``workbench probe``,
``-v`` and the settings screen, and can forget them there (a reflashed board).

A device is known by its USB serial number, else its USB VID:PID, else its URL: the same keys
as saved profiles (:mod:`workbench.profiles.store`), so a board keeps what was learned about it
when it moves to another port. The file is read leniently (a damaged one is set aside, never
overwritten blindly) and written atomically; every write re-reads it first, so the app and a
command line run at the same time do not undo each other's facts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal

from workbench.config import state_dir
from workbench.discovery.ports import PortInfo
from workbench.profiles.store import serial_key, url_key, usb_key
from workbench.protocol.records import Record, record
from workbench.storage import atomic_write_text
from workbench.tomlfiles import dumps_toml, read_toml_file

__all__ = ["LEARNED_FILE_NAME", "Learned", "LearnedStore", "learned_key", "learned_path"]

LEARNED_FILE_NAME = "learned.toml"
_HEADER = (
    "# What the workbench learned about each board (written by the workbench; forget a board with\n"
    "# `workbench probe --forget DEVICE` or in the settings screen rather than by editing this file).\n"
)

RawPasteFinding = Literal["works", "absent", "broken"]
_RAW_PASTE_FINDINGS = ("works", "absent", "broken")


@record
class Learned(Record):
    """The facts known about one board; empty strings and None for what is not known."""

    implementation: str = ""
    version: str = ""
    platform: str = ""
    machine: str = ""
    fingerprint_at: float | None = None
    """When the firmware last said what it is (seconds since the epoch)."""
    raw_paste: RawPasteFinding | None = None
    """works: the board took raw-paste; absent: it answered as firmware before 1.14; broken:
    it accepted raw-paste and then ended the paste by itself (see ``raw_paste_detail``)."""
    raw_paste_detail: str = ""
    window: int | None = None
    """The raw-paste window the board announced, in bytes."""
    plain_raw_chunk_size: int | None = None
    """Plain raw pacing a probe found lossless (with a margin)..."""
    plain_raw_chunk_delay_s: float | None = None
    plain_raw_bytes_per_s: float | None = None
    """...and the throughput it measured with it."""
    updated_at: float | None = None

    @property
    def has_fingerprint(self) -> bool:
        return self.fingerprint_at is not None and bool(self.implementation or self.platform)

    def describe(self) -> list[str]:
        """One line per fact, for ``-v``, ``workbench probe`` and the settings screen."""
        lines: list[str] = []
        if self.has_fingerprint:
            firmware = " ".join(part for part in (self.implementation, self.version) if part) or "unknown firmware"
            where = f" on {self.platform}" if self.platform else ""
            machine = f" ({self.machine})" if self.machine else ""
            lines.append(f"firmware: {firmware}{where}{machine}, {_when(self.fingerprint_at)}")
        if self.raw_paste == "works":
            window = f", window {self.window} bytes" if self.window else ""
            lines.append(f"raw-paste: works{window}")
        elif self.raw_paste == "absent":
            lines.append("raw-paste: not in this firmware (plain raw mode)")
        elif self.raw_paste == "broken":
            detail = f": it {self.raw_paste_detail}" if self.raw_paste_detail else ""
            lines.append(f"raw-paste: broken{detail}; plain raw mode is used")
        if self.plain_raw_chunk_size is not None and self.plain_raw_chunk_delay_s is not None:
            rate = f", {self.plain_raw_bytes_per_s / 1024:.1f} KB/s" if self.plain_raw_bytes_per_s else ""
            lines.append(
                f"plain raw pacing: {self.plain_raw_chunk_size} B every "
                f"{self.plain_raw_chunk_delay_s * 1000:g} ms{rate}"
            )
        return lines

    def to_table(self) -> dict[str, Any]:
        """The facts that are known, for the TOML file (None and empty values left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "")}

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Learned:
        """Facts from the file; values of the wrong type are dropped (they are only hints)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = table.get(f.name)
            if value is None:
                continue
            if _fits(f.name, value):
                values[f.name] = float(value) if f.name.endswith(("_at", "_s", "_per_s")) else value
        return cls(**values)


def _fits(name: str, value: Any) -> bool:
    """Whether ``value`` is a sane value for the field ``name``."""
    if name == "raw_paste":
        return value in _RAW_PASTE_FINDINGS
    if name in ("window", "plain_raw_chunk_size"):
        return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 1 << 20
    if name.endswith(("_at", "_s", "_per_s")):
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    return isinstance(value, str) and len(value) <= 500


def _when(at: float | None) -> str:
    if at is None:
        return "when unknown"
    return "as of " + time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def learned_path() -> Path:
    """The file used when :class:`LearnedStore` is given no path."""
    return state_dir() / LEARNED_FILE_NAME


def learned_key(url: str, port: PortInfo | None = None) -> str:
    """The key a device's facts are kept under: USB serial number, else VID:PID, else URL."""
    if port is not None and port.serial_number and port.serial_number.strip():
        return serial_key(port.serial_number)
    if port is not None and port.vid is not None and port.pid is not None:
        return usb_key(port.vid, port.pid)
    return url_key(url)


class LearnedStore:
    """The learned facts of every board, in one TOML file (one table per device key).

    ``problems`` collects what a person should be told (a damaged file set aside, a write
    that failed); nothing here raises for a file problem, because these are hints: a board
    works without them, only slower or after one more failure.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else learned_path()
        self.problems: list[str] = []
        #: One change at a time: each re-reads the file, changes one board and writes it back,
        #: so two threads at once (two boards connecting) could each drop the other's facts.
        self._lock = threading.RLock()
        self._boards: dict[str, Learned] = {}
        self._read()

    def _read(self) -> None:
        if not self.path.exists():
            self._boards = {}
            return
        data, problem = read_toml_file(self.path, "the learned board facts")
        if problem is not None or data is None:
            self._set_aside(problem or "unreadable")
            self._boards = {}
            return
        self._boards = {
            str(key): Learned.from_table(table) for key, table in data.items() if isinstance(table, Mapping)
        }

    def _set_aside(self, problem: str) -> None:
        """A damaged file is renamed, not overwritten: a person may want to look at it."""
        target = self.path.with_name(self.path.name + f".damaged-{int(time.time())}")
        with contextlib.suppress(OSError):
            os.replace(self.path, target)
        self.problems.append(f"{problem}; the file was set aside as {target.name} and the board facts start afresh")

    def get(self, key: str) -> Learned | None:
        return self._boards.get(key)

    def __iter__(self) -> Iterator[tuple[str, Learned]]:
        return iter(sorted(self._boards.items()))

    def __len__(self) -> int:
        return len(self._boards)

    def remember(self, key: str, **facts: Any) -> Learned:
        """Add or replace facts for ``key`` (None clears one) and save; returns what is known now.

        Unknown fact names are a programming error (TypeError), not a file problem.
        """
        known = {f.name for f in fields(Learned)}
        unknown = set(facts) - known
        if unknown:
            raise TypeError(f"unknown learned facts: {sorted(unknown)}")
        with self._lock:
            return self._remember(key, facts)

    def _remember(self, key: str, facts: dict[str, Any]) -> Learned:
        self._read()  # another process may have learned something meanwhile
        current = self._boards.get(key, Learned())
        updated = dataclasses.replace(current, **facts)
        if updated == current:
            return current
        updated = dataclasses.replace(updated, updated_at=time.time())
        self._boards[key] = updated
        self._write()
        return updated

    def forget(self, key: str) -> bool:
        """Drop everything known about ``key``; whether there was anything."""
        with self._lock:
            self._read()
            if self._boards.pop(key, None) is None:
                return False
            self._write()
            return True

    def take_problems(self) -> list[str]:
        """What went wrong with the file since the last call (for the user), and clear it."""
        with self._lock:
            problems, self.problems[:] = list(self.problems), []
        return problems

    def _write(self) -> None:
        tables = {key: learned.to_table() for key, learned in sorted(self._boards.items())}
        try:
            text = dumps_toml(tables)
            atomic_write_text(self.path, _HEADER + text + ("" if text.endswith("\n") else "\n"))
        except OSError as exc:
            self.problems.append(f"could not save what was learned about the boards to {self.path}: {exc}")


def remember_findings(store: LearnedStore, key: str, findings: Mapping[str, object]) -> Learned | None:
    """Keep what a session found out (:meth:`workbench.engine.session.Session.findings`);
    returns what is known now, or None when the session found nothing new.

    A board found working with raw-paste clears an old "broken" (it was restarted with other
    firmware, or the old finding was wrong); "absent" and "broken" are kept until forgotten.
    """
    if not findings:
        return None
    facts: dict[str, Any] = {}
    if findings.get("raw_paste") in _RAW_PASTE_FINDINGS:
        facts["raw_paste"] = findings["raw_paste"]
        facts["raw_paste_detail"] = str(findings.get("raw_paste_detail", ""))
    window = findings.get("window")
    if isinstance(window, int) and window > 0:
        facts["window"] = window
    current = store.get(key)
    if current is not None and all(getattr(current, name) == value for name, value in facts.items()):
        return None
    return store.remember(key, **facts) if facts else None


def remember_probe(store: LearnedStore, key: str, report: Any) -> Learned:
    """Keep what ``workbench probe`` measured (a :class:`workbench.profiles.probe.ProbeReport`):
    the fingerprint, raw-paste and its window, and the plain raw pacing when it was measured."""
    facts: dict[str, Any] = {}
    if report.implementation or report.platform:
        facts.update(
            implementation=report.implementation,
            version=report.version,
            platform=report.platform,
            machine=report.machine,
            fingerprint_at=time.time(),
        )
    if report.raw_paste_supported and report.flow_control_reliable is not False:
        facts.update(raw_paste="works", window=report.window, raw_paste_detail="")
    elif report.raw_paste_supported is False:
        facts.update(raw_paste="absent", window=None, raw_paste_detail="")
    for name in ("plain_raw_chunk_size", "plain_raw_chunk_delay_s", "plain_raw_bytes_per_s"):
        value = getattr(report, name, None)
        if value is not None:
            facts[name] = value
    return store.remember(key, **facts)
