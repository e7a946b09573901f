"""The obligations audit's checks for Post Commissioning Obligations (BAD 7.2.3; SEC Appendix AC 5.1-5.13): the
Supplier's restriction (AC 5.13), the DCC's own duties (AC 5.1, 5.3), its Incident (AC 5.12), and the Post
Commissioning Information and reports (AC 5.5, 5.6, 5.8, 5.9, 5.11), judged from the DCC's records
(:class:`dccflow.audit_records.DccRecords`). Registered in :data:`dccflow.audit.CHECKS`."""

from __future__ import annotations

from datetime import datetime, timedelta

from dccflow.audit_context import AuditContext, Verdict
from dccflow.audit_records import DeviceRec
from dccflow.domain.smi import RESTORATION


def supplier_restriction(c: AuditContext) -> list[Verdict]:
    """AC 5.13: the Responsible Supplier sends the Device only the exempt requests (i) while, from 7 days after
    commissioning, the 5.2(b) / 5.2(c) steps are missing (limb (a); the Network Operator cell, 5.2(a), does not
    count), and (ii) from 14 days after commissioning, when the DCC failed its AC 5.3 interrogation and the Supplier
    did not interrogate the Device itself (SRV 6.24.x) by then (limb (b)). Judged from the DCC's records: the SMI
    status history, the Post Commissioning Information, its duties and the requests it received from the Device's
    Responsible Supplier when each was sent (before and after a Change of Supplier alike)."""
    out = []
    exempt = set(c.rec.exempt_srvs)
    for dev in c.rec.devices:
        steps = c.rec.restricting_steps.get(dev.device_type)
        commissioned = c.rec.first_change(dev.device_id, ["commissioned"]) if steps else None
        if commissioned is None:
            continue
        windows = _restricted(c, dev, commissioned.at, steps)
        start = commissioned.at + timedelta(days=c.rec.obligation_period_days)
        if not windows:
            out.append(c.v("not applicable", due=start, device_id=dev.device_id,
                           detail=f"{', '.join(steps)} done within {c.rec.obligation_period_days} days and the "
                                  "Device interrogated (AC 5.3): AC 5.13 never restricted the Supplier"))
            continue
        first = min(w[0] for w in windows)
        if c.end is None or c.end <= first:
            out.append(c.v("not assessed", due=first, device_id=dev.device_id,
                           detail="the run ended before the restriction could start"))
            continue
        sent = [r for r in c.rec.requests if r.target == dev.device_id and r.srv not in exempt
                and any(a <= r.at and (b is None or r.at < b) for a, b, _ in windows)
                and c.rec.responsible_supplier_at(dev.device_id, r.at) in (None, r.originator)]
        window = "; ".join(f"{why}: restricted from {a:%Y-%m-%d %H:%M} " +
                           (f"to {b:%Y-%m-%d %H:%M}" if b else "to the end of the run") for a, b, why in windows)
        out.append(c.v("breached", due=first, actual=sent[0].at, device_id=dev.device_id,
                       detail=f"SRV {sent[0].srv} sent ({'refused' if sent[0].rejected else 'accepted'} by the "
                              f"DCC); {window}") if sent else
                   c.v("met", due=first, device_id=dev.device_id,
                       detail=f"no request other than the exempt ones sent; {window}"))
    return out or [c.not_reached("no Smart Meter or GPF commissioned")]


def _restricted(c: AuditContext, dev: DeviceRec, commissioned: datetime,
                steps: list[str]) -> list[tuple[datetime, datetime | None, str]]:
    """The periods AC 5.13 restricts the Supplier's requests to the Device: (start, end or None, which limb)."""
    windows = []
    start = commissioned + timedelta(days=c.rec.obligation_period_days)
    row = next((p for p in c.rec.pc_info if p.device_id == dev.device_id), None)
    times = {s: getattr(row, f"{s}_at", None) if row else None for s in steps}
    missing = [s for s, t in times.items() if t is None]
    done = None if missing else max(t for t in times.values() if t is not None)
    if done is None or done > start:
        windows.append((start, done, "AC 5.13(a)" + (f" ({', '.join(missing)} missing)" if missing else "")))
    later = commissioned + timedelta(days=c.rec.restriction_after_days)
    interrogation = next((d for d in c.rec.dcc_duties if d.device_id == dev.device_id
                          and d.duty == "recovery-interrogation"), None)
    own = [r for r in c.rec.requests if r.target == dev.device_id and r.srv in ("6.24.1", "6.24.2")
           and not r.rejected and r.at <= later]
    if interrogation is not None and interrogation.outcome == "overdue" and not own:
        windows.append((later, None, "AC 5.13(b) (the DCC's AC 5.3 interrogation failed)"))
    return windows


