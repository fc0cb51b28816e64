"""RecoveryStore: unsaved editor text survives crashes, and damaged files are never deleted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workbench.app.recovery import ENV_STATE_DIR, RecoveryStore, default_recovery_dir


def test_round_trip_with_and_without_a_path(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path / "recovery")
    assert store.load() is None
    store.save("print('héllo ✓')\n", None)
    assert store.load() == ("print('héllo ✓')\n", None)
    store.save("x = 1\n", "/somewhere/main.py")
    assert store.load() == ("x = 1\n", "/somewhere/main.py")
    document = json.loads(store.path.read_text(encoding="utf-8"))
    assert set(document) == {"text", "path", "saved_at"}


def test_clear_removes_the_file_and_is_idempotent(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    store.save("text", None)
    store.clear()
    assert not store.path.exists()
    assert store.load() is None
    store.clear()  # nothing there: no error


def test_a_failed_save_keeps_the_previous_copy_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RecoveryStore(tmp_path)
    store.save("first version", None)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.save("second version", None)
    monkeypatch.undo()

    assert store.load() == ("first version", None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recovery.json"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe garbage", b'{"path": null}', b'{"text": 3, "path": null}', b"[1, 2]"],
    ids=["truncated-json", "not-utf8", "missing-text", "wrong-type", "not-an-object"],
)
def test_a_corrupt_file_is_kept_aside_not_deleted(tmp_path: Path, content: bytes) -> None:
    store = RecoveryStore(tmp_path)
    store.path.write_bytes(content)
    assert store.load() is None
    assert not store.path.exists()
    aside = list(tmp_path.glob("recovery.json.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == content
    # A second corrupt file on the same second gets its own name.
    store.path.write_bytes(content)
    assert store.load() is None
    assert len(list(tmp_path.glob("recovery.json.corrupt-*"))) == 2


def test_env_var_moves_the_state_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_STATE_DIR, str(tmp_path / "state"))
    assert default_recovery_dir() == tmp_path / "state" / "recovery"
    store = RecoveryStore()
    assert store.directory == tmp_path / "state" / "recovery"
    store.save("kept", None)  # creates the directories
    assert (tmp_path / "state" / "recovery" / "recovery.json").is_file()


def test_default_directory_without_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_STATE_DIR, raising=False)
    directory = default_recovery_dir()
    assert directory.name == "recovery"
    assert "workbench" in str(directory)
