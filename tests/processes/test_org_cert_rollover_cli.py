"""`dccflow run org-cert-rollover-fleet` (a fleet scenario) and `dccflow campaign`: exit codes and what they print."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dccflow_app.cli import app

LIBRARY = Path(__file__).resolve().parents[2] / "dccflow_app" / "scenarios" / "library"
runner = CliRunner()


def _copy(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = (LIBRARY / "org-cert-rollover-fleet.yaml").read_text(encoding="utf-8")
    for old, new in (("name: org-cert-rollover-fleet", "name: our-rollover"), ("count: 20", "count: 4"), *changes):
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "our-rollover.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fleet_scenario_runs_and_exits_0_with_every_supplier_cell_replaced(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(_copy(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["differences"] == [] and report["fleet"] == 4
    assert (report["report"]["replaced"], report["report"]["failed"]) == (4, 0)


def test_a_fleet_whose_devices_refuse_exits_1_naming_each_difference(tmp_path: Path) -> None:
    path = _copy(tmp_path, ("      esme: {type: ESME}\n", "      esme: {type: ESME}\n"
                                                           "  faults: [{device: esme, fault: refuse-signature, "
                                                           "rate: 1}]\n"))
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 1, result.output
    assert "0 of 4 Devices hold the new certificate; 4 failed" in result.output
    assert "org_cert_rollover end: expected end_campaign_complete, got end_campaign_incomplete" in result.output


def test_a_fleet_scenario_is_refused_on_a_server_of_ones_own() -> None:
    result = runner.invoke(app, ["run", "org-cert-rollover-fleet", "--address", "127.0.0.1:1"])
    assert result.exit_code == 2
    assert "dccflow fleet create --in-service" in result.output


def test_campaign_rollover_on_an_embedded_fleet_reports_each_device(tmp_path: Path) -> None:
    result = runner.invoke(app, ["campaign", "rollover", "--supplier", "90-B3-D5-1F-30-01-00-00", "--fleet", "3",
                                 "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["total"], report["replaced"], report["activated"]) == (3, 3, True)
    assert len(report["replaced_devices"]) == 3 and report["failed_devices"] == []


def test_campaign_steering_needs_a_server_and_a_campaign() -> None:
    assert runner.invoke(app, ["campaign", "pause", "--supplier", "x"]).exit_code == 2
    result = runner.invoke(app, ["campaign", "status", "--address", "127.0.0.1:7233"])
    assert result.exit_code == 2 and "give --supplier or --campaign" in result.output


def test_campaign_rollover_refuses_a_user_id_that_is_no_supplier_before_anything_starts() -> None:
    for bad in ("nobody", "90-B3-D5-1F-30-02-00-00"):  # not a User; the Electricity Distributor
        result = runner.invoke(app, ["campaign", "rollover", "--supplier", bad])
        assert result.exit_code == 2, result.output
        assert f"--supplier '{bad}' is not the User ID of an Import or Gas Supplier" in " ".join(result.output.split())
