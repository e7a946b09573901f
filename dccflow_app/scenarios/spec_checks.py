"""The checks of a scenario file that need the whole file (the models check each value alone): the premises'
devices, each reference to a device, the timeline's order, the faults (by the fleet's own parser,
``devices.faults.parse_fault``, so there is one list of faults), the Parties, the actors, Service Reference
Variants, response codes and obligation ids.

:func:`check` returns ``(path, message, about_the_key)`` for each problem; ``dccflow_app.scenarios.loader`` adds the
file, line and column.
"""

from __future__ import annotations

import difflib
import functools
from collections import Counter
from collections.abc import Iterator
from typing import Any

from dccflow.domain.obligations import AUDIT_BY_ID as BY_ID
from dccflow.domain.service_requests import CATALOGUE
from dccflow.duis.response_codes import RESPONSE_CODES
from dccflow.parties import PARTIES
from dccflow_app.scenarios.durations import Duration, may_precede, surely_precedes
from dccflow_app.scenarios.spec import PROCESSES, ROLES, ScenarioFile
from devices.catalogue import CELLS
from devices.faults import check_fault, parse_fault

Found = tuple[tuple[str | int, ...], str, bool]
METERS = ("ESME", "GSME")
#: Type 2 Devices have no SMI Status (SEC AC 2.9)
NO_SMI_STATUS = ("IHD", "CAD", "HHT")
#: the Device Type a fault's ``applies_to`` names for a premises device type (the HHT is simulated as a CAD)
_FAULT_TYPE = {"HHT": "CAD"}


def _names(names) -> str:
    return ", ".join(names) or "none"


def _did_you_mean(word: str, known) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f'; did you mean "{close[0]}"?' if close else ""


def order_problem(later: Duration, earlier: Duration) -> str | None:
    """Why ``later`` cannot follow ``earlier`` on a timeline, or None. Same kinds of unit compare exactly;
    Working Days or years against other units compare over every start date (``durations.may_precede``)."""
    fixed_later, fixed_earlier = later.fixed(), earlier.fixed()
    if fixed_later is not None and fixed_earlier is not None:
        before = fixed_later < fixed_earlier
    elif later.unit == earlier.unit:
        before = later.count < earlier.count
    elif may_precede(later, earlier) and not surely_precedes(later, earlier):
        return (f"{later} may come before the previous step's {earlier}, depending on the start date "
                f"(write both in the same unit, or leave a wider gap)")
    else:
        before = surely_precedes(later, earlier)
    return f"{later} is before the previous step's {earlier}" if before else None


def fault_problem(text: str, device_type: str | None) -> str | None:
    """Why ``text`` (NAME[:PARAM]) is not a fault of ``device_type``, in the fleet parser's words, or None."""
    try:
        spec, _ = parse_fault(text)
    except ValueError as exc:
        return str(exc)
    target = _FAULT_TYPE.get(device_type or "", device_type)
    if target is not None and target not in spec.applies_to:
        return f"fault {spec.name!r} does not apply to a {device_type} (it applies to {_names(spec.applies_to)})"
    return None


def check(model: ScenarioFile, data: dict[str, Any]) -> list[Found]:
    return list(_check(model, data))


def _check(m: ScenarioFile, data: dict[str, Any]) -> Iterator[Found]:
    if m.premises is not None and m.fleet is not None:
        yield ("fleet",), "give premises (one) or fleet (many), not both", True
    if m.premises is None and m.fleet is None:
        yield (), "no premises: give premises (one) or fleet (many premises from a template)", False
    where = ("premises", "devices") if m.premises is not None else ("fleet", "template", "devices")
    devices = m.devices()
    types = {name: d.type for name, d in devices.items()}

    def device_ref(path, name: str | None, key: bool = False, kinds: tuple[str, ...] = ()) -> Iterator[Found]:
        if name is None:
            return
        if name not in devices:
            yield path, f'"{name}" is not a device of the premises (devices: {_names(devices)})', key
        elif kinds and types[name] not in kinds:
            yield path, f'"{name}" is not a {" or ".join(kinds)} but a {types[name]}', key

    # the premises: one Communications Hub (CHF and GPF), at most one of each other Device Type, a meter
    if devices:
        count = Counter(types.values())
        for hub in ("CHF", "GPF"):
            if count[hub] != 1:
                yield where, f"a premises has one {hub} (the Communications Hub has a CHF and a GPF); found " \
                             f"{count[hub]}", False
        for kind, n in count.items():
            if n > 1 and kind not in ("CHF", "GPF"):
                names = [name for name, t in types.items() if t == kind]
                yield where, f"{n} {kind}s ({_names(names)}): the simulated premises has at most one of each " \
                             f"Device Type", False
        if not count["ESME"] and not count["GSME"]:
            yield where, "no meter: add an ESME or a GSME", False
    for name, device in devices.items():
        if device.supplier_cell is not None and device.type not in METERS:
            yield (*where, name, "supplier_cell"), (f"a Supplier cell holder is given only for an ESME or a GSME "
                                                    f"(BAD 7.2.1.6.8-9); this is a device of type {device.type}"), False
        for i, fault in enumerate(device.faults):
            if (why := fault_problem(fault, device.type)) is not None:
                yield (*where, name, "faults", i), why, False
    if m.fleet is not None:
        for i, fault in enumerate(m.fleet.faults):
            yield from device_ref(("fleet", "faults", i, "device"), fault.device)
            if (why := fault_problem(fault.fault, types.get(fault.device))) is not None:
                yield ("fleet", "faults", i, "fault"), why, False
    for i, name in enumerate(m.accepts_faults):
        try:
            check_fault(name.partition(":")[0])
        except ValueError as exc:
            yield ("accepts_faults", i), str(exc), False

    # the Parties: the simulator's, each admitted in the role it takes here (SEC H1)
    for role, user_role in ROLES.items():
        key = getattr(m.parties, role)
        party = PARTIES.get(key)
        if party is None:
            yield ("parties", role), f'"{key}" is not a party of the simulator (parties: {_names(PARTIES)})', False
        elif user_role not in party.user_ids:
            yield ("parties", role), f'"{key}" ({party.name}) is not a {user_role.value}', False

    yield from _timeline(m, device_ref, types)
    yield from _expect(m, data, device_ref, types)


