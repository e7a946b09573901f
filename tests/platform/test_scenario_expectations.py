"""Every catalogued scenario states what it expects, and `dccflow run NAME` exits 0 exactly when a run meets it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dccflow_app.cli import app
from dccflow_app.scenarios.catalogue import SCENARIOS
from dccflow_app.scenarios.expectations import RunFacts, describe, judge

runner = CliRunner()
NO_WAN = SCENARIOS["install-and-leave-no-wan"]


def _facts(**changes) -> RunFacts:
    base = dict(result="failed", end="end_no_sm_wan",
                statuses={"CHF": "installed not commissioned", "ESME": "installed not commissioned"},
                event_ids=frozenset(), verdicts={"no-wan-report": ("met",), "enrolment": ("not applicable",)})
    return RunFacts(**{**base, **changes})


def test_a_failure_branch_scenario_is_met_by_reaching_that_branch() -> None:
    assert judge(NO_WAN, _facts()) == []
    assert "ends end_no_sm_wan (failure branch)" in describe(NO_WAN)


def test_each_unmet_part_is_listed_expected_against_actual() -> None:
    differences = judge(NO_WAN, _facts(result="completed", end="end_sms_enrolled",
                                       statuses={"CHF": "commissioned"},
                                       verdicts={"no-wan-report": ("met", "breached")}))
    assert sorted(map(str, differences)) == [
        "CHF SMI status: expected installed not commissioned, got commissioned",
        "ESME SMI status: expected installed not commissioned, got not on the SMI",
        "end: expected end_no_sm_wan (failed), got end_sms_enrolled (completed)",
        "obligation enrolment: expected not applicable, got not judged",
        "obligation no-wan-report: expected met, got breached",
    ]


def test_an_ad_hoc_fault_asks_only_that_the_process_completes() -> None:
    electricity = SCENARIOS["install-commission-electricity"]
    failed = _facts(result="failed", end="end_join_failed", statuses={})
    assert [d.what for d in judge(electricity, failed, faults=["join-timeout"])] == ["result (run with --fault)"]
    done = _facts(result="completed", end="end_sms_enrolled", statuses={})
    assert judge(electricity, done, faults=["slow-wan:5"]) == []


def test_scenarios_lists_each_expected_end() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    for scenario in SCENARIOS.values():
        (line,) = [line for line in result.output.splitlines() if line.startswith(scenario.name + "  ")]
        assert f"Expects: ends {scenario.expected_end}" in line


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_catalogued_scenario_exits_0(name: str, tmp_path) -> None:
    result = runner.invoke(app, ["run", name, "--json", "--data-dir", str(tmp_path)])
    report = json.loads(result.stdout)
    assert report["differences"] == [], report["differences"]
    assert result.exit_code == 0
    expected = SCENARIOS[name]
    assert (report["end"], report["result"]) == (expected.expected_end, expected.expected_result)


def test_a_run_that_misses_its_expectation_exits_1_naming_what_differed(tmp_path, monkeypatch) -> None:
    # the same run judged against a stricter expectation than the scenario's: the ESME would have to be 'suspended'
    strict = NO_WAN.model_copy(update={"expected_statuses": {**NO_WAN.expected_statuses, "ESME": "suspended"}})
    monkeypatch.setitem(SCENARIOS, NO_WAN.name, strict)
    result = runner.invoke(app, ["run", NO_WAN.name, "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "ESME SMI status: expected suspended, got installed not commissioned" in result.output
