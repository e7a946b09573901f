"""BPMN 2.0 models of the BAD processes, and a reader for the ids a workflow's process events use."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MODEL_DIR = Path(__file__).parent

#: BPMN element kinds that a workflow records as process events (gateways, flows, lanes and boundary events
#: are structure, not steps)
STEP_KINDS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "task",
              "manualTask", "userTask", "serviceTask", "sendTask", "receiveTask", "scriptTask", "businessRuleTask",
              "callActivity", "subProcess")


def load(process: str) -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(MODEL_DIR / f"{process}.bpmn"), parser)


def step_ids(process: str) -> set[str]:
    tree = load(process)
    ids: set[str] = set()
    for kind in STEP_KINDS:
        ids.update(el.get("id") for el in tree.iter(f"{{{BPMN_NS}}}{kind}"))
    return ids
