"""The BPMN models and the workflows agree: every step id a workflow can record is a task or event of its
model, and every task or event of the model is a step the workflow can record."""

from __future__ import annotations

import pytest

import bpmn
from workflows.install_and_leave_steps import INSTALL_AND_LEAVE_STEPS
from workflows.install_commission_steps import INSTALL_COMMISSION_STEPS
from workflows.post_commissioning_steps import POST_COMMISSIONING_STEPS

MODELS = {"install_commission": INSTALL_COMMISSION_STEPS, "post_commissioning": POST_COMMISSIONING_STEPS,
          "install_and_leave": INSTALL_AND_LEAVE_STEPS}


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
