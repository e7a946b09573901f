"""Deterministic BPMN diagram interchange (bpmndi) for the models in this folder, so bpmn.io can display them.

Run ``python -m bpmn.layout`` to rewrite the ``*.bpmn`` files in place. Flow nodes go left to right by longest-path
rank from the start event(s) over sequence flows (back edges of loops are ignored for ranking), one row per node of
the same rank; boundary events sit on their host's bottom edge; a sub-process is drawn expanded with its own nodes
laid out inside it. A process with lanes gets one horizontal band per lane (in the laneSet's order), each node in
its lane's band, and one lane shape per lane. Everything outside the generated ``bpmndi:BPMNDiagram`` is kept byte
for byte, apart from the ``bpmndi``/``dc``/``di`` namespace declarations added to ``bpmn:definitions``. Running it
twice changes nothing.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from bpmn import BPMN_NS, MODEL_DIR

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
NAMESPACES = {"bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}

TASK_SIZE = (100, 80)
EVENT_SIZE = (36, 36)
GATEWAY_SIZE = (50, 50)
COL_GAP = 60   # horizontal space between ranks
ROW_GAP = 40   # vertical space between rows
MARGIN = 40    # padding around a container's content
ORIGIN = (160, 80)
LANE_LABEL = 30  # the band at a lane's left that carries its name
LANE_PAD = 30    # space between a lane's name band and its first column, and after its last

EVENT_KINDS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAY_KINDS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
ACTIVITY_KINDS = {"task", "manualTask", "userTask", "serviceTask", "sendTask", "receiveTask", "scriptTask",
                  "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
FLOW_NODE_KINDS = (EVENT_KINDS | GATEWAY_KINDS | ACTIVITY_KINDS) - {"boundaryEvent"}
CONTAINER_KINDS = {"subProcess", "transaction", "adHocSubProcess"}

_DIAGRAM_RE = re.compile(r"[ \t]*<bpmndi:BPMNDiagram\b.*?</bpmndi:BPMNDiagram>\n?", re.S)
_DEFS_RE = re.compile(r"<(?P<prefix>\w+:)?definitions\b[^>]*>", re.S)


class LayoutError(ValueError):
    """The model cannot be laid out (e.g. no process, or a flow naming an unknown node)."""


def _kind(el: etree._Element) -> str:
    return etree.QName(el).localname


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right_mid(self) -> tuple[float, float]:
        return self.x + self.w, self.y + self.h / 2

    @property
    def left_mid(self) -> tuple[float, float]:
        return self.x, self.y + self.h / 2


@dataclass
class _Diagram:
    shapes: list[tuple[str, Box, str]] = field(default_factory=list)  # (bpmnElement, bounds, extra attributes)
    boxes: dict[str, Box] = field(default_factory=dict)
    edges: list[tuple[str, list[tuple[float, float]]]] = field(default_factory=list)


def _size(el: etree._Element, inner: dict[str, tuple[float, float]]) -> tuple[float, float]:
    kind = _kind(el)
    if el.get("id") in inner:
        return inner[el.get("id")]
    if kind in EVENT_KINDS:
        return EVENT_SIZE
    if kind in GATEWAY_KINDS:
        return GATEWAY_SIZE
    return TASK_SIZE


def _children(container: etree._Element, kinds: set[str]) -> list[etree._Element]:
    return [el for el in container if isinstance(el.tag, str) and etree.QName(el).namespace == BPMN_NS
            and _kind(el) in kinds]


def _ranks(nodes: list[str], flows: list[tuple[str, str]], starts: list[str]) -> dict[str, int]:
    """Longest-path rank over the flow graph with loop back edges (found by DFS from the starts) dropped."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for src, tgt in flows:
        if tgt not in succ[src]:
            succ[src].append(tgt)
    has_incoming = {tgt for _, tgt in flows}
    roots = starts + [n for n in nodes if n not in has_incoming and n not in starts]
    state: dict[str, int] = {}  # 1 = on stack, 2 = done
    order: list[str] = []
    forward: dict[str, list[str]] = {n: [] for n in nodes}

    def visit(root: str) -> None:
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            for nxt in it:
                if state.get(nxt) == 1:
                    continue  # back edge of a loop
                forward[node].append(nxt)
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(succ[nxt])))
                    break
            else:
                state[node] = 2
                order.append(node)
                stack.pop()

    for root in roots + nodes:
        if root not in state:
            visit(root)
    rank = {n: 0 for n in nodes}
    for node in reversed(order):  # reverse post-order is a topological order of the forward edges
        for nxt in forward[node]:
            rank[nxt] = max(rank[nxt], rank[node] + 1)
    return rank


