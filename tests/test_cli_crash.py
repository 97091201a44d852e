"""An unexpected failure in a `tidu` command is told in Chinese; the traceback goes to a log, not the screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.cli import app, main
from backend.core.config import get_settings


@pytest.fixture
def failing_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A command that fails the way a bug would, registered for this test only."""
    monkeypatch.setenv("TIDU_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()

    def broken() -> None:
        raise AttributeError("'Pandas' object has no attribute 'legal_form'")

    app.command("broken-for-test")(broken)
    monkeypatch.setattr("sys.argv", ["tidu", "broken-for-test"])
    yield tmp_path
    app.registered_commands.pop()
    get_settings.cache_clear()


def test_an_unexpected_failure_prints_no_traceback_and_keeps_one_in_the_log(
    failing_command: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 70
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    assert "legal_form" not in printed.out + printed.err
    assert "tidu 内部错误，本次操作未完成，未保存任何修改" in printed.err
    log = failing_command / "logs" / "tidu-errors.log"
    assert str(log) in printed.err.replace("\n", "")
    assert "AttributeError: 'Pandas' object has no attribute 'legal_form'" in log.read_text(encoding="utf-8")
