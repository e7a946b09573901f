"""Fleet scenarios: a scenario file with ``fleet: {count: K, seed: S, template: …}`` whose timeline is one campaign
over the fleet at 0 (:data:`CAMPAIGNS`: ``org_cert_rollover``, BAD 7.7.2.5.6; ``firmware_campaign``, BAD 7.5.3, on
the one campaign mechanism, ``workflows.campaign``). ``dccflow run NAME|FILE`` comes here for them
(``dccflow_app.cli``): the fleet is built in the run's database **in service** (a campaign acts on an installed
estate: every SMS commissioned, its CH on the SM WAN; ``FleetSpec.in_service``), the fleet's faults at their rates,
then the campaign runs on the embedded time-skipping server and the run is judged against ``expect``:

* ``processes.<step>``: ``result``, ``end``, ``outcome`` and ``steps`` (the campaign's process events) as each
  campaign's entry reads its report: the rollover ``completed``, ``end_campaign_complete`` when every Device holds
  the new certificate (else ``end_campaign_incomplete``), ``all replaced`` / ``some failed``; the firmware campaign
  ``completed`` / ``failed``, the end event of ``bpmn/firmware_campaign.bpmn`` (``end_campaign_halted`` when a
  wave's failure rate halted it and nobody resumed it), ``all upgraded`` / ``some failed`` / ``halted after wave
  N``;
* ``statuses``: each named template device's SMI status, on every premises;
* ``trust_anchors``: the cell of each named template device holds the holder's current certificate, on every
  premises (after a rollover, the new one).

Exit codes as ``dccflow run``: 0 as expected, 1 not (each difference listed), 2 what cannot run (``--address``: the
fleet is built in the workers' database by ``dccflow fleet create --in-service``, then ``dccflow campaign``)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.roles import UserRole
from dccflow.parties import PARTIES
from dccflow_app.campaigns import follow, start_firmware_campaign, start_rollover, supplier_cell_serials
from dccflow_app.scenarios.loader import library, load_file
from dccflow_app.scenarios.spec import ScenarioFile
from dccsim.models import SmiDevice
from devices.builder import FleetSpec, build_fleet
from devices.faults import parse_fault
from devices.premises import premises_ids
from workflows.firmware_campaign_model import FirmwareCampaignInput
from workflows.org_cert_rollover_model import CampaignInput

_ID_OF = {"CHF": "chf_id", "GPF": "gpf_id", "ESME": "esme_id", "GSME": "gsme_id"}


@dataclass(frozen=True)
class FleetCampaign:
    """A campaign a fleet scenario's one step runs: how it starts from the step, and how its report reads."""

    #: (client, the actor's User ID, the step's ``with:`` parameters, the fleet template's meter type) → its handle
    start: Callable[[object, str, object, str], Awaitable[object]]
    #: report → {"result", "end", "outcome"} as the judge compares them
    seen: Callable[[object], dict[str, str]]
    #: report → the BPMN ids of the campaign's process events (``expect.processes.<step>.steps``)
    steps: Callable[[object], list[str]]
    #: (report) → printed for the user
    show: Callable[[object], None]


def _show_rollover(report) -> None:
    from dccflow_app.cli_campaign import print_report

    print_report(report)


def _show_firmware(report) -> None:
    from dccflow_app.cli_campaign import print_firmware_report

    print_firmware_report(report)


CAMPAIGNS: dict[str, FleetCampaign] = {
    "org_cert_rollover": FleetCampaign(
        start=lambda client, user_id, p, meter: start_rollover(client, CampaignInput(
            supplier_id=user_id, concurrency=getattr(p, "concurrency", 50))),
        seen=lambda r: {"result": "completed",
                        "end": "end_campaign_complete" if r.failed == 0 else "end_campaign_incomplete",
                        "outcome": "all replaced" if r.failed == 0 else "some failed"},
        steps=lambda r: [], show=_show_rollover),
    "firmware_campaign": FleetCampaign(
        start=lambda client, user_id, p, meter: start_firmware_campaign(client, FirmwareCampaignInput(
            supplier_id=user_id, model=p.model or meter, to_version=p.to_version, waves=list(p.waves),
            halt_above=p.halt_above, concurrency=p.concurrency)),
        seen=lambda r: {"result": "completed" if r.end == "end_campaign_complete" else "failed", "end": r.end,
                        "outcome": r.outcome},
        steps=lambda r: [e.bpmn_id for e in r.events], show=_show_firmware),
}


def fleet_scenarios() -> dict[str, ScenarioFile]:
    return {name: spec for name, spec in library().items() if spec.fleet is not None}


def fleet_scenario(argument: str) -> ScenarioFile | None:
    """The fleet scenario ``argument`` names (a built-in name or a file), or None (not a fleet scenario)."""
    if argument.endswith((".yaml", ".yml")) or Path(argument).is_file():
        spec = load_file(argument)
        return spec if spec.fleet is not None else None
    return fleet_scenarios().get(argument)


