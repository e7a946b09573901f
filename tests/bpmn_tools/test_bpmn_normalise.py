"""``python -m bpmn.normalise`` makes implicit merges explicit (and the other mechanical bpmnlint fixes) without
changing what the model means; the committed models are already normal."""

from __future__ import annotations

import pytest
from lxml import etree
from test_bpmnlint_models import _lint, _problems

import bpmn
from bpmn import layout, normalise

B = f"{{{bpmn.BPMN_NS}}}"
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_t" targetNamespace="urn:t">
  <bpmn:error id="error_refused" name="Refused by the DCC"/>
  <bpmn:process id="t" name="t" isExecutable="false">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_a" name="Supplier">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>ask</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>gw_again</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>give_up</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>b_refused</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="begin">
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:task id="ask" name="Ask">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:task>
    <bpmn:exclusiveGateway id="gw_again" name="Again?">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:task id="give_up" name="Give up">
      <bpmn:incoming>f4</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:task>
    <bpmn:endEvent id="end" name="done">
      <bpmn:incoming>f3</bpmn:incoming>
      <bpmn:incoming>f6</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:boundaryEvent id="b_refused" attachedToRef="ask">
      <bpmn:outgoing>f6</bpmn:outgoing>
      <bpmn:errorEventDefinition id="ed_refused" errorRef="error_refused"/>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>
    <bpmn:sequenceFlow id="f2" name="answered" sourceRef="ask" targetRef="gw_again"/>
    <bpmn:sequenceFlow id="f3" name="no" sourceRef="gw_again" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" name="yes" sourceRef="gw_again" targetRef="give_up"/>
    <bpmn:sequenceFlow id="f5" sourceRef="give_up" targetRef="gw_again"/>
    <bpmn:sequenceFlow id="f6" sourceRef="b_refused" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize("model", sorted(p.name for p in bpmn.MODEL_DIR.glob("*.bpmn")))
def test_the_committed_models_are_normal_and_laid_out(model):
    text = (bpmn.MODEL_DIR / model).read_text(encoding="utf-8")
    assert normalise.normalise(text) == text, "run python -m bpmn.normalise on it"
    assert layout.with_diagram(text) == text, "run python -m bpmn.layout on it"


def test_normalise_makes_merges_explicit_and_keeps_the_rest():
    text = normalise.normalise(MODEL)
    assert normalise.normalise(text) == text
    root = etree.fromstring(text.encode())
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    flows = {f.get("id"): (f.get("sourceRef"), f.get("targetRef")) for f in root.iter(f"{B}sequenceFlow")}
    # the end event's two flows now meet in an exclusive gateway, which has the one flow into the end event
    assert by_id["end_join"].tag == f"{B}exclusiveGateway"
    assert flows["f3"] == ("gw_again", "end_join") and flows["f6"] == ("b_refused", "end_join")
    assert flows["end_join_out"] == ("end_join", "end")
    assert [i.text for i in by_id["end"].iterfind(f"{B}incoming")] == ["end_join_out"]
    assert [i.text for i in by_id["end_join"].iterfind(f"{B}incoming")] == ["f3", "f6"]
    # the gateway that joined and forked gets its join in front of it; its forks are untouched
    assert flows["f2"] == ("ask", "gw_again_join") and flows["f5"] == ("give_up", "gw_again_join")
    assert flows["gw_again_join_out"] == ("gw_again_join", "gw_again")
    assert flows["f4"] == ("gw_again", "give_up")
    refs = [r.text for r in root.iter(f"{B}flowNodeRef")]
    assert {"end_join", "gw_again_join"} <= set(refs)
    # the label of a flow out of a task moves to its documentation; gateway fork labels stay
    assert by_id["f2"].get("name") is None and by_id["f2"].findtext(f"{B}documentation") == "answered"
    assert by_id["f3"].get("name") == "no"
    assert by_id["b_refused"].get("name") == "Refused by the DCC"
    # everything else is kept line for line
    kept = [line for line in MODEL.splitlines() if "f2" not in line and "f3" not in line and "f5" not in line
            and "f6" not in line and "b_refused" not in line and 'id="end"' not in line]
    assert all(line in text.splitlines() for line in kept)


def test_a_normalised_and_laid_out_model_passes_bpmnlint(tmp_path):
    raw = tmp_path / "raw.bpmn"
    raw.write_text(layout.with_diagram(MODEL), encoding="utf-8")
    before = _problems(_lint([raw]).stdout)
    assert {p.split()[0] for p in before} >= {"end", "gw_again", "f2", "b_refused"}, before
    fixed = tmp_path / "fixed.bpmn"
    fixed.write_text(layout.with_diagram(normalise.normalise(MODEL)), encoding="utf-8")
    done = _lint([fixed])
    assert _problems(done.stdout) == [] and done.returncode == 0, done.stdout


def test_implicit_splits_become_choices_only_when_asked():
    split = MODEL.replace('<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>',
                          '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>\n'
                          '    <bpmn:sequenceFlow id="f7" name="in a hurry" sourceRef="ask" targetRef="end"/>')
    split = split.replace("      <bpmn:outgoing>f2</bpmn:outgoing>\n",
                          "      <bpmn:outgoing>f2</bpmn:outgoing>\n      <bpmn:outgoing>f7</bpmn:outgoing>\n", 1)
    assert "ask_which" not in normalise.normalise(split)  # BPMN reads it as a parallel split: not ours to change
    text = normalise.normalise(split, splits_are_choices=True)
    assert normalise.normalise(text, splits_are_choices=True) == text
    root = etree.fromstring(text.encode())
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    flows = {f.get("id"): (f.get("sourceRef"), f.get("targetRef")) for f in root.iter(f"{B}sequenceFlow")}
    assert by_id["ask_which"].tag == f"{B}exclusiveGateway"
    assert by_id["ask_which"].get("name") == "in a hurry or answered?"
    assert flows["ask_which_in"] == ("ask", "ask_which")
    assert flows["f2"] == ("ask_which", "gw_again_join") and flows["f7"] == ("ask_which", "end_join")
    assert [o.text for o in by_id["ask"].iterfind(f"{B}outgoing")] == ["ask_which_in"]
    assert by_id["f7"].get("name") == "in a hurry"  # a label on a choice's branch is no longer superfluous
