"""`dccflow run firmware-campaign-canary-halt` (a fleet scenario) and `dccflow campaign firmware`: exit codes, the
halt before the next wave, the per-Device report."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dccflow_app.cli import app

runner = CliRunner()


def test_the_canary_halt_scenario_exits_0_having_halted_before_the_second_wave() -> None:
    result = runner.invoke(app, ["run", "firmware-campaign-canary-halt", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["differences"] == [] and out["fleet"] == 60
    report = out["report"]
    assert (report["end"], report["outcome"]) == ("end_campaign_halted", "halted after wave 1")
    assert [(w["number"], w["size"], w["failed"]) for w in report["waves"]] == [(1, 20, 1)]  # 5% of the canary
    assert (report["upgraded"], report["failed"], report["not_started"]) == (19, 1, 40)
    assert report["halted"] == "wave 1: 1 of 20 failed (5.0%), above 2.0%"
    (failed,) = report["failed_devices"]
    assert failed["alerts"] == ["0x8F1C"]


def test_campaign_firmware_on_an_embedded_fleet_reports_each_device() -> None:
    result = runner.invoke(app, ["campaign", "firmware", "--model", "ESME", "--to", "2.1", "--waves", "1,2",
                                 "--halt-above", "10%", "--fleet", "3", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["campaign_id"], report["outcome"], report["upgraded"]) == ("firmware-campaign-ESME-2.1",
                                                                              "all upgraded", 3)
    assert [(d["outcome"], d["firmware_version"], d["alerts"]) for d in report["devices"]] == [
        ("upgraded", "2.1", ["0x8F72"])] * 3
    assert [w["size"] for w in report["waves"]] == [1, 2]


def test_campaign_firmware_refuses_bad_waves_rates_and_versions_before_anything_starts() -> None:
    for args, message in ((["--waves", "1,x"], "give sizes as whole numbers"),
                          (["--halt-above", "120%"], "must be between 0% and 100%"),
                          (["--to", "123456789"], "a Firmware Version is 1-8 characters"),
                          # an image too large for Temporal's payloads would hang the campaign: refused
                          (["--image-size", "5000000"], "Invalid value for '--image-size'"),
                          (["--detach"], "--detach needs --address"),
                          (["--device", "not-an-id"], "'not-an-id'")):
        result = runner.invoke(app, ["campaign", "firmware", "--model", "ESME", "--to", "2.0.0", *args])
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.output.split())


def test_steering_a_firmware_campaign_needs_both_model_and_version() -> None:
    result = runner.invoke(app, ["campaign", "resume", "--model", "ESME", "--address", "127.0.0.1:7233"])
    assert result.exit_code == 2 and "--model and --to together" in " ".join(result.output.split())


def test_a_model_with_no_meter_in_the_estate_is_refused_with_exit_2_naming_it() -> None:
    result = runner.invoke(app, ["campaign", "firmware", "--model", "NO-SUCH-MODEL", "--to", "2.1",
                                 "--device", "00-db-99-99-99-99-99-99", "--fleet", "1"])
    assert result.exit_code == 2, result.output
    assert "--model 'NO-SUCH-MODEL': no commissioned Smart Meter of this model" in result.output
    assert "00-DB-99-99-99-99-99-99 left out" in " ".join(result.output.split())  # read as an EUI-64
