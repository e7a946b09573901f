"""World events on a scenario's timeline: what happens to a premises outside any process (a fault switched on or
off, the CH losing or regaining the SM WAN, a new Supplier or Network Operator in the Registration Data of its MPAN
or MPRN), each at its time on a durable timer of the scenario workflow while the processes run as its children.

``carry_out`` / ``run_world_events`` are workflow code (deterministic: times from ``workflow.now()`` and the GB
calendar); ``WorldEventActivities.scenario_world_event`` changes the fleet or the Registration Data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import activity, workflow

from dccflow.moments import as_utc

with workflow.unsafe.imports_passed_through():
    from dccflow.clock import activity_now
    from dccflow.domain.roles import UserRole
    from dccflow.parties import PARTIES
    from dccflow_app.scenarios.scenario import WorldEvent


class WorldEventApplied(BaseModel):
    """One world event carried out, on a Device or on the Registration Data of a Metering Point."""

    event: str
    device_type: str | None = None
    device_id: str | None = None
    fault: str | None = None
    at: datetime
    #: registration_data_change: the MPxN, the new Supplier / Network Operator (User IDs) and from when
    mpxn: str | None = None
    fuel: str | None = None
    supplier_id: str | None = None
    network_operator_id: str | None = None
    effective_from: datetime | None = None
    #: key_compromise: whose Organisation Certificates were revoked, and their serials
    user_id: str | None = None
    serials: list[str] | None = None
    #: cpl_change: 'removed' / 'added', the firmware version (None: every version), the DCC's workflow for it
    change: str | None = None
    firmware_version: str | None = None
    dcc_workflow_id: str | None = None
    security_urgent: bool = False


class WorldEventActivities:
    def __init__(self, runtime):
        self.rt = runtime

    @activity.defn
    async def scenario_world_event(self, event: WorldEventApplied) -> WorldEventApplied:
        """Carry out one world event on the fleet (idempotent: a retry sets the same state again)."""
        from devices.faults import parse_fault

        fleet = self.rt.fleet
        if event.event == "registration_data_change":
            self._register(event)
        elif event.event == "key_compromise":  # BAD 7.7.2.5.4 (dccsim.smki; idempotent: nothing revoked twice)
            serials = self.rt.smki.revoke_organisation_certificates(
                event.user_id or "", activity_now(), requested_at=event.at,
                reason="key compromise (SEC Appendix B 4.9.1(A)(i))")
            return event.model_copy(update={"at": activity_now(), "serials": serials})
        elif event.event == "cpl_change":  # SEC H6.10-H6.11 (dccsim.suspension)
            return await cpl_event(self.rt, event)
        elif event.event == "ch_firmware_upgrade":  # BAD 7.5.3.6.5: a DCC operation, its own durable workflow
            from dccsim.ch_firmware import ChFirmwareInput, start_ch_firmware_upgrade

            wf_id = await start_ch_firmware_upgrade(self.rt.dcc, ChFirmwareInput(
                chf_id=event.device_id or "", to_version=event.firmware_version or "",
                security_urgent=event.security_urgent))
            return event.model_copy(update={"at": activity_now(), "dcc_workflow_id": wf_id})
        elif event.event in ("fault_on", "fault_off"):
            spec, param = parse_fault(event.fault or "")
            if event.event == "fault_on":
                fleet.set_fault(event.device_id, spec.name, param, at=activity_now())
            else:
                fleet.clear_fault(event.device_id, spec.name)
        elif event.event == "ch_off_wan":
            fleet.set_sm_wan(event.device_id, connected=False, at=activity_now())
        else:
            fleet.set_sm_wan(event.device_id, connected=True, at=activity_now())
        return event.model_copy(update={"at": activity_now()})

    def _register(self, event: WorldEventApplied) -> None:
        """A Registration Data row for the MPxN from ``effective_from``: the new parties, the others as registered
        then (BAD 7.8.1; the DCC reads Registration Data as past, current and future periods, SEC E2.2(e))."""
        from dccflow.db import session_scope
        from dccsim.inventory import Registration
        from dccsim.models import RegistrationData

        with session_scope(self.rt.engine) as s:
            reg = Registration(s)
            when = event.effective_from or event.at
            current = reg.at(event.mpxn, when) or next(iter(reg.rows(event.mpxn)[-1:]), None)
            supplier = event.supplier_id or (current.supplier_id if current else None)
            operator = event.network_operator_id or (current.network_operator_id if current else None)
            if supplier is None or operator is None:
                raise ValueError(f"MPxN {event.mpxn} has no Registration Data to change")
            if any(r.supplier_id == supplier and r.network_operator_id == operator
                   and as_utc(r.effective_from) == when for r in reg.rows(event.mpxn)):
                return  # a retry: the row is there
            s.add(RegistrationData(mpxn=event.mpxn, fuel=event.fuel, supplier_id=supplier,
                                   network_operator_id=operator, effective_from=when,
                                   uprn=current.uprn if current else None,
                                   postcode=current.postcode if current else None,
                                   address_identifier=current.address_identifier if current else None))


#: the simulator's Device Model of each Device Type (decision: one Model per type; the fleet builder records none);
#: the same as ``dccsim.suspension.SIMULATED_MANUFACTURER`` (not imported: this module is loaded by workflows)
SIMULATED_MANUFACTURER = "DCCSIM"


async def cpl_event(rt, event: WorldEventApplied) -> WorldEventApplied:
    """The Panel's CPL extract with the Model of ``event.device_id`` 'removed' or 'added' back (BAD 7.1.2.4.1-4):
    the Device's SMI record names its Model; where it has none, every Device of its type without one is given the
    simulator's (``SIMULATED_MANUFACTURER``, the Device Type), so that "every Device of the Model" is the fleet's
    Devices of that type. The DCC's own workflow then suspends (restores) them (``dccsim.suspension``)."""
    from dccflow.db import session_scope
    from dccsim.inventory import Inventory
    from dccsim.suspension import cpl_change, model_of

    at = activity_now()
    with session_scope(rt.engine) as s:
        model = model_of(s, Inventory(s).get(event.device_id or "")).model_copy(
            update={"firmware_version": event.firmware_version})
    removed = [model] if event.change == "removed" else []
    wf_id = await cpl_change(rt.dcc, removed=removed, added=[] if removed else [model], at=at)
    await _swept(rt, int(wf_id.rsplit("-", 1)[1]))
    return event.model_copy(update={"at": at, "dcc_workflow_id": wf_id})


