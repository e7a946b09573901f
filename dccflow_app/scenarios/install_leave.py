"""Scenarios of Install and Leave (BAD 7.2.2): the premises it needs and the run, for the scenario harness
(``dccflow_app.scenarios.harness`` dispatches here for scenarios whose ``process`` is ``install_and_leave``).

The premises: CH (CHF, GPF), ESME, for a ``dual_fuel`` scenario a GSME (the Gas Supplier's), and a PPMID
pre-notified 'pending' on the SMI, Registration Data for the MPAN (and MPRN),
and the installer's HHT — modelled as a Type 2 Device (the premises' CAD id) pre-notified on the SMI, so that the
DCC can add it to the CHF Device Log (BAD 7.2.2.6.2). The scenario's ``device_faults`` (e.g. ``("CHF",
"wan-after:3")``) and the user's ``--fault`` (``join-timeout`` on the ESME) are set on the fleet.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select
from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from dccflow.clock import activity_now
    from dccflow.config import USER_TASK_QUEUE
    from dccflow.domain.roles import UserRole
    from dccflow.parties import DCC_ID, SUPPLIER
    from dccflow.search import process_search_attributes
    from dccflow_app.scenarios.audit import AuditActivities, AuditRequest
    from dccflow_app.scenarios.catalogue import Scenario
    from dccflow_app.scenarios.expectations import (
        RunFacts,
        follow_on_event_ids,
        follow_on_facts,
        judge,
        snapshot_facts,
        verdicts_by_obligation,
    )
    from dccflow_app.scenarios.lifecycle import audited, run_timeline
    from dccflow_app.scenarios.processes import FollowOnPremises, added_devices
    from dccflow_app.scenarios.report import ScenarioReport, Snapshot, other_mpid
    from devices.faults import parse_fault
    from devices.premises import install_code
    from workflows.install_and_leave import (
        InstallAndLeaveInput,
        InstallAndLeaveWorkflow,
        InstallLeavePremises,
        install_and_leave_workflow_id,
    )

_ACT = dict(start_to_close_timeout=timedelta(seconds=60))


class InstallLeaveActivities:
    def __init__(self, runtime):
        self.rt = runtime

    @activity.defn
    async def scenario_provision_install_leave(self, scenario: str, faults: list[str],
                                               definition: Scenario | None = None) -> InstallLeavePremises:
        from dccflow.db import session_scope
        from dccflow_app.scenarios.catalogue import get_scenario
        from devices.builder import build_premises
        from devices.models import DeviceState

        with session_scope(self.rt.engine) as s:
            number = s.exec(select(func.count()).select_from(DeviceState)
                            .where(DeviceState.device_type == "CHF")).one() + 1
        chosen = definition or get_scenario(scenario)
        dual_fuel = chosen.dual_fuel
        # what the procurer put in the meters' Supplier cells (BAD Table 4), as for Install and Commission
        cells = {dtype: "DCC" if holder == "DCC" else other_mpid(dtype)
                 for dtype, holder in chosen.supplier_cells}
        ids = build_premises(self.rt.engine, number, activity_now(), supplier=SUPPLIER, ppmid=True, cad=True,
                             dual_fuel=dual_fuel, supplier_cells=cells)
        by_type = {"CHF": ids.chf_id, "ESME": ids.esme_id, "PPMID": ids.ppmid_id, "GSME": ids.gsme_id}
        for dtype, text in chosen.device_faults:
            spec, param = parse_fault(text)
            self.rt.fleet.set_fault(by_type[dtype], spec.name, param)
        for text in faults:  # the user's --fault, after the scenario's own (so wan-after:N replaces its days)
            spec, param = parse_fault(text)
            self.rt.fleet.set_fault(ids.chf_id if spec.hub_only else ids.esme_id, spec.name, param)
        return InstallLeavePremises(
            premises_id=ids.premises_id, chf_id=ids.chf_id, gpf_id=ids.gpf_id, esme_id=ids.esme_id,
            esme_install_code=install_code(ids.esme_id), mpan=ids.mpan, ppmid_id=ids.ppmid_id,
            ppmid_install_code=install_code(ids.ppmid_id), hht_id=ids.cad_id, hht_install_code=install_code(ids.cad_id),
            supplier_cell_holders={by_type[t]: DCC_ID if h == "DCC" else h for t, h in cells.items()},
            **({"gsme_id": ids.gsme_id, "gsme_install_code": install_code(ids.gsme_id), "mprn": ids.mprn}
               if dual_fuel else {}))


async def run_install_and_leave(req, scenario, on_child, on_timeline=None):
    """The Scenario workflow's run for Install and Leave (workflow code): provision, the process as a child
    workflow ``install-leave-<CHF id>`` and the timeline (``lifecycle``), then the snapshot and the obligations
    audit, as for Install and Commission."""
    start = workflow.now()  # the scenario's timeline counts from here
    premises: InstallLeavePremises = await workflow.execute_activity_method(
        InstallLeaveActivities.scenario_provision_install_leave, args=[req.scenario, req.faults, req.definition],
        **_ACT)
    child_id = install_and_leave_workflow_id(premises.chf_id)
    on_child(child_id)
    device_ids = [premises.chf_id, premises.gpf_id, premises.esme_id,
                  *(d for d in (premises.ppmid_id, premises.gsme_id) if d)]
    mpxns = [premises.mpan, *([premises.mprn] if premises.mprn else [])]
    child = await workflow.start_child_workflow(
        InstallAndLeaveWorkflow.run,
        InstallAndLeaveInput(premises=premises, supplier_id=SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER],
                             gas_supplier_id=SUPPLIER.user_ids[UserRole.GAS_SUPPLIER] if premises.gsme_id else None),
        id=child_id, task_queue=USER_TASK_QUEUE,
        search_attributes=process_search_attributes(scenario.process, device_ids, mpxns))
    by_type = {"CHF": premises.chf_id, "GPF": premises.gpf_id, "ESME": premises.esme_id, "PPMID": premises.ppmid_id,
               "GSME": premises.gsme_id, "HHT": premises.hht_id}
    world, follow_on = await run_timeline(
        scenario, start, FollowOnPremises(premises_id=premises.premises_id,
                                          devices={t: d for t, d in by_type.items() if d},
                                          mpan=premises.mpan, mprn=premises.mprn), on_start=on_timeline)
    result = await child
    added = added_devices(follow_on, device_ids)  # e.g. a replacement CH: in the report, not in the expectations
    snap = await workflow.execute_activity("scenario_snapshot", [*device_ids, *added], result_type=Snapshot, **_ACT)
    own = snap.model_copy(update={"devices": [d for d in snap.devices if d.device_id in device_ids]})
    regulation = await workflow.execute_activity_method(
        AuditActivities.scenario_audit,
        AuditRequest(**audited(result.events, result.obligations, follow_on),
                     device_ids=[*device_ids, premises.hht_id, *added]),
        **_ACT)
    statuses = {d.device_type: d.smi_status for d in own.devices}
    differences = judge(scenario, RunFacts(
        result=result.outcome, end=result.end, statuses=statuses,
        event_ids=frozenset(e.bpmn_id for e in result.events) | follow_on_event_ids(follow_on),
        verdicts=verdicts_by_obligation(regulation), follow_on=follow_on_facts(follow_on),
        **snapshot_facts(own)), req.faults)
    return ScenarioReport(
        scenario=req.scenario, faults=req.faults, workflow_id=child_id, result=result.outcome, end=result.end,
        reason=result.reason, expected_end_reached=not differences, differences=differences, devices=snap.devices,
        dcc_alerts=snap.dcc_alerts,
        events=result.events, obligations=result.obligations, regulation=regulation, world_events=world,
        refusals=snap.refusals, processes=follow_on)


def install_leave_activities(runtime) -> list:
    acts = InstallLeaveActivities(runtime)
    return [acts.scenario_provision_install_leave]
