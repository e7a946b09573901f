"""The `dccflow` command as a user types it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dccflow_app.cli import app

runner = CliRunner()


def test_scenarios_lists_one_line_each():
    from dccflow_app.scenarios.catalogue import SCENARIOS

    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    names = [line.split("  ", 1)[0] for line in result.stdout.splitlines()]
    assert names == sorted(SCENARIOS) and "install-commission-electricity" in names  # one line each, by name


def test_unknown_scenario_and_fault_are_named():
    result = runner.invoke(app, ["run", "install-and-pray"])
    assert result.exit_code == 2
    assert "install-and-pray" in result.output and "install-commission-electricity" in result.output
    result = runner.invoke(app, ["run", "install-commission-electricity", "--fault", "gremlins"])
    assert result.exit_code == 2
    assert "gremlins" in result.output and "join-timeout" in result.output


def test_run_json_reports_the_happy_path(tmp_path):
    result = runner.invoke(app, ["run", "install-commission-electricity", "--json", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"workflow_id", "result", "devices", "dcc_alerts", "events"}
    assert report["workflow_id"].startswith("install-commission-")
    assert report["result"] == "completed"
    assert {d["device_type"]: d["smi_status"] for d in report["devices"]}["ESME"] == "commissioned"
    assert {"code": "N24", "device_id": report["devices"][2]["device_id"],
            "recipient": "90-B3-D5-1F-30-01-00-00"} in report["dcc_alerts"]
    assert all(set(e) == {"bpmn_id", "actor", "at", "refs"} for e in report["events"])
    assert report["events"][-1]["bpmn_id"] == "end_sms_enrolled"


def test_run_with_a_fault_exits_non_zero_in_its_branch(tmp_path):
    result = runner.invoke(app, ["run", "install-commission-electricity", "--json", "--fault", "join-timeout",
                                 "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["result"] == "failed"
    assert [a["code"] for a in report["dcc_alerts"]] == ["N16", "N25"]
