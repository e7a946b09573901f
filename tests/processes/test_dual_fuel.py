"""Dual-fuel Install and Commission (BAD 7.2.1): electricity first, then gas; the GPF is commissioned by
joining it to the commissioned GSME (AC 4.10), which Enrols the gas SMS (SEC H5.1(b))."""

from __future__ import annotations

from dccflow_app.scenarios.runner import run_scenario

GAS_SUPPLIER = "90-B3-D5-1F-30-01-00-01"
GAS_TRANSPORTER = "90-B3-D5-1F-30-03-00-00"


async def test_dual_fuel_commissions_all_four_devices(stack):
    report = await run_scenario(stack.client, "install-commission-dual-fuel")
    assert report.result == "completed", report.reason
    assert report.expected_end_reached
    assert {d.device_type: d.smi_status for d in report.devices} == {
        "CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned", "GSME": "commissioned"}
    ids = [e.bpmn_id for e in report.events]
    # electricity before gas (BAD 7.2.1.1), the GPF last
    assert ids.index("commission_device") < ids.index("update_han_device_log_gsme") < ids.index(
        "commission_device_gsme") < ids.index("join_gsme_to_gpf")
    gsme = next(d.device_id for d in report.devices if d.device_type == "GSME")
    # the Gas Supplier's 8.11 makes the DCC tell the Gas Transporter (N16) and the Gas Supplier (N24)
    assert ("N16", gsme, GAS_TRANSPORTER) in [(a.code, a.device_id, a.recipient) for a in report.dcc_alerts]
    assert ("N24", gsme, GAS_SUPPLIER) in [(a.code, a.device_id, a.recipient) for a in report.dcc_alerts]


async def test_gas_meter_join_timeout_leaves_gas_unenrolled(stack):
    from dccflow_app.scenarios.harness import HarnessActivities, ScenarioRequest

    premises = await HarnessActivities(stack.runtime).scenario_provision(
        ScenarioRequest(scenario="install-commission-dual-fuel"))
    stack.runtime.fleet.set_fault(premises.gsme_id, "join-timeout")
    from dccflow.config import USER_TASK_QUEUE
    from workflows.install_commission import (
        InstallCommissionInput,
        InstallCommissionWorkflow,
        install_commission_workflow_id,
    )

    result = await stack.client.execute_workflow(
        InstallCommissionWorkflow.run,
        InstallCommissionInput(premises=premises, supplier_id="90-B3-D5-1F-30-01-00-00",
                               gas_supplier_id=GAS_SUPPLIER),
        id=install_commission_workflow_id(premises.chf_id), task_queue=USER_TASK_QUEUE)
    assert result.end == "end_join_unsuccessful"
    ids = [e.bpmn_id for e in result.events]
    assert "commission_device" in ids  # the electricity SMS was enrolled before gas failed
    assert "n25_whitelist_update_unsuccessful_gsme" in ids and "commission_device_gsme" not in ids
