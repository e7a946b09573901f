"""Running a scenario as a user does (``dccflow run NAME --json --data-dir DIR``) and copying a library scenario
with a few edits: what the scenario tests share (``tests/scenarios``, ``tests/recovery``)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

LIBRARY = Path(__file__).resolve().parents[1] / "dccflow_app" / "scenarios" / "library"
runner = CliRunner()


def run_scenario(target: str | Path, data: Path, expect_exit: int = 0) -> dict:
    """``dccflow run TARGET --json`` in ``data``: its exit code checked, its JSON report."""
    from dccflow_app.cli import app

    result = runner.invoke(app, ["run", str(target), "--json", "--data-dir", str(data)])
    assert result.exit_code == expect_exit, result.output
    return json.loads(result.stdout)


def copy_scenario(tmp_path: Path, built_in: str, *changes: tuple[str, str]) -> Path:
    """The library scenario ``built_in`` as ``my-BUILT_IN`` in ``tmp_path``, each (old, new) text replaced."""
    name = f"my-{built_in}"
    text = (LIBRARY / f"{built_in}.yaml").read_text(encoding="utf-8").replace(f"name: {built_in}", f"name: {name}")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path
