"""`dccflow run` runs the built-in scenarios from their files, and a user's file the same way; its human output fits
an 80-column terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dccflow_app import cli
from dccflow_app.cli import app

LIBRARY = Path(__file__).resolve().parents[2] / "dccflow_app" / "scenarios" / "library"
runner = CliRunner()


def _user_copy(tmp_path: Path, built_in: str, name: str, change: tuple[str, str] | None = None) -> Path:
    text = (LIBRARY / f"{built_in}.yaml").read_text(encoding="utf-8").replace(f"name: {built_in}", f"name: {name}")
    if change:
        assert change[0] in text
        text = text.replace(*change)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_users_file_runs_like_a_built_in_scenario(tmp_path: Path) -> None:
    path = _user_copy(tmp_path, "install-commission-dual-fuel", "our-dual-fuel-install")
    result = runner.invoke(app, ["run", str(path), "--json", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["differences"] == [] and report["end"] == "end_sms_enrolled"
    assert {d["device_type"]: d["smi_status"] for d in report["devices"]}["GSME"] == "commissioned"


def test_a_users_file_whose_expectation_fails_exits_1_with_the_difference(tmp_path: Path) -> None:
    path = _user_copy(tmp_path, "install-commission-electricity", "expects-too-much",
                      ("  statuses:\n", "  statuses:\n    gpf: commissioned\n"))
    result = runner.invoke(app, ["run", str(path), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "GPF SMI status: expected commissioned, got pending" in result.output


def test_an_invalid_file_exits_2_naming_line_column_and_field(tmp_path: Path) -> None:
    path = _user_copy(tmp_path, "install-commission-electricity", "typo", ("  - at: 0\n", "  - at: 0 dyas\n"))
    line = path.read_text(encoding="utf-8").splitlines().index("  - at: 0 dyas") + 1
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2
    assert result.output.strip() == (f'{path}:{line}:9: timeline[0].at: "0 dyas" is not a duration '
                                     "(write 0 or N minutes|hours|days|working days|weeks|years)")


def test_a_file_with_an_event_not_runnable_yet_exits_2_naming_it(tmp_path: Path) -> None:
    # every event kind runs now (cpl_change since issue #14); a Device key's compromise needs SMKI Recovery
    path = _user_copy(tmp_path, "install-commission-electricity", "with-event",
                      ("timeline:\n", "timeline:\n  - at: 0\n    event: key_compromise\n    device: esme\n"
                                      "    certificate: device\n"))
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2
    assert "SMKI Recovery (BAD 7.7.3)" in result.output


def test_world_events_change_the_fleet_at_their_time(tmp_path: Path) -> None:
    # the CH loses the SM WAN on day 3 and never regains it; the gas meter gets a fault on day 4
    path = _user_copy(tmp_path, "install-commission-dual-fuel", "wan-lost",
                      ("expect:\n", "  - at: 3 days\n    event: ch_off_wan\n    device: chf\n"
                                    "  - at: 4 days\n    event: fault_on\n    device: gsme\n    fault: join-timeout\n"
                                    "expect:\n"))
    data = tmp_path / "data"
    result = runner.invoke(app, ["run", str(path), "--json", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    start = min(e["at"] for e in report["events"])
    days = [(w["event"], w["device_type"], round((_t(w["at"]) - _t(start)).total_seconds() / 86400))
            for w in report["world_events"]]
    assert days == [("ch_off_wan", "CHF", 3), ("fault_on", "GSME", 4)]
    from dccflow.config import Settings
    from dccflow.db import get_engine
    from devices.fleet import Fleet

    fleet = Fleet(get_engine(Settings(data_dir=data).db_url))
    ids = {d["device_type"]: d["device_id"] for d in report["devices"]}
    assert not fleet.get(ids["CHF"]).wan_connected and "join-timeout" in fleet.get(ids["GSME"]).faults


def _t(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("name", ["install-commission-join-timeout-one-device", "post-commissioning-missed"])
def test_human_output_fits_80_columns(name: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cli.out, "width", 80)
    result = runner.invoke(app, ["run", name, "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert not [line for line in lines if "…" in line]  # nothing cut short: the essentials, --json the rest
    assert any("end_sms_enrolled" in line for line in lines)


CELLS_AND_ALERTS = """name: cells-and-alerts
description: Dual-fuel install with a DCC certificate in the ESME's Supplier cell (handed over by SRV 6.21).
premises:
  devices:
    chf: {type: CHF}
    gpf: {type: GPF}
    esme: {type: ESME, supplier_cell: DCC}
    gsme: {type: GSME}
