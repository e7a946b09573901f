"""A scenario file as today's catalogue entry (``dccflow_app.scenarios.catalogue.Scenario``), so that the catalogue can
be read from the library files with no change in what ``dccflow run`` does.

The harness runs one premises of the simulator's Parties: an ``install_commission`` or ``install_and_leave`` step at
``0``, then optionally a ``post_commissioning`` step and a ``service_request`` (the Supplier's routine request, SRV
6.20.1) at whole days, and any number of follow-on process steps (``FOLLOW_ON``: each run through
``dccflow_app.scenarios.processes``) and runnable world events at their times. Anything else (a fleet, events not
runnable yet, another Party for the file's roles) is refused with :class:`NotACatalogueScenario` naming what does
not fit.

Rules of the translation (each a field of ``Scenario``):

* ``dual_fuel``: the premises has an ESME and a GSME; ``gas_only``: a GSME and no ESME.
* ``han_devices``: the PPMID, IHD, HCALCS and CAD of an Install and Commission, in the file's order. Install and
  Leave fits a PPMID and the installer's HHT itself (``dccflow_app.scenarios.install_leave``), so its file must have
  exactly these besides the meters and the CH, and ``han_devices`` stays empty.
* ``device_faults`` and ``supplier_cells``: by Device Type, in the file's order.
* ``post_commissioning_start_day``: the post_commissioning step's day (today's harness counts it from
  commissioning, minutes after the start); ``steps: never`` is ``post_commissioning_never``.
* ``expected_events``: the ``steps`` of each entry of ``expect.processes``, in the order written.
* ``follow_on``: each follow-on step with its ``with:`` parameters as JSON and its ``expect.processes`` entry.
* a holder or recipient written as a party key (``supplier-b``) is that Party's User ID for the Device's fuel (gas
  on a GSME or GPF, else electricity); ``not_in_cells`` roles are their User IDs, party keys all of theirs.
"""

from __future__ import annotations

from dccflow.domain.roles import UserRole
from dccflow.parties import PARTIES
from dccflow_app.scenarios.durations import Duration, Unit
from dccflow_app.scenarios.processes import REGISTRY
from dccflow_app.scenarios.scenario import FollowOn, Scenario, WorldEvent
from dccflow_app.scenarios.spec import PROCESSES, ROLES, Parties, ScenarioFile

_HAN = ("PPMID", "IHD", "HCALCS", "CAD")
#: the world events the harness carries out (``dccflow_app.scenarios.world_events``)
_RUNNABLE_EVENTS = ("fault_on", "fault_off", "ch_off_wan", "ch_on_wan", "registration_data_change", "key_compromise",
                    "cpl_change", "ch_firmware_upgrade")
_MAIN = ("install_commission", "install_and_leave")
#: processes the main process runs itself (its Post Commissioning children, their routine request)
_WITHIN_MAIN = ("post_commissioning", "service_request")
#: processes a timeline step starts as a child of the scenario after the main one: those of the registry
#: (``dccflow_app.scenarios.processes``); a process of ``spec.PROCESSES`` not there yet is refused by name
FOLLOW_ON = tuple(name for name in PROCESSES if name in REGISTRY and name not in _MAIN + _WITHIN_MAIN)


def what_runs() -> str:
    """What ``dccflow run`` runs of a scenario file today, for the line that refuses one that needs more."""
    return (f"one premises with the simulator's Parties; {' or '.join(_MAIN)} at 0, with its "
            f"{' and '.join(_WITHIN_MAIN)} steps at whole days; the follow-on processes {', '.join(FOLLOW_ON)}; "
            f"the events {', '.join(_RUNNABLE_EVENTS)}")


#: Device Types on the gas side of a premises: a Party's Gas Supplier / Gas Transporter User ID applies to them
_GAS_DEVICES = ("GSME", "GPF")


class NotACatalogueScenario(ValueError):
    """The file needs more than today's single-process harness can run."""


def _whole_days(at: Duration, what: str) -> int:
    if at.is_zero:
        return 0
    if at.unit is not Unit.DAYS:
        raise NotACatalogueScenario(f"{what} at {at}: today's harness takes whole days")
    return at.count


