"""``WORKBENCH_NO_HOST_CODE=1`` (workbench serve on a shared network): no code runs on the server."""

from __future__ import annotations

import pytest

import workbench
from workbench.discovery.devices import available_devices
from workbench.errors import ConnectError


def test_simulated_boards_and_the_interpreter_are_neither_offered_nor_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_NO_HOST_CODE", "1")
    kinds = {entry.kind for entry in available_devices(include_serial=False, include_named=False)}
    assert "simulated" not in kinds and "local" not in kinds
    for url in ("sim://generic", "SPAWN://micropython"):
        with pytest.raises(ConnectError, match="--allow-host-code"):
            workbench.connect(url)


def test_without_the_variable_they_are_offered() -> None:
    kinds = {entry.kind for entry in available_devices(include_serial=False, include_named=False)}
    assert "simulated" in kinds