def dcc_duty(c: AuditContext) -> list[Verdict]:
    """AC 5.1 / 5.3: the DCC's own duty for each commissioned Device of the types, done within 7 days (its record
    in the DCC's post-commissioning duty table)."""
    duty, types = c.o.params["duty"], c.o.params["types"]
    out = []
    for dev in c.rec.devices:
        commissioned = c.rec.first_change(dev.device_id, ["commissioned"]) if dev.device_type in types else None
        if commissioned is None:
            continue
        due = commissioned.at + timedelta(days=7)
        row = next((d for d in c.rec.dcc_duties if d.device_id == dev.device_id and d.duty == duty), None)
        if row is not None and row.done_at is not None:
            found = " (AC 5.6(b))" if row.recovery_certificate is False else ""
            out.append(c.v("met" if row.done_at <= row.due else "breached", due=row.due, actual=row.done_at,
                           device_id=dev.device_id, detail=row.detail + found))
        elif (row is not None and row.outcome == "overdue") or (c.end is not None and c.end > due):
            out.append(c.v("breached", due=due, device_id=dev.device_id,
                           detail=row.detail if row is not None else "the DCC holds no record of it"))
        else:
            out.append(c.v("not assessed", due=due, device_id=dev.device_id,
                           detail=f"under way when the run ended ({row.attempts} attempts: {row.detail})" if row
                           else "not yet started by the DCC when the run ended"))
    return out or [c.not_reached(f"no {'/'.join(types)} commissioned")]


def dcc_incident(c: AuditContext) -> list[Verdict]:
    """AC 5.12: an Incident for a CHF whose 5.1 steps were not done within 7 days, or to which 5.6(a) (not
    interrogated) or 5.6(b) (no DCC Recovery Certificate) applies."""
    out = []
    for dev in (d for d in c.rec.devices if d.device_type == "CHF"):
        rows = [d for d in c.rec.dcc_duties if d.device_id == dev.device_id]
        if not rows:
            continue
        due = max(r.due for r in rows)
        late = [r.duty for r in rows if r.done_at is None or r.done_at > r.due]
        missing_cert = any(r.recovery_certificate is False for r in rows)
        incident = next((i for i in c.rec.incidents if i.device_id == dev.device_id), None)
        if late and all(r.outcome is None for r in rows if r.duty in late) and not missing_cert:
            out.append(c.v("not assessed", due=due, device_id=dev.device_id,
                           detail=f"{', '.join(late)} under way when the run ended"))
        elif late or missing_cert:
            reason = ", ".join(late) + (" not done within 7 days" if late else "") + \
                ("; no DCC Recovery Certificate" if missing_cert else "")
            out.append(c.v("met", due=due, actual=incident.raised_at, device_id=dev.device_id,
                           detail=f"Incident {incident.ref}: {incident.summary}") if incident else
                       c.v("breached" if (c.end is not None and c.end > due)
                           or any(r.outcome == "overdue" for r in rows) else "not assessed", due=due,
                           device_id=dev.device_id,
                           detail=f"no Incident raised ({reason})"))
        else:
            out.append(c.v("not applicable", device_id=dev.device_id,
                           detail="AC 5.1 done and the DCC Recovery Certificate found within 7 days: no Incident due"))
    return out or [c.not_reached("no CHF duties recorded")]


_PC_SUBJECTS = ("CHF", "GPF", "ESME", "GSME")
_PC_STEPS = (("keys_regenerated_at", "5.6(c)(i)"), ("device_certificate_stored_at", "5.6(c)(ii)"),
             ("organisation_certificate_replaced_at", "5.6(c)(iii)"))


