"""The 8.3 of a CHF and its GPF (AD 3.8.100.5(a), (c); issue #14): the Supplier's Remove and Decommission process
records what the DCC did to the GPF, as the SMI shows it (SRV 8.2 after the 8.3), not what it expected. An
electricity-only CH's GPF, never commissioned, stays 'pending' (``gpf_not_decommissioned``); a dual-fuel CH's GPF is
'decommissioned' with its CHF (``gpf_decommissioned_with_chf``). The histories replay against the code."""

from __future__ import annotations

from temporalio.worker import Replayer

from dccflow_app.scenarios.loader import load_text
from dccflow_app.scenarios.runner import run_scenario
from dccflow_app.scenarios.to_catalogue import to_catalogue_scenario
from workflows.decommission import RemoveAndDecommissionWorkflow

_SCENARIO = """
name: decommission-chf-{name}
description: The Import Supplier decommissions the CHF of an SMS ({name}).
premises:
  devices:
    chf: {{type: CHF}}
    gpf: {{type: GPF}}
    esme: {{type: ESME}}
{gas}timeline:
  - at: 0
    process: install_commission
  - at: 10 days
    process: decommission
    actor: import_supplier
    with: {{device: chf}}
expect:
  processes:
    install_commission: {{end: end_sms_enrolled, result: completed}}
    decommission: {{end: end_device_decommissioned, result: completed}}
"""


async def _decommission_chf(stack, *, gas: bool):
    text = _SCENARIO.format(name="dual-fuel" if gas else "electricity-only",
                            gas="    gsme: {type: GSME}\n" if gas else "")
    definition = to_catalogue_scenario(load_text(text))
    report = await run_scenario(stack.client, definition.name, definition=definition)
    assert report.differences == [], report.differences
    (process,) = [p for p in report.processes if p.process == "decommission"]
    ids = {d.device_type: d.device_id for d in report.devices}
    history = await stack.client.get_workflow_handle(process.workflow_id).fetch_history()
    replay = await Replayer(workflows=[RemoveAndDecommissionWorkflow],
                                      data_converter=stack.client.data_converter).replay_workflow(
        history, raise_on_replay_failure=False)
    assert replay.replay_failure is None, replay.replay_failure
    return report, process, ids


def _gpf_steps(process) -> list[tuple[str, str | None, str]]:
    return [(e.bpmn_id, e.device_id, e.detail) for e in process.events if e.bpmn_id.startswith("gpf_")]


def _verdicts(report, obligation: str, device_id: str) -> list[str]:
    return [v.verdict for v in report.regulation if v.obligation == obligation and v.device_id == device_id]


async def test_the_pending_gpf_of_an_electricity_only_ch_is_recorded_as_left_as_it_was(stack):
    report, process, ids = await _decommission_chf(stack, gas=False)
    gpf = ids["GPF"]
    assert {d.device_type: d.smi_status for d in report.devices} == {"CHF": "decommissioned", "GPF": "pending",
                                                                     "ESME": "commissioned"}
    # not "decommissioned with its CHF": the SMI (8.2) shows it 'Pending'
    assert _gpf_steps(process) == [("gpf_not_decommissioned", gpf, f"CHF {ids['CHF']}; the GPF 'Pending'")]
    assert process.events[-1].bpmn_id == "end_device_decommissioned"
    # the audit: AD 3.8.100.5(a) leaves a 'pending' Device as it is
    assert _verdicts(report, "decommission-gpf-with-chf", gpf) == ["not applicable"]
    assert "breached" not in {v.verdict for v in report.regulation if v.device_id == gpf}


async def test_the_commissioned_gpf_of_a_dual_fuel_ch_is_recorded_as_decommissioned_with_it(stack):
    report, process, ids = await _decommission_chf(stack, gas=True)
    gpf = ids["GPF"]
    assert {d.device_type: d.smi_status for d in report.devices}["GPF"] == "decommissioned"
    assert _gpf_steps(process) == [("gpf_decommissioned_with_chf", gpf, f"CHF {ids['CHF']}")]
    assert _verdicts(report, "decommission-gpf-with-chf", gpf) == ["met"]
