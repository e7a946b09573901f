"""Draw a BPMN model from its diagram interchange (BPMN DI) as SVG, with chosen elements highlighted.

Shapes follow BPMN 2.0's notation (OMG formal/2013-12-09, ch. 7 and 12): activities are rounded rectangles,
events circles (start thin, end thick, intermediate and boundary double, with their trigger marked), gateways
diamonds with their kind's marker, sequence flows polylines over the DI waypoints ending in an arrowhead, lanes
and pools rectangles with their name at the left. Only what the DI places is drawn, so a model without DI raises
:class:`RenderError`.

The SVG is meant to be inlined in HTML (the audit report): it has no XML declaration, no ``id`` attributes, no
``<style>`` and no markers, so many diagrams can share a page. Every drawn element is a ``<g>`` with
``class="bpmn-element bpmn-<kind>"`` and ``data-element-id``; highlighted ones add ``highlight`` and
``data-highlight="true"`` and are drawn in red.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from lxml import etree

from bpmn import BPMN_NS, MODEL_DIR
from bpmn.layout import ACTIVITY_KINDS, BPMNDI_NS, CONTAINER_KINDS, DC_NS, DI_NS, EVENT_KINDS, GATEWAY_KINDS, LANE_LABEL
from bpmn.render_symbols import INK, PAPER, SVG_NS, add, event_marker, num, task_icon, text, wrap

NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
PAD = 20
HIGHLIGHT_INK, HIGHLIGHT_PAPER = "#d62728", "#fde3e3"


class RenderError(ValueError):
    """The model cannot be drawn: not BPMN XML, or no diagram interchange."""


def _tree(model: str | os.PathLike | bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True)
    try:
        if isinstance(model, bytes):
            return etree.fromstring(model, parser)
        if isinstance(model, str) and model.lstrip().startswith("<"):
            return etree.fromstring(model.encode("utf-8"), parser)
        path = Path(model)
        if not path.suffix and not path.exists() and path.name == str(model):
            path = MODEL_DIR / f"{model}.bpmn"
        return etree.parse(str(path), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise RenderError(f"cannot read the BPMN model {str(model)[:80]!r}: {exc}") from exc


def _kind(el: etree._Element) -> str:
    return etree.QName(el).localname


class _Canvas:
    def __init__(self, highlight: set[str], marks: Mapping[str, str]):
        self.svg = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
        self.highlight = highlight | set(marks)
        self.marks = marks

    def group(self, element: etree._Element, kind: str) -> etree._Element:
        eid = element.get("id")
        classes = ["bpmn-element", f"bpmn-{kind}"]
        if eid in self.highlight:
            classes.append("highlight")
        if eid in self.marks:
            classes.append(self.marks[eid])
        g = etree.SubElement(self.svg, f"{{{SVG_NS}}}g", {"class": " ".join(classes), "data-element-id": eid})
        if eid in self.highlight:
            g.set("data-highlight", "true")
        title = etree.SubElement(g, f"{{{SVG_NS}}}title")
        title.text = f"{element.get('name')} ({eid})" if element.get("name") else eid
        return g

    def colours(self, eid: str, fill: str = PAPER) -> dict[str, str]:
        if eid in self.highlight:
            return {"stroke": HIGHLIGHT_INK, "fill": HIGHLIGHT_PAPER if fill != "none" else "none"}
        return {"stroke": INK, "fill": fill}


def _event_definition(el: etree._Element) -> str | None:
    for child in el:
        if isinstance(child.tag, str) and _kind(child).endswith("EventDefinition"):
            return _kind(child)[: -len("EventDefinition")]
    return None


def _draw_event(c: _Canvas, el: etree._Element, b: dict[str, float]) -> None:
    kind = _kind(el)
    g = c.group(el, kind)
    col = c.colours(el.get("id"))
    cx, cy, r = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, min(b["width"], b["height"]) / 2
    dashed = {"stroke_dasharray": "4 3"} if el.get("cancelActivity") == "false" else {}
    width = 4 if kind == "endEvent" else (2.5 if el.get("id") in c.highlight else 1.5)
    add(g, "circle", cx=cx, cy=cy, r=r, stroke=col["stroke"], fill=col["fill"], stroke_width=width, **dashed)
    if kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
        add(g, "circle", cx=cx, cy=cy, r=r - 3, stroke=col["stroke"], fill="none", stroke_width=1.5, **dashed)
    trigger = _event_definition(el)
    if trigger:
        event_marker(g, trigger, cx, cy, r, kind in ("endEvent", "intermediateThrowEvent"), col["stroke"],
                      col["fill"])
    if el.get("name") and kind != "boundaryEvent":
        text(g, wrap(el.get("name"), 110, 10, 4), cx, b["y"] + b["height"] + 8 + 12, 10, INK)


def _draw_gateway(c: _Canvas, el: etree._Element, b: dict[str, float]) -> None:
    kind = _kind(el)
    g = c.group(el, kind)
    col = c.colours(el.get("id"))
    x, y, w, h = b["x"], b["y"], b["width"], b["height"]
    cx, cy = x + w / 2, y + h / 2
    add(g, "polygon", points=f"{num(cx)},{num(y)} {num(x + w)},{num(cy)} {num(cx)},{num(y + h)} "
         f"{num(x)},{num(cy)}", stroke=col["stroke"], fill=col["fill"],
         stroke_width=2.5 if el.get("id") in c.highlight else 1.5)
    k = w * 0.18
    if kind == "exclusiveGateway":
        for dx in (k, -k):
            add(g, "line", x1=cx - dx, y1=cy - k, x2=cx + dx, y2=cy + k, stroke=col["stroke"], stroke_width=3)
    elif kind == "parallelGateway":
        add(g, "line", x1=cx - k * 1.3, y1=cy, x2=cx + k * 1.3, y2=cy, stroke=col["stroke"], stroke_width=3)
        add(g, "line", x1=cx, y1=cy - k * 1.3, x2=cx, y2=cy + k * 1.3, stroke=col["stroke"], stroke_width=3)
    elif kind == "inclusiveGateway":
        add(g, "circle", cx=cx, cy=cy, r=k * 1.3, stroke=col["stroke"], fill="none", stroke_width=2.5)
    elif kind == "eventBasedGateway":
        add(g, "circle", cx=cx, cy=cy, r=k * 1.5, stroke=col["stroke"], fill="none", stroke_width=1)
        add(g, "circle", cx=cx, cy=cy, r=k * 1.2, stroke=col["stroke"], fill="none", stroke_width=1)
    elif kind == "complexGateway":
        for a in (0, 45, 90, 135):
            t = math.radians(a)
            add(g, "line", x1=cx - k * 1.3 * math.cos(t), y1=cy - k * 1.3 * math.sin(t),
                 x2=cx + k * 1.3 * math.cos(t), y2=cy + k * 1.3 * math.sin(t), stroke=col["stroke"], stroke_width=2.5)
    if el.get("name"):
        text(g, wrap(el.get("name"), 120, 10, 3), cx, y - 8 - 12, 10, INK)


def _draw_activity(c: _Canvas, el: etree._Element, b: dict[str, float], expanded: bool) -> None:
    kind = _kind(el)
    g = c.group(el, kind)
    col = c.colours(el.get("id"), "none" if expanded else PAPER)
    x, y, w, h = b["x"], b["y"], b["width"], b["height"]
    width = 4 if kind == "callActivity" else (2.5 if el.get("id") in c.highlight else 1.5)
    extra = {"stroke_dasharray": "6 3"} if el.get("triggeredByEvent") == "true" else {}
    add(g, "rect", x=x, y=y, width=w, height=h, rx=10, ry=10, stroke=col["stroke"], fill=col["fill"],
         stroke_width=width, **extra)
    if kind == "transaction":
        add(g, "rect", x=x + 3, y=y + 3, width=w - 6, height=h - 6, rx=8, ry=8, stroke=col["stroke"],
             fill="none", stroke_width=1)
    name = el.get("name") or ""
    if expanded:
        text(g, wrap(name, w - 16, 11, 2), x + 8, y + 14, 11, INK, anchor="start")
        return
    if kind in CONTAINER_KINDS or kind == "callActivity":  # collapsed: the [+] marker
        add(g, "rect", x=x + w / 2 - 7, y=y + h - 16, width=14, height=14, stroke=col["stroke"], fill="none")
        add(g, "path", d=f"M{num(x + w / 2 - 4)},{num(y + h - 9)}h8M{num(x + w / 2)},{num(y + h - 13)}v8",
             stroke=col["stroke"], fill="none")
    task_icon(g, kind, x + 6, y + 6, col["stroke"])
    text(g, wrap(name, w - 8, 10, int((h - 8) // 12)), x + w / 2, y + h / 2, 10, INK)


def _draw_lane(c: _Canvas, el: etree._Element, b: dict[str, float]) -> None:
    kind = _kind(el)
    g = c.group(el, kind)
    col = c.colours(el.get("id"), "none")
    x, y, w, h = b["x"], b["y"], b["width"], b["height"]
    add(g, "rect", x=x, y=y, width=w, height=h, stroke=col["stroke"], fill="none", stroke_width=1)
    add(g, "line", x1=x + LANE_LABEL, y1=y, x2=x + LANE_LABEL, y2=y + h, stroke=col["stroke"], stroke_width=1)
    name = el.get("name") or ""
    text(g, wrap(name, h - 8, 11, 2), x + LANE_LABEL / 2, y + h / 2, 11, INK, rotate=True)


def _draw_flow(c: _Canvas, el: etree._Element, points: list[tuple[float, float]],
               source: etree._Element | None) -> None:
    kind = _kind(el)
    g = c.group(el, kind)
    hot = el.get("id") in c.highlight
    ink = HIGHLIGHT_INK if hot else INK
    dashed = {"stroke_dasharray": "6 4"} if kind in ("messageFlow", "association") else {}
    add(g, "polyline", points=" ".join(f"{num(x)},{num(y)}" for x, y in points), stroke=ink, fill="none",
         stroke_width=3 if hot else 1.5, stroke_linejoin="round", **dashed)
    if kind == "association":
        return
    (x1, y1), (x2, y2) = points[-2], points[-1]
    angle, size = math.atan2(y2 - y1, x2 - x1), 10
    left = (x2 - size * math.cos(angle - 0.4), y2 - size * math.sin(angle - 0.4))
    right = (x2 - size * math.cos(angle + 0.4), y2 - size * math.sin(angle + 0.4))
    add(g, "polygon", points=f"{num(x2)},{num(y2)} {num(left[0])},{num(left[1])} "
         f"{num(right[0])},{num(right[1])}", stroke=ink, fill=ink if kind == "sequenceFlow" else PAPER)
    (sx, sy), (nx, ny) = points[0], points[1]
    a0 = math.atan2(ny - sy, nx - sx)
    if source is not None and source.get("default") == el.get("id"):  # default flow: a slash near its source
        mx, my = sx + 10 * math.cos(a0), sy + 10 * math.sin(a0)
        add(g, "line", x1=mx - 5 * math.cos(a0 - 1.0), y1=my - 5 * math.sin(a0 - 1.0),
             x2=mx + 5 * math.cos(a0 - 1.0), y2=my + 5 * math.sin(a0 - 1.0), stroke=ink, stroke_width=1.5)
    elif (el.find("bpmn:conditionExpression", NS) is not None and source is not None
          and _kind(source) not in GATEWAY_KINDS):  # conditional flow out of an activity: a mini diamond
        d = 7
        pts = [(0, 0), (d, -d / 2), (2 * d, 0), (d, d / 2)]
        add(g, "polygon", stroke=ink, fill=PAPER, points=" ".join(
            f"{num(sx + px * math.cos(a0) - py * math.sin(a0))},{num(sy + px * math.sin(a0) + py * math.cos(a0))}"
            for px, py in pts))
    if el.get("name"):
        i = len(points) // 2  # label at the middle of the middle segment
        (ax, ay), (bx, by) = points[i - 1], points[i]
        text(g, wrap(el.get("name"), 110, 9, 3), (ax + bx) / 2 + 4, (ay + by) / 2 - 10, 9, ink, anchor="start")


def _bounds(di: etree._Element) -> dict[str, float] | None:
    b = di.find("dc:Bounds", NS)
    return None if b is None else {k: float(b.get(k, 0)) for k in ("x", "y", "width", "height")}


def render_svg(model: str | os.PathLike | bytes, highlight: Iterable[str] = (), *,
               marks: Mapping[str, str] | None = None) -> str:
    """The model's first diagram as SVG text (no XML declaration). *model* is a process name (``bpmn/<name>.bpmn``),
    a path, or the XML itself; *highlight* ids (and the keys of *marks*, id → extra CSS class) are drawn in red."""
    root = _tree(model)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    if plane is None or not len(plane):
        raise RenderError("the model has no diagram interchange (bpmndi:BPMNPlane) to draw")
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    canvas = _Canvas({highlight} if isinstance(highlight, str) else set(highlight), marks or {})
    shapes, edges = [], []
    for di in plane:
        if not isinstance(di.tag, str):
            continue
        el = by_id.get(di.get("bpmnElement"))
        if el is None or etree.QName(el).namespace != BPMN_NS:
            continue
        if _kind(di) == "BPMNShape" and _bounds(di):
            shapes.append((el, _bounds(di), di.get("isExpanded") == "true"))
        elif _kind(di) == "BPMNEdge":
            points = [(float(w.get("x")), float(w.get("y"))) for w in di.findall("di:waypoint", NS)]
            if len(points) >= 2:
                edges.append((el, points))
    xs = [v for _, b, _ in shapes for v in (b["x"], b["x"] + b["width"])] + [x for _, p in edges for x, _ in p]
    ys = [v for _, b, _ in shapes for v in (b["y"], b["y"] + b["height"])] + [y for _, p in edges for _, y in p]
    if not xs:
        raise RenderError("the model's diagram places no shape or edge")
    left, top = min(xs) - PAD, min(ys) - PAD - 30  # room for a label above a gateway
    width, height = max(xs) + PAD - left, max(ys) + PAD + 50 - top  # room for labels under events
    svg = canvas.svg
    for k, v in {"viewBox": f"{num(left)} {num(top)} {num(width)} {num(height)}", "width": num(width),
                 "height": num(height), "class": "bpmn-diagram", "role": "img",
                 "data-model-id": root.get("id") or ""}.items():
        svg.set(k, v)
    add(svg, "rect", x=left, y=top, width=width, height=height, fill=PAPER, stroke="none")

    def layer(el: etree._Element) -> int:  # pools/lanes, then expanded containers, then nodes, boundary events
        kind = _kind(el)
        return {"participant": 0, "lane": 1}.get(kind, 2 if kind in CONTAINER_KINDS else 3 + (kind == "boundaryEvent"))

    nodes = sorted(shapes, key=lambda s: layer(s[0]))
    for el, b, expanded in [s for s in nodes if layer(s[0]) <= 2]:
        _draw_shape(canvas, el, b, expanded)
    for el, points in edges:
        _draw_flow(canvas, el, points, by_id.get(el.get("sourceRef")))
    for el, b, expanded in [s for s in nodes if layer(s[0]) > 2]:
        _draw_shape(canvas, el, b, expanded)
    return etree.tostring(svg, encoding="unicode")


def element_ids(model: str | os.PathLike | bytes) -> set[str]:
    """The ids of the model's BPMN elements (what *highlight* can name)."""
    return {el.get("id") for el in _tree(model).iter() if isinstance(el.tag, str) and el.get("id")
            and etree.QName(el).namespace == BPMN_NS}


