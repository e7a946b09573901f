"""The BPMN models and the workflows agree: every step id a workflow can record is a task or event of its
model, and every task or event of the model is a step the workflow can record."""

from __future__ import annotations

import pytest

import bpmn
from workflows.change_of_supplier_steps import CHANGE_OF_SUPPLIER_STEPS
from workflows.credentials_steps import KRP_STEPS, REGENERATION_STEPS, REQUEST_HANDOVER_STEPS
from workflows.decommission_steps import DECOMMISSION_STEPS
from workflows.device_reuse_steps import DEVICE_REUSE_STEPS
from workflows.firmware_campaign_model import FIRMWARE_CAMPAIGN_STEPS
from workflows.firmware_upgrade_steps import FIRMWARE_UPGRADE_STEPS
from workflows.install_and_leave_steps import INSTALL_AND_LEAVE_STEPS
from workflows.install_commission_steps import INSTALL_COMMISSION_STEPS
from workflows.meter_exchange_steps import METER_EXCHANGE_STEPS
from workflows.post_commissioning_steps import POST_COMMISSIONING_STEPS
from workflows.replace_communications_hub_steps import REPLACE_CH_STEPS
from workflows.smki_recovery_steps import SMKI_RECOVERY_STEPS

MODELS = {"install_commission": INSTALL_COMMISSION_STEPS, "post_commissioning": POST_COMMISSIONING_STEPS,
          "install_and_leave": INSTALL_AND_LEAVE_STEPS, "change_of_supplier": CHANGE_OF_SUPPLIER_STEPS,
          **{s.process_id: s for s in (REQUEST_HANDOVER_STEPS, KRP_STEPS, REGENERATION_STEPS, DECOMMISSION_STEPS,
                                       REPLACE_CH_STEPS, METER_EXCHANGE_STEPS, DEVICE_REUSE_STEPS,
                                       FIRMWARE_UPGRADE_STEPS, SMKI_RECOVERY_STEPS, FIRMWARE_CAMPAIGN_STEPS)}}


@pytest.mark.parametrize("process", sorted(MODELS))
def test_step_ids_match_model(process):
    assert bpmn.step_ids(process) == set(MODELS[process].ids)


@pytest.mark.parametrize("process", sorted(MODELS))
def test_model_is_well_formed_bpmn(process):
    tree = bpmn.load(process)
    root = tree.getroot()
    assert root.tag == f"{{{bpmn.BPMN_NS}}}definitions"
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "element ids must be unique"
    nodes = set(ids)
    flows = list(root.iter(f"{{{bpmn.BPMN_NS}}}sequenceFlow"))
    assert flows
    for flow in flows:
        assert flow.get("sourceRef") in nodes and flow.get("targetRef") in nodes, flow.get("id")
    # every flow is declared as incoming/outgoing on its ends, and every step is reachable from the start
    succ: dict[str, set[str]] = {}
    for flow in flows:
        succ.setdefault(flow.get("sourceRef"), set()).add(flow.get("targetRef"))
    for boundary in root.iter(f"{{{bpmn.BPMN_NS}}}boundaryEvent"):
        succ.setdefault(boundary.get("attachedToRef"), set()).add(boundary.get("id"))
    starts = [el.get("id") for el in root.iter(f"{{{bpmn.BPMN_NS}}}startEvent")]
    seen, todo = set(starts), list(starts)
    while todo:
        for nxt in succ.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert bpmn.step_ids(process) <= seen
    for lane_ref in root.iter(f"{{{bpmn.BPMN_NS}}}flowNodeRef"):
        assert lane_ref.text in nodes
