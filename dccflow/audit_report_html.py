"""The audit as one self-contained HTML page (no external file, script or font): the summary (scope, obligations
met / breached / not assessed / not applicable, conformance), the register view (one row per obligation with its
BAD step and SEC/BAD reference), every verdict with its deadline and actual time, and each process instance with
its fitness, its deviating steps and its BPMN model drawn with those steps highlighted. Filters by process, actor
and verdict are a few lines of inline script; the counts in the summary are the JSON report's
(``AuditReport.summary``), each element carrying its key in ``data-count``.

The diagrams come from the caller (``diagram(process, highlight, marks) -> svg or None``): the renderer reads
the BPMN models, which live above the kernel."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from html import escape

from dccflow.audit_report import AuditReport, CaseResult

Diagram = Callable[[str, Iterable[str], Mapping[str, str]], str | None]
_MARK = {"missing": "missing", "out of order": "out-of-order", "not in model": "not-in-model"}

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}h2{margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;
vertical-align:top;text-align:left}th{background:#f2f2f2}.cards{display:flex;flex-wrap:wrap;gap:.8em}
.card{border:1px solid #ccc;border-radius:6px;padding:.5em .9em;min-width:9em}.card b{font-size:1.5em;display:block}
.v-met{color:#176f2c}.v-breached{color:#b00020;font-weight:bold}.v-not-assessed{color:#8a6d00}
.v-not-applicable{color:#777}.case{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;margin:1em 0}
.case.deviating{border-color:#b00020}.dev{color:#b00020}svg{max-width:100%;height:auto}
.filters label{margin-right:1.2em}.hidden{display:none}small{color:#666}
"""

_JS = """
(function(){
  const sel = id => document.getElementById(id);
  function matches(el){
    const p = sel('f-process').value, a = sel('f-actor').value, v = sel('f-verdict').value;
    const procs = (el.dataset.process || '').split(' ');
    const actors = (el.dataset.actor || '').split('|');
    if (p && !procs.includes(p)) return false;
    if (a && !actors.includes(a)) return false;
    if (v && el.dataset.verdict !== undefined && el.dataset.verdict !== v) return false;
    return true;
  }
  function apply(){
    for (const [rows, out] of [['.obligation-row','shown-obligations'],['.verdict-row','shown-verdicts'],
                               ['.case','shown-cases']]) {
      let n = 0;
      document.querySelectorAll(rows).forEach(el => {
        const ok = matches(el); el.classList.toggle('hidden', !ok); if (ok) n++; });
      sel(out).textContent = n;
    }
  }
  ['f-process','f-actor','f-verdict'].forEach(id => sel(id).addEventListener('change', apply));
  apply();
})();
"""


def _t(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else "–"


def _cls(verdict: str) -> str:
    return "v-" + verdict.replace(" ", "-")


def _options(name: str, values: Iterable[str]) -> str:
    opts = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in sorted(set(values)) if v)
    return f'<option value="">all</option>{opts}'


def _actors(actor: str) -> list[str]:
    return [a.strip() for a in actor.replace(" and ", ",").split(",") if a.strip()]


def _summary(report: AuditReport) -> str:
    cards = []
    for group, counts in report.summary.items():
        items = "".join(f'<div class="card"><b data-count="{escape(group)}.{escape(k)}">{n}</b>'
                        f'{escape(k.replace("_", " "))}</div>' for k, n in counts.items())
        cards.append(f"<h3>{escape(group.replace('_', ' '))}</h3><div class='cards'>{items}</div>")
    return "".join(cards)


def _register(report: AuditReport) -> str:
    rows = []
    for r in sorted(report.obligations, key=lambda r: ("breached", "met", "not assessed", "not applicable")
                    .index(r.verdict) if r.verdict in ("breached", "met", "not assessed", "not applicable") else 9):
        counts = ", ".join(f"{n} {k}" for k, n in r.counts.items())
        why = f"<br><small>{escape(r.why)}</small>" if r.why else ""
        rows.append(f'<tr class="obligation-row" data-process="{escape(" ".join(r.processes))}" '
                    f'data-actor="{escape("|".join(_actors(r.actor)))}" data-verdict="{escape(r.verdict)}">'
                    f'<td class="{_cls(r.verdict)}">{escape(r.verdict)}</td><td>{escape(r.obligation)}</td>'
                    f"<td>BAD {escape(r.bad_step)}</td><td>{escape(r.ref)}</td><td>{escape(r.actor)}</td>"
                    f"<td>{escape(r.summary)}{why}</td><td>{escape(r.judged)}</td><td>{escape(counts)}</td></tr>")
    head = "<tr><th>verdict</th><th>obligation</th><th>BAD step</th><th>reference</th><th>actor</th>" \
           "<th>what the Code requires</th><th>judged</th><th>verdicts</th></tr>"
    return f"<table id='obligations'>{head}{''.join(rows)}</table>"


