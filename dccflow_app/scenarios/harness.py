"""The scenario harness: sets up premises as the prerequisites of a process require (devices pre-notified on
the SMI, registration data, the devices at hand), runs the main BAD process (the install) as a child workflow and,
on the timeline, world events and follow-on processes (``dccflow_app.scenarios.lifecycle``), and reports what a
user would check: each process's result, every device's SMI status and cells, and the DCC Alerts sent."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    # passed through: the sandbox would otherwise import SQLAlchemy afresh for every Scenario workflow (~0.2 s)
    from sqlmodel import func, select

    from dccflow.clock import activity_now
    from dccflow.config import USER_TASK_QUEUE
    from dccflow.domain.roles import UserRole
    from dccflow.parties import DCC_ID, ELECTRICITY_DISTRIBUTOR, GAS_TRANSPORTER, SUPPLIER
    from dccflow.search import process_search_attributes
    from dccflow_app.scenarios.audit import AuditActivities, AuditRequest
    from dccflow_app.scenarios.catalogue import Scenario, get_scenario
    from dccflow_app.scenarios.expectations import (
        RunFacts,
        follow_on_event_ids,
        follow_on_facts,
        judge,
        snapshot_facts,
        verdicts_by_obligation,
    )
    from dccflow_app.scenarios.install_leave import run_install_and_leave
    from dccflow_app.scenarios.lifecycle import Timeline, audited, run_timeline
    from dccflow_app.scenarios.processes import FollowOnPremises, added_devices
    from dccflow_app.scenarios.report import (
        AlertSeen,
        DeviceStatus,
        HanDeviceSeen,
        PostCommissioningSeen,
        RefusalSeen,
        ScenarioReport,
        Snapshot,
        other_mpid,
    )
    from devices.premises import install_code
    from workflows.han_device_join import HanDevice
    from workflows.install_commission import (
        ElectricityPremises,
        InstallCommissionInput,
        InstallCommissionWorkflow,
        PostCommissioningPlan,
        install_commission_workflow_id,
    )
    from workflows.post_commissioning import RoutineRequest


class ScenarioRequest(BaseModel):
    scenario: str
    faults: list[str] = Field(default_factory=list)
    #: a scenario from a user's file (``dccflow run FILE``); None: the built-in scenario named ``scenario``
    definition: Scenario | None = None

    def resolved(self) -> Scenario:
        return self.definition or get_scenario(self.scenario)


class HarnessActivities:
    def __init__(self, runtime):
        self.rt = runtime

    @activity.defn
    async def scenario_provision(self, req: ScenarioRequest) -> ElectricityPremises:
        """An electricity premises from the fleet builder (devices pre-notified 'pending' on the SMI, trust
        anchor cells as BAD Table 4 requires, Registration Data for the MPAN), then the scenario's faults."""
        from dccflow.db import session_scope
        from devices.builder import build_premises
        from devices.faults import parse_fault
        from devices.models import DeviceState

        at = activity_now()
        with session_scope(self.rt.engine) as s:
            number = s.exec(select(func.count()).select_from(DeviceState)
                            .where(DeviceState.device_type == "CHF")).one() + 1
        scenario = req.resolved()
        dual_fuel, gas_only = scenario.dual_fuel, scenario.gas_only
        han = set(scenario.han_devices)
        cells = {dtype: "DCC" if holder == "DCC" else other_mpid(dtype) for dtype, holder in scenario.supplier_cells}
        ids = build_premises(self.rt.engine, number, at, supplier=SUPPLIER, dual_fuel=dual_fuel, gas_only=gas_only,
                             ppmid="PPMID" in han, ihd="IHD" in han, hcalcs="HCALCS" in han, cad="CAD" in han,
                             supplier_cells=cells)
        by_type = {"CHF": ids.chf_id, "GPF": ids.gpf_id, "ESME": ids.esme_id, "GSME": ids.gsme_id,
                   "PPMID": ids.ppmid_id, "IHD": ids.ihd_id, "HCALCS": ids.hcalcs_id, "CAD": ids.cad_id}
        for text in req.faults:  # NAME[:PARAM], as validate_request checked them
            spec, param = parse_fault(text)
            target = ids.chf_id if spec.hub_only else ids.gsme_id if gas_only else ids.esme_id
            self.rt.fleet.set_fault(target, spec.name, param)
        for dtype, text in scenario.device_faults:
            spec, param = parse_fault(text)
            self.rt.fleet.set_fault(by_type[dtype], spec.name, param)
        gas = dict(gsme_id=ids.gsme_id, gsme_install_code=install_code(ids.gsme_id), mprn=ids.mprn) \
            if dual_fuel or gas_only else {}
        electricity = {} if gas_only else dict(esme_id=ids.esme_id, esme_install_code=install_code(ids.esme_id),
                                                mpan=ids.mpan)
        return ElectricityPremises(
            premises_id=ids.premises_id, chf_id=ids.chf_id, gpf_id=ids.gpf_id, **electricity, **gas,
            han_devices=[HanDevice(device_id=by_type[t], device_type=t, install_code=install_code(by_type[t]))
                         for t in scenario.han_devices],
            # the Supplier's procurement records: whose certificate it had put in each Supplier cell (Table 4)
            supplier_cell_holders={by_type[t]: DCC_ID if h == "DCC" else h for t, h in cells.items()})

    @activity.defn
    async def scenario_snapshot(self, device_ids: list[str]) -> Snapshot:
        from dccflow.db import session_scope
        from dccsim import rejection_devices
        from dccsim.models import SmiDevice
        from dccsim.records import RejectedRequest

        rejection_devices.ensure_indexed(self.rt.engine)  # once for a database from before the index
        with session_scope(self.rt.engine) as s:
            rows = s.exec(select(SmiDevice).where(SmiDevice.device_id.in_(device_ids))).all()
            order = {d: i for i, d in enumerate(device_ids)}
            devices = sorted((DeviceStatus(device_id=r.device_id, device_type=r.device_type,
                                           smi_status=r.smi_status, associated_with=r.associated_with)
                              for r in rows),
                             key=lambda d: order[d.device_id])
            cells = _cell_holders(s, device_ids)
            refused = [RefusalSeen(srv=r.srv, sender=r.originator, code=r.code, target=_target(r.request_id))
                       for r in s.exec(select(RejectedRequest).where(RejectedRequest.id.in_(
                           rejection_devices.rejections_naming(device_ids))).order_by(RejectedRequest.id))
                       if _target(r.request_id) in device_ids]
        devices = [d.model_copy(update={"cells": cells.get(d.device_id, {})}) for d in devices]
        alerts = [AlertSeen(code=m.dcc_alert_code, device_id=m.device_id, recipient=m.recipient)
                  for m in self.rt.outbound.sent(device_ids=device_ids) if m.kind == "dcc_alert"]
        return Snapshot(devices=devices, dcc_alerts=alerts, refusals=refused)