def _lanes(container: etree._Element) -> list[tuple[str, set[str]]]:
    """The lanes of *container*'s lane set (top level; nested lane sets are not drawn), each with its nodes."""
    return [(lane.get("id"), {ref.text.strip() for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef") if ref.text})
            for lane_set in _children(container, {"laneSet"}) for lane in _children(lane_set, {"lane"})]


def _layout_container(container: etree._Element, diagram: _Diagram, origin: tuple[float, float]) -> tuple[float, float]:
    """Lay out the flow nodes directly inside *container* with their top-left content corner at *origin*;
    return the (width, height) the content takes. Nested sub-processes are laid out first to know their size."""
    first_shape = len(diagram.shapes)
    nodes = _children(container, FLOW_NODE_KINDS)
    boundaries = _children(container, {"boundaryEvent"})
    flow_els = _children(container, {"sequenceFlow"})
    ids = [n.get("id") for n in nodes]
    node_ids = set(ids)
    host_of = {b.get("id"): b.get("attachedToRef") for b in boundaries}
    for bid, host in host_of.items():
        if host not in node_ids:
            raise LayoutError(f"boundary event {bid!r} is attached to {host!r}, which is not a flow node beside it")

    # nested containers: lay out in a scratch diagram to learn their size, then shift into place below
    inner: dict[str, tuple[float, float]] = {}
    scratch: dict[str, _Diagram] = {}
    for el in nodes:
        if _kind(el) in CONTAINER_KINDS:
            scratch[el.get("id")] = sub = _Diagram()
            w, h = _layout_container(el, sub, (MARGIN, MARGIN))
            inner[el.get("id")] = (max(w + 2 * MARGIN, TASK_SIZE[0]), max(h + 2 * MARGIN, TASK_SIZE[1]))

    flows: list[tuple[str, str]] = []
    for f in flow_els:
        src, tgt = f.get("sourceRef"), f.get("targetRef")
        src = host_of.get(src, src)
        if src not in node_ids or tgt not in node_ids:
            raise LayoutError(f"sequence flow {f.get('id')!r} joins {f.get('sourceRef')!r} to {tgt!r}, "
                              "which are not both flow nodes of the same process or sub-process")
        flows.append((src, tgt))
    starts = [el.get("id") for el in nodes if _kind(el) == "startEvent"]
    rank = _ranks(ids, flows, starts)

    # rows: within a rank, by lane, then by the lowest row of a (forward) predecessor, then document order
    preds: dict[str, list[str]] = {n: [] for n in ids}
    for src, tgt in flows:
        if rank[src] < rank[tgt]:
            preds[tgt].append(src)
    doc_index = {n: i for i, n in enumerate(ids)}
    lanes = _lanes(container)
    lane_of = {n: next((i for i, (_, refs) in enumerate(lanes) if n in refs), len(lanes)) for n in ids}
    local_row: dict[str, int] = {}
    columns: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    lane_rows = [1 if i < len(lanes) else 0 for i in range(len(lanes) + 1)]  # a lane with no node keeps a row
    for r in range(len(columns)):
        members = sorted((n for n in ids if rank[n] == r), key=lambda n: (
            lane_of[n], min(((lane_of[p], local_row[p]) for p in preds[n]), default=(0, 0)), doc_index[n]))
        for n in members:
            local_row[n] = sum(1 for m in columns[r] if lane_of[m] == lane_of[n])
            columns[r].append(n)
            lane_rows[lane_of[n]] = max(lane_rows[lane_of[n]], local_row[n] + 1)
    lane_first = [sum(lane_rows[:i]) for i in range(len(lane_rows))]
    row = {n: lane_first[lane_of[n]] + local_row[n] for n in ids}
    size = {el.get("id"): _size(el, inner) for el in nodes}
    n_rows = sum(lane_rows)
    col_w = [max(size[n][0] for n in c) for c in columns]
    row_h = [max((size[n][1] for n in ids if row[n] == i), default=TASK_SIZE[1]) for i in range(n_rows)]
    col_x = [origin[0] + sum(col_w[:i]) + COL_GAP * i for i in range(len(columns))]
    row_y = [origin[1] + sum(row_h[:i]) + ROW_GAP * i for i in range(n_rows)]

    for el in nodes:
        nid = el.get("id")
        w, h = size[nid]
        box = Box(col_x[rank[nid]] + (col_w[rank[nid]] - w) / 2, row_y[row[nid]] + (row_h[row[nid]] - h) / 2, w, h)
        diagram.boxes[nid] = box
        diagram.shapes.append((nid, box, ' isExpanded="true"' if nid in scratch else ""))
        if nid in scratch:
            sub = scratch[nid]
            for sid, sbox, extra in sub.shapes:
                moved = Box(sbox.x + box.x, sbox.y + box.y, sbox.w, sbox.h)
                diagram.shapes.append((sid, moved, extra))
                diagram.boxes[sid] = moved
            for fid, points in sub.edges:
                diagram.edges.append((fid, [(x + box.x, y + box.y) for x, y in points]))

    seen_on_host: dict[str, int] = {}
    for b in boundaries:
        host = diagram.boxes[host_of[b.get("id")]]
        i = seen_on_host.get(host_of[b.get("id")], 0)
        seen_on_host[host_of[b.get("id")]] = i + 1
        w, h = EVENT_SIZE
        box = Box(host.x + host.w - w - 8 - i * (w + 4), host.y + host.h - h / 2, w, h)
        diagram.boxes[b.get("id")] = box
        diagram.shapes.append((b.get("id"), box, ""))

    bottom = origin[1] + sum(row_h) + ROW_GAP * max(n_rows - 1, 0)
    for f in flow_els:
        src, tgt = diagram.boxes[f.get("sourceRef")], diagram.boxes[f.get("targetRef")]
        (sx, sy), (tx, ty) = src.right_mid, tgt.left_mid
        if tx >= sx:
            mid = (sx + tx) / 2
            points = [(sx, sy), (tx, ty)] if sy == ty else [(sx, sy), (mid, sy), (mid, ty), (tx, ty)]
        else:  # loop back: out to the right, under the rows, and in from the left
            low = bottom + ROW_GAP / 2
            points = [(sx, sy), (sx + COL_GAP / 3, sy), (sx + COL_GAP / 3, low), (tx - COL_GAP / 3, low),
                      (tx - COL_GAP / 3, ty), (tx, ty)]
        diagram.edges.append((f.get("id"), points))
    width = (col_x[-1] + col_w[-1] - origin[0]) if columns else 0
    height = bottom - origin[1]
    if any(p[1] > bottom for _, pts in diagram.edges for p in pts):
        height += ROW_GAP  # room for loop-back edges routed under the rows
    if lanes:  # one band per lane, the last one down to the content's bottom (loop-back edges included)
        x0 = origin[0] - LANE_PAD - LANE_LABEL
        bands = []
        for i, (lane_id, _) in enumerate(lanes):
            top = row_y[lane_first[i]] - ROW_GAP / 2
            last = lane_first[i] + lane_rows[i] - 1
            low = row_y[last] + row_h[last] + ROW_GAP / 2 if i < len(lanes) - 1 else origin[1] + height + ROW_GAP / 2
            bands.append((lane_id, Box(x0, top, width + 2 * LANE_PAD + LANE_LABEL, low - top), ' isHorizontal="true"'))
        diagram.shapes[first_shape:first_shape] = bands
        height += ROW_GAP / 2
    boundary_bottom = max((b.y + b.h for bid, b in diagram.boxes.items() if bid in host_of), default=origin[1])
    return width, max(height, boundary_bottom - origin[1])


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def diagram_xml(root: etree._Element, indent: str = "  ") -> str:
    """The ``bpmndi:BPMNDiagram`` element for the model *root* (a ``bpmn:definitions``), as indented text."""
    processes = _children(root, {"process"})
    collaborations = _children(root, {"collaboration"})
    if not processes:
        raise LayoutError("the model has no bpmn:process to lay out")
    diagram = _Diagram()
    y = ORIGIN[1]
    for process in processes:
        _, h = _layout_container(process, diagram, (ORIGIN[0], y))
        y += h + 2 * MARGIN
    plane_of = (collaborations or processes)[0].get("id")
    definitions_id = root.get("id") or plane_of
    i1, i2, i3 = indent, indent * 2, indent * 3
    lines = [f'{i1}<bpmndi:BPMNDiagram id="{definitions_id}_diagram">',
             f'{i2}<bpmndi:BPMNPlane id="{plane_of}_plane" bpmnElement="{plane_of}">']
    for nid, box, extra in diagram.shapes:
        lines += [f'{i2}{indent}<bpmndi:BPMNShape id="{nid}_di" bpmnElement="{nid}"{extra}>',
                  f'{i3}{indent}<dc:Bounds x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" '
                  f'height="{_num(box.h)}"/>',
                  f'{i2}{indent}</bpmndi:BPMNShape>']
    for fid, points in diagram.edges:
        lines.append(f'{i2}{indent}<bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}">')
        lines += [f'{i3}{indent}<di:waypoint x="{_num(x)}" y="{_num(y)}"/>' for x, y in points]
        lines.append(f'{i2}{indent}</bpmndi:BPMNEdge>')
    lines += [f"{i2}</bpmndi:BPMNPlane>", f"{i1}</bpmndi:BPMNDiagram>"]
    return "\n".join(lines) + "\n"


def with_diagram(text: str) -> str:
    """*text* (a BPMN file) with its diagram interchange (re)generated; the rest of the text is kept as is."""
    base = _DIAGRAM_RE.sub("", text)
    defs = _DEFS_RE.search(base)
    if defs is None:
        raise LayoutError("no bpmn:definitions element found")
    prefix = defs.group("prefix") or ""
    start_tag = defs.group(0)
    missing = [(p, ns) for p, ns in NAMESPACES.items() if f"xmlns:{p}=" not in start_tag]
    if missing:
        pad = " " * (defs.start() - base.rfind("\n", 0, defs.start()) - 1 + len(f"<{prefix}definitions "))
        first = re.search(r"\s(xmlns:\w+|xmlns)=\"[^\"]*\"", start_tag)
        at = first.end() if first else len(f"<{prefix}definitions")
        decls = "".join(f'\n{pad}xmlns:{p}="{ns}"' for p, ns in missing)
        start_tag = start_tag[:at] + decls + start_tag[at:]
        base = base[:defs.start()] + start_tag + base[defs.end():]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(base.encode("utf-8"), parser)
    close = base.rfind(f"</{prefix}definitions>")
    if close < 0:
        raise LayoutError("no closing bpmn:definitions tag found")
    return base[:close] + diagram_xml(root) + base[close:]


def regenerate(path: Path) -> bool:
    """Rewrite the diagram of the model at *path*; return whether the file changed."""
    text = path.read_text(encoding="utf-8")
    new = with_diagram(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or sorted(MODEL_DIR.glob("*.bpmn"))
    for path in paths:
        print(f"{path}: {'updated' if regenerate(path) else 'unchanged'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
