"""Scenario files (issue 12): the library of built-in scenarios, the published JSON Schema, durations, and the
translation of a file to today's catalogue entry."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

from dccflow_app.scenarios.catalogue import SCENARIOS
from dccflow_app.scenarios.durations import NotADuration, Unit, parse_duration
from dccflow_app.scenarios.loader import ScenarioFileError, library, load_file, load_text
from dccflow_app.scenarios.spec import SCHEMA_PATH, schema_text
from dccflow_app.scenarios.spec_checks import order_problem
from dccflow_app.scenarios.to_catalogue import NotACatalogueScenario, to_catalogue_scenario

LIBRARY = Path(__file__).resolve().parents[2] / "dccflow_app" / "scenarios" / "library"
FILES = sorted(LIBRARY.glob("*.yaml"))


def test_the_published_schema_is_the_models_schema() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "scenario.schema.json is out of date: dccflow scenario schema > dccflow_app/scenarios/scenario.schema.json")
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_library_file_validates_against_the_published_schema_and_loads(path: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []
    spec = load_file(path)
    assert spec.name == path.stem  # `dccflow run NAME` finds the file by its name


def test_the_published_schema_rejects_what_the_loader_rejects() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    data = yaml.safe_load((LIBRARY / "post-commissioning-met.yaml").read_text())
    data["timeline"][1]["at"] = "2 dyas"
    data["timeline"][0]["process"] = "install_commision"
    data["premises"]["devices"]["esme"]["colour"] = "red"
    assert not validator.is_valid(data)
    for broken in ({**data, "timeline": []}, {k: v for k, v in data.items() if k != "name"}):
        assert not validator.is_valid(broken)


#: the Python catalogue as it was before the library files replaced it (dumped once, at the switch)
BEFORE_FILES = json.loads((Path(__file__).with_name("catalogue_before_files.json")).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(BEFORE_FILES))
def test_each_scenario_of_the_python_catalogue_is_its_library_file(name: str) -> None:
    # the switch to files changed no scenario: each translates to exactly the entry it replaced
    path = LIBRARY / f"{name}.yaml"
    assert path.is_file(), f"no library file for {name}"
    dump = to_catalogue_scenario(load_file(path)).model_dump(mode="json")
    for later in ("events", "expected_cells", "expected_alerts", "expected_refusals", "follow_on",
                  "unexpected_cell_holders"):  # added after the switch
        assert dump.pop(later) == []
    assert dump == BEFORE_FILES[name]


def test_the_catalogue_is_the_library() -> None:
    files = library()
    fleets = {name for name, spec in files.items() if spec.fleet is not None}  # run apart (fleet_run)
    assert set(SCENARIOS) | fleets == set(files) == {path.stem for path in FILES}
    assert all(SCENARIOS[name] == to_catalogue_scenario(spec) for name, spec in files.items() if name not in fleets)


def test_a_file_with_more_than_one_process_does_not_translate() -> None:
    text = (LIBRARY / "install-commission-electricity.yaml").read_text().replace(
        "timeline:\n", "timeline:\n  - at: 0\n    event: key_compromise\n    certificate: device\n    device: esme\n")
    with pytest.raises(NotACatalogueScenario) as caught:
        to_catalogue_scenario(load_text(text, "x.yaml"))
    assert "SMKI Recovery (BAD 7.7.3)" in str(caught.value)


def test_a_cpl_change_is_a_world_event_of_the_timeline() -> None:
    """SEC H6.10: the Model of the named device off the CPL (``world_events.cpl_event``)."""
    text = (LIBRARY / "install-commission-electricity.yaml").read_text().replace(
        "timeline:\n", "timeline:\n  - at: 0\n    event: cpl_change\n    device: esme\n    change: removed\n")
    (event,) = to_catalogue_scenario(load_text(text, "x.yaml")).events
    assert (event.event, event.device_type, event.change, event.firmware_version) == (
        "cpl_change", "ESME", "removed", None)


@pytest.mark.parametrize(("text", "count", "unit", "shown"), [
    ("0", 0, Unit.MINUTES, "0"), (0, 0, Unit.MINUTES, "0"), ("90 minutes", 90, Unit.MINUTES, "90 minutes"),
    ("1 hour", 1, Unit.HOURS, "1 hour"), ("3 working days", 3, Unit.WORKING_DAYS, "3 working days"),
    ("1  working day", 1, Unit.WORKING_DAYS, "1 working day"), ("30 days", 30, Unit.DAYS, "30 days"),
    ("2 weeks", 2, Unit.WEEKS, "2 weeks"), ("1 year", 1, Unit.YEARS, "1 year"),
])
def test_durations_parse_keeping_their_unit(text, count: int, unit: Unit, shown: str) -> None:
    duration = parse_duration(text)
    assert (duration.count, duration.unit, str(duration)) == (count, unit, shown)


@pytest.mark.parametrize("text", ["3 wrking days", "5", 5, "-1 days", "1.5 days", "2 months", "3 Days", "", True])
def test_what_is_not_a_duration_is_named(text) -> None:
    with pytest.raises(NotADuration) as caught:
        parse_duration(text)
    shown = f'"{text}"' if isinstance(text, str) else repr(text)
    assert str(caught.value) == f"{shown} is not a duration (write 0 or N minutes|hours|days|working days|weeks|years)"


def test_working_days_are_counted_on_the_gb_calendar_not_as_a_fixed_length() -> None:
    three = parse_duration("3 working days")
    assert three.fixed() is None
    # Friday 18 December 2026 + 3 Working Days: Monday 21 to Wednesday 23
    assert three.after(datetime(2026, 12, 18, 10, tzinfo=UTC)) == datetime(2026, 12, 23, 10, tzinfo=UTC)
    # Thursday 24 December 2026 + 1: Christmas Day, the weekend and Boxing Day's substitute (Monday 28) pass
    assert parse_duration("1 working day").after(datetime(2026, 12, 24, 9, tzinfo=UTC)) == \
        datetime(2026, 12, 29, 9, tzinfo=UTC)
    assert parse_duration("2 weeks").after(datetime(2026, 12, 24, tzinfo=UTC)) == datetime(2027, 1, 7, tzinfo=UTC)
    assert parse_duration("1 year").after(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2029, 2, 28, tzinfo=UTC)


def test_steps_in_units_of_different_kinds_must_be_in_order_whatever_the_start_date() -> None:
    d = parse_duration
    assert order_problem(d("3 working days"), d("3 days")) is None  # never sooner than 3 days
    assert order_problem(d("30 days"), d("3 working days")) is None
    assert order_problem(d("4 days"), d("3 working days")) == (
        "4 days may come before the previous step's 3 working days, depending on the start date (write both in the "
        "same unit, or leave a wider gap)")
    assert order_problem(d("2 days"), d("3 working days")) == "2 days is before the previous step's 3 working days"
    assert order_problem(d("1 working day"), d("2 working days")) == \
        "1 working day is before the previous step's 2 working days"
    assert order_problem(d("2 weeks"), d("14 days")) is None
    assert order_problem(d("1 year"), d("366 days")) is not None


WHOLE = """\
name: dual-fuel-life
description: Dual fuel with a PPMID; the CH off the SM WAN for a day; a new Supplier on the MPAN.
parties: {import_supplier: supplier-a, gas_supplier: supplier-a}
premises:
  devices:
    chf: {type: CHF}
    gpf: {type: GPF}
    esme: {type: ESME, supplier_cell: DCC}
    gsme: {type: GSME, supplier_cell: other-mpid}
    ppmid: {type: PPMID}
