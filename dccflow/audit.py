"""The obligations audit: for a finished process, one verdict per entry of the obligation register
(:mod:`dccflow.domain.obligations`) — met, breached, not applicable (no step citing it was reached) or not
assessed — with the SEC/BAD reference, the actor, and the times (deadline, actual).

Pure: it judges the process events, the workflows' ``Deadline`` outcomes and a snapshot of the DCC's own records
(:class:`DccRecords`, read by an activity: ``dccflow_app.scenarios.audit``). Steps are linked to obligations only
through the BAD sections and SEC clauses the steps cite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from dccflow.audit_context import AuditContext, Outcome, Verdict, cites, due_after
from dccflow.audit_cos import cos
from dccflow.audit_firmware import firmware
from dccflow.audit_life import decommissioned, order, removed_to_pending, restore_alert
from dccflow.audit_msc import msc
from dccflow.audit_post_commissioning import (
    dcc_duty,
    dcc_incident,
    devices_without_deadline,
    pc_confidential,
    pc_daily,
    pc_monthly,
    pc_step,
    supplier_restriction,
)
from dccflow.audit_records import DccRecords, DeviceRec
from dccflow.audit_recovery import recovery
from dccflow.domain.obligations import JOINABLE, REGISTER, Judged, Obligation, TimeRule
from dccflow.domain.smi import RESTORATION
from dccflow.events import ObligationOutcome, ProcessEvent

#: re-exported: the audit's results and helpers, as its callers know them
__all__ = ["CHECKS", "AuditContext", "DccRecords", "Outcome", "Verdict", "cites", "due_after", "evaluate", "summary"]

# -- checks: one per kind of evidence ----------------------------------------------------------------------------
def _step(c: AuditContext) -> list[Verdict]:
    evidence = c.o.params["evidence"]
    types = c.o.params.get("types")

    def found(device_id: str | None, since: datetime) -> ProcessEvent | None:
        return next((e for e in c.events if cites(e.refs, evidence) and e.at >= since
                     and (device_id is None or e.device_id in (None, device_id))), None)

    targets = [(d, e) for d, e in c.devices(types)] if types else [(None, c.triggers[0])]
    if not targets:
        return [c.not_reached(f"no {'/'.join(types)} in the steps citing {', '.join(c.o.applies_when)}")]
    out = []
    for device_id, trigger in targets:
        hit = found(device_id, trigger.at)
        out.append(c.v("met", actual=hit.at, device_id=device_id, detail=f"step {hit.bpmn_id}") if hit else
                   c.v("breached", device_id=device_id,
                       detail=f"no step citing {' / '.join(evidence)} before the process ended"))
    return out


def _smi_status(c: AuditContext) -> list[Verdict]:
    to, types = c.o.params["to"], c.o.params["types"]
    targets = [d for d, _ in c.devices(types)]
    if not targets and not any(e.device_id for e in c.triggers):
        targets = [d.device_id for d in c.rec.devices if d.device_type in types]
    if not targets:
        return [c.not_reached(f"no {'/'.join(types)} in the steps citing {', '.join(c.o.applies_when)}")]
    out = []
    for device_id in targets:
        change = c.rec.first_change(device_id, to)
        anchors = c.o.params.get("needs_commissioned")
        if change is None and anchors and not _anchor_commissioned_at_join(c, device_id, anchors):
            # BAD 7.2.2.7: a Type 1 Device joined before its Meter / GPF was commissioned (Install and Leave) has no
            # way to become 'commissioned' later, so the clause cannot apply to it
            out.append(c.v("not applicable", device_id=device_id,
                           detail=f"joined while no {'/'.join(anchors)} was commissioned (BAD 7.2.2.7); SMI "
                                  f"{c.rec.status_at(device_id, c.end)}"))
            continue
        out.append(c.v("met", actual=change.at, device_id=device_id,
                       detail=f"SMI {change.from_status or '-'} → {change.to_status}") if change else
                   c.v("breached", device_id=device_id,
                       detail=f"SMI status never {' / '.join(to)} (now {c.rec.status_at(device_id, c.end)})"))
    return out


def _anchor_commissioned_at_join(c: AuditContext, device_id: str, anchors: list[str]) -> bool:
    """Was any Device of ``anchors`` (the Meter or GPF a Type 1 Device joins) commissioned when ``device_id``'s
    first triggering step happened?"""
    event = next((e for d, e in c.devices() if d == device_id), None)
    at = event.at if event is not None else c.end
    return any(c.rec.status_at(d.device_id, at) == "commissioned" for d in c.rec.devices
               if d.device_type in anchors)


def _smi_guard(c: AuditContext) -> list[Verdict]:
    p = c.o.params
    changes = [ch for ch in c.rec.smi_changes if ch.to_status in p["to"] and c.rec.type_of(ch.device_id) in p["types"]
               and not ch.reason.startswith(RESTORATION)  # a return from 'suspended' (AC 7.3) is no transition here
               and ch.from_status not in p.get("ignore_from", ())]  # e.g. None: added to the SMI, not a change
    if not changes:
        return [c.not_reached(f"no {'/'.join(p['types'])} became {' / '.join(p['to'])}")]
    out = []
    for ch in changes:
        faults = []
        if "allowed_from" in p and ch.from_status not in p["allowed_from"]:
            faults.append(f"was '{ch.from_status}'")
        if ch.from_status in p.get("forbidden_from", ()):
            faults.append(f"was '{ch.from_status}'")
        if p.get("listed") and ch.from_status is None:
            faults.append("was not on the SMI")
        if p.get("chf_first"):  # its CHF then: the one it is on, or one it was on before a CH replacement
            own = (c.rec.device(ch.device_id) or DeviceRec(device_id="", device_type="")).chf_id
            chfs = [own, *(d.device_id for d in c.rec.devices if d.device_type == "CHF" and d.device_id != own)]
            if not any(c.rec.status_at(chf, ch.at) == "commissioned" for chf in chfs if chf):
                faults.append("its CHF was not yet commissioned")
        out.append(c.v("breached" if faults else "met", actual=ch.at, device_id=ch.device_id,
                       detail="; ".join(faults) or f"SMI {ch.from_status} → {ch.to_status}"))
    return out


def _dcc_alert(c: AuditContext) -> list[Verdict]:
    code, types = c.o.params["code"], c.o.params.get("types")
    targets = c.devices(types)
    if not targets:
        if types:
            return [c.not_reached(f"no {'/'.join(types)} in the steps citing {', '.join(c.o.applies_when)}")]
        targets = [(None, None)]
    out = []
    for device_id, event in targets:
        alert = next((a for a in c.rec.alerts if a.code == code and device_id in (None, a.device_id)), None)
        faults = [] if alert else [f"no DCC Alert {code} sent"]
        # AC 4.3(b): the MPxN on the SMI as well as the Alert, when the step was taken (a later decommissioning
        # removes it, AD 3.8.100.5(b))
        mpxn = c.rec.link_at(device_id, "mpxn", event.at) if c.o.params.get("mpxn_recorded") else None
        if c.o.params.get("mpxn_recorded") and not mpxn:
            faults.append("no MPxN recorded on the SMI")
        out.append(c.v("breached", device_id=device_id, detail="; ".join(faults)) if faults else
                   c.v("met", actual=alert.at, device_id=device_id, detail=f"{code} to {alert.recipient}"
                       + (f"; MPxN {mpxn} on the SMI" if mpxn else "")))
    return out


def _associated(c: AuditContext) -> list[Verdict]:
    field, types = c.o.params["field"], c.o.params.get("types")
    targets = [(d, e) for d, e in c.devices(types) if c.rec.type_of(d) != "CHF"]
    if not targets:
        return [c.not_reached("no Device in the steps")]
    out = []
    for device_id, event in targets:
        # what the SMI held when the step was taken (AC 4.3(a)): a later decommissioning ends the Association
        value = c.rec.link_at(device_id, field, event.at)
        out.append(c.v("met", actual=event.at, device_id=device_id, detail=f"Associated with {value}") if value
                   else c.v("breached", device_id=device_id, detail="not Associated on the SMI"))
    return out


def _device_log(c: AuditContext) -> list[Verdict]:
    chfs = [d.device_id for d in c.rec.devices if d.device_type == "CHF"]
    # a CHF the DCC never heard from (never on the SM WAN, no request to it: a replacement CH that never joined)
    silent = {chf for chf in chfs if c.rec.first_change(chf, ["commissioned"]) is None
              and not any(r.target == chf and not r.rejected for r in c.rec.requests)}
    out = [c.v("met", actual=c.rec.device_logs[chf], device_id=chf, detail="Device Log record kept (CS14)")
           if chf in c.rec.device_logs else
           c.v("not applicable", device_id=chf, detail="never on the SM WAN: no Alert or Response to record")
           if chf in silent else c.v("breached", device_id=chf, detail="no Device Log record")
           for chf in chfs]
    # a GPF sends its Device Log (GCS62) after a join it carries out (BAD 7.2.1.6.12): one accepted 8.7.x sent to
    # it means the DCC should hold the record
    for gpf in (d.device_id for d in c.rec.devices if d.device_type == "GPF"):
        joined = [r for r in c.rec.requests if r.target == gpf and r.srv in ("8.7.1", "8.7.2") and not r.rejected
                  and r.completed_at is not None]
        if gpf in c.rec.gpf_device_logs:
            out.append(c.v("met", actual=c.rec.gpf_device_logs[gpf], device_id=gpf,
                           detail="GPF Device Log record kept (GCS62)"))
        elif joined:
            out.append(c.v("breached", device_id=gpf, detail=f"no GCS62 record after SRV {joined[0].srv} "
                                                              f"{joined[0].request_id}"))
    return out or [c.not_reached("no CHF")]


def _join_watch(c: AuditContext) -> list[Verdict]:
    out = []
    allowance = timedelta(seconds=c.rec.join_allowance_seconds)
    for r in c.rec.requests:
        if r.srv != "8.11" or r.rejected or r.completed_at is None or r.join_time_period is None:
            continue
        period = timedelta(seconds=r.join_time_period)
        due = r.completed_at + period + allowance
        alert = next((a for a in c.rec.alerts if a.request_id == r.request_id and a.code in ("N24", "N25")), None)
        if alert is None:
            out.append(c.v("breached" if c.end and c.end > due else "not assessed", due=due,
                           detail=f"no N24/N25 for {r.request_id}"))
            continue
        early = alert.code == "N25" and alert.at < r.completed_at + period
        late = alert.at > due + timedelta(seconds=60)  # delivered within the Alerts target (SEC H3.14(g))
        out.append(c.v("breached" if early or late else "met", due=due, actual=alert.at, device_id=alert.device_id,
                       detail=f"{alert.code}; Join Time Period {r.join_time_period} s + allowance "
                              f"{c.rec.join_allowance_seconds} s" + (" (gave up early)" if early else "")))
    return out or [c.not_reached("no SRV 8.11 add with a Service Response")]


def _enrolment(c: AuditContext) -> list[Verdict]:
    out = []
    fuels = {"SEC H5.1(a)": ("electricity", ["ESME"]), "SEC H5.1(b)": ("gas", ["GSME", "GPF"])}
    for ref, (fuel, types) in fuels.items():
        if not any(cites(e.refs, [ref]) for e in c.triggers):
            continue
        if not any(d.device_type in types for d in c.rec.devices):
            continue  # no such fuel at these premises (e.g. gas only, the CH on a hot-shoe)
        # per type the first commissioned (a replaced CH brings a second GPF, BAD 7.6.1)
        changes = [min((ch for d in c.rec.devices if d.device_type == t
                        if (ch := c.rec.first_change(d.device_id, ["commissioned"]))), key=lambda ch: ch.at,
                       default=None) for t in types]
        if all(changes):
            out.append(c.v("met", actual=max(ch.at for ch in changes), detail=f"{fuel} SMS Enrolled"))
        else:
            out.append(c.v("breached", detail=f"{fuel} SMS claimed Enrolled but not all of "
                                              f"{'/'.join(types)} are commissioned"))
    return out or [c.not_reached("no Enrolment step")]


def _join_guard(c: AuditContext) -> list[Verdict]:
    types = c.o.params["types"]
    out = []
    for device_id, event in c.devices(types):
        before = c.events[max(c.events.index(event) - 1, 0)].at
        faults = []
        dtype = c.rec.type_of(device_id)
        if dtype in ("IHD", "CAD"):
            anchors = [d.device_id for d in c.rec.devices if d.device_type in ("ESME", "GPF")]
            if not any(c.rec.status_at(a, before) in JOINABLE for a in anchors):
                faults.append("no ESME/GPF in a joinable state")
        elif c.rec.status_at(device_id, before) not in JOINABLE:
            faults.append(f"the Device was '{c.rec.status_at(device_id, before)}'")
        chf = next((d.device_id for d in c.rec.devices if d.device_type == "CHF"), None)
        if chf and c.rec.status_at(chf, before) not in JOINABLE:
            faults.append(f"the CHF was '{c.rec.status_at(chf, before)}'")
        out.append(c.v("breached" if faults else "met", actual=event.at, device_id=device_id,
                       detail="; ".join(faults) or "all parties joinable"))
    return out or [c.not_reached(f"no {'/'.join(types)} joined")]


def _ch_asset(c: AuditContext) -> list[Verdict]:
    srv, need = c.o.params["srv"], c.o.params["need"]
    rows = [a for a in c.rec.ch_assets if a.srv == srv]
    if not rows:
        return [c.v("breached", detail=f"the DCC holds no SRV {srv} record")]
    row = rows[0]
    ok = bool(row.incident_ref) if need == "incident" else bool(row.details)
    return [c.v("met" if ok else "breached", actual=row.at, device_id=row.chf_id,
                detail=(f"Incident {row.incident_ref}" if need == "incident" else f"{row.details}") if ok
                else f"no {need} recorded")]


_PC_FIELDS = {"BAD 7.2.3.5.2": "keys_regenerated_at", "BAD 7.2.3.5.4": "device_certificate_stored_at",
              "BAD 7.2.3.5.5": "network_operator_cell_at", "BAD 7.2.3.5.6": "organisation_certificate_replaced_at"}


def _pc_info(c: AuditContext) -> list[Verdict]:
    out = []
    for device_id, _ in c.devices():
        row = next((p for p in c.rec.pc_info if p.device_id == device_id), None)
        done = {f for e in c.triggers if e.device_id == device_id for r, f in _PC_FIELDS.items() if r in e.refs}
        missing = [f for f in sorted(done) if row is None or getattr(row, f) is None]
        latest = max((getattr(row, f) for f in done if row and getattr(row, f)), default=None)
        out.append(c.v("breached" if missing else "met", actual=latest, device_id=device_id,
                       detail=f"not recorded: {', '.join(missing)}" if missing
                       else f"recorded: {', '.join(sorted(done))}"))
    return out or [c.not_reached("no post-commissioning step")]


def _service_level(c: AuditContext) -> list[Verdict]:
    rows = [r for r in c.rec.service_levels if r.measure == c.o.params["measure"]]
    if not rows:
        return [c.not_reached("nothing of this kind measured in the run")]
    worst = max(rows, key=lambda r: r.elapsed_seconds - r.target_seconds)
    late = [r for r in rows if r.elapsed_seconds > r.target_seconds]
    return [c.v("breached" if late else "met", due=worst.started_at + timedelta(seconds=worst.target_seconds),
                actual=worst.started_at + timedelta(seconds=worst.elapsed_seconds),
                detail=f"{len(rows) - len(late)}/{len(rows)} within {worst.target_seconds:g} s; "
                       f"slowest {worst.elapsed_seconds:g} s" + (f" (SRV {worst.srv})" if worst.srv else ""))]


CHECKS: dict[str, Callable[[AuditContext], list[Verdict]]] = {
    "step": _step, "smi_status": _smi_status, "smi_guard": _smi_guard, "dcc_alert": _dcc_alert,
    "associated": _associated, "device_log": _device_log, "join_watch": _join_watch, "enrolment": _enrolment,
    "join_guard": _join_guard, "ch_asset": _ch_asset, "pc_info": _pc_info,
    "supplier_restriction": supplier_restriction, "dcc_duty": dcc_duty, "dcc_incident": dcc_incident,
    "pc_daily": pc_daily, "pc_monthly": pc_monthly, "pc_confidential": pc_confidential, "pc_step": pc_step,
    "service_level": _service_level, "cos": cos, "order": order, "restore_alert": restore_alert, "msc": msc,
    "firmware": firmware,
    "decommissioned": decommissioned, "removed_to_pending": removed_to_pending,
    "recovery": recovery, "recovery_records": recovery,  # BAD 7.7.3 SMKI Recovery (dccflow.audit_recovery)
}


def _timed_from_events(c: AuditContext, rule: TimeRule) -> list[Verdict]:
    starts: dict[str | None, ProcessEvent] = {}
    # the clock starts for the Devices the triggering steps are about: a replacement CH left without SM WAN (BAD
    # 7.6.1.6.4 → 7.2.2) starts no-wan-report for itself, not for the CH installed with the WAN on day 0
    about = {e.device_id for e in c.triggers}
    for e in c.events:
        if cites(e.refs, rule.from_refs) and (None in about or e.device_id in about or e.device_id is None):
            starts.setdefault(e.device_id, e)
    out = []
    for device_id, start in starts.items():
        due = due_after(start.at, rule)
        stop = next((e for e in c.events if cites(e.refs, rule.to_refs) and e.at >= start.at
                     and (device_id is None or e.device_id in (None, device_id))), None)
        if stop is not None:
            out.append(c.v("met" if stop.at <= due else "breached", due=due, actual=stop.at, device_id=device_id,
                           detail=f"{rule.start} → {rule.stop} (process events)"))
        elif c.end is not None and c.end >= due:
            out.append(c.v("breached", due=due, device_id=device_id, detail=f"{rule.stop}: never"))
        else:
            out.append(c.v("not assessed", due=due, device_id=device_id,
                           detail=f"the run ended before the deadline; {rule.stop}: not by then"))
    return out or [c.not_reached(f"no step citing {', '.join(rule.from_refs)}")]


def _deadline_device(c: AuditContext, outcome: ObligationOutcome, rule: TimeRule) -> str | None:
    """The Device a Deadline outcome is about: the one Device of the steps citing the same refs, or the one of
    them whose Device Type the obligation names ("... for the GPF within 7 days")."""
    devices = sorted({e.device_id for e in c.events if e.device_id and cites(e.refs, rule.deadline_refs)})
    if len(devices) == 1:
        return devices[0]
    named = [d for d in devices if (t := c.rec.type_of(d)) and f" {t} " in f" {outcome.obligation} "]
    return named[0] if len(named) == 1 else None


def _timed(c: AuditContext, outcomes: list[ObligationOutcome]) -> list[Verdict]:
    rule = c.o.timing
    assert rule is not None
    mine = [x for x in outcomes if rule.deadline_refs and cites(x.refs, rule.deadline_refs)]
    if mine:
        rows = [c.v("met" if x.met else "breached", due=x.due, actual=x.actual, detail=x.obligation,
                    device_id=_deadline_device(c, x, rule)) for x in mine]
        if c.o.params.get("each_device"):  # e.g. AC 5.2: every Meter / GPF, not only those a process watched
            rows += devices_without_deadline(rows, _timed_from_events(c, rule))
        return rows
    if c.o.check is not None:
        return CHECKS[c.o.check](c)
    return _timed_from_events(c, rule)


def evaluate(events: list[ProcessEvent], outcomes: list[ObligationOutcome], records: DccRecords,
             register: Iterable[Obligation] = REGISTER) -> list[Verdict]:
    """One or more verdicts per register entry (one per Device or per deadline where the entry is per Device)."""
    events = sorted(events, key=lambda e: e.at)
    verdicts: list[Verdict] = []
    for o in register:
        triggers = [e for e in events if cites(e.refs, o.applies_when)] if o.applies_when else events
        c = AuditContext(o, events, triggers, records)
        if o.judged is Judged.NOT_ASSESSABLE:
            verdicts.append(c.v("not assessed", detail=o.why))
        elif not triggers:
            verdicts.append(c.not_reached(f"no step citing {', '.join(o.applies_when)} was reached"))
        elif o.judged is Judged.TIMED:
            verdicts.extend(_timed(c, outcomes))
        else:
            verdicts.extend(CHECKS[o.check or "step"](c))
    # a workflow deadline no register entry claims is still reported (its own refs name the clause)
    claimed = [o.timing.deadline_refs for o in register if o.timing and o.timing.deadline_refs]
    for x in outcomes:
        if not any(cites(x.refs, refs) for refs in claimed):
            bad = next((r[4:] for r in x.refs if r.startswith("BAD ")), "")
            ref = next((r for r in x.refs if r.startswith("SEC")), x.refs[0] if x.refs else "")
            verdicts.append(Verdict(obligation="workflow-deadline", bad_step=bad, actor=x.actor, ref=ref,
                                    summary=x.obligation, judged=Judged.TIMED.value,
                                    verdict="met" if x.met else "breached", due=x.due, actual=x.actual,
                                    detail=x.obligation))
    return verdicts


def summary(verdicts: Iterable[Verdict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    return counts
