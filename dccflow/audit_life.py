"""The obligations audit's checks for the end-of-life processes. ``order`` (digest 04 §B.4): the SEC orders steps
the DCC refuses none of — AB 10.1(c) "following steps (a) and (b)", 10.1(d) "following the step set out in (c)" — so
only an audit can judge them. ``restore_alert``: N30 / N31 after a restore to the Suppliers due one (AB 10.4, 10.5),
not applicable when none is. ``decommissioned``: the SMI after a successful 8.3 (AD 3.8.100.5(a), (c)), a 'pending'
Device left as it is. ``removed_to_pending``: a 'whitelisted' Device back to 'pending' after a successful 8.11 Remove
(digest 04 §D.3). Registered in :data:`dccflow.audit.CHECKS`.

``params``: ``step`` — the refs of the later step; ``after`` — one list of refs per step that must come before it;
``after_if_present`` — the same for steps that apply only when the run has them at all (e.g. (c) on an
electricity-only CH, which has no GSME to move). Order is the order of the process events (the audit sorts them by
time, stably)."""

from __future__ import annotations

from dccflow.audit_context import AuditContext, Verdict, cites
from dccflow.events import ProcessEvent


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


_UNCHANGED = ("pending", "decommissioned", "withdrawn")


def decommissioned(c: AuditContext) -> list[Verdict]:
    """AD 3.8.100.5(a), (c); AB 16.1(d)(i): each Device of ``types`` the DCC's decommissioning steps were about (the
    Device the 8.3 named; a CHF's GPF) is 'decommissioned' on the SMI. AD (a) updates no Device that is 'pending',
    'decommissioned' or 'withdrawn': such a Device left unchanged is 'not applicable', with its status. DECISION: the
    same limit for the GPF of AD (c) — an electricity-only CH's GPF, never commissioned, stays 'pending' (the
    DCC's rule, ``dccsim.handlers.decommission``; digest 04 §E.3)."""
    out = []
    for device_id, event in c.devices(c.o.params["types"]):
        change = c.rec.first_change(device_id, ["decommissioned"])
        before = c.rec.status_at(device_id, event.at)
        if change is not None:
            out.append(c.v("met", actual=change.at, device_id=device_id,
                           detail=f"SMI {change.from_status or '-'} → {change.to_status}"))
        elif before in _UNCHANGED:
            out.append(c.v("not applicable", device_id=device_id,
                           detail=f"'{before}' at the 8.3 ({event.bpmn_id}): AD 3.8.100.5(a) leaves a 'pending', "
                                  "'decommissioned' or 'withdrawn' Device as it is"))
        else:
            out.append(c.v("breached", device_id=device_id,
                           detail=f"SMI status never decommissioned (now {c.rec.status_at(device_id, c.end)})"))
    return out or [c.not_reached(f"no {'/'.join(c.o.params['types'])} in the steps citing "
                                 f"{', '.join(c.o.applies_when)}")]


def removed_to_pending(c: AuditContext) -> list[Verdict]:
    """The clause quoted as "AB 3.8.101.4" (004 l.3685; digest 04 §D.2-D.3): on a successful 8.11 Remove Response,
    *where the Device Status is 'whitelisted'*, the DCC sets it 'pending'; any other status is unchanged. Judged for
    each Device a successful Remove step names (``params.removed``: the refs such a step cites, e.g. SRV 8.11 — a
    failed removal cites only the BAD step), against its status when the DCC received the Remove (the last 8.11 it
    accepted before the step; without one, the step's time): 'whitelisted' then, 'pending' after is 'met', not
    'pending' is 'breached'; any other status 'not applicable'. A Device that became 'pending' otherwise — a re-use,
    'decommissioned' → 'pending' by 12.2 (AD 3.8.101.5), or added to the SMI by a pre-notification — is not this
    clause's."""
    p = c.o.params
    removed: dict[str, ProcessEvent] = {}
    for e in c.triggers:
        if e.device_id and cites(e.refs, p["removed"]) and (not p.get("types") or c.rec.type_of(e.device_id)
                                                               in p["types"]):
            removed.setdefault(e.device_id, e)
    out = []
    for device_id, e in removed.items():
        sent = max((r.at for r in c.rec.requests if r.srv == p.get("srv", "8.11") and not r.rejected
                    and r.at <= e.at), default=None)
        back = next((ch for ch in c.rec.smi_changes if ch.device_id == device_id and ch.from_status == "whitelisted"
                     and ch.to_status == "pending" and (sent is None or ch.at >= sent)), None)
        before = c.rec.status_at(device_id, sent or e.at)
        if back is not None:
            out.append(c.v("met", actual=back.at, device_id=device_id, detail="SMI whitelisted → pending"))
        elif before == "whitelisted":
            out.append(c.v("breached", device_id=device_id,
                           detail=f"'whitelisted' at the 8.11 Remove, not set 'pending' (now "
                                  f"'{c.rec.status_at(device_id, c.end)}')"))
        else:
            out.append(c.v("not applicable", device_id=device_id,
                           detail=f"'{before}' at the 8.11 Remove ({e.bpmn_id}): only a 'whitelisted' Device goes "
                                  "back to 'pending'; any other status is unchanged"))
    return out or [c.not_reached("no Device taken off a CHF Device Log by a successful 8.11 Remove")]