def _timeline(m: ScenarioFile, device_ref, types) -> Iterator[Found]:
    seen: dict[str, int] = {}
    for i, step in enumerate(m.timeline):
        here = ("timeline", i)
        if i and (why := order_problem(step.at, m.timeline[i - 1].at)) is not None:
            yield (*here, "at"), f"{why} (timeline[{i - 1}].at)", False
        step_id = m.step_id(step)
        if step.id is None and not hasattr(step, "process"):
            pass  # an event without an id: nothing refers to it
        elif step_id in seen:
            yield (*here, "id" if step.id else "process"), (
                f'"{step_id}" names timeline[{seen[step_id]}] already: give each step its own id'), False
        if step.id is not None or hasattr(step, "process"):
            seen.setdefault(step_id, i)
        process = getattr(step, "process", None)
        if process is not None:
            info = PROCESSES[process]
            if step.actor is not None and step.actor not in info.actors:
                yield (*here, "actor"), (f'"{step.actor}" does not start {info.title} ({info.bad}); it is started '
                                         f'by: {_names(info.actors)}'), False
            if process == "service_request":
                if step.with_.srv not in CATALOGUE:
                    yield (*here, "with", "srv"), f'"{step.with_.srv}" is not a Service Reference Variant of ' \
                                                  f'the catalogue{_did_you_mean(step.with_.srv, CATALOGUE)}', False
                yield from device_ref((*here, "with", "device"), step.with_.device)
            if process == "change_of_supplier":
                yield from _change_of_supplier(step, here, types)
            continue
        event = step.event
        if event in ("fault_on", "fault_off"):
            yield from device_ref((*here, "device"), step.device)
            if step.device in types and (why := fault_problem(step.fault, types[step.device])) is not None:
                yield (*here, "fault"), why, False
        elif event in ("ch_off_wan", "ch_on_wan"):
            yield from device_ref((*here, "device"), step.device, kinds=("CHF",))
        elif event == "cpl_change":
            yield from device_ref((*here, "device"), step.device)
        elif event == "key_compromise":
            yield from device_ref((*here, "device"), step.device)
            if step.certificate == "device" and step.device is None:
                yield (*here, "device"), "missing (required for a device's certificate)", False
            if step.certificate == "organisation" and step.party is None:
                yield (*here, "party"), "missing (required for an Organisation Certificate)", False
        elif event == "registration_data_change":
            meter = "ESME" if step.fuel == "electricity" else "GSME"
            if meter not in types.values():
                yield (*here, "fuel"), f"the premises has no {meter}, so no {step.fuel} supply", False
            if step.effective is not None and (why := order_problem(step.effective, step.at)) is not None:
                yield (*here, "effective"), f"{why} (at)", False
            for field in ("supplier", "network_operator"):
                key = getattr(step, field)
                if key is not None and key not in PARTIES:
                    yield (*here, field), f'"{key}" is not a party of the simulator (parties: ' \
                                          f'{_names(PARTIES)})', False