async def _swept(rt, extract_id: int, limit: float = 30.0) -> None:
    """Wait (briefly, in real time) until the DCC has acted on the extract, so that what the timeline does next — and
    the scenario's final snapshot — sees the suspensions. The DCC sweeps at once by default
    (``DccConfig.cpl_processing_delay`` 0); with a delay the wait gives up after ``limit`` seconds and the sweep
    happens at its own time."""
    import asyncio

    from dccflow.db import session_scope
    from dccsim.life_records import CplExtract

    for _ in range(int(limit / 0.05)):
        with session_scope(rt.engine) as s:
            if s.get(CplExtract, extract_id).swept_at is not None:
                return
        await asyncio.sleep(0.05)


async def carry_out(event: WorldEvent, devices: dict[str, str], start: datetime, mpan: str | None = None,
                    mprn: str | None = None) -> WorldEventApplied:
    """Carry out one world event now (workflow code); ``devices`` maps Device Type → Device ID."""
    detail: dict = {}
    if event.event == "registration_data_change":
        gas = event.fuel == "gas"
        supplier_role = UserRole.GAS_SUPPLIER if gas else UserRole.IMPORT_SUPPLIER
        operator_role = UserRole.GAS_TRANSPORTER if gas else UserRole.ELECTRICITY_DISTRIBUTOR
        detail = dict(mpxn=mprn if gas else mpan, fuel=event.fuel,
                      supplier_id=PARTIES[event.supplier].user_ids[supplier_role] if event.supplier else None,
                      network_operator_id=PARTIES[event.network_operator].user_ids[operator_role]
                      if event.network_operator else None,
                      effective_from=event.effective.after(start) if event.effective is not None else None)
    elif event.event == "key_compromise":
        detail = dict(user_id=event.user_id)
    elif event.event == "cpl_change":
        detail = dict(device_type=event.device_type, device_id=devices[event.device_type or ""],
                      change=event.change, firmware_version=event.firmware_version)
    elif event.event == "ch_firmware_upgrade":
        detail = dict(device_type="CHF", device_id=devices["CHF"], firmware_version=event.firmware_version,
                      security_urgent=event.security_urgent)
    else:
        detail = dict(device_type=event.device_type, device_id=devices[event.device_type or ""],
                      fault=event.fault)
    return await workflow.execute_activity_method(
        WorldEventActivities.scenario_world_event,
        WorldEventApplied(event=event.event, at=workflow.now(), **detail),
        start_to_close_timeout=timedelta(seconds=60))


async def run_world_events(events: tuple[WorldEvent, ...], start: datetime,
                           devices: dict[str, str]) -> list[WorldEventApplied]:
    """Wait for each event's time (a durable timer) and carry it out; ``devices`` maps Device Type → Device ID."""
    applied = []
    for event in events:
        delay = event.at.after(start) - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        applied.append(await carry_out(event, devices, start))
    return applied
