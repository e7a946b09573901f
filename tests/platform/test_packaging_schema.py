"""Where an installed dccflow finds the DUIS 5.4 schema (issue 11): ``dccflow setup schema PATH`` checks a folder
and records it in the user's config file; the schema lookup honours it after the environment variables."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dccflow.duis import schema as duis_schema
from dccflow.duis.schema import ENV_SCHEMA_DIR, ENV_SHARED_DIR, DuisConfigError, schema_dir
from dccflow.duis.schema_location import ENV_CONFIG_FILE, SCHEMA_FILES
from dccflow_app.cli import app

REAL_SCHEMA = schema_dir()  # the shared folder beside the checkout (or $DCCFLOW_SHARED_DIR) while collecting
runner = CliRunner()


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A user with no schema settings in the environment and their own config file."""
    monkeypatch.delenv(ENV_SCHEMA_DIR, raising=False)
    monkeypatch.delenv(ENV_SHARED_DIR, raising=False)
    path = tmp_path / "home" / "dccflow" / "config.toml"
    monkeypatch.setenv(ENV_CONFIG_FILE, str(path))
    return path


def _copy_schema(to: Path, *, without: str | None = None) -> Path:
    to.mkdir(parents=True)
    for name in SCHEMA_FILES:
        if name != without:
            shutil.copy(REAL_SCHEMA / name, to / name)
    return to


def test_setup_schema_records_the_folder_and_the_lookup_uses_it(config: Path, tmp_path: Path) -> None:
    mine = _copy_schema(tmp_path / "my schema")
    result = runner.invoke(app, ["setup", "schema", str(mine)])
    assert result.exit_code == 0, result.output
    assert f"recorded in {config}" in result.output
    assert config.read_text(encoding="utf-8").startswith("duis_schema_dir = ")
    assert schema_dir() == mine
    assert duis_schema._resolved_schema_dir() == str(mine.resolve())  # what validation loads
    shown = runner.invoke(app, ["setup", "schema"])
    assert shown.exit_code == 0 and str(mine) in shown.output and str(config) in shown.output
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 0, doctor.output
    assert f"ok: DUIS schema in {mine}" in doctor.output


def test_setup_schema_accepts_the_shared_folder(config: Path, tmp_path: Path) -> None:
    _copy_schema(tmp_path / "shared" / "duis" / "schema")
    result = runner.invoke(app, ["setup", "schema", str(tmp_path / "shared")])
    assert result.exit_code == 0, result.output
    assert schema_dir() == tmp_path / "shared" / "duis" / "schema"


def test_environment_variables_take_precedence_over_the_recorded_folder(
        config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = _copy_schema(tmp_path / "recorded")
    assert runner.invoke(app, ["setup", "schema", str(mine)]).exit_code == 0
    env_copy = _copy_schema(tmp_path / "from-env")
    monkeypatch.setenv(ENV_SCHEMA_DIR, str(env_copy))
    assert schema_dir() == env_copy


def test_a_folder_without_the_whole_schema_is_refused_and_nothing_is_recorded(config: Path, tmp_path: Path) -> None:
    partial = _copy_schema(tmp_path / "partial", without="mmc-5.4.xsd")
    result = runner.invoke(app, ["setup", "schema", str(partial)])
    assert result.exit_code == 2
    assert "missing mmc-5.4.xsd" in result.output and "nothing recorded" in result.output
    assert not config.exists()


def test_a_recorded_folder_that_lost_a_file_is_named_with_the_missing_file(config: Path, tmp_path: Path) -> None:
    mine = _copy_schema(tmp_path / "mine")
    assert runner.invoke(app, ["setup", "schema", str(mine)]).exit_code == 0
    duis_schema._schema_dir.cache_clear()
    duis_schema._resolved.cache_clear()
    (mine / "xmldsig-core-schema.xsd").unlink()
    with pytest.raises(DuisConfigError) as info:
        schema_dir()
    message = str(info.value)
    assert str(mine / "xmldsig-core-schema.xsd") in message and str(config) in message
    assert "dccflow setup schema PATH" in message and "\n" not in message
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1 and "xmldsig-core-schema.xsd" in doctor.output


def test_an_invalid_config_file_is_named_and_left_unchanged(config: Path, tmp_path: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_text("duis_schema_dir = /not/quoted\n", encoding="utf-8")
    with pytest.raises(DuisConfigError) as info:
        schema_dir()
    assert f"dccflow config file {config} is not valid TOML" in str(info.value)
    result = runner.invoke(app, ["setup", "schema", str(_copy_schema(tmp_path / "s"))])
    assert result.exit_code == 2 and "nothing recorded" in result.output
    assert config.read_text(encoding="utf-8") == "duis_schema_dir = /not/quoted\n"


def test_recording_keeps_the_other_settings_of_the_config_file(config: Path, tmp_path: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_text('duis_schema_dir = "/old"\nother = 1\n\n[table]\nkey = "v"\n', encoding="utf-8")
    mine = _copy_schema(tmp_path / 'a "quoted" folder')
    assert runner.invoke(app, ["setup", "schema", str(mine)]).exit_code == 0
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    assert data == {"duis_schema_dir": str(mine), "other": 1, "table": {"key": "v"}}
    assert schema_dir() == mine