def _limbs_at(c: AuditContext, dev: DeviceRec, at: datetime) -> list[str]:
    """Which limbs of AC 5.6 list the Device at ``at``, from the DCC's records (none: not listed). The Commissioning
    in force then counts (a Device re-used after 8.3 and 12.2 is Commissioned again), and the DCC's duties of that
    Commissioning: a later one's interrogation says nothing of the days before it."""
    commissioned = _commissioning_at(c, dev.device_id, at)
    if commissioned is None or at - commissioned < timedelta(days=7) or \
            c.rec.status_at(dev.device_id, at) != "commissioned":
        return []
    duties = {d.duty: d for d in c.rec.dcc_duties if d.device_id == dev.device_id and d.commissioned_at <= at}
    limbs = []
    recovery = duties.get("recovery-interrogation")
    if recovery is None or recovery.done_at is None or recovery.done_at > at:
        limbs.append("5.6(a)")
    elif recovery.recovery_certificate is False:
        limbs.append("5.6(b)")
    if dev.device_type == "CHF":
        own = duties.get("chf-credentials")
        if own is None or own.done_at is None or own.done_at > at:
            limbs += [limb for _, limb in _PC_STEPS]
        return limbs
    row = next((p for p in c.rec.pc_info if p.device_id == dev.device_id), None)
    for field, limb in _PC_STEPS:
        if limb == "5.6(c)(iii)" and dev.device_type == "GPF":
            continue
        done = getattr(row, field) if row else None
        if done is None or done > at:
            limbs.append(limb)
    return limbs


def _commissioning_at(c: AuditContext, device_id: str, at: datetime) -> datetime | None:
    """When the Device was last Commissioned at or before ``at``. A return to 'commissioned' from 'suspended' or
    'recovery' (AC 7.3, ``RESTORATION``) restores a status, it is no Commissioning (``dccsim.post_commissioning``
    reads the history the same way)."""
    return max((ch.at for ch in c.rec.smi_changes if ch.device_id == device_id and ch.to_status == "commissioned"
                and ch.at <= at and not ch.reason.startswith(RESTORATION)), default=None)


def _pc_days(c: AuditContext, dev: DeviceRec) -> list[tuple[str, datetime, list[str]]]:
    """(day, its end, AC 5.6 limbs at its end) for each day that ended (an hour's margin for the DCC's daily
    cycle) before the run did, from the 7th day after commissioning."""
    commissioned = c.rec.first_change(dev.device_id, ["commissioned"])
    if commissioned is None or c.end is None:
        return []
    day = (commissioned.at + timedelta(days=7)).date()
    out = []
    while True:
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=commissioned.at.tzinfo)
        if end + timedelta(hours=1) > c.end:
            return out
        out.append((day.isoformat(), end, _limbs_at(c, dev, end)))
        day += timedelta(days=1)


def pc_daily(c: AuditContext) -> list[Verdict]:
    """AC 5.5 (``kind`` daily-information: the day's listing) or AC 5.9 (daily-supplier: each Supplier's report of
    its listed Devices other than CHFs, available for 30 days). Each day's report is due to the Device's Responsible
    Supplier at that day's end (AC 5.7(d)), from the SMI links and Registration Data as they were then — not at the
    end of the run, after a CH replacement, a decommissioning or a Change of Supplier changed them."""
    kind = c.o.params["kind"]
    out = []
    for dev in (d for d in c.rec.devices if d.device_type in _PC_SUBJECTS):
        if (kind == "daily-supplier" and dev.device_type == "CHF") or \
                c.rec.first_change(dev.device_id, ["commissioned"]) is None:
            continue
        days = _pc_days(c, dev)
        listed = [(day, end, limbs) for day, end, limbs in days if limbs]
        # AC 5.9: the day's report goes to the Responsible Supplier then; a day with none (a GPF whose CH serves no
        # gas meter) has nobody to report to
        to = {day: c.rec.responsible_supplier_at(dev.device_id, end) for day, end, _ in listed} \
            if kind == "daily-supplier" else {}
        if to:
            listed = [x for x in listed if to[x[0]]]
        if not listed:
            out.append(c.v("not applicable" if days else "not assessed", device_id=dev.device_id,
                           detail=("never listed under AC 5.6" if not to else
                                   "no Responsible Supplier on the days it was listed") if days else
                           "the run ended before a day ended 7 days after commissioning"))
            continue
        faults = []
        for day, end, _limbs in listed:
            report = next((r for r in c.rec.pc_reports if r.kind == kind and r.period == day and (
                kind != "daily-supplier" or r.recipient == to[day])), None)
            if report is None or dev.device_id not in report.device_ids:
                faults.append(f"{day}: {'no report' if report is None else 'not in the report'}"
                              + (f" to {to[day]}" if to else ""))
            elif kind == "daily-supplier" and (report.available_until is None or
                                               report.available_until < end + timedelta(days=30)):
                faults.append(f"{day}: not available for 30 days")
        first, last = listed[0], listed[-1]
        out.append(c.v("breached" if faults else "met", due=first[1], device_id=dev.device_id,
                       actual=next((r.compiled_at for r in c.rec.pc_reports if r.kind == kind and r.period == last[0]),
                                   None),
                       detail="; ".join(faults) if faults else
                       f"listed ({', '.join(first[2])}) and reported on each of {len(listed)} days "
                       f"{first[0]}…{last[0]}" + (f" to {', '.join(dict.fromkeys(to[d] for d, _, _ in listed))}"
                                                  if to else "")))
    return out or [c.not_reached("no CHF, GPF or Smart Meter commissioned")]


