"""Bad scenario files get the one line a user sees: file, line, column, field path and what is wrong
(``dccflow scenario check``, exit 2); good ones pass (exit 0); ``scenario new`` writes a file that validates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dccflow_app.cli import app
from dccflow_app.scenarios.loader import ScenarioFileError, load_file, load_text
from dccflow_app.scenarios.spec import PROCESSES, SCHEMA_PATH
from devices.faults import FAULTS

runner = CliRunner()

GOOD = """\
name: my-scenario
description: An electricity install, Post Commissioning on day 2, then a CH outage.
premises:
  devices:
    chf: {type: CHF}
    gpf: {type: GPF}
    esme: {type: ESME, faults: [join-delay:30]}
timeline:
  - {at: 0, process: install_commission}
  - {at: 2 days, process: post_commissioning}
  - at: 3 days
    event: ch_off_wan
    device: chf
  - at: 3 working days
    event: ch_on_wan
    device: chf
expect:
  processes:
    install_commission: {end: end_sms_enrolled, result: completed}
  statuses: {chf: commissioned, esme: commissioned}
"""

DURATIONS = "0 or N minutes|hours|days|working days|weeks|years"
PROCESS_NAMES = ", ".join(PROCESSES)


def _with(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


def _changed(changes) -> str:
    """GOOD with one change (old, new) or several, made in turn."""
    text = GOOD
    for old, new in changes if isinstance(changes[0], tuple) else (changes,):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioFileError) as caught:
        load_text(text, "my.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_good_file_loads() -> None:
    spec = load_text(GOOD, "my.yaml")
    assert [str(step.at) for step in spec.timeline] == ["0", "2 days", "3 days", "3 working days"]


BAD = {
    "bad duration": (
        ("at: 3 working days", "at: 3 wrking days"),
        f'my.yaml:14:9: timeline[3].at: "3 wrking days" is not a duration (write {DURATIONS})'),
    "a number without a unit": (
        ("at: 3 working days", "at: 3"),
        f"my.yaml:14:9: timeline[3].at: 3 is not a duration (write {DURATIONS})"),
    "a time before the previous step": (
        ("at: 3 working days", "at: 1 day"),
        "my.yaml:14:9: timeline[3].at: 1 day is before the previous step's 3 days (timeline[2].at)"),
    "a time that may be before the previous step": (
        (("at: 3 days", "at: 2 working days"), ("at: 3 working days", "at: 3 days")),
        "my.yaml:14:9: timeline[3].at: 3 days may come before the previous step's 2 working days, depending on the "
        "start date (write both in the same unit, or leave a wider gap) (timeline[2].at)"),
    "unknown process": (
        ("process: post_commissioning", "process: post_comissioning"),
        f'my.yaml:10:27: timeline[1].process: "post_comissioning" is not a process (processes: {PROCESS_NAMES})'),
    "a process not there yet": (
        ("process: post_commissioning", "process: user_to_non_user_churn"),
        f'my.yaml:10:27: timeline[1].process: "user_to_non_user_churn" (User to Non-User Churn, BAD 7.7.4) is not '
        f"available yet (processes: {PROCESS_NAMES})"),
    "unknown device": (
        ("    event: ch_on_wan\n    device: chf", "    event: ch_on_wan\n    device: hub"),
        'my.yaml:16:13: timeline[3].device: "hub" is not a device of the premises (devices: chf, gpf, esme)'),
    "unknown fault": (
        ("join-delay:30", "join-dleay:30"),
        # the fleet's own parser names the fault and every fault it knows (devices.faults: one list)
        f"my.yaml:7:33: premises.devices.esme.faults[0]: unknown fault 'join-dleay'; known faults: "
        f"{', '.join(sorted(FAULTS))}"),
    "a fault that does not apply to the device": (
        ("chf: {type: CHF}", "chf: {type: CHF, faults: [join-timeout]}"),
        "my.yaml:5:31: premises.devices.chf.faults[0]: fault 'join-timeout' does not apply to a CHF (it applies to "
        f"{', '.join(FAULTS['join-timeout'].applies_to)})"),
    "wrong type: text for a mapping": (
        ("esme: {type: ESME, faults: [join-delay:30]}", "esme: ESME"),
        'my.yaml:7:11: premises.devices.esme: "ESME" is not a mapping (write key: value lines)'),
    "wrong type: a number for a word": (
        ("result: completed", "result: 0"),
        "my.yaml:19:57: expect.processes.install_commission.result: 0 is not one of: 'completed' or 'failed'"),
    "an unknown field": (
        ("{at: 2 days, process: post_commissioning}", "{at: 2 days, process: post_commissioning, with: {step: x}}"),
        "my.yaml:10:54: timeline[1].with.step: unknown field (fields here: steps)"),
    "YAML syntax error": (
        ("    event: ch_off_wan", "    event ch_off_wan"),
        "my.yaml:13:5: YAML syntax error: could not find expected ':' (while scanning a simple key at line 12)"),
    "a duration beyond a hundred years": (
        ("at: 3 working days", "at: 99999999999999999999 working days"),
        'my.yaml:14:9: timeline[3].at: "99999999999999999999 working days" is longer than a scenario runs: at most '
        "100 years (25,000 working days)"),
    "digits of another script": (
        ("at: 3 working days", "at: \u0663 working days"),
        f'my.yaml:14:9: timeline[3].at: "\u0663 working days" is not a duration (write {DURATIONS})'),
    "a fault parameter beyond a hundred years": (
        ("join-delay:30", "join-delay:99999999999999999999"),
        "my.yaml:7:33: premises.devices.esme.faults[0]: fault 'join-delay': minutes must be at most 52,596,000 "
        "(given '99999999999999999999'; a hundred years, the longest a scenario runs)"),
    "an end the process's model does not have": (
        ("end: end_sms_enrolled", "end: end_sms_enroled"),
        'my.yaml:19:31: expect.processes.install_commission.end: "end_sms_enroled" is not an end event of '
        "bpmn/install_commission.bpmn (its ends: end_install_and_leave, end_join_unsuccessful, "
        "end_service_request_failed, end_sms_enrolled, han_device_joined, han_device_not_joined); did you mean "
        '"end_sms_enrolled"?'),
    "a step no model has": (
        ("result: completed}", "result: completed, steps: [comission_device]}"),
        'my.yaml:19:76: expect.processes.install_commission.steps[0]: "comission_device" is not a step of any BPMN '
        'model (bpmn/*.bpmn); did you mean "commission_device"?'),
    "a key given twice": (
        ("    gpf: {type: GPF}", "    chf: {type: GPF}"),
        "my.yaml:6:5: premises.devices.chf: duplicate key (given twice in this mapping)"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_file_gets_the_exact_line_a_user_sees(case: str) -> None:
    changes, line = BAD[case]
    assert _problems(_changed(changes)) == [line]


def test_every_problem_of_a_file_is_listed_in_file_order() -> None:
    text = _changed((("    gpf: {type: GPF}\n", ""),
                     ("device: chf\n  - at: 3 working days", "device: hub\n  - at: 1 day")))
    assert _problems(text) == [
        "my.yaml:5:5: premises.devices: a premises has one GPF (the Communications Hub has a CHF and a GPF); found 0",
        'my.yaml:12:13: timeline[2].device: "hub" is not a device of the premises (devices: chf, esme)',
        "my.yaml:13:9: timeline[3].at: 1 day is before the previous step's 3 days (timeline[2].at)",
    ]


def test_scenario_check_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("good.yaml").write_text(GOOD)
    Path("my.yaml").write_text(_with("at: 3 working days", "at: 3 wrking days"))
    ok = runner.invoke(app, ["scenario", "check", "good.yaml"])
    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, "good.yaml: ok (my-scenario, 4 steps)\n", "")
    bad = runner.invoke(app, ["scenario", "check", "good.yaml", "my.yaml"])
    assert bad.exit_code == 2
    assert bad.stderr.splitlines() == [
        f'my.yaml:14:9: timeline[3].at: "3 wrking days" is not a duration (write {DURATIONS})',
        "1 of 2 files are not valid scenarios"]
    missing = runner.invoke(app, ["scenario", "check", "nowhere.yaml"])
    assert (missing.exit_code, missing.stderr.splitlines()[0]) == (
        2, "nowhere.yaml: cannot read the file: No such file or directory")


def test_scenario_check_takes_the_library_folder() -> None:
    library = SCHEMA_PATH.parent / "library"
    result = runner.invoke(app, ["scenario", "check", str(library)])
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(list(library.glob("*.yaml")))


def test_scenario_schema_prints_the_published_schema() -> None:
    result = runner.invoke(app, ["scenario", "schema"])
    assert result.exit_code == 0
    assert result.stdout == SCHEMA_PATH.read_text(encoding="utf-8")
    assert json.loads(result.stdout)["title"] == "dccflow scenario"


def test_scenario_new_writes_a_commented_file_that_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["scenario", "new", "my-install"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "wrote my-install.yaml; check it with: dccflow scenario check my-install.yaml\n"
    text = Path("my-install.yaml").read_text()
    assert text.count("\n#") >= 3  # commented for the user
    spec = load_file("my-install.yaml")
    assert (spec.name, [s.process for s in spec.timeline]) == ("my-install", ["install_commission",
                                                                              "post_commissioning"])
    assert runner.invoke(app, ["scenario", "check", "my-install.yaml"]).exit_code == 0
    again = runner.invoke(app, ["scenario", "new", "my-install"])
    assert (again.exit_code, again.stderr) == (2, "error: my-install.yaml exists (--force overwrites it)\n")
    assert runner.invoke(app, ["scenario", "new", "my-install", "--force"]).exit_code == 0
    bad = runner.invoke(app, ["scenario", "new", "My Install"])
    assert bad.exit_code == 2
    assert bad.stderr == ("error: 'My Install' is not a scenario name (lower-case letters, digits and '-', "
                          "e.g. my-install)\n")


def test_yaml_aliases_that_refer_to_themselves_or_expand_without_end_are_refused() -> None:
    assert _problems("name: &a [1, *a]\n") == ["my.yaml:1:7: name[1]: an alias refers to a value it is part of"]
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in "bcdef":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{', '.join([f'*{previous}'] * 10)}]")
    [problem] = _problems("\n".join(lines) + "\n")
    assert problem.endswith(": more than 100000 values (aliases expanding without end?)")


def test_check_notes_a_valid_file_that_run_cannot_run_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid (exit 0), but `dccflow run` would refuse it: `check` says so, with run's reason."""
    monkeypatch.chdir(tmp_path)
    Path("later.yaml").write_text(_with("at: 3 days\n    event: ch_off_wan\n    device: chf",
                                        "at: 3 working days\n    event: ch_off_wan\n    device: chf\n    for: 1 day")
                                  .replace("  - at: 3 working days\n    event: ch_on_wan\n    device: chf\n", ""))
    result = runner.invoke(app, ["scenario", "check", "later.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("later.yaml: note: valid, but `dccflow run` cannot run it yet: ch_off_wan at "
                                    "3 working days for 1 day: 'at' and 'for' must be minutes, hours, days or weeks")
    run = runner.invoke(app, ["run", "later.yaml"])
    assert run.exit_code == 2 and "ch_off_wan at 3 working days for 1 day" in run.stderr
    assert "the follow-on processes change_of_supplier" in run.stderr  # what runs today, from the registry


def test_scenario_new_that_cannot_write_is_exit_2(tmp_path: Path) -> None:
    for target in (tmp_path / "no" / "such" / "x.yaml", tmp_path / ("a" * 300 + ".yaml")):
        result = runner.invoke(app, ["scenario", "new", "x", "-o", str(target)])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: {target}: cannot be written") and "Traceback" not in result.output


def test_the_readme_example_validates_and_is_one_run_can_run() -> None:
    """The README's example of the format: valid, and `dccflow run` takes it (no 'cannot run it yet')."""
    from dccflow_app.scenarios.to_catalogue import to_catalogue_scenario

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```yaml\nname: my-install", 1)[1].split("\n```", 1)[0]
    spec = load_text("name: my-install" + block, "README.md")
    scenario = to_catalogue_scenario(spec)
    assert scenario.name == "my-install" and scenario.routine_request_day is None