timeline:
  - {at: 0, id: install, process: install_commission, actor: import_supplier}
  - {at: 2 days, process: post_commissioning}
  - {at: 3 working days, event: ch_off_wan, device: chf, for: 1 day}
  - {at: 30 days, event: fault_on, device: esme, fault: "join-delay:30"}
  - {at: 30 days, event: fault_off, device: esme, fault: join-delay}
  - {at: 6 weeks, event: registration_data_change, fuel: electricity, supplier: supplier-b}
  - {at: 1 year, event: key_compromise, party: import_supplier}
  - {at: 1 year, event: fault_on, device: gsme, fault: join-timeout}
  - {at: 1 year, event: cpl_change, device: esme, change: removed, firmware_version: "1.2"}
  - {at: 2 years, process: service_request, actor: import_supplier, with: {srv: "6.20.1", device: esme}}
expect:
  processes:
    install: {end: end_sms_enrolled, result: completed, steps: [join_gsme_to_gpf]}
    post_commissioning: {outcome: met}
  statuses: {chf: commissioned, gpf: commissioned, esme: commissioned, gsme: commissioned, ppmid: commissioned}
  trust_anchors: [{device: esme, cell: Supplier, holder: import_supplier}]
  dcc_alerts: [{code: N24, device: esme, to: import_supplier}]
  verdicts: {device-post-commissioning: met}
  refusals: [{srv: "6.20.1", by: import_supplier, code: E5, device: esme}]
