"""Settings: lenient loading, refusing to overwrite a bad file, atomic saving (the TOML writer: test_tomlfiles.py)."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import platformdirs
import pytest

from workbench import config
from workbench.config import Settings, config_dir, settings_path
from workbench.storage import atomic_write_text


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real user configuration."""
    directory = tmp_path / "config"
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(directory))
    return directory


def leftovers(directory: Path) -> list[str]:
    """Temporary files an interrupted or failed save could leave behind."""
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".tmp"))


# --------------------------------------------------------------------------- config_dir


def test_config_dir_comes_from_the_environment_variable(isolated_config: Path) -> None:
    assert config_dir() == isolated_config
    assert settings_path() == isolated_config / "settings.toml"


def test_config_dir_defaults_to_the_platform_convention(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_CONFIG_DIR")
    assert config_dir() == Path(platformdirs.user_config_dir("workbench", appauthor=False))


def test_a_blank_environment_variable_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", "  ")
    assert config_dir() == Path(platformdirs.user_config_dir("workbench", appauthor=False))


# --------------------------------------------------------------------------- load and save


def test_a_missing_file_means_defaults_without_problems(isolated_config: Path) -> None:
    settings = Settings.load()
    assert settings.theme is None
    assert settings.problems == []
    assert settings.path == isolated_config / "settings.toml"


def test_save_then_load_round_trips_and_creates_the_directory(isolated_config: Path) -> None:
    settings = Settings.load()
    settings.theme = "workbench-light"
    assert settings.save() is True
    assert settings.problems == []
    assert tomllib.loads((isolated_config / "settings.toml").read_text(encoding="utf-8")) == {
        "theme": "workbench-light"
    }
    again = Settings.load()
    assert again.theme == "workbench-light"
    assert again.problems == []
    assert leftovers(isolated_config) == []


def test_load_with_an_explicit_path(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "prefs.toml"
    path.parent.mkdir()
    path.write_text('theme = "workbench-high-contrast"\n', encoding="utf-8")
    settings = Settings.load(path)
    assert settings.path == path
    assert settings.theme == "workbench-high-contrast"


def test_a_malformed_file_gives_a_problem_and_is_never_overwritten(isolated_config: Path) -> None:
    isolated_config.mkdir()
    path = isolated_config / "settings.toml"
    original = b'theme = "workbench-light\nother = 1\n'  # unterminated string
    path.write_bytes(original)

    settings = Settings.load()
    assert settings.theme is None  # defaults in force
    assert len(settings.problems) == 1
    problem = settings.problems[0]
    assert str(path) in problem
    assert "not valid TOML" in problem
    assert "line 1" in problem  # tomllib's position: the user can find the mistake

    settings.theme = "workbench-dark"
    assert settings.save() is False
    assert path.read_bytes() == original
    assert any(problem.startswith("settings not saved") and str(path) in problem for problem in settings.problems)
    assert leftovers(isolated_config) == []


def test_repeated_refused_saves_record_the_problem_once(isolated_config: Path) -> None:
    isolated_config.mkdir()
    (isolated_config / "settings.toml").write_text("[[[", encoding="utf-8")
    settings = Settings.load()
    for _ in range(3):
        assert settings.save() is False
    assert len(settings.problems) == 2  # the load problem and one save problem


def test_an_unreadable_file_gives_a_problem_and_is_left_alone(isolated_config: Path) -> None:
    path = isolated_config / "settings.toml"
    path.mkdir(parents=True)  # a directory where the file should be: reading fails
    settings = Settings.load()
    assert settings.theme is None
    assert len(settings.problems) == 1
    assert "could not read settings file" in settings.problems[0]
    assert str(path) in settings.problems[0]
    settings.theme = "workbench-light"
    assert settings.save() is False
    assert path.is_dir()


def test_a_file_that_is_not_utf8_gives_a_problem(isolated_config: Path) -> None:
    isolated_config.mkdir()
    path = isolated_config / "settings.toml"
    path.write_bytes(b'theme = "caf\xe9"\n')
    settings = Settings.load()
    assert settings.theme is None
    assert str(path) in settings.problems[0]
    assert settings.save() is False
    assert path.read_bytes() == b'theme = "caf\xe9"\n'


def test_a_theme_of_the_wrong_type_is_reported_and_kept_until_replaced(isolated_config: Path) -> None:
    isolated_config.mkdir()
    path = isolated_config / "settings.toml"
    path.write_text("theme = 3\n", encoding="utf-8")
    settings = Settings.load()
    assert settings.theme is None
    assert len(settings.problems) == 1
    assert "'theme'" in settings.problems[0] and str(path) in settings.problems[0]

    assert settings.save() is True  # the file was valid TOML: saving is allowed...
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {"theme": 3}  # ...and keeps the value

    settings.theme = "workbench-light"
    assert settings.save() is True
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {"theme": "workbench-light"}


def test_unknown_keys_and_tables_survive_a_save(isolated_config: Path) -> None:
    isolated_config.mkdir()
    path = isolated_config / "settings.toml"
    path.write_text(
        'theme = "workbench-dark"\nfuture = [1, 2]\n\n[profiles.esp32]\nbaud = 115200\nname = "bench rig"\n',
        encoding="utf-8",
    )
    settings = Settings.load()
    settings.theme = "workbench-light"
    assert settings.save() is True
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {
        "theme": "workbench-light",
        "future": [1, 2],
        "profiles": {"esp32": {"baud": 115200, "name": "bench rig"}},
    }


def test_setting_the_theme_back_to_none_removes_it(isolated_config: Path) -> None:
    settings = Settings.load()
    settings.theme = "workbench-light"
    settings.save()
    settings.theme = None
    settings.save()
    assert Settings.load().theme is None


def test_unstorable_extra_values_refuse_to_save_rather_than_lose_data(isolated_config: Path) -> None:
    isolated_config.mkdir()
    path = isolated_config / "settings.toml"
    original = '[[recent]]\nurl = "sim://esp32"\n'
    path.write_text(original, encoding="utf-8")
    settings = Settings.load()
    settings.theme = "workbench-light"
    assert settings.save() is False
    assert "arrays of tables" in settings.problems[-1]
    assert path.read_text(encoding="utf-8") == original


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    isolated_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.load()
    settings.theme = "workbench-dark"
    assert settings.save()
    path = isolated_config / "settings.toml"
    before = path.read_bytes()

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config.os, "replace", disk_full)
    settings.theme = "workbench-light"
    assert settings.save() is False
    assert "could not save settings" in settings.problems[-1]
    assert "No space left on device" in settings.problems[-1]
    assert path.read_bytes() == before
    assert leftovers(isolated_config) == []


def test_atomic_write_fsyncs_before_replacing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(config.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(config.os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    target = tmp_path / "deep" / "file.toml"
    atomic_write_text(target, "a = 1\n")
    assert target.read_text(encoding="utf-8") == "a = 1\n"
    assert calls.index("fsync") < calls.index("replace")


def test_repr_is_short_and_useful(isolated_config: Path) -> None:
    text = repr(Settings.load())
    assert "theme=None" in text and "settings.toml" in text


def test_auto_reconnect_devices_round_trip_and_a_bad_value_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    settings = Settings.load(path)
    settings.auto_reconnect = ["serial:E660583883", "url:sim://esp32"]
    assert settings.save()
    assert Settings.load(path).auto_reconnect == ["serial:E660583883", "url:sim://esp32"]
    path.write_text('auto_reconnect = "url:sim://esp32"\n', encoding="utf-8")
    bad = Settings.load(path)
    assert bad.auto_reconnect == []
    assert any("auto_reconnect" in problem and "list of device keys" in problem for problem in bad.problems)
    assert bad.save()  # the wrong value is kept as it was, not lost
    assert 'auto_reconnect = "url:sim://esp32"' in path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- issue 12: files that are not settings


def load_in_a_thread(load: Callable[[], Any], fifo: Path) -> Any:
    """Run ``load`` on a thread and wait at most 10 s; a load that blocks on the FIFO (the bug)
    is released by opening the FIFO's other end, and the test fails instead of hanging."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(load()), daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # lets the blocked open() return
        thread.join(10)
        pytest.fail("loading blocked on a FIFO")
    return result[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_settings_file_that_is_a_fifo_is_refused_without_blocking(isolated_config: Path) -> None:
    isolated_config.mkdir()
    path = isolated_config / "settings.toml"
    os.mkfifo(path)
    settings = load_in_a_thread(Settings.load, path)
    assert len(settings.problems) == 1
    assert str(path) in settings.problems[0] and "not a regular file (a FIFO)" in settings.problems[0]
    settings.theme = "workbench-light"
    assert settings.save() is False
    assert stat.S_ISFIFO(os.lstat(path).st_mode)  # still the user's FIFO


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 5000 + "]" * 5000 + "\n",  # tomllib recurses: RecursionError
        "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
        "[" + ".".join(["a"] * 3000) + "]\nb = 1\n",  # read without recursion, written back with it
    ],
    ids=["arrays", "inline-tables", "table-headers"],
)
def test_deeply_nested_settings_are_a_problem_not_a_crash(isolated_config: Path, text: str) -> None:
    isolated_config.mkdir()
    path = isolated_config / "settings.toml"
    path.write_text(text, encoding="utf-8")
    settings = Settings.load()
    assert len(settings.problems) == 1
    assert str(path) in settings.problems[0] and "nested too deeply" in settings.problems[0]
    settings.theme = "workbench-light"
    assert settings.save() is False
    assert path.read_text(encoding="utf-8") == text


def test_a_few_levels_of_nesting_are_fine(isolated_config: Path) -> None:
    isolated_config.mkdir()
    (isolated_config / "settings.toml").write_text("[a.b.c]\nx = [[1, 2], [3]]\n", encoding="utf-8")
    settings = Settings.load()
    assert settings.problems == []
    assert settings.save() is True
    assert tomllib.loads((isolated_config / "settings.toml").read_text())["a"] == {"b": {"c": {"x": [[1, 2], [3]]}}}


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o664])
def test_saving_keeps_the_files_permission_bits(isolated_config: Path, mode: int) -> None:
    isolated_config.mkdir()
    path = isolated_config / "settings.toml"
    path.write_text('theme = "workbench-dark"\n', encoding="utf-8")
    path.chmod(mode)
    settings = Settings.load()
    settings.theme = "workbench-light"
    assert settings.save() is True
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert Settings.load().theme == "workbench-light"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_new_settings_file_gets_the_usual_permissions(isolated_config: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    settings = Settings()
    settings.theme = "workbench-light"
    assert settings.save() is True
    assert stat.S_IMODE(settings_path().stat().st_mode) == 0o666 & ~umask


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_saving_through_a_symbolic_link_keeps_the_link(tmp_path: Path, isolated_config: Path) -> None:
    real = tmp_path / "dotfiles" / "settings.toml"
    real.parent.mkdir()
    real.write_text('theme = "workbench-dark"\n', encoding="utf-8")
    isolated_config.mkdir()
    link = isolated_config / "settings.toml"
    link.symlink_to(real)
    settings = Settings.load()
    settings.theme = "workbench-light"
    assert settings.save() is True
    assert link.is_symlink() and Settings.load(real).theme == "workbench-light"
