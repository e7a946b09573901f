"""A Command on a slow SM WAN: the DCC waits (a durable timer) for the Device's Response up to the final retry
boundary of BAD Table 13, so a 10-minute WAN still completes the process and a 2-hour one ends in N13."""

from __future__ import annotations

from datetime import timedelta

from dccflow.config import USER_TASK_QUEUE
from dccflow_app.scenarios.harness import HarnessActivities, ScenarioRequest
from workflows.install_commission import (
    InstallCommissionInput,
    InstallCommissionWorkflow,
    install_commission_workflow_id,
)

SUPPLIER = "90-B3-D5-1F-30-01-00-00"


async def _install(stack, minutes: int):
    premises = await HarnessActivities(stack.runtime).scenario_provision(
        ScenarioRequest(scenario="install-commission-electricity"))
    await stack.runtime.wan.set_fault(premises.chf_id, "slow-wan", minutes)
    return await stack.client.execute_workflow(
        InstallCommissionWorkflow.run, InstallCommissionInput(premises=premises, supplier_id=SUPPLIER),
        id=install_commission_workflow_id(premises.chf_id), task_queue=USER_TASK_QUEUE)


def _at(result, bpmn_id):
    return next(e.at for e in result.events if e.bpmn_id == bpmn_id)


async def test_ten_minute_wan_delays_but_completes(stack):
    result = await _install(stack, 10)
    assert result.outcome == "completed", result.reason
    # the 8.11 Service Response waited for the CHF's Response over the slow WAN
    assert _at(result, "update_han_device_log") - _at(result, "ch_status_update_install_success") >= timedelta(
        minutes=10)


async def test_two_hour_wan_ends_in_n13(stack):
    result = await _install(stack, 120)
    assert result.outcome == "failed"
    assert result.end == "end_service_request_failed"
    assert "N13" in result.reason and "8.11" in result.reason
    alerts = [m for m in stack.runtime.outbound.sent() if m.kind == "dcc_alert"]
    assert [a.dcc_alert_code for a in alerts] == ["N13"]