def render_png(model: str | os.PathLike | bytes, highlight: Iterable[str] = (), *,
               marks: Mapping[str, str] | None = None, zoom: float = 1.0) -> bytes:
    """:func:`render_svg` rasterised to PNG by resvg (the PyPI wheel ``resvg-py``, no system libraries; the
    optional extra ``dccflow[png]``); text uses the machine's fonts."""
    try:
        import resvg_py
    except ImportError as exc:
        raise RenderError("PNG output needs the optional package resvg-py: pip install 'dccflow[png]'") from exc
    svg = render_svg(model, highlight, marks=marks)
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, zoom=zoom, background="#ffffff"))


def _draw_shape(c: _Canvas, el: etree._Element, b: dict[str, float], expanded: bool) -> None:
    kind = _kind(el)
    if kind in ("participant", "lane"):
        _draw_lane(c, el, b)
    elif kind in EVENT_KINDS:
        _draw_event(c, el, b)
    elif kind in GATEWAY_KINDS:
        _draw_gateway(c, el, b)
    elif kind in ACTIVITY_KINDS:
        _draw_activity(c, el, b, expanded)
    else:  # data objects, text annotations and the like: a plain box with the name
        g = c.group(el, kind)
        col = c.colours(el.get("id"))
        add(g, "rect", x=b["x"], y=b["y"], width=b["width"], height=b["height"], stroke=col["stroke"],
             fill=col["fill"], stroke_width=1)
        text(g, wrap(el.get("name") or "", b["width"] - 6, 9, 3), b["x"] + b["width"] / 2,
              b["y"] + b["height"] / 2, 9, INK)