def _check(spec: ScenarioFile) -> tuple[object, UserRole]:
    steps = list(spec.timeline)
    step = steps[0] if len(steps) == 1 else None
    if step is None or getattr(step, "process", None) not in CAMPAIGNS or not step.at.is_zero:
        raise ValueError(f"{spec.name}: a fleet scenario runs one campaign at 0 ({', '.join(CAMPAIGNS)})")
    types = {d.type for d in spec.fleet.template.devices.values()}
    if not types <= set(_ID_OF):
        raise ValueError(f"{spec.name}: a fleet's template holds CHF, GPF, ESME and GSME only here")
    role = UserRole(step.actor.replace("_", " ").title()) if step.actor else UserRole.IMPORT_SUPPLIER
    return step, role


def _devices(spec: ScenarioFile, first: int, last: int) -> dict[str, list[str]]:
    """Template device name → that device on every premises."""
    return {name: [getattr(premises_ids(n), _ID_OF[d.type]) for n in range(first, last + 1)]
            for name, d in spec.fleet.template.devices.items()}


def _judge(spec: ScenarioFile, step, report, engine, devices: dict[str, list[str]], keys) -> list[dict]:
    differences = []

    def differ(what: str, expected: str, actual: str) -> None:
        if expected != actual:
            differences.append({"what": what, "expected": expected, "actual": actual})

    campaign = CAMPAIGNS[step.process]
    step_id = step.id or step.process
    seen = campaign.seen(report)
    for sid, expectation in spec.expect.processes.items():
        for field in ("result", "end", "outcome"):
            wanted = getattr(expectation, field)
            if wanted is not None:
                differ(f"{sid} {field}", wanted, seen[field] if sid == step_id else "not run")
        shown = campaign.steps(report) if sid == step_id else []
        missing = [s for s in expectation.steps if s not in shown]
        if missing:
            differences.append({"what": f"{sid} steps", "expected": ", ".join(expectation.steps),
                                "actual": f"missing {', '.join(missing)}"})
    with session_scope(engine) as s:
        for name, status in spec.expect.statuses.items():
            rows = s.exec(select(SmiDevice.smi_status).where(SmiDevice.device_id.in_(devices[name]))).all()
            differ(f"{name} SMI status", status, ", ".join(sorted(set(rows))))
    for cell in spec.expect.trust_anchors:
        if cell.cell != "Supplier":
            raise ValueError(f"{spec.name}: a fleet run checks the Supplier cell only")
        party = PARTIES[getattr(spec.parties, cell.holder)]
        user_id = party.user_ids[UserRole.GAS_SUPPLIER if spec.fleet.template.devices[cell.device].type == "GSME"
                                 else UserRole.IMPORT_SUPPLIER]
        current = str(keys.get(user_id).cert.serial_number)
        held = supplier_cell_serials(engine, devices[cell.device])
        wrong = sorted(d for d, serial in held.items() if serial != current)
        differ(f"{cell.device} Supplier cells holding {cell.holder}'s current certificate", "all",
               "all" if not wrong else f"not {len(wrong)}: {', '.join(wrong[:5])}{'…' if len(wrong) > 5 else ''}")
    return differences


async def run_fleet(spec: ScenarioFile, data_dir: Path | None, as_json: bool, console: Console) -> int:
    from dccflow.config import Settings, check_configuration
    from dccflow_app.embedded import start_time_skipping
    from dccflow_app.runtime import Runtime, register_search_attributes

    step, role = _check(spec)
    fleet = spec.fleet
    supplier_id = PARTIES[getattr(spec.parties, role.name.lower())].user_ids[role]
    faults = []
    for f in fleet.faults:
        fault, value = parse_fault(f.fault)
        faults.append((fault.name, value, f.rate))
    types = {d.type for d in fleet.template.devices.values()}
    tmp = tempfile.TemporaryDirectory(prefix="dccflow-fleet-") if data_dir is None else None
    settings = Settings(data_dir=Path(tmp.name) if tmp else data_dir)
    try:
        check_configuration(settings)
        env = await start_time_skipping()
        try:
            await register_search_attributes(env.client)
            runtime = Runtime(settings, env.client)
            built = build_fleet(runtime.engine, FleetSpec(sms=fleet.count, seed=fleet.seed, in_service=True,
                                                          dual_fuel="GSME" in types, faults=faults),
                                datetime.now(UTC))
            params = step.with_ if hasattr(step, "with_") else getattr(step, "params", None)
            meter = "GSME" if role == UserRole.GAS_SUPPLIER else "ESME"
            async with runtime.serving():
                handle = await CAMPAIGNS[step.process].start(env.client, supplier_id, params, meter)
                with console.status(f"{spec.name}: {fleet.count} SMS, campaign {handle.id}…", spinner="dots"):
                    report = await follow(handle)
            devices = _devices(spec, built.first_number, built.last_number)
            differences = _judge(spec, step, report, runtime.engine, devices, runtime.keys)
        finally:
            await env.shutdown()
    finally:
        if tmp is not None:
            tmp.cleanup()
    if as_json:
        print(json.dumps({"scenario": spec.name, "fleet": fleet.count, "report": report.model_dump(mode="json"),
                          "differences": differences, "expected_end_reached": not differences}))
    else:
        CAMPAIGNS[step.process].show(report)
        for d in differences:
            console.print(f"  {d['what']}: expected {d['expected']}, got {d['actual']}", markup=False,
                          soft_wrap=True)
    return 0 if not differences else 1
