"""Saved runs for the audit tests: a scenario run once per session with ``dccflow run --save`` (embedded
time-skipping server), read back as ``dccflow audit`` reads it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dccflow.audit_report import AuditInput, AuditReport, build_report
from dccflow_app.audit_collect import INPUT_FILE
from dccflow_app.cli import app
from dccflow_app.cli_audit import replay_case


def save_run(directory: Path, scenario: str) -> Path:
    """Run ``scenario`` and save it in ``directory`` (as a user would: the CLI)."""
    result = CliRunner().invoke(app, ["run", scenario, "--json", "--data-dir", str(directory / "data"),
                                      "--save", str(directory / "saved")])
    assert result.exit_code == 0, result.output
    assert (directory / "saved" / INPUT_FILE).is_file()
    return directory / "saved"


def load(saved: Path) -> AuditInput:
    return AuditInput.model_validate_json((saved / INPUT_FILE).read_text())


def report_of(data: AuditInput) -> AuditReport:
    return build_report(data, replay_case)


def audit_cli(*args: str) -> str:
    result = CliRunner().invoke(app, ["audit", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def summary_of_json(text: str) -> dict:
    return json.loads(text)["summary"]
