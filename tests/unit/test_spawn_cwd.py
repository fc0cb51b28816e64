"""spawn:// runs the unix port in a folder of its own, so code on the "board" never writes into
the user's folder: a temporary one removed at close, or the one ``?cwd=DIR`` names."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench
from tests.conftest import requires_micropython
from workbench.errors import ConnectError

pytestmark = requires_micropython

WRITE_AND_SHOW = "import os\nf = open('main.py', 'w'); f.write('x'); f.close()\nprint(os.getcwd())"


def test_spawn_runs_in_a_temporary_folder_kept_across_a_soft_reset_and_removed_at_close() -> None:
    with workbench.connect("spawn://micropython") as session:
        folder = Path(session.exec(WRITE_AND_SHOW).stdout.strip())
        session.soft_reset()
        again = session.exec("import os\nprint(os.getcwd(), os.listdir())").stdout.strip()
        assert (folder / "main.py").read_text() == "x"
    assert again == f"{folder} ['main.py']"
    assert folder != Path.cwd()
    assert not folder.exists()


def test_spawn_runs_in_the_cwd_folder_and_leaves_it(tmp_path: Path) -> None:
    with workbench.connect(f"spawn://micropython?cwd={tmp_path}") as session:
        assert session.exec(WRITE_AND_SHOW).stdout.strip() == str(tmp_path)
    assert (tmp_path / "main.py").read_text() == "x"


def test_spawn_refuses_a_cwd_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    with pytest.raises(ConnectError, match="no such folder") as raised:
        workbench.connect(f"spawn://micropython?cwd={missing}")
    assert str(missing) in str(raised.value) and not missing.exists()
