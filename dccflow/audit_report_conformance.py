"""Conformance of a process instance to its BPMN model (``bpmn/*.bpmn``): the model becomes a Petri net, the
case's process events (BPMN ids, in time order) are aligned on it with pm4py's alignments, and the moves that do
not match say how the case left the model — a step the model lacks ("not in model"), a step where the model does
not allow it ("out of order"), a step the model requires that never happened ("missing").

The BPMN → Petri net translation is ours (pm4py's own BPMN importer leaves this project's boundary events and
event-based gateways unconnected, so a happy path does not replay): every sequence flow is a place; a step (a
task, an event: the element kinds the caller names, ``bpmn.STEP_KINDS``) is a transition labelled with its BPMN
id, from the merge of its incoming flows to all its outgoing ones; an exclusive or event-based gateway a choice;
a parallel gateway an AND split/join; an inclusive gateway an AND split whose branches may each be skipped; a
boundary event an alternative exit of the step it is attached to, before or after the step was recorded (the
workflows record a step when it succeeded, so a failed step is usually not recorded; a repeated step's earlier
instances may have been); a
multi-instance step may repeat; a wait on an intermediate catch event (a timer, a message) may be abandoned
when the process ends elsewhere (a watch the process cancels), so it is "missing" only where a later step
needed it. A sub-process with multi-instance (parallel) contents is one silent step: the
events inside it interleave across instances and are listed as not replayed rather than judged.

pm4py is an optional dependency (``pip install 'dccflow[audit]'``; AGPL-3.0 licensed, hence optional): without it
no case is replayed and the report says so (``fitness`` None), it never reports a fit it did not compute.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable
from functools import lru_cache

from lxml import etree

from dccflow.audit_report import CaseConformance, Deviation
from dccflow.events import ProcessEvent

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_GATEWAYS = {"exclusiveGateway", "eventBasedGateway", "parallelGateway", "inclusiveGateway", "complexGateway"}
_SKIP = {"sequenceFlow", "laneSet", "lane", "boundaryEvent", "textAnnotation", "association", "dataObject",
         "dataObjectReference", "dataStoreReference"}
PM4PY_MISSING = "pm4py is not installed (pip install 'dccflow[audit]'): the case was not replayed"


def _local(el) -> str:
    return etree.QName(el).localname


class _Net:
    """The Petri net of one BPMN process, built with pm4py's objects."""

    def __init__(self, xml: bytes, step_kinds: frozenset[str]):
        from pm4py.objects.petri_net.obj import Marking, PetriNet
        from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

        self._arc, self.net = add_arc_from_to, PetriNet("bpmn")
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
        process = next(root.iter(f"{{{BPMN_NS}}}process"))
        self.ids = {el.get("id") for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
        self.not_replayed: set[str] = set()
        self.labels: set[str] = set()
        flows = {f.get("id"): f for f in process.iter(f"{{{BPMN_NS}}}sequenceFlow")}
        self.flow_place = {fid: self._place(fid) for fid in flows}
        self.source = self._place("source")
        nodes = {el.get("id"): el for el in process if isinstance(el.tag, str) and _local(el) not in _SKIP}
        self.nodes, self.flows = nodes, flows
        self.incoming = {n: [f for f in flows.values() if f.get("targetRef") == n] for n in nodes}
        self.outgoing = {n: [f for f in flows.values() if f.get("sourceRef") == n] for n in nodes}
        self.mid: dict[str, object] = {}
        self.entry: dict[str, object] = {}
        self.arrive: dict[str, object] = {}
        for nid, el in nodes.items():
            self._node(nid, el, step_kinds)
        for b in process.findall(f"{{{BPMN_NS}}}boundaryEvent"):  # the step failed: recorded or not
            attached = b.get("attachedToRef")
            for place in (self.mid.get(attached), self.entry.get(attached)):
                if place is None:
                    continue
                t = self._trans(None)
                self._arc(place, t, self.net)
                for f in (f for f in flows.values() if f.get("sourceRef") == b.get("id")):
                    self._arc(t, self.flow_place[f.get("id")], self.net)
        self.initial, self.final = Marking({self.source: 1}), Marking()

    def _place(self, name: str):
        from pm4py.objects.petri_net.obj import PetriNet

        p = PetriNet.Place(name)
        self.net.places.add(p)
        return p

    def _trans(self, label: str | None, name: str | None = None):
        from pm4py.objects.petri_net.obj import PetriNet

        t = PetriNet.Transition(name or f"t{len(self.net.transitions)}", label)
        self.net.transitions.add(t)
        if label:
            self.labels.add(label)
        return t

    def _merge(self, nid: str):
        """The place a step or exclusive gateway starts from: any one of its incoming flows (XOR merge)."""
        entry = self._place(f"in_{nid}")
        for f in self.incoming[nid]:
            t = self._trans(None)
            self._arc(self.flow_place[f.get("id")], t, self.net)
            self._arc(t, entry, self.net)
        return entry

    def _to_all(self, t, nid: str) -> None:
        for f in self.outgoing[nid]:
            self._arc(t, self.flow_place[f.get("id")], self.net)

    def _node(self, nid: str, el, step_kinds: frozenset[str]) -> None:
        kind = _local(el)
        if kind == "parallelGateway":
            t = self._trans(None)
            for f in self.incoming[nid]:
                self._arc(self.flow_place[f.get("id")], t, self.net)
            self._to_all(t, nid)
        elif kind == "inclusiveGateway" and len(self.incoming[nid]) > 1:
            self._inclusive_join(nid)
        elif kind == "inclusiveGateway":
            self._inclusive_split(nid)
        elif kind in _GATEWAYS:
            entry = self._merge(nid)
            for f in self.outgoing[nid]:
                t = self._trans(None)
                self._arc(entry, t, self.net)
                self._arc(t, self.flow_place[f.get("id")], self.net)
        else:
            self._step(nid, el, kind, step_kinds)

    def _step(self, nid: str, el, kind: str, step_kinds: frozenset[str]) -> None:
        entry = self.entry[nid] = self._merge(nid)
        if kind == "startEvent":
            t0 = self._trans(None)
            self._arc(self.source, t0, self.net)
            self._arc(t0, entry, self.net)
        parallel_inside = kind == "subProcess" and el.find(f".//{{{BPMN_NS}}}multiInstanceLoopCharacteristics") \
            is not None
        if kind == "subProcess":
            inner = {x.get("id") for x in el.iter() if isinstance(x.tag, str) and x.get("id")} - {nid}
            self.not_replayed |= inner
        label = nid if kind in step_kinds and not parallel_inside else None
        t = self._trans(label, nid)
        mid = self.mid[nid] = self._place(f"mid_{nid}")
        self._arc(entry, t, self.net)
        self._arc(t, mid, self.net)
        done = self._trans(None)
        self._arc(mid, done, self.net)
        self._to_all(done, nid)  # an end event: no outgoing flow, the token is consumed
        if kind == "intermediateCatchEvent":  # a wait the process may end during (a timer it cancels)
            self._arc(entry, self._trans(None), self.net)
        if el.find(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics") is not None or parallel_inside:
            again = self._trans(None)
            self._arc(mid, again, self.net)
            self._arc(again, entry, self.net)

    def _branch_end(self, flow) -> str | None:
        """The incoming flow of the inclusive join this split branch reaches (following single paths)."""
        seen = set()
        while flow is not None and flow.get("id") not in seen:
            seen.add(flow.get("id"))
            target = self.nodes.get(flow.get("targetRef"))
            if target is None:
                return None
            if _local(target) == "inclusiveGateway" and len(self.incoming[target.get("id")]) > 1:
                return flow.get("id")
            outs = self.outgoing[target.get("id")]
            flow = outs[0] if len(outs) == 1 else None
        return None

    def _inclusive_split(self, nid: str) -> None:
        entry = self._merge(nid)
        split = self._trans(None)
        self._arc(entry, split, self.net)
        for f in self.outgoing[nid]:
            choice = self._place(f"choice_{f.get('id')}")
            self._arc(split, choice, self.net)
            take = self._trans(None)
            self._arc(choice, take, self.net)
            self._arc(take, self.flow_place[f.get("id")], self.net)
            end = self._branch_end(f)
            if end is not None:
                skip = self._trans(None)
                self._arc(choice, skip, self.net)
                self._arc(skip, self._arrival(end), self.net)

    def _arrival(self, flow_id: str):
        if flow_id not in self.arrive:
            self.arrive[flow_id] = self._place(f"arrive_{flow_id}")
            t = self._trans(None)
            self._arc(self.flow_place[flow_id], t, self.net)
            self._arc(t, self.arrive[flow_id], self.net)
        return self.arrive[flow_id]

    def _inclusive_join(self, nid: str) -> None:
        t = self._trans(None)
        for f in self.incoming[nid]:
            self._arc(self._arrival(f.get("id")), t, self.net)
        self._to_all(t, nid)


@lru_cache(maxsize=32)
def _net(xml: bytes, step_kinds: frozenset[str]) -> _Net:
    return _Net(xml, step_kinds)


def classify(alignment: Iterable[tuple[str | None, str | None]], model_ids: set[str]) -> list[tuple[str, str]]:
    """(kind, BPMN id) for each move of an alignment that is not synchronous (silent moves aside)."""
    moves = [(log, model) for log, model in alignment if not (log == ">>" and model is None)]
    logged = [log for log, model in moves if model == ">>"]
    modelled = [model for log, model in moves if log == ">>"]
    out = []
    for a in logged:
        out.append(("not in model" if a not in model_ids else "out of order", a))
    for b in modelled:
        if b not in logged:
            out.append(("missing", b))
    return out


def replay(xml: bytes, events: list[ProcessEvent], step_kinds: Iterable[str], *, running: bool = False
           ) -> CaseConformance:
    """Align a case's events (sorted by time) on the model ``xml``: its fitness and its deviating steps.
    ``running``: the instance has not ended, so the steps the model still requires after its last event are not
    "missing" (its fitness is still that of a case ending now)."""
    sys._pm4py_welcome_shown = True  # pm4py prints a banner to stderr when a command's entry point imports it
    try:
        from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
        from pm4py.objects.log.obj import Event, EventLog, Trace
    except ImportError:
        return CaseConformance(method="none", note=PM4PY_MISSING)
    net = _net(bytes(xml), frozenset(step_kinds))
    ordered = sorted(events, key=lambda e: e.at)
    trace = [e for e in ordered if e.bpmn_id in net.labels or e.bpmn_id not in net.ids]
    skipped = sorted({e.bpmn_id for e in ordered if e not in trace})
    log = EventLog([Trace([Event({"concept:name": e.bpmn_id}) for e in trace])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = alignments.apply_log(log, net.net, net.initial, net.final)[0]
    if result is None or result.get("alignment") is None:
        return CaseConformance(note="the model has no way from its start to its end for this case")
    alignment = list(result["alignment"])
    if running:  # drop the model's moves after the last step the case took
        while alignment and alignment[-1][0] == ">>":
            alignment.pop()
    times = {}
    for e in trace:
        times.setdefault(e.bpmn_id, e.at)
    deviations = [Deviation(kind=kind, bpmn_id=bid, at=times.get(bid) if kind != "missing" else None,
                            detail={"missing": "the model requires this step here; the case never took it",
                                    "not in model": "the model has no such element",
                                    "out of order": "the model does not allow this step at this point"}[kind])
                  for kind, bid in classify(alignment, net.ids)]
    return CaseConformance(fitness=round(float(result["fitness"]), 4), deviations=deviations, not_replayed=skipped,
                           note="running: replayed as far as it got" if running else "")