def pc_monthly(c: AuditContext) -> list[Verdict]:
    """AC 5.8: after each month in which a Device was listed at the month's end, the monthly report lists it."""
    out = []
    for dev in (d for d in c.rec.devices if d.device_type in _PC_SUBJECTS):
        ends = [(day, end) for day, end, limbs in _pc_days(c, dev) if limbs and end.day == 1]
        if not ends:
            continue
        faults = [day[:7] for day, _ in ends if not any(
            r.kind == "monthly" and r.period == day[:7] and dev.device_id in r.device_ids for r in c.rec.pc_reports)]
        out.append(c.v("breached" if faults else "met", device_id=dev.device_id,
                       detail=f"no monthly report for {', '.join(faults)}" if faults else
                       f"in the monthly report for {', '.join(day[:7] for day, _ in ends)}"))
    return out or [c.v("not assessed", detail="no month ended while a Device of the run was listed")]


def pc_confidential(c: AuditContext) -> list[Verdict]:
    reports = [r for r in c.rec.pc_reports if r.device_ids and r.kind != "daily-information"]
    if not reports:
        return [c.not_reached("no Post Commissioning report about the run's Devices")]
    unmarked = [f"{r.kind} {r.period}" for r in reports if r.marking.upper() != "CONFIDENTIAL"]
    return [c.v("breached" if unmarked else "met", detail=f"not marked confidential: {', '.join(unmarked)}"
                if unmarked else f"{len(reports)} reports marked {reports[0].marking}")]


def pc_step(c: AuditContext) -> list[Verdict]:
    """One step of AC 5.2 as the DCC's Post Commissioning Information has it, within 7 days of commissioning."""
    field, types = c.o.params["field"], c.o.params["types"]
    out = []
    for dev in (d for d in c.rec.devices if d.device_type in types):
        commissioned = c.rec.first_change(dev.device_id, ["commissioned"])
        if commissioned is None:
            continue
        due = commissioned.at + timedelta(days=7)
        row = next((p for p in c.rec.pc_info if p.device_id == dev.device_id), None)
        done = getattr(row, field) if row else None
        if done is not None:
            out.append(c.v("met" if done <= due else "breached", due=due, actual=done, device_id=dev.device_id,
                           detail=f"recorded by the DCC ({field})"))
        else:
            out.append(c.v("breached" if c.end is not None and c.end > due else "not assessed", due=due,
                           device_id=dev.device_id, detail=f"not recorded by the DCC ({field})"))
    return out or [c.not_reached(f"no {'/'.join(types)} commissioned")]


def devices_without_deadline(deadline_rows: list[Verdict], from_events: list[Verdict]) -> list[Verdict]:
    """AC 5.2 binds the Supplier for each Meter and GPF within 7 days of *its* commissioning. The run's Post
    Commissioning processes report a Deadline (``workflows.base.Deadline``) for the Devices they served; a Device
    commissioned in the run that none served — the original meters and GPF of a CH replacement, whose only Post
    Commissioning is the new GPF's — is judged from the process events against its own commissioning
    (``from_events``: ``dccflow.audit._timed_from_events``, its steps citing AC 5.2(c) or none). While a Deadline's
    Device cannot be told (``None``), nothing is added: never a second row for one Device."""
    served = {r.device_id for r in deadline_rows}
    if None in served:
        return []
    return [r for r in from_events if r.device_id is not None and r.device_id not in served]
