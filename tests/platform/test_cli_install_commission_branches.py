"""`dccflow run` for the Install and Commission branches: one HAN device of several never joins."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dccflow_app.cli import app

runner = CliRunner()


def test_run_json_reports_the_device_that_did_not_join(tmp_path):
    result = runner.invoke(app, ["run", "install-commission-join-timeout-one-device", "--json",
                                 "--data-dir", str(tmp_path)])
    # the scenario's expected end: the SMS Enrolled, the IHD reported not joined
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["result"] == "completed" and report["end"] == "end_sms_enrolled"
    devices = {d["device_type"]: d for d in report["devices"]}
    assert devices["ESME"]["smi_status"] == "commissioned" and devices["PPMID"]["smi_status"] == "commissioned"
    assert devices["IHD"]["smi_status"] is None and devices["IHD"]["associated_with"] is None
    assert {h["device_type"]: h["outcome"] for h in report["han_devices"]} == {
        "PPMID": "joined", "IHD": "not joined", "HCALCS": "joined", "CAD": "joined"}
    ihd = devices["IHD"]["device_id"]
    assert [a["code"] for a in report["dcc_alerts"] if a["device_id"] == ihd] == ["N25"]
    assert "n25_whitelist_update_unsuccessful_han" in [e["bpmn_id"] for e in report["events"]]


def test_scenarios_lists_the_new_branches():
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    for name in ("install-commission-gas-hot-shoe", "install-commission-ppmid-ihd",
                 "install-commission-join-timeout-one-device", "install-commission-handover"):
        assert f"\n{name} " in "\n" + result.stdout
