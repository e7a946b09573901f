"""``dccflow run --fault`` takes the fleet's parameterised faults (``NAME[:PARAM]``, the fleet's own parser),
names a bad parameter, and ``dccflow scenarios`` / ``run --help`` say which faults each scenario accepts."""

from __future__ import annotations

import json
from datetime import datetime

from typer.testing import CliRunner

from dccflow_app.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "240"}


def test_wan_after_days_on_the_electricity_install_sends_it_to_install_and_leave(tmp_path):
    result = runner.invoke(app, ["run", "install-commission-electricity", "--fault", "wan-after:3", "--json",
                                 "--data-dir", str(tmp_path)])
    assert result.exit_code == 1, result.output  # a documented failure branch (BAD 7.2.1.6.4 → 7.2.2)
    report = json.loads(result.stdout)
    assert report["end"] == "end_install_and_leave"
    assert {d["device_type"]: d["smi_status"] for d in report["devices"]}["CHF"] == "pending"


def test_wan_after_sets_the_day_the_sm_wan_comes_in_install_and_leave(tmp_path):
    result = runner.invoke(app, ["run", "install-and-leave-wan-after-3-days", "--fault", "wan-after:10", "--json",
                                 "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    events = {e["bpmn_id"]: datetime.fromisoformat(e["at"]) for e in json.loads(result.stdout)["events"]}
    waited = events["sm_wan_connected"] - events["ch_status_update_install_no_sm_wan"]
    assert 9.99 < waited.total_seconds() / 86400 < 11  # from the CH powered on the day: 10 days, not 3


def test_bad_fault_parameters_are_named_with_exit_2():
    cases = {
        "wan-after:x": ["'wan-after'", "days must be a number", "'x'", "wan-after[:DAYS]"],
        "wan-after:-1": ["'wan-after'", "not below 0"],
        "wan-after:": ["'wan-after'", "nothing after ':'"],
        "no-wan:3": ["'no-wan'", "takes no parameter"],
        "wan-after:3=0.5": ["wan-after:3=0.5", "NAME[:PARAM]"],
        "wan-before:3": ["'wan-before'", "known faults", "wan-after"],
        # a timer past a hundred years would overflow or never end: refused, not run
        "wan-after:1e300": ["'wan-after'", "days must be at most 36,525"],
        "join-delay:99999999999999999999": ["'join-delay'", "minutes must be at most 52,596,000"],
        "join-delay:\u0661\u0660": ["'join-delay'", "minutes must be a number"],  # digits of another script
    }
    for fault, expected in cases.items():
        result = runner.invoke(app, ["run", "install-commission-electricity", "--fault", fault], env=WIDE)
        assert result.exit_code == 2, (fault, result.output)
        assert all(text in result.output for text in expected), (fault, result.output)
        assert "Traceback" not in result.output


def test_a_fault_the_scenario_does_not_take_lists_the_ones_it_does():
    result = runner.invoke(app, ["run", "install-commission-gas-hot-shoe", "--fault", "join-delay:5"], env=WIDE)
    assert result.exit_code == 2
    assert "does not take fault 'join-delay'" in result.output and "(it takes: no-wan)" in result.output


def test_scenarios_and_run_help_say_which_faults_each_scenario_accepts():
    listing = runner.invoke(app, ["scenarios"], env=WIDE).stdout.splitlines()
    line = next(x for x in listing if x.startswith("install-commission-electricity "))
    assert line.endswith("[faults: join-timeout, no-wan, wan-after[:DAYS], join-delay[:MINUTES], "
                         "slow-wan[:MINUTES]]")
    help_text = runner.invoke(app, ["run", "--help"], env=WIDE).stdout
    assert "install-and-leave-wan-after-3-days: join-timeout, wan-after[:DAYS]" in help_text
    assert "install-commission-gas-hot-shoe: no-wan" in help_text


def test_the_fleet_reports_a_bad_parameter_through_the_same_parser(tmp_path):
    result = runner.invoke(app, ["fleet", "create", "--sms", "1", "--fault", "wan-after:x", "--data-dir",
                                 str(tmp_path)], env=WIDE)
    assert result.exit_code == 2
    assert "'wan-after': days must be a number (given 'x'" in result.output
