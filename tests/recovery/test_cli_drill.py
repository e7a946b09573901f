"""``dccflow drill start``: a drill on an embedded time-skipping server over a fleet in service (BAD 7.7.3)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dccflow_app.cli import app

runner = CliRunner()


def test_a_method3_drill_over_a_fleet_recovers_every_device(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drill", "start", "organisation", "--party", "supplier-a", "--key-lost",
                                 "--replacements", "--fleet", "2", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["method"], report["end"]) == ("method-3", "end_recovered")
    assert len(report["devices"]) == 2 and sorted(report["recovered"]) == sorted(report["devices"])
    assert set(report["attacker"]["before"].values()) == {"accepted"}
    assert set(report["attacker"]["after"].values()) == {"refused"}


def test_a_drill_the_pma_declines_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drill", "start", "organisation", "--party", "supplier-a", "--method", "method-2",
                                 "--pma", "decline", "--fleet", "1", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "end_pma_declined" in result.output


def test_a_bad_party_or_a_method_that_does_not_fit_exits_2_with_one_line() -> None:
    for args, said in ((["organisation", "--party", "nobody"], "is not a Supplier's or a Network Operator's User ID"),
                       (["organisation", "--party", "nobody"], "Network Operators: 90-B3-D5-1F-30-02-00-00 "
                                                               "(distributor-a), 90-B3-D5-1F-30-03-00-00"),
                       (["organisation", "--party", "supplier-a", "--method", "contingency"],
                        "recovers a compromised")):
        result = runner.invoke(app, ["drill", "start", *args])
        assert result.exit_code == 2, result.output
        assert said in result.output


def test_a_recovery_key_drill_over_a_fleet_rolls_every_recovery_cell_over(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drill", "start", "recovery-key", "--party", "supplier-a", "--fleet", "2",
                                 "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["method"], report["end"]) == ("recovery-key-rollover", "end_recovered")
    assert len(report["devices"]) == 6  # CHF, GPF and ESME of each SMS: every Recovery cell
    assert set(report["attacker"]["before"].values()) == {"accepted"}
    assert set(report["attacker"]["after"].values()) == {"refused"}


def test_a_root_drill_over_a_fleet_resets_every_device_and_hands_the_meters_back(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drill", "start", "root", "--party", "supplier-a", "--fleet", "2",
                                 "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["method"], report["end"]) == ("contingency", "end_recovered")
    assert len(report["devices"]) == 6 and sorted(report["recovered"]) == sorted(report["devices"])
    verdicts = {(v["obligation"], v["verdict"]) for v in report["audit"]}  # the §D.10 rows, judged
    assert ("RCV-37", "met") in verdicts and ("RCV-30", "met") in verdicts
    assert not any(v == "breached" for _, v in verdicts)
    # L 5.3.2(b): the ESMEs' Network Operator cells hold the Distributor's new certificate (the GPFs have no
    # registered Network Operator in an electricity-only fleet: their cells keep the DCC's ACB certificate)
    operators = report["network_operators"]
    assert len(operators["done"]) == 2 and set(operators["done"].values()) == {"90-B3-D5-1F-30-02-00-00"}
    assert len(operators["not_done"]) == 2 and all("no Network Operator registered" in why
                                                   for why in operators["not_done"].values())
    assert set(operators["probes"]["previous"]) == set(operators["done"])
    assert set(operators["probes"]["previous"].values()) == {"refused"}
    assert set(operators["probes"]["current"].values()) == {"accepted"}


def test_a_contingency_key_drill_prints_the_timeline_the_attacker_and_the_governance_rows(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drill", "start", "contingency-key", "--party", "supplier-a", "--fleet", "1",
                                 "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("pma_approved" in line and "SMKI PMA" in line for line in lines)  # who, what, when
    assert "before: 3 accepted (" in result.output and "; after: 3 refused (" in result.output
    assert "3 of 3 Device(s) recovered" in result.output
    assert any(line.split()[:2] == ["met", "RCV-39"] for line in lines)
    assert "completed (end_recovered)" in result.output


def test_an_issuing_oca_drill_over_a_fleet_recovers_every_device(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drill", "start", "issuing-oca", "--party", "supplier-a", "--fleet", "2",
                                 "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["method"], report["end"]) == ("issuing-oca", "end_recovered")
    assert len(report["devices"]) == 6 and sorted(report["recovered"]) == sorted(report["devices"])


def test_an_issuing_oca_drill_prints_the_network_operator_cells(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drill", "start", "issuing-oca", "--party", "supplier-a", "--fleet", "1",
                                 "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # L 6.3.2.8: the Electricity Distributor's own 6.15.1 on the ESME's Network Operator cell, then the check
    assert "Network Operator cells: 1 replaced, 0 not; new certificates: 90-B3-D5-1F-30-02-00-00 #" in result.output
    assert "the Network Operator's previous key — 1 refused (" in result.output
    assert "the Network Operator's current key — 1 accepted (" in result.output


def test_a_compromise_no_device_trusts_ends_recovered_with_nothing_breached(tmp_path: Path) -> None:
    """The Gas Transporter's key on an electricity-only fleet: the OCNF names no Device. The Incident still runs
    (confirmation, the method, the revocation) and ends recovered, with nothing to recover on Devices."""
    for method in ("method-1", "method-2", "method-3"):
        result = runner.invoke(app, ["drill", "start", "organisation", "--party", "transporter-a", "--method", method,
                                     "--fleet", "2", "--data-dir", str(tmp_path / method), "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert (report["end"], report["devices"], report["not_recovered"]) == ("end_recovered", [], {}), method
        assert "no Device in scope holds the compromised certificate" in report["reason"]
        assert not [v for v in report["audit"] if v["verdict"] == "breached"], method
        assert any(e["bpmn_id"].endswith("certificate_revoked") for e in report["events"]), method
