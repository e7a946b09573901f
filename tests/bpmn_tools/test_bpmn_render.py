"""bpmn.render draws each model from its diagram interchange: one drawn element per BPMNShape at its bounds, one
polyline per BPMNEdge along its waypoints, highlighted ids (and only those) marked, inline-safe SVG."""

from __future__ import annotations

import io
import struct

import pytest
from lxml import etree

import bpmn
from bpmn import layout
from bpmn.render import HIGHLIGHT_INK, HIGHLIGHT_PAPER, RenderError, render_png, render_svg

NS = {"bpmn": bpmn.BPMN_NS, "bpmndi": layout.BPMNDI_NS, "dc": layout.DC_NS, "di": layout.DI_NS}
SVG = "http://www.w3.org/2000/svg"
S = {"s": SVG}
MODELS = sorted(p.stem for p in bpmn.MODEL_DIR.glob("*.bpmn"))


def _groups(svg: etree._Element) -> dict[str, list[etree._Element]]:
    groups: dict[str, list[etree._Element]] = {}
    for g in svg.iterfind("s:g", S):
        groups.setdefault(g.get("data-element-id"), []).append(g)
    return groups


def _highlight_target(root: etree._Element) -> tuple[str, str, str]:
    """A task, a gateway (or event) and a sequence flow of the model, to highlight."""
    task = next(el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("Task")
                or el.tag == f"{{{bpmn.BPMN_NS}}}task")
    other = next(el.get("id") for el in root.iter(f"{{{bpmn.BPMN_NS}}}exclusiveGateway",
                                                   f"{{{bpmn.BPMN_NS}}}endEvent"))
    flow = root.find(".//bpmn:sequenceFlow", NS).get("id")
    return task, other, flow


@pytest.mark.parametrize("model", MODELS)
def test_every_shape_and_edge_is_drawn_once_and_highlights_are_marked(model):
    root = bpmn.load(model).getroot()
    marked = set(_highlight_target(root))
    text = render_svg(model, highlight=marked)
    svg = etree.fromstring(text.encode())  # well-formed
    assert svg.tag == f"{{{SVG}}}svg" and svg.get("viewBox")
    assert not text.startswith("<?xml")
    assert svg.xpath("//*[@id]") == [], "no id attributes: several diagrams can be inlined in one page"
    groups = _groups(svg)

    shapes = root.findall(".//bpmndi:BPMNShape", NS)
    edges = root.findall(".//bpmndi:BPMNEdge", NS)
    assert len(svg.findall("s:g", S)) == len(shapes) + len(edges)
    for shape in shapes:
        (g,) = groups[shape.get("bpmnElement")]
        b = {k: float(v) for k, v in shape.find("dc:Bounds", NS).attrib.items()}
        outline = g.find("s:rect", S) if g.find("s:rect", S) is not None else None
        circle, diamond = g.find("s:circle", S), g.find("s:polygon", S)
        if "bpmn-lane" in g.get("class") or "Task" in g.get("class") or "bpmn-task" in g.get("class").split():
            assert [float(outline.get(k)) for k in ("x", "y", "width", "height")] == \
                [b["x"], b["y"], b["width"], b["height"]]
        elif "Event" in g.get("class"):
            assert float(circle.get("cx")) == b["x"] + b["width"] / 2
            assert float(circle.get("r")) == b["width"] / 2
        elif "Gateway" in g.get("class"):
            xs = [float(p.split(",")[0]) for p in diamond.get("points").split()]
            assert min(xs) == b["x"] and max(xs) == b["x"] + b["width"]
    for edge in edges:
        (g,) = groups[edge.get("bpmnElement")]
        (line,) = g.findall("s:polyline", S)
        points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        assert points == [(float(w.get("x")), float(w.get("y"))) for w in edge.findall("di:waypoint", NS)]
        assert g.find("s:polygon", S) is not None, "an arrowhead"

    hot = {g.get("data-element-id") for g in svg.iterfind("s:g", S) if g.get("data-highlight") == "true"}
    assert hot == marked
    for eid in marked:
        (g,) = groups[eid]
        assert "highlight" in g.get("class").split()
        assert g[1].get("stroke") == HIGHLIGHT_INK  # the outline (after the <title>)
    for eid, (g,) in groups.items():
        if eid not in marked:
            assert "highlight" not in g.get("class").split()
            assert HIGHLIGHT_INK not in etree.tostring(g, encoding="unicode")


def test_a_path_or_the_xml_draws_the_same_as_the_name():
    path = bpmn.MODEL_DIR / "request_handover.bpmn"
    by_name = render_svg("request_handover", ["boundary_refused"])
    assert render_svg(path, ["boundary_refused"]) == by_name
    assert render_svg(str(path), ["boundary_refused"]) == by_name
    assert render_svg(path.read_text(encoding="utf-8"), ["boundary_refused"]) == by_name
    assert render_svg(path.read_bytes(), ["boundary_refused"]) == by_name


def test_labels_titles_and_marks():
    svg = etree.fromstring(render_svg("install_and_leave", marks={"gw_fork": "missing"}).encode())
    (g,) = _groups(svg)["gw_fork"]
    assert g.get("class").split() == ["bpmn-element", "bpmn-parallelGateway", "highlight", "missing"]
    assert g.find("s:polygon", S).get("fill") == HIGHLIGHT_PAPER
    task = _groups(svg)["install_communications_hub"][0]
    assert task.find("s:title", S).text == "Install Communications Hub (BAD 7.2.1.6.4) (install_communications_hub)"
    assert " ".join(t.text for t in task.iterfind(".//s:tspan", S)) == "Install Communications Hub (BAD 7.2.1.6.4)"
    lanes = [g for g in svg.iterfind("s:g", S) if "bpmn-lane" in g.get("class").split()]
    assert [g.find(".//s:tspan", S).text for g in lanes] == ["Installer", "DCC", "Supplier"]


def test_a_model_without_diagram_interchange_is_refused():
    text = (bpmn.MODEL_DIR / "request_handover.bpmn").read_text(encoding="utf-8")
    with pytest.raises(RenderError, match="no diagram interchange"):
        render_svg(layout._DIAGRAM_RE.sub("", text))
    with pytest.raises(RenderError, match="cannot read"):
        render_svg("no_such_model")


def test_png_has_the_svg_size_and_the_highlight_colour():
    svg = etree.fromstring(render_svg("request_handover").encode())
    png = render_png("request_handover", ["request_handover"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (int(float(svg.get("width"))), int(float(svg.get("height"))))
    image = pytest.importorskip("PIL.Image").open(io.BytesIO(png)).convert("RGB")
    shape = bpmn.load("request_handover").getroot().find(".//bpmndi:BPMNShape[@bpmnElement='request_handover']", NS)
    b = {k: float(v) for k, v in shape.find("dc:Bounds", NS).attrib.items()}
    left, top = (float(v) for v in svg.get("viewBox").split()[:2])
    paper = tuple(int(HIGHLIGHT_PAPER[i:i + 2], 16) for i in (1, 3, 5))
    strip = [image.getpixel((int(b["x"] - left + 3), int(b["y"] - top + dy))) for dy in range(12, 60, 4)]
    assert strip.count(paper) > len(strip) / 2, strip  # the task is filled with the highlight colour
    outside = image.getpixel((int(b["x"] - left - 6), int(b["y"] - top + 30)))
    assert outside == (255, 255, 255)