def to_catalogue_scenario(spec: ScenarioFile) -> Scenario:
    """``spec`` as a ``catalogue.Scenario``; :class:`NotACatalogueScenario` if it does not fit (module doc)."""
    name = spec.name
    misfits = []
    if spec.premises is None:
        misfits.append("a fleet")
    if spec.parties != Parties():
        misfits.append("Parties other than the simulator's defaults")
    events = [s for s in spec.timeline if not hasattr(s, "process")]
    not_yet = [s.event for s in events if s.event not in _RUNNABLE_EVENTS]
    if not_yet:
        misfits.append(f"events ({', '.join(not_yet)})")
    main, *rest = [s for s in spec.timeline if hasattr(s, "process")] or [None]
    if main is None or main.process not in _MAIN or not main.at.is_zero:
        misfits.append("a first step other than install_commission or install_and_leave at 0")
    follow_on = [s for s in rest if s.process in FOLLOW_ON]
    rest = [s for s in rest if s.process not in FOLLOW_ON]
    kinds = [s.process for s in rest]
    not_run = [k for k in kinds if k not in _WITHIN_MAIN]
    if not_run:
        misfits.append(f"the steps {', '.join(not_run)} (not run after the install yet; "
                       f"follow-on processes: {', '.join(FOLLOW_ON)})")
    elif len(set(kinds)) != len(kinds):
        misfits.append(f"the steps {', '.join(kinds)} (at most one post_commissioning and one service_request)")
    if misfits:
        raise NotACatalogueScenario(f"{name}: not a single-process scenario of today's harness: {'; '.join(misfits)}")

    devices = spec.devices()
    types = [d.type for d in devices.values()]
    type_of = {n: d.type for n, d in devices.items()}
    dual_fuel = "ESME" in types and "GSME" in types
    gas_only = "GSME" in types and "ESME" not in types
    han = tuple(t for t in types if t in _HAN)
    if main.process == "install_and_leave":
        if sorted(t for t in types if t not in ("CHF", "GPF", "ESME", "GSME")) != ["HHT", "PPMID"] or gas_only:
            raise NotACatalogueScenario(f"{name}: install_and_leave runs on a premises with an ESME (and a GSME for "
                                        f"dual fuel), a PPMID and the installer's HHT, nothing else")
        han = ()
    elif "HHT" in types:
        raise NotACatalogueScenario(f"{name}: an HHT is the installer's for install_and_leave only")

    plan: dict = {}
    for step in rest:
        if step.process == "post_commissioning":
            if step.with_.steps == "never":
                plan["post_commissioning_never"] = True
            else:
                plan["post_commissioning_start_day"] = _whole_days(step.at, "post_commissioning")
        else:
            target = type_of.get(step.with_.device) if step.with_.device else "ESME"
            if step.with_.srv != "6.20.1" or target != "ESME" or step.with_.params:
                raise NotACatalogueScenario(f"{name}: today's harness sends SRV 6.20.1 to the ESME as its routine "
                                            f"request, with no params")
            plan["routine_request_day"] = _whole_days(step.at, "service_request")

    expected = spec.expect.processes
    main_id = spec.step_id(main)
    ending = expected.get(main_id)
    if ending is None or ending.end is None:
        raise NotACatalogueScenario(f"{name}: expect.processes.{main_id}.end is required")
    follow_ids = {spec.step_id(s) for s in follow_on}
    outcomes = {e.outcome for step_id, e in expected.items()
                if step_id != main_id and step_id not in follow_ids and e.outcome}
    if len(outcomes) > 1:
        raise NotACatalogueScenario(f"{name}: one Post Commissioning outcome, not {', '.join(sorted(outcomes))}")
    return Scenario(
        name=name,
        description=spec.description,
        process=main.process,
        faults=tuple(spec.accepts_faults),
        expected_end=ending.end,
        expected_result=ending.result or "completed",
        expected_statuses={type_of[n]: status for n, status in spec.expect.statuses.items()},
        expected_verdicts=tuple(spec.expect.verdicts.items()),
        dual_fuel=dual_fuel,
        gas_only=gas_only,
        expected_post_commissioning=next(iter(outcomes), None),
        expected_events=tuple(step for e in expected.values() for step in e.steps),
        han_devices=han,
        device_faults=tuple((d.type, f) for d in devices.values() for f in d.faults),
        supplier_cells=tuple((d.type, d.supplier_cell) for d in devices.values() if d.supplier_cell),
        expected_not_joined=tuple(type_of[n] for n in ending.not_joined),
        events=_world_events(events, type_of, spec.parties),
        expected_cells=tuple((type_of[c.device], c.cell, _holder(spec.parties, c.holder, type_of[c.device]))
                             for c in spec.expect.trust_anchors),
        expected_alerts=tuple((a.code, type_of[a.device] if a.device else None,
                               _holder(spec.parties, a.to, type_of[a.device] if a.device else None))
                              for a in spec.expect.dcc_alerts),
        follow_on=tuple(_follow_on(spec, s) for s in follow_on),
        unexpected_cell_holders=tuple(u for who in spec.expect.not_in_cells for u in _user_ids(spec.parties, who)),
        expected_refusals=tuple((r.srv, _holder(spec.parties, r.by), r.code, type_of[r.device] if r.device else None)
                                for r in spec.expect.refusals),
        **plan,
    )