timeline:
  - at: 0
    process: install_commission
expect:
  processes:
    install_commission: {end: end_sms_enrolled, result: completed}
  trust_anchors:
    - {device: esme, cell: Supplier, holder: import_supplier}
    - {device: esme, cell: Network Operator, holder: electricity_distributor}
    - {device: esme, cell: Access Control Broker, holder: DCC}
  dcc_alerts:
    - {code: N24, device: esme, to: import_supplier}
    - {code: N16, device: esme, to: electricity_distributor}
"""


def test_trust_anchor_and_alert_expectations_are_judged(tmp_path: Path) -> None:
    path = tmp_path / "cells-and-alerts.yaml"
    path.write_text(CELLS_AND_ALERTS, encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "--json", "--data-dir", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    esme = next(d for d in report["devices"] if d["device_type"] == "ESME")
    assert esme["cells"]["Supplier"] == "90-B3-D5-1F-30-01-00-00"  # the DCC's certificate handed over (6.21)
    wrong = CELLS_AND_ALERTS.replace("cell: Supplier, holder: import_supplier", "cell: Supplier, holder: DCC")
    wrong = wrong.replace("{code: N16, device: esme", "{code: N25, device: esme")
    path.write_text(wrong, encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "--data-dir", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "ESME Supplier cell: expected DCC, got 90-B3-D5-1F-30-01-00-00" in result.output
    assert "DCC Alert N25 on the ESME to 90-B3-D5-1F-30-02-00-00: expected delivered, got not delivered" in \
        result.output


def test_refusal_expectations_are_judged() -> None:
    from dccflow_app.scenarios.catalogue import SCENARIOS
    from dccflow_app.scenarios.expectations import RunFacts, judge

    scenario = SCENARIOS["install-commission-electricity"].model_copy(
        update={"expected_refusals": (("6.20.1", "90-B3-D5-1F-30-01-00-01", "E4", "ESME"),)})
    facts = dict(result="completed", end="end_sms_enrolled",
                 statuses={"CHF": "commissioned", "ESME": "commissioned"}, event_ids=frozenset())
    refused = RunFacts(**facts, refusals=frozenset({("6.20.1", "90-B3-D5-1F-30-01-00-01", "E4", "ESME")}))
    assert judge(scenario, refused) == []
    other_code = RunFacts(**facts, refusals=frozenset({("6.20.1", "90-B3-D5-1F-30-01-00-01", "E5", "ESME")}))
    assert [str(d) for d in judge(scenario, other_code)] == [
        "SRV 6.20.1 from 90-B3-D5-1F-30-01-00-01 to the ESME: expected refused E4, got not refused so"]


def test_run_refuses_a_save_directory_it_would_overwrite_or_cannot_write_before_running(tmp_path: Path) -> None:
    """`--save` is checked before anything runs: an earlier saved run is never overwritten (exit 2, untouched)."""
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "run.json").write_text('{"workflow_id": "earlier"}')
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for save, says in ((earlier, f"--save {earlier}: already holds a saved run (run.json)"),
                       (a_file, f"--save {a_file}: exists and is not a directory"),
                       (a_file / "below", f"--save {a_file / 'below'}: cannot be written")):
        result = runner.invoke(app, ["run", "install-commission-electricity", "--save", str(save),
                                     "--data-dir", str(tmp_path / "data")])
        assert result.exit_code == 2, result.output
        assert says in result.stderr and "Traceback" not in result.output
        assert not (tmp_path / "data").exists()  # nothing ran
    assert (earlier / "run.json").read_text() == '{"workflow_id": "earlier"}' and a_file.read_text() == "x"


def test_run_of_a_directory_says_it_is_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path} is a directory: give one scenario file" in result.stderr


def test_a_folder_named_like_a_built_in_scenario_does_not_hide_it(tmp_path: Path, monkeypatch) -> None:
    """`dccflow run NAME` runs the built-in scenario even when the working folder holds a folder called NAME
    (e.g. an earlier `--save NAME`)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "install-commission-electricity").mkdir()
    result = runner.invoke(app, ["run", "install-commission-electricity", "--json", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