def _target(request_id: str | None) -> str | None:
    parts = (request_id or "").split(":")
    return parts[1] if len(parts) == 3 else None


def _cell_holders(s, device_ids: list[str]) -> dict[str, dict[str, str]]:
    """Each Device's trust anchor cells as whose certificate they hold: a User ID, or "DCC" for the DCC's own."""
    from dccflow.parties import USERS
    from dccflow.security.certinfo import entity_id_of
    from devices.anchors import CertResolver
    from devices.models import DeviceState

    resolver, holders = CertResolver(), {}
    for dev in s.exec(select(DeviceState).where(DeviceState.device_id.in_(device_ids))):
        cells = {}
        for cell, value in (dev.anchors or {}).items():
            cert = resolver.cert(s, value)
            owner = entity_id_of(cert) if cert is not None else None
            cells[cell] = owner if owner in USERS else "DCC"
        holders[dev.device_id] = cells
    return holders


_ACT = dict(start_to_close_timeout=timedelta(seconds=60))


@workflow.defn(name="Scenario")
class ScenarioWorkflow:
    def __init__(self) -> None:
        self._child_id: str | None = None
        self._timeline: Timeline | None = None

    @workflow.query
    def process_workflow_id(self) -> str | None:
        return self._child_id

    @workflow.query
    def follow_on_workflow_ids(self) -> list[str]:
        """The follow-on processes started so far (``dccflow_app.scenarios.lifecycle``)."""
        return list(self._timeline.workflow_ids) if self._timeline else []

    def _set_child(self, workflow_id: str) -> None:
        self._child_id = workflow_id

    def _set_timeline(self, timeline: Timeline) -> None:
        self._timeline = timeline

    @workflow.run
    async def run(self, req: ScenarioRequest) -> ScenarioReport:
        scenario = req.resolved()
        start = workflow.now()  # the scenario's timeline counts from here
        if scenario.process == "install_and_leave":  # BAD 7.2.2: its own premises and process
            return await run_install_and_leave(req, scenario, self._set_child, self._set_timeline)
        premises = await workflow.execute_activity_method(HarnessActivities.scenario_provision, req, **_ACT)
        self._child_id = install_commission_workflow_id(premises.chf_id)
        device_ids = [d for d in (premises.chf_id, premises.gpf_id, premises.esme_id, premises.gsme_id) if d]
        device_ids += [d.device_id for d in premises.han_devices]
        child = await workflow.start_child_workflow(
            InstallCommissionWorkflow.run,
            InstallCommissionInput(premises=premises,
                                   supplier_id=SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER],
                                   gas_supplier_id=SUPPLIER.user_ids[UserRole.GAS_SUPPLIER]
                                   if premises.gsme_id else None,
                                   electricity_distributor_id=ELECTRICITY_DISTRIBUTOR.user_ids[
                                       UserRole.ELECTRICITY_DISTRIBUTOR],
                                   gas_transporter_id=GAS_TRANSPORTER.user_ids[UserRole.GAS_TRANSPORTER],
                                   post_commissioning=_plan(scenario, premises)),
            id=self._child_id, task_queue=USER_TASK_QUEUE,
            search_attributes=process_search_attributes(
                scenario.process, device_ids, [m for m in (premises.mpan, premises.mprn) if m]))
        by_type = {"CHF": premises.chf_id, "GPF": premises.gpf_id, "ESME": premises.esme_id,
                   "GSME": premises.gsme_id, **{d.device_type: d.device_id for d in premises.han_devices}}
        world, follow_on = await run_timeline(
            scenario, start, FollowOnPremises(premises_id=premises.premises_id,
                                              devices={t: d for t, d in by_type.items() if d},
                                              mpan=premises.mpan, mprn=premises.mprn), on_start=self._set_timeline)
        result = await child
        # the report shows the Devices follow-on processes added too (e.g. a replacement CH); the expectations by
        # Device Type are the premises' own Devices'
        added = added_devices(follow_on, device_ids)
        snap = await workflow.execute_activity_method(HarnessActivities.scenario_snapshot, [*device_ids, *added],
                                                      **_ACT)
        own = snap.model_copy(update={"devices": [d for d in snap.devices if d.device_id in device_ids]})
        statuses = {d.device_type: d.smi_status for d in own.devices}
        events = sorted([*result.events, *(e for pc in result.post_commissioning for e in pc.events)],
                        key=lambda e: e.at)
        regulation = await workflow.execute_activity_method(
            AuditActivities.scenario_audit,
            AuditRequest(**audited(events, result.obligations, follow_on), device_ids=[*device_ids, *added]),
            **_ACT)
        differences = judge(scenario, RunFacts(
            result=result.outcome, end=result.end, statuses=statuses,
            event_ids=frozenset(e.bpmn_id for e in events) | follow_on_event_ids(follow_on),
            verdicts=verdicts_by_obligation(regulation),
            post_commissioning=frozenset(pc.outcome for pc in result.post_commissioning),
            not_joined=tuple(h.device_type for h in result.han_devices if h.outcome != "joined"),
            follow_on=follow_on_facts(follow_on), **snapshot_facts(own)), req.faults)
        return ScenarioReport(
            scenario=req.scenario, faults=req.faults, workflow_id=self._child_id, result=result.outcome,
            end=result.end, reason=result.reason, expected_end_reached=not differences, differences=differences,
            devices=snap.devices,
            dcc_alerts=snap.dcc_alerts, events=events, obligations=result.obligations,
            regulation=regulation, world_events=world, refusals=snap.refusals, processes=follow_on,
            post_commissioning=[PostCommissioningSeen(device_id=pc.events[0].device_id or "", outcome=pc.outcome,
                                                      end=pc.end, reason=pc.reason, events=pc.events,
                                                      obligations=pc.obligations)
                                for pc in result.post_commissioning],
            han_devices=[HanDeviceSeen(device_id=h.device_id, device_type=h.device_type, outcome=h.outcome,
                                       reason=h.reason) for h in result.han_devices])


def _plan(scenario, premises) -> PostCommissioningPlan | None:
    """The scenario's Post Commissioning plan (BAD 7.2.3), if it has one."""
    if scenario.post_commissioning_start_day is None and not scenario.post_commissioning_never:
        return None
    routine = None
    if scenario.routine_request_day is not None:  # SRV 6.20.1 is not a Post Commissioning step
        routine = RoutineRequest(on_day=scenario.routine_request_day, srv="6.20.1",
                                 params={"import_mpan": premises.mpan})
    start = None if scenario.post_commissioning_never else timedelta(days=scenario.post_commissioning_start_day)
    return PostCommissioningPlan(start_after=start, routine_request=routine)
