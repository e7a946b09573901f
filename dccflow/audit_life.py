"""The obligations audit's checks for the end-of-life processes. ``order`` (digest 04 §B.4): the SEC orders steps
the DCC refuses none of — AB 10.1(c) "following steps (a) and (b)", 10.1(d) "following the step set out in (c)" — so
only an audit can judge them. ``restore_alert``: N30 / N31 after a restore to the Suppliers due one (AB 10.4, 10.5),
not applicable when none is. Registered in :data:`dccflow.audit.CHECKS`.

``params``: ``step`` — the refs of the later step; ``after`` — one list of refs per step that must come before it;
``after_if_present`` — the same for steps that apply only when the run has them at all (e.g. (c) on an
electricity-only CH, which has no GSME to move). Order is the order of the process events (the audit sorts them by
time, stably)."""

from __future__ import annotations

from dccflow.audit_context import AuditContext, Verdict, cites


def order(c: AuditContext) -> list[Verdict]:
    p = c.o.params
    later = [i for i, e in enumerate(c.events) if cites(e.refs, p["step"])]
    if not later:
        return [c.not_reached(f"no step citing {' / '.join(p['step'])}")]
    groups = [*p["after"], *(g for g in p.get("after_if_present", ()) if any(cites(e.refs, g) for e in c.events))]
    out = []
    for i in later:
        e = c.events[i]
        missing = [" / ".join(g) for g in groups if not any(cites(x.refs, g) for x in c.events[:i])]
        out.append(c.v("breached" if missing else "met", actual=e.at, device_id=e.device_id,
                       detail=f"{e.bpmn_id} before {', '.join(missing)}" if missing else
                       f"{e.bpmn_id} after {', '.join(' / '.join(g) for g in groups) or 'nothing it needs'}"))
    return out


def restore_alert(c: AuditContext) -> list[Verdict]:
    """AB 10.4 (N30: every Responsible Supplier for the new CHF but the sender of 8.12.1) and AB 10.5 (N31: the Gas
    Supplier of the new GPF unless it sent 8.12.2), per restored Device. The Responsible Suppliers are those of the
    Smart Meters the DCC ended the run with on that CH (``DeviceRec.responsible_supplier``, the latest Registration
    Data; the GSMEs for N31). With nobody but the sender due one — an electricity-only CH, the Gas Supplier
    restoring its own GPF — the obligation is not applicable. ``params``: ``code``, ``srv``."""
    code, srv = c.o.params["code"], c.o.params["srv"]
    out = []
    for device_id, _event in c.devices():
        sender = next((r.originator for r in c.rec.requests
                       if r.srv == srv and r.target == device_id and not r.rejected), None)
        due = {d.responsible_supplier for d in _meters_due(c, code, device_id) if d.responsible_supplier} - {sender}
        if not due:
            out.append(c.not_reached(f"no Responsible Supplier but the sender ({sender}) is due {code} for "
                                     f"{device_id}"))
            continue
        sent = [a for a in c.rec.alerts if a.code == code and a.device_id == device_id and a.recipient in due]
        missing = due - {a.recipient for a in sent}
        out.append(c.v("breached", device_id=device_id, detail=f"no {code} to {', '.join(sorted(missing))}")
                   if missing else c.v("met", actual=max(a.at for a in sent), device_id=device_id,
                                       detail=f"{code} to {', '.join(sorted(due))}"))
    return out or [c.not_reached(f"no restore citing {', '.join(c.o.applies_when)}")]


def _meters_due(c: AuditContext, code: str, device_id: str) -> list:
    """The Smart Meters whose Responsible Supplier is due ``code`` about ``device_id`` (N30: the new CHF's meters;
    N31: the GSMEs of the new GPF's CH)."""
    dev = c.rec.device(device_id)
    chf_id = device_id if code == "N30" else dev.chf_id if dev is not None else None
    types = ("ESME", "GSME") if code == "N30" else ("GSME",)
    return [d for d in c.rec.devices if d.chf_id == chf_id and chf_id and d.device_type in types]