"""


def test_a_whole_life_file_with_events_and_every_kind_of_expectation_loads() -> None:
    spec = load_text(WHOLE, "life.yaml")
    assert [spec.step_id(s) for s in spec.timeline] == [
        "install", "post_commissioning", "ch_off_wan", "fault_on", "fault_off", "registration_data_change",
        "key_compromise", "fault_on", "cpl_change", "service_request"]
    assert str(spec.timeline[2].for_) == "1 day"
    with pytest.raises(NotACatalogueScenario) as caught:
        to_catalogue_scenario(spec)
    # its events all run (registration_data_change, key_compromise, cpl_change) and a routine request to the ESME
    # does: one at '2 years' does not (the harness counts its days)
    assert str(caught.value) == "service_request at 2 years: today's harness takes whole days"
    routine = WHOLE.replace('at: 2 years, process: service_request', 'at: 700 days, process: service_request')
    with pytest.raises(NotACatalogueScenario) as caught:
        to_catalogue_scenario(load_text(routine, "life.yaml"))
    assert str(caught.value).startswith("ch_off_wan at 3 working days for 1 day")
    to_the_hub = routine.replace('with: {srv: "6.20.1", device: esme}', 'with: {srv: "6.20.1", device: chf}')
    with pytest.raises(NotACatalogueScenario) as caught:
        to_catalogue_scenario(load_text(to_the_hub, "life.yaml"))
    assert "sends SRV 6.20.1 to the ESME as its routine request" in str(caught.value)


def test_references_in_expectations_and_events_are_checked() -> None:
    text = (WHOLE.replace("cell: Supplier", "cell: WAN Provider").replace("device-post-commissioning: met",
                                                                           "device-post-comissioning: met")
            .replace("code: E5", "code: E555").replace("supplier: supplier-b", "supplier: supplier-z")
            .replace("install: {end", "instal: {end").replace("device: chf, for", "device: gpf, for"))
    with pytest.raises(ScenarioFileError) as caught:
        load_text(text, "life.yaml")
    assert [str(p) for p in caught.value.problems] == [
        'life.yaml:14:53: timeline[2].device: "gpf" is not a CHF but a GPF',
        'life.yaml:17:81: timeline[5].supplier: "supplier-z" is not a party of the simulator (parties: supplier-a, '
        'supplier-b, supplier-c, distributor-a, transporter-a)',
        'life.yaml:24:5: expect.processes.instal: "instal" is not a process step of the timeline (process steps: '
        'install, post_commissioning, service_request)',
        "life.yaml:27:40: expect.trust_anchors[0].cell: the ESME has no WAN Provider cell (its cells: Root, Recovery, "
        "Supplier, Network Operator, Access Control Broker, Transitional CoS)",
        'life.yaml:29:14: expect.verdicts.device-post-comissioning: "device-post-comissioning" is not an obligation '
        'of the register (dccflow/domain/obligations.py); did you mean "device-post-commissioning"?',
        'life.yaml:30:57: expect.refusals[0].code: "E555" is not a DUIS response code',
    ]


def test_a_fleet_is_premises_from_a_template() -> None:
    fleet = ("fleet:\n  count: 100\n  seed: 7\n  template:\n    devices:\n      chf: {type: CHF}\n"
             "      gpf: {type: GPF}\n      esme: {type: ESME}\n"
             "  faults: [{device: chf, fault: slow-wan:10, rate: 0.05}]\n")
    head = "name: fleet-install\ndescription: 100 installs.\n"
    tail = "timeline:\n  - {at: 0, process: install_commission}\n"
    spec = load_text(head + fleet + tail, "fleet.yaml")
    assert (spec.fleet.count, list(spec.devices())) == (100, ["chf", "gpf", "esme"])
    with pytest.raises(ScenarioFileError) as caught:
        load_text(head + fleet.replace("rate: 0.05", "rate: 5") + tail, "fleet.yaml")
    assert str(caught.value) == "fleet.yaml:11:52: fleet.faults[0].rate: 5 is more than 1"
    premises = "premises:\n  devices: {chf: {type: CHF}, gpf: {type: GPF}, esme: {type: ESME}}\n"
    with pytest.raises(ScenarioFileError) as caught:
        load_text(head + premises + fleet + tail, "fleet.yaml")
    assert str(caught.value) == "fleet.yaml:5:1: fleet: give premises (one) or fleet (many), not both"


@pytest.mark.parametrize("text", ["0", 0, "90 minutes", "1 hour", "3 working days", "1  working day", "2 weeks",
                                  "1 year", "3 wrking days", "5", 5, "-1 days", "1.5 days", "2 months", "3 Days", ""])
def test_the_schema_and_the_loader_agree_on_what_a_duration_is(text) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    at = schema["$defs"]["InstallCommissionStep"]["properties"]["at"]
    try:
        parse_duration(text)
        loader_accepts = True
    except NotADuration:
        loader_accepts = False
    assert jsonschema.Draft202012Validator(at).is_valid(text) == loader_accepts
