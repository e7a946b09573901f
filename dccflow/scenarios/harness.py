"""The scenario harness: sets up premises as the prerequisites of a process require (devices pre-notified on
the SMI, registration data, the devices at hand), runs the BAD process as a child workflow, and reports
what a user would check: the process result, every device's SMI status and the DCC Alerts sent."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from sqlmodel import func, select
from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from dccflow.clock import activity_now
    from dccflow.config import USER_TASK_QUEUE
    from dccflow.domain.roles import UserRole
    from dccflow.events import ObligationOutcome, ProcessEvent
    from dccflow.parties import ELECTRICITY_DISTRIBUTOR, GAS_TRANSPORTER, SUPPLIER
    from dccflow.scenarios.catalogue import get_scenario
    from dccflow.scenarios.premises import install_code
    from dccflow.search import process_search_attributes
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


class DeviceStatus(BaseModel):
    device_id: str
    device_type: str
    smi_status: str


class AlertSeen(BaseModel):
    code: str
    device_id: str | None
    recipient: str


class Snapshot(BaseModel):
    devices: list[DeviceStatus]
    dcc_alerts: list[AlertSeen]


class PostCommissioningSeen(BaseModel):
    device_id: str
    outcome: str
    end: str
    reason: str


class ScenarioReport(BaseModel):
    scenario: str
    faults: list[str]
    workflow_id: str
    result: str
    end: str
    reason: str
    expected_end_reached: bool
    devices: list[DeviceStatus]
    dcc_alerts: list[AlertSeen]
    events: list[ProcessEvent]
    obligations: list[ObligationOutcome]
    post_commissioning: list[PostCommissioningSeen] = []


class HarnessActivities:
    def __init__(self, runtime):
        self.rt = runtime

    @activity.defn
    async def scenario_provision(self, req: ScenarioRequest) -> ElectricityPremises:
        """An electricity premises from the fleet builder (devices pre-notified 'pending' on the SMI, trust
        anchor cells as BAD Table 4 requires, Registration Data for the MPAN), then the scenario's faults."""
        from dccflow.db import session_scope
        from devices.builder import build_premises
        from devices.models import DeviceState

        at = activity_now()
        with session_scope(self.rt.engine) as s:
            number = s.exec(select(func.count()).select_from(DeviceState)
                            .where(DeviceState.device_type == "CHF")).one() + 1
        dual_fuel = get_scenario(req.scenario).dual_fuel
        ids = build_premises(self.rt.engine, number, at, supplier=SUPPLIER, dual_fuel=dual_fuel)
        for fault in req.faults:
            target = ids.chf_id if fault == "no-wan" else ids.esme_id
            self.rt.fleet.set_fault(target, fault)
        gas = dict(gsme_id=ids.gsme_id, gsme_install_code=install_code(ids.gsme_id), mprn=ids.mprn) if dual_fuel \
            else {}
        return ElectricityPremises(premises_id=ids.premises_id, chf_id=ids.chf_id, gpf_id=ids.gpf_id,
                                   esme_id=ids.esme_id, esme_install_code=install_code(ids.esme_id),
                                   mpan=ids.mpan, **gas)

    @activity.defn
    async def scenario_snapshot(self, device_ids: list[str]) -> Snapshot:
        from dccflow.db import session_scope
        from dccsim.models import SmiDevice

        with session_scope(self.rt.engine) as s:
            rows = s.exec(select(SmiDevice).where(SmiDevice.device_id.in_(device_ids))).all()
            order = {d: i for i, d in enumerate(device_ids)}
            devices = sorted((DeviceStatus(device_id=r.device_id, device_type=r.device_type,
                                           smi_status=r.smi_status) for r in rows),
                             key=lambda d: order[d.device_id])
        alerts = [AlertSeen(code=m.dcc_alert_code, device_id=m.device_id, recipient=m.recipient)
                  for m in self.rt.outbound.sent(device_ids=device_ids) if m.kind == "dcc_alert"]
        return Snapshot(devices=devices, dcc_alerts=alerts)


_ACT = dict(start_to_close_timeout=timedelta(seconds=60))


@workflow.defn(name="Scenario")
class ScenarioWorkflow:
    def __init__(self) -> None:
        self._child_id: str | None = None

    @workflow.query
    def process_workflow_id(self) -> str | None:
        return self._child_id

    @workflow.run
    async def run(self, req: ScenarioRequest) -> ScenarioReport:
        scenario = get_scenario(req.scenario)
        premises = await workflow.execute_activity_method(HarnessActivities.scenario_provision, req, **_ACT)
        self._child_id = install_commission_workflow_id(premises.chf_id)
        device_ids = [d for d in (premises.chf_id, premises.gpf_id, premises.esme_id, premises.gsme_id) if d]
        result = await workflow.execute_child_workflow(
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
        snap = await workflow.execute_activity_method(HarnessActivities.scenario_snapshot, device_ids, **_ACT)
        statuses = {d.device_type: d.smi_status for d in snap.devices}
        events = sorted([*result.events, *(e for pc in result.post_commissioning for e in pc.events)],
                        key=lambda e: e.at)
        pc_outcomes = {pc.outcome for pc in result.post_commissioning}
        reached = result.end == scenario.expected_end and all(
            statuses.get(t) == s for t, s in scenario.expected_statuses.items()) and (
            scenario.expected_post_commissioning is None or pc_outcomes == {scenario.expected_post_commissioning}
        ) and set(scenario.expected_events) <= {e.bpmn_id for e in events}
        return ScenarioReport(
            scenario=req.scenario, faults=req.faults, workflow_id=self._child_id, result=result.outcome,
            end=result.end, reason=result.reason, expected_end_reached=reached, devices=snap.devices,
            dcc_alerts=snap.dcc_alerts, events=events, obligations=result.obligations,
            post_commissioning=[PostCommissioningSeen(device_id=pc.events[0].device_id or "", outcome=pc.outcome,
                                                      end=pc.end, reason=pc.reason)
                                for pc in result.post_commissioning])


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
