"""The audit's process events as an XES event log (IEEE 1849-2016), for process-mining tools (pm4py, ProM,
Disco…): one trace per process instance (``concept:name`` = its workflow id), one event per process event
(``concept:name`` = the BPMN element id, ``org:resource`` = the actor, ``time:timestamp``), with the SEC/BAD
references, Device and detail as ``dccflow:`` attributes. The log carries the audit's summary counts
(``dccflow:<group>:<count>``, the same numbers as the JSON and HTML reports) and each trace its process, unit,
status, fitness and deviations."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from dccflow.audit_report import AuditReport

XES_NS = "http://www.xes-standard.org/"
_EXTENSIONS = (("Concept", "concept"), ("Time", "time"), ("Organizational", "org"), ("Lifecycle", "lifecycle"))


def _attr(parent, kind: str, key: str, value) -> None:
    if value is None:
        return
    if kind == "date":
        value = _date(value)
    elif kind == "float":
        value = f"{value:g}"
    etree.SubElement(parent, kind, key=key, value=str(value))


def _date(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def to_xes(report: AuditReport) -> bytes:
    log = etree.Element("log", nsmap={None: XES_NS})
    log.set("xes.version", "1849-2016")
    log.set("xes.features", "")
    for name, prefix in _EXTENSIONS:
        etree.SubElement(log, "extension", name=name, prefix=prefix, uri=f"{XES_NS}{prefix}.xesext")
    glob = etree.SubElement(log, "global", scope="trace")
    _attr(glob, "string", "concept:name", "__INVALID__")
    glob = etree.SubElement(log, "global", scope="event")
    _attr(glob, "string", "concept:name", "__INVALID__")
    _attr(glob, "date", "time:timestamp", datetime.fromisoformat("1970-01-01T00:00:00+00:00"))
    etree.SubElement(log, "classifier", name="Activity", keys="concept:name")
    _attr(log, "string", "concept:name", f"dccflow audit of {report.source}")
    _attr(log, "date", "dccflow:generated", report.generated_at)
    for group, counts in report.summary.items():
        for name, n in counts.items():
            _attr(log, "int", f"dccflow:{group}:{name.replace(' ', '_')}", n)
    for case in report.cases:
        trace = etree.SubElement(log, "trace")
        _attr(trace, "string", "concept:name", case.workflow_id)
        _attr(trace, "string", "dccflow:process", case.process)
        _attr(trace, "string", "dccflow:unit", case.unit)
        _attr(trace, "string", "dccflow:status", case.status)
        conf = case.conformance
        _attr(trace, "float", "dccflow:fitness", conf.fitness)
        _attr(trace, "int", "dccflow:deviations", len(conf.deviations) if conf.fitness is not None else None)
        _attr(trace, "string", "dccflow:deviating_steps",
              "; ".join(f"{d.kind}: {d.bpmn_id}" for d in conf.deviations) or None)
        for e in case.events:
            event = etree.SubElement(trace, "event")
            _attr(event, "string", "concept:name", e.bpmn_id)
            _attr(event, "string", "org:resource", e.actor)
            _attr(event, "string", "lifecycle:transition", "complete")
            _attr(event, "date", "time:timestamp", e.at)
            _attr(event, "string", "dccflow:refs", "; ".join(e.refs) or None)
            _attr(event, "string", "dccflow:device_id", e.device_id)
            _attr(event, "string", "dccflow:detail", e.detail or None)
    return etree.tostring(log, xml_declaration=True, encoding="UTF-8", pretty_print=True)
