"""Issue #17: `dccflow audit` on a saved run writes text, JSON, XES and HTML that agree on every count; the XES log
(IEEE 1849) loads in pm4py with every event, its activity the BPMN id and its actor, time and references kept."""

from __future__ import annotations

import json
import re

from audit_support import audit_cli, load, report_of
from lxml import etree

from dccflow_app.audit_collect import from_saved


def _formats(saved, tmp_path) -> dict:
    out = {}
    for fmt in ("json", "xes", "html", "text"):
        path = tmp_path / f"report.{fmt}"
        audit_cli(str(saved), "--format", fmt, "--out", str(path))
        out[fmt] = path.read_bytes()
    return out


def _xes_counts(xes: bytes) -> dict:
    root = etree.fromstring(xes)
    counts: dict = {}
    for el in root:
        key = el.get("key") or ""
        if etree.QName(el).localname == "int" and key.startswith("dccflow:"):
            _, group, name = key.split(":")
            counts.setdefault(group, {})[name.replace("_", " ") if group != "conformance" else name] = \
                int(el.get("value"))
    return counts


def test_json_xes_html_and_text_agree_on_every_count(late_run, tmp_path):
    out = _formats(late_run, tmp_path)
    summary = json.loads(out["json"])["summary"]
    assert summary["scope"]["process_instances"] == 2 and summary["verdicts"]["breached"] >= 1
    assert _xes_counts(out["xes"]) == {g: {k.replace("_", " ") if g != "conformance" else k: n
                                           for k, n in c.items()} for g, c in summary.items()}
    html = out["html"].decode()
    shown = {m[0]: int(m[1]) for m in re.findall(r'data-count="([^"]+)">(\d+)<', html)}
    assert shown == {f"{g}.{k}": n for g, c in summary.items() for k, n in c.items()}
    text = out["text"].decode()
    assert f"{summary['verdicts']['breached']} breached" in text
    assert f"{summary['conformance']['replayed']} replayed" in text


def test_the_xes_log_loads_in_pm4py_with_every_event(late_run, tmp_path):
    import pm4py

    data = load(late_run)
    path = tmp_path / "log.xes"
    audit_cli(str(late_run), "--format", "xes", "--out", str(path))
    log = pm4py.read_xes(str(path), return_legacy_log_object=True)
    cases = [c for u in data.units for c in u.cases]
    assert sorted(t.attributes["concept:name"] for t in log) == sorted(c.workflow_id for c in cases)
    for case in cases:
        trace = next(t for t in log if t.attributes["concept:name"] == case.workflow_id)
        assert trace.attributes["dccflow:process"] == case.process
        events = sorted(case.events, key=lambda e: e.at)
        assert [e["concept:name"] for e in trace] == [e.bpmn_id for e in events]
        assert [e["org:resource"] for e in trace] == [e.actor for e in events]
        assert [e["time:timestamp"] for e in trace] == [e.at for e in events]
        assert [e.get("dccflow:refs", "") for e in trace] == ["; ".join(e.refs) for e in events]


def test_the_run_json_output_is_audited_by_its_own_verdicts(late_run, tmp_path):
    """`dccflow run --json` output carries no DCC records: the run's own verdicts are reported, not re-judged."""
    data = from_saved(late_run / "run.json")
    run = json.loads((late_run / "run.json").read_text())
    report = json.loads(audit_cli(str(late_run / "run.json"), "--format", "json"))
    assert report["summary"]["verdicts"]["breached"] == sum(v["verdict"] == "breached" for v in run["regulation"])
    assert data.units[0].records is None and len(data.units[0].recorded_verdicts) == len(run["regulation"])


def test_the_run_json_output_replays_each_process_on_its_own_model(late_run):
    """A run with Post Commissioning: its JSON's cases are the saved run's (install_commission and
    post_commissioning each replayed on its own model), not one case mixing both processes' events."""
    from_json = report_of(from_saved(late_run / "run.json"))
    from_folder = report_of(from_saved(late_run))
    cases = {c.process: c for c in from_json.cases}
    assert set(cases) == {"install_commission", "post_commissioning"}
    assert {(c.workflow_id, c.process, len(c.events)) for c in from_json.cases} == \
        {(c.workflow_id, c.process, len(c.events)) for c in from_folder.cases}
    for case in from_json.cases:
        assert case.conformance.fitness == 1.0 and case.conformance.fits, case.conformance