def _holder(parties: Parties, who: str, device_type: str | None = None) -> str:
    """The User ID a role names in this file's Parties (SEC H1), "DCC", or a Party's (by key) for the Device's fuel."""
    if who == "DCC":
        return "DCC"
    if who in ROLES:
        return PARTIES[getattr(parties, who)].user_ids[UserRole[who.upper()]]
    ids = PARTIES[who].user_ids
    gas = device_type in _GAS_DEVICES
    for role in (UserRole.GAS_SUPPLIER, UserRole.GAS_TRANSPORTER) if gas else \
            (UserRole.IMPORT_SUPPLIER, UserRole.ELECTRICITY_DISTRIBUTOR):
        if role in ids:
            return ids[role]
    return next(iter(ids.values()))


def _user_ids(parties: Parties, who: str) -> tuple[str, ...]:
    """A role's User ID in this file's Parties, or every User ID of a Party (by key)."""
    return (_holder(parties, who),) if who in ROLES else tuple(PARTIES[who].user_ids.values())


def _follow_on(spec: ScenarioFile, step) -> FollowOn:
    expected = spec.expect.processes.get(spec.step_id(step))
    return FollowOn(step_id=spec.step_id(step), process=step.process, at=step.at,
                    actor=step.actor or PROCESSES[step.process].actors[0],
                    params=step.with_.model_dump(mode="json", by_alias=True, exclude_defaults=True),
                    expected_end=expected.end if expected else None,
                    expected_result=expected.result if expected else None,
                    expected_outcome=expected.outcome if expected else None)


def _world_events(steps, type_of: dict[str, str], parties: Parties) -> tuple[WorldEvent, ...]:
    """The file's events as the harness runs them, in time order; ``ch_off_wan`` with ``for`` is followed by its
    ``ch_on_wan`` (then both times must be fixed lengths: minutes, hours, days or weeks)."""
    out = []
    for step in steps:
        if step.event == "registration_data_change":
            out.append(WorldEvent(at=step.at, event=step.event, fuel=step.fuel, supplier=step.supplier,
                                  network_operator=step.network_operator, effective=step.effective))
            continue
        if step.event == "key_compromise":  # BAD 7.7.2.5.4: the OCA revokes the role's Organisation Certificates
            if step.certificate != "organisation" or step.party == "DCC":
                raise NotACatalogueScenario("a key_compromise of a Device's or the DCC's key is SMKI Recovery "
                                            "(BAD 7.7.3): write it as an smki_recovery step (`dccflow scenario "
                                            "schema` gives its parameters)")
            out.append(WorldEvent(at=step.at, event=step.event, user_id=_holder(parties, step.party)))
            continue
        if step.event == "ch_firmware_upgrade":  # BAD 7.5.3.6.5: the DCC's own CH upgrade (dccsim.ch_firmware)
            out.append(WorldEvent(at=step.at, event=step.event, device_type="CHF",
                                  firmware_version=step.firmware_version, security_urgent=step.security_urgent))
            continue
        if step.event == "cpl_change":  # SEC H6.10: the device's Model off (or back on) the CPL
            out.append(WorldEvent(at=step.at, event=step.event, device_type=type_of[step.device], change=step.change,
                                  firmware_version=step.firmware_version))
            continue
        fault = getattr(step, "fault", None)
        out.append(WorldEvent(at=step.at, event=step.event, device_type=type_of[step.device], fault=fault))
        if step.event == "ch_off_wan" and step.for_ is not None:
            start, length = step.at.fixed(), step.for_.fixed()
            if start is None or length is None:
                raise NotACatalogueScenario(f"ch_off_wan at {step.at} for {step.for_}: 'at' and 'for' must be "
                                            f"minutes, hours, days or weeks (or add a ch_on_wan step)")
            back = Duration(count=int((start + length).total_seconds() // 60), unit=Unit.MINUTES)
            out.append(WorldEvent(at=back, event="ch_on_wan", device_type=type_of[step.device]))
    if all(e.at.fixed() is not None for e in out):
        out.sort(key=lambda e: e.at.fixed())
    return tuple(out)
