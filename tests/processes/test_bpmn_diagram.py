"""The BPMN models carry diagram interchange (bpmndi) that bpmn.io can draw: every flow node and boundary event has
one shape, every sequence flow one edge, the references resolve, and ``python -m bpmn.layout`` is idempotent."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from npm_tools import npm_package

import bpmn
from bpmn import layout

MODELS = ("install_and_leave", "install_commission", "post_commissioning", "change_of_supplier",
          "request_handover", "update_security_credentials_krp", "device_credential_regeneration",
          "decommission", "replace_communications_hub", "meter_exchange",
          "device_reuse", "firmware_upgrade", "smki_recovery", "firmware_campaign")
NS = {"bpmn": bpmn.BPMN_NS, "bpmndi": layout.BPMNDI_NS, "dc": layout.DC_NS, "di": layout.DI_NS}
TOOLS = Path(__file__).parent.parent / "bpmn_tools"
#: pinned version of the npm package bpmn-io's modeler uses to read BPMN XML
BPMN_MODDLE = "bpmn-moddle@10.3.1"


def _bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return {k: float(b.get(k)) for k in ("x", "y", "width", "height")}


@pytest.mark.parametrize("process", MODELS)
def test_every_node_and_flow_is_drawn(process):
    root = bpmn.load(process).getroot()
    diagrams = root.findall("bpmndi:BPMNDiagram", NS)
    assert len(diagrams) == 1
    planes = diagrams[0].findall("bpmndi:BPMNPlane", NS)
    assert len(planes) == 1
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert planes[0].get("bpmnElement") == root.find("bpmn:process", NS).get("id")

    shapes = root.findall(".//bpmndi:BPMNShape", NS)
    edges = root.findall(".//bpmndi:BPMNEdge", NS)
    for di in shapes + edges:
        assert di.get("bpmnElement") in by_id, di.get("id")
    shape_refs = [s.get("bpmnElement") for s in shapes]
    edge_refs = [e.get("bpmnElement") for e in edges]

    nodes = [el for el in root.iter() if isinstance(el.tag, str) and el.tag.startswith(f"{{{bpmn.BPMN_NS}}}")
             and etree_local(el) in layout.FLOW_NODE_KINDS | {"boundaryEvent", "lane"}]
    assert nodes
    for node in nodes:
        assert shape_refs.count(node.get("id")) == 1, node.get("id")
    assert len(shape_refs) == len(nodes)
    for shape in shapes:
        b = _bounds(shape)
        assert b["width"] > 0 and b["height"] > 0, shape.get("id")

    flows = root.findall(".//bpmn:sequenceFlow", NS)
    assert sorted(edge_refs) == sorted(f.get("id") for f in flows)
    for edge in edges:
        assert len(edge.findall("di:waypoint", NS)) >= 2, edge.get("id")

    # boundary events sit on their host's bottom edge
    shape_of = {s.get("bpmnElement"): _bounds(s) for s in shapes}
    for boundary in root.iter(f"{{{bpmn.BPMN_NS}}}boundaryEvent"):
        b, host = shape_of[boundary.get("id")], shape_of[boundary.get("attachedToRef")]
        assert b["y"] + b["height"] / 2 == host["y"] + host["height"]
        assert host["x"] <= b["x"] and b["x"] + b["width"] <= host["x"] + host["width"]


@pytest.mark.parametrize("process", MODELS)
def test_shapes_do_not_overlap_and_sub_process_nodes_sit_inside_it(process):
    root = bpmn.load(process).getroot()
    parent = {el.get("id"): el.getparent().get("id") for el in root.iter()
              if el.get("id") and el.getparent() is not None}
    boundaries = {b.get("id") for b in root.iter(f"{{{bpmn.BPMN_NS}}}boundaryEvent")}
    shape_of = {s.get("bpmnElement"): _bounds(s) for s in root.findall(".//bpmndi:BPMNShape", NS)}
    lanes = {lane.get("id"): lane for lane in root.iter(f"{{{bpmn.BPMN_NS}}}lane")}
    ids = [i for i in shape_of if i not in boundaries and i not in lanes]
    # each node is drawn inside its lane's band, and the bands do not overlap
    for lane_id, lane in lanes.items():
        band = shape_of[lane_id]
        for ref in lane.iter(f"{{{bpmn.BPMN_NS}}}flowNodeRef"):
            if ref.text in boundaries:
                continue
            node = shape_of[ref.text]
            assert band["y"] <= node["y"] and node["y"] + node["height"] <= band["y"] + band["height"], ref.text
            assert band["x"] <= node["x"] and node["x"] + node["width"] <= band["x"] + band["width"], ref.text
    bands = sorted((shape_of[i] for i in lanes), key=lambda b: b["y"])
    for upper, lower in zip(bands, bands[1:], strict=False):
        assert upper["y"] + upper["height"] <= lower["y"]
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if parent[a] == b or parent[b] == a:
                continue
            ra, rb = shape_of[a], shape_of[b]
            assert not (ra["x"] < rb["x"] + rb["width"] and rb["x"] < ra["x"] + ra["width"]
                        and ra["y"] < rb["y"] + rb["height"] and rb["y"] < ra["y"] + ra["height"]), (a, b)
        if parent[a] in shape_of:  # a node of an expanded sub-process
            inner, outer = shape_of[a], shape_of[parent[a]]
            assert outer["x"] <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"], a
            assert outer["y"] <= inner["y"] and inner["y"] + inner["height"] <= outer["y"] + outer["height"], a


def etree_local(el) -> str:
    return el.tag.rsplit("}", 1)[1]


@pytest.mark.parametrize("process", MODELS)
def test_layout_is_idempotent_and_keeps_the_model(process, tmp_path):
    source = bpmn.MODEL_DIR / f"{process}.bpmn"
    text = source.read_text(encoding="utf-8")
    copy = tmp_path / source.name
    copy.write_text(text, encoding="utf-8")
    assert layout.main([str(copy)]) == 0
    assert copy.read_text(encoding="utf-8") == text, "python -m bpmn.layout would change the committed file"
    # without the diagram the generator rebuilds exactly the same one
    stripped = layout._DIAGRAM_RE.sub("", text)
    assert "bpmndi:BPMNShape" not in stripped
    assert layout.with_diagram(stripped) == text


def _bpmn_moddle() -> Path:
    """A cache dir with bpmn-moddle installed (``npm install --prefix``), fetched once, race-free under xdist
    (tests/npm_tools.py); skipped when node/npm are absent, except on CI."""
    return npm_package(BPMN_MODDLE)


def test_bpmn_moddle_reads_the_models_without_warnings():
    cache = _bpmn_moddle()
    env = {**os.environ, "BPMN_MODDLE_DIR": str(cache)}
    files = [str(bpmn.MODEL_DIR / f"{p}.bpmn") for p in MODELS]
    done = subprocess.run(["node", str(TOOLS / "check_bpmn.mjs"), *files], capture_output=True, text=True,
                          env=env, timeout=120, cwd=cache)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for path in files:
        assert report[path]["error"] is None, report[path]
        assert report[path]["warnings"] == [], report[path]
        assert report[path]["shapes"] > 0 and report[path]["edges"] > 0