def _change_of_supplier(step, here, types) -> Iterator[Found]:
    """A Change of Supplier step (BAD 7.7.1): a Gaining Supplier of the simulator, a fuel the premises has, an
    execution time not before the step."""
    params = step.with_
    party = PARTIES.get(params.supplier)
    if party is None:
        yield (*here, "with", "supplier"), f'"{params.supplier}" is not a party of the simulator (parties: ' \
                                           f'{_names(PARTIES)})', False
    fuel = params.fuel or ("gas" if step.actor == "gas_supplier" else "electricity")
    meter = "ESME" if fuel == "electricity" else "GSME"
    if meter not in types.values():
        yield (*here, "with", "fuel"), f"the premises has no {meter}, so no {fuel} supply", False
    role = ROLES["gas_supplier" if fuel == "gas" else "import_supplier"]
    if party is not None and role not in party.user_ids:
        yield (*here, "with", "supplier"), f'"{params.supplier}" ({party.name}) is not a {role.value}', False
    if params.execution is not None and (why := order_problem(params.execution, step.at)) is not None:
        yield (*here, "with", "execution"), f"{why} (at)", False


@functools.cache
def _models() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Each BPMN model's (step ids, end event ids) (``bpmn/<process>.bpmn``)."""
    import bpmn

    out = {}
    for model in sorted(bpmn.MODEL_DIR.glob("*.bpmn")):
        tree = bpmn.load(model.stem)
        ends = frozenset(el.get("id") for el in tree.iter(f"{{{bpmn.BPMN_NS}}}endEvent"))
        out[model.stem] = (frozenset(bpmn.step_ids(model.stem)), ends)
    return out


def _model_ids(path, expected, process: str | None) -> Iterator[Found]:
    """An expected end must be an end event of the process's model; an expected step, a step of some model (a
    run's steps include those of the processes it starts)."""
    models = _models()
    if expected.end is not None and process in models and expected.end not in models[process][1]:
        yield (*path, "end"), (f'"{expected.end}" is not an end event of bpmn/{process}.bpmn (its ends: '
                               f"{_names(sorted(models[process][1]))}){_did_you_mean(expected.end, models[process][1])}"
                               ), False
    every = frozenset().union(*(ids for ids, _ in models.values()))
    for j, step in enumerate(expected.steps):
        if step not in every:
            yield (*path, "steps", j), (f'"{step}" is not a step of any BPMN model (bpmn/*.bpmn)'
                                        f"{_did_you_mean(step, every)}"), False


def _party_key(path, who: str) -> Iterator[Found]:
    """A holder or recipient written as a party key names a Party of the simulator."""
    if who != "DCC" and who not in ROLES and who not in PARTIES:
        yield path, f'"{who}" is not a role nor a party of the simulator (parties: {_names(PARTIES)})', False


def _expect(m: ScenarioFile, data, device_ref, types) -> Iterator[Found]:
    e = m.expect
    process_of = {m.step_id(s): s.process for s in m.timeline if hasattr(s, "process")}
    process_ids = list(process_of)
    for step_id, expected in e.processes.items():
        path = ("expect", "processes", step_id)
        if step_id not in process_ids:
            yield path, f'"{step_id}" is not a process step of the timeline (process steps: ' \
                        f'{_names(process_ids)})', True
        for j, name in enumerate(expected.not_joined):
            yield from device_ref((*path, "not_joined", j), name, kinds=("PPMID", "IHD", "HCALCS", "CAD"))
        yield from _model_ids(path, expected, process_of.get(step_id))
    for name, _status in e.statuses.items():
        yield from device_ref(("expect", "statuses", name), name, key=True)
        if types.get(name) in NO_SMI_STATUS:
            yield ("expect", "statuses", name), f"{name} ({types[name]}): a Type 2 Device has no SMI status " \
                                                f"(SEC AC 2.9)", True
    for j, cell in enumerate(e.trust_anchors):
        path = ("expect", "trust_anchors", j)
        yield from device_ref((*path, "device"), cell.device)
        yield from _party_key((*path, "holder"), cell.holder)
        kind = types.get(cell.device)
        if kind is not None and kind != "HHT" and cell.cell not in {c.value for c in CELLS[kind]}:
            yield (*path, "cell"), f"the {kind} has no {cell.cell} cell (its cells: " \
                                   f"{_names(c.value for c in CELLS[kind])})", False
    for j, alert in enumerate(e.dcc_alerts):
        yield from device_ref(("expect", "dcc_alerts", j, "device"), alert.device)
        yield from _party_key(("expect", "dcc_alerts", j, "to"), alert.to)
    for j, who in enumerate(e.not_in_cells):
        yield from _party_key(("expect", "not_in_cells", j), who)
    for obligation in e.verdicts:
        if obligation not in BY_ID:
            yield ("expect", "verdicts", obligation), (f'"{obligation}" is not an obligation of the register '
                                                       f'(dccflow/domain/obligations.py)'
                                                       f'{_did_you_mean(obligation, BY_ID)}'), True
    for j, refusal in enumerate(e.refusals):
        path = ("expect", "refusals", j)
        if refusal.srv not in CATALOGUE:
            yield (*path, "srv"), f'"{refusal.srv}" is not a Service Reference Variant of the catalogue', False
        if refusal.code not in RESPONSE_CODES:
            yield (*path, "code"), f'"{refusal.code}" is not a DUIS response code', False
        yield from device_ref((*path, "device"), refusal.device)