def _verdicts(report: AuditReport) -> str:
    rows = []
    for v in report.verdicts:
        if v.verdict == "not applicable":
            continue  # the register view counts them; listing each unreached rule per unit says nothing more
        rows.append(f'<tr class="verdict-row" data-process="{escape(" ".join(v.processes))}" '
                    f'data-actor="{escape("|".join(_actors(v.actor)))}" data-verdict="{escape(v.verdict)}">'
                    f'<td class="{_cls(v.verdict)}">{escape(v.verdict)}</td><td>{escape(v.ref)}<br>'
                    f"<small>BAD {escape(v.bad_step)} · {escape(v.obligation)}</small></td>"
                    f"<td>{escape(v.unit)}</td><td>{escape(v.device_id or '')}</td><td>{_t(v.due)}</td>"
                    f"<td>{_t(v.actual)}</td><td>{escape(v.detail)}</td></tr>")
    head = "<tr><th>verdict</th><th>reference</th><th>unit</th><th>device</th><th>deadline</th><th>actual</th>" \
           "<th>detail</th></tr>"
    return f"<table id='verdicts'>{head}{''.join(rows)}</table>"


def _case(c: CaseResult, diagram: Diagram | None) -> str:
    conf = c.conformance
    deviating = bool(conf.deviations)
    fitness = f"fitness {conf.fitness:.3f}" if conf.fitness is not None else f"not replayed: {escape(conf.note)}"
    devs = "".join(f"<li class='dev' data-kind='{escape(d.kind)}'><b>{escape(d.kind)}</b>: {escape(d.bpmn_id)}"
                   f"{' at ' + _t(d.at) if d.at else ''} <small>{escape(d.detail)}</small></li>"
                   for d in conf.deviations)
    skipped = f"<p><small>not replayed (inside a parallel sub-process or not a step of the net): " \
              f"{escape(', '.join(conf.not_replayed))}</small></p>" if conf.not_replayed else ""
    events = "".join(f"<tr><td>{_t(e.at)}</td><td>{escape(e.bpmn_id)}</td><td>{escape(e.actor)}</td>"
                     f"<td>{escape('; '.join(e.refs))}</td><td>{escape(e.device_id or '')}</td></tr>"
                     for e in c.events)
    svg = ""
    if diagram is not None:
        marks = {d.bpmn_id: _MARK.get(d.kind, "deviation") for d in conf.deviations}
        drawn = diagram(c.process, list(marks), marks)
        svg = f"<details {'open' if deviating else ''}><summary>BPMN model {escape(c.process)}" \
              f"{' (deviating steps highlighted)' if deviating else ''}</summary>{drawn}</details>" if drawn else ""
    actors = "|".join(sorted({e.actor for e in c.events}))
    return (f'<section class="case{" deviating" if deviating else ""}" data-process="{escape(c.process)}" '
            f'data-actor="{escape(actors)}" data-workflow="{escape(c.workflow_id)}">'
            f"<h3>{escape(c.process)} · {escape(c.workflow_id)}</h3>"
            f"<p>{escape(c.status)}; {_t(c.started)} – {_t(c.closed)}; unit {escape(c.unit)}; <b>{fitness}</b></p>"
            f"{'<ul>' + devs + '</ul>' if devs else ''}{skipped}{svg}"
            f"<details><summary>{len(c.events)} process events</summary><table><tr><th>at</th><th>BPMN id</th>"
            f"<th>actor</th><th>references</th><th>device</th></tr>{events}</table></details></section>")


def to_html(report: AuditReport, diagram: Diagram | None = None) -> str:
    processes = [c.process for c in report.cases]
    actors = [a for v in report.verdicts for a in _actors(v.actor)] + [e.actor for c in report.cases
                                                                         for e in c.events]
    verdicts = ("breached", "met", "not assessed", "not applicable")
    filters = (f"<div class='filters'><label>process <select id='f-process'>{_options('p', processes)}</select>"
               f"</label><label>actor <select id='f-actor'>{_options('a', actors)}</select></label>"
               f"<label>verdict <select id='f-verdict'><option value=''>all</option>"
               + "".join(f"<option value='{v}'>{v}</option>" for v in verdicts) + "</select></label>"
               "<small>shown: <span id='shown-obligations'></span> obligations, <span id='shown-verdicts'></span> "
               "verdicts, <span id='shown-cases'></span> process instances</small></div>")
    summary_json = json.dumps(report.summary).replace("</", "<\\/")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>dccflow audit</title>"
            f"<style>{_CSS}</style></head><body><h1>Compliance audit: {escape(report.source)}</h1>"
            f"<p><small>generated {_t(report.generated_at)} by dccflow audit</small></p>"
            f"<h2>Summary</h2>{_summary(report)}<h2>Filters</h2>{filters}"
            f"<h2>Obligations (register view)</h2>{_register(report)}"
            f"<h2>Verdicts per unit</h2><p><small>not applicable verdicts (no step citing the obligation was "
            f"reached) are counted above, not listed</small></p>{_verdicts(report)}"
            f"<h2>Process instances</h2>{''.join(_case(c, diagram) for c in report.cases)}"
            f"<script type='application/json' id='audit-summary'>{summary_json}</script>"
            f"<script>{_JS}</script></body></html>")
