"""Make a model's implicit BPMN explicit, so it passes bpmnlint's ``recommended`` rules, without changing what it
means (BPMN 2.0, 13.2: an activity or event with several incoming flows merges them as an exclusive gateway would).

Run ``python -m bpmn.normalise FILE…`` (then ``python -m bpmn.layout FILE…`` for the diagram). It edits the text in
place, touching only the lines it changes:

* ``fake-join``: a task or event with 2+ incoming sequence flows gets an ``exclusiveGateway`` ``<id>_join`` in
  front of it, which takes those flows, and one flow ``<id>_join_out`` to it; the node's lane gets the gateway too;
* ``no-gateway-join-fork``: a gateway with 2+ incoming and 2+ outgoing flows gets the same exclusive join in front
  (the incoming flows of every gateway of these models are alternatives: an AND join of them would never fire);
* ``superfluous-label``: a flow name on a flow that neither leaves a deciding (exclusive/inclusive) gateway nor is
  conditional or default moves into the flow's ``bpmn:documentation``;
* ``label-required``: an unnamed boundary event takes the name of the error it catches ("time out" for a timer).

With ``--implicit-splits-are-choices`` (only then: BPMN reads a task with 2+ unconditional outgoing flows as a
*parallel* split, so this changes the model's meaning to what its author meant) each such task or event gets an
``exclusiveGateway`` ``<id>_which`` after it, named after its named outgoing flows (``no-implicit-split``).

Running it twice changes nothing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from lxml import etree

from bpmn import BPMN_NS
from bpmn.layout import GATEWAY_KINDS

_B = f"{{{BPMN_NS}}}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _parse(text: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(text.encode("utf-8"), parser)


def _start_tag(text: str, eid: str) -> re.Match:
    """The start tag of the element with id *eid*; group 1 its kind, group 2 '/' when self-closing."""
    match = re.search(rf'<bpmn:(\w+) id="{re.escape(eid)}"(?:[^>"]|"[^"]*")*?(/?)>', text)
    if match is None:
        raise ValueError(f"no element with id {eid!r}")
    return match


def _end_of(text: str, eid: str) -> int:
    tag = _start_tag(text, eid)
    if tag.group(2) == "/":
        return tag.end()
    close = f"</bpmn:{tag.group(1)}>"
    return text.index(close, tag.end()) + len(close)


def _line_start(text: str, at: int) -> int:
    return text.rfind("\n", 0, at) + 1


def _insert_join(text: str, node: str, flows: list[str]) -> str:
    """An exclusive gateway ``<node>_join`` taking *flows* (ids), and one new flow from it to *node*."""
    gw, new = f"{node}_join", f"{node}_join_out"
    tag = _start_tag(text, node)
    indent = text[_line_start(text, tag.start()):tag.start()]
    for i, flow in enumerate(flows):  # the node's incoming declarations: the first becomes the new flow
        decl = re.search(rf"[ \t]*<bpmn:incoming>{re.escape(flow)}</bpmn:incoming>\n", text)
        if decl:
            keep = decl.group(0).replace(f">{flow}<", f">{new}<") if i == 0 else ""
            text = text[:decl.start()] + keep + text[decl.end():]
    block = (f'{indent}<bpmn:exclusiveGateway id="{gw}">\n'
             + "".join(f"{indent}  <bpmn:incoming>{f}</bpmn:incoming>\n" for f in flows)
             + f"{indent}  <bpmn:outgoing>{new}</bpmn:outgoing>\n{indent}</bpmn:exclusiveGateway>\n")
    at = _line_start(text, _start_tag(text, node).start())
    text = text[:at] + block + text[at:]
    for flow in flows:
        text = re.sub(rf'(<bpmn:sequenceFlow id="{re.escape(flow)}"[^>]*?targetRef="){re.escape(node)}"',
                      rf'\g<1>{gw}"', text)
    last = max(_end_of(text, f) for f in flows)
    first = _start_tag(text, flows[0])
    f_indent = text[_line_start(text, first.start()):first.start()]
    flow_line = f'\n{f_indent}<bpmn:sequenceFlow id="{new}" sourceRef="{gw}" targetRef="{node}"/>'
    text = text[:last] + flow_line + text[last:]
    ref = re.search(rf"([ \t]*)<bpmn:flowNodeRef>{re.escape(node)}</bpmn:flowNodeRef>\n", text)
    if ref:
        text = text[:ref.end()] + f"{ref.group(1)}<bpmn:flowNodeRef>{gw}</bpmn:flowNodeRef>\n" + text[ref.end():]
    return text


def _insert_choice(text: str, node: str, flows: list[str], name: str) -> str:
    """An exclusive gateway ``<node>_which`` (named *name*) after *node*, which *flows* (ids) now leave."""
    gw, new = f"{node}_which", f"{node}_which_in"
    for i, flow in enumerate(flows):  # the node's outgoing declarations: the first becomes the new flow
        decl = re.search(rf"[ \t]*<bpmn:outgoing>{re.escape(flow)}</bpmn:outgoing>\n", text)
        if decl:
            keep = decl.group(0).replace(f">{flow}<", f">{new}<") if i == 0 else ""
            text = text[:decl.start()] + keep + text[decl.end():]
    tag = _start_tag(text, node)
    indent = text[_line_start(text, tag.start()):tag.start()]
    name = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    block = (f'\n{indent}<bpmn:exclusiveGateway id="{gw}" name="{name}">\n{indent}  <bpmn:incoming>{new}'
             "</bpmn:incoming>\n" + "".join(f"{indent}  <bpmn:outgoing>{f}</bpmn:outgoing>\n" for f in flows)
             + f"{indent}</bpmn:exclusiveGateway>")
    end = _end_of(text, node)
    text = text[:end] + block + text[end:]
    for flow in flows:
        text = re.sub(rf'(<bpmn:sequenceFlow id="{re.escape(flow)}"[^>]*?sourceRef="){re.escape(node)}"',
                      rf'\g<1>{gw}"', text)
    first = _start_tag(text, flows[0])
    f_indent = text[_line_start(text, first.start()):first.start()]
    at = _line_start(text, first.start())
    text = text[:at] + f'{f_indent}<bpmn:sequenceFlow id="{new}" sourceRef="{node}" targetRef="{gw}"/>\n' + text[at:]
    ref = re.search(rf"([ \t]*)<bpmn:flowNodeRef>{re.escape(node)}</bpmn:flowNodeRef>\n", text)
    if ref:
        text = text[:ref.end()] + f"{ref.group(1)}<bpmn:flowNodeRef>{gw}</bpmn:flowNodeRef>\n" + text[ref.end():]
    return text


def implicit_splits(root: etree._Element) -> list[tuple[str, list[str], str]]:
    """(node id, its outgoing flow ids, a name for the choice) for each task or event that splits implicitly."""
    found = []
    for container in [*root.iter(f"{_B}process"), *root.iter(f"{_B}subProcess")]:
        flows = [f for f in container if isinstance(f.tag, str) and _local(f) == "sequenceFlow"]
        for el in container:
            if not isinstance(el.tag, str) or not el.get("id") or _local(el) in GATEWAY_KINDS:
                continue
            outs = [f for f in flows if f.get("sourceRef") == el.get("id")
                    and f.find(f"{_B}conditionExpression") is None and el.get("default") != f.get("id")]
            if len(outs) > 1:
                named = [f.get("name") for f in outs if f.get("name")]
                found.append((el.get("id"), [f.get("id") for f in outs], f"{' or '.join(named) or 'which way'}?"))
    return found


def implicit_joins(root: etree._Element) -> list[tuple[str, list[str]]]:
    """(node id, its incoming flow ids) for each node that merges implicitly or is a gateway joining and forking."""
    found = []
    for container in [*root.iter(f"{_B}process"), *root.iter(f"{_B}subProcess")]:
        flows = [f for f in container if isinstance(f.tag, str) and _local(f) == "sequenceFlow"]
        for el in container:
            if not isinstance(el.tag, str) or not el.get("id") or _local(el) in ("sequenceFlow", "laneSet"):
                continue
            ins = [f.get("id") for f in flows if f.get("targetRef") == el.get("id")]
            outs = [f for f in flows if f.get("sourceRef") == el.get("id")]
            if len(ins) > 1 and (_local(el) not in GATEWAY_KINDS or len(outs) > 1):
                found.append((el.get("id"), ins))
    return found


def superfluous_labels(root: etree._Element) -> list[str]:
    """Ids of named flows whose name bpmnlint calls superfluous (not out of a deciding gateway, not conditional
    nor default)."""
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    flows = list(root.iter(f"{_B}sequenceFlow"))
    found = []
    for f in flows:
        if not (f.get("name") or "").strip() or f.find(f"{_B}conditionExpression") is not None:
            continue
        source = by_id.get(f.get("sourceRef"))
        if source is None or source.get("default") == f.get("id"):
            continue
        forks = sum(1 for o in flows if o.get("sourceRef") == source.get("id")) > 1
        if not (_local(source) in ("exclusiveGateway", "inclusiveGateway") and forks):
            found.append(f.get("id"))
    return found


def _label_to_documentation(text: str, flow: str) -> str:
    tag = re.search(rf'([ \t]*)(<bpmn:sequenceFlow id="{re.escape(flow)}"(?:[^>"]|"[^"]*")*?)(/?)>', text)
    name = tag and re.search(r' name="([^"]*)"', tag.group(2))
    if tag is None or name is None or tag.group(3) != "/":
        raise ValueError(f"flow {flow!r}: only a self-closing <bpmn:sequenceFlow … name=…/> is rewritten")
    ind, start = tag.group(1), tag.group(2).replace(name.group(0), "", 1)
    new = (f"{ind}{start}>\n{ind}  <bpmn:documentation>{name.group(1)}</bpmn:documentation>\n"
           f"{ind}</bpmn:sequenceFlow>")
    return text[:tag.start()] + new + text[tag.end():]


def _name_boundary_events(text: str, root: etree._Element) -> str:
    for b in root.iter(f"{_B}boundaryEvent"):
        if b.get("name"):
            continue
        error = b.find(f"{_B}errorEventDefinition")
        ref = re.escape(error.get("errorRef") or "") if error is not None else None
        named = ref is not None and re.search(rf'<bpmn:error id="{ref}"[^>]*? name="([^"]*)"', text)
        name = named.group(1) if named else ("time out" if b.find(f"{_B}timerEventDefinition") is not None
                                             else "failed")
        text = text.replace(f'<bpmn:boundaryEvent id="{b.get("id")}"',
                            f'<bpmn:boundaryEvent id="{b.get("id")}" name="{name}"', 1)
    return text


def normalise(text: str, splits_are_choices: bool = False) -> str:
    """*text* (a BPMN file) with its implicit joins, superfluous flow labels and unnamed boundary events fixed (and
    its implicit splits made exclusive choices, if *splits_are_choices*)."""
    if splits_are_choices:
        for node, flows, name in implicit_splits(_parse(text)):
            text = _insert_choice(text, node, flows, name)
    for node, flows in implicit_joins(_parse(text)):
        text = _insert_join(text, node, flows)
    for flow in superfluous_labels(_parse(text)):
        text = _label_to_documentation(text, flow)
    return _name_boundary_events(text, _parse(text))


def main(argv: list[str] | None = None) -> int:
    args = list(argv if argv is not None else sys.argv[1:])
    choices = "--implicit-splits-are-choices" in args
    for path in (Path(a) for a in args if a != "--implicit-splits-are-choices"):
        text = path.read_text(encoding="utf-8")
        new = normalise(text, choices)
        if new != text:
            path.write_text(new, encoding="utf-8")
        print(f"{path}: {'updated' if new != text else 'unchanged'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
