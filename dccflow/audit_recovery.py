"""The obligations audit's check for SMKI Recovery (BAD 7.7.3; SEC Appendix L; digest 05 §D.10): the RCV rows of
``dccflow.domain.recovery_obligations`` (``RECOVERY_REGISTER``), judged from the recovery workflow's events
(``workflows.smki_recovery_steps``) and the DCC's records. Registered in :data:`dccflow.audit.CHECKS` as ``recovery``
(the events alone) and ``recovery_records`` (the kinds ``smi``, ``restored``, ``alert``, ``request``).

``params`` (``recovery_obligations.JUDGE``): ``methods`` — the methods the row belongs to (the drill's method is the
one its ``method_chosen`` step names; another: not applicable); ``stage`` — the step that makes the row due
(``incident``, ``confirmed``, ``decided``, ``declined``, ``approved``, ``ended``; not reached: not applicable, with
the drill's end); ``kind`` and ``evidence``:

* ``step`` (default) — one of the evidence steps happened; ``after`` — none of them before the ``after`` step
  (RCV-01: no recovery Command without the PMA's approval);
* ``smi`` — each Device the DCC's recovery Commands were about went to the evidence SMI status (the DCC's SMI
  history); ``restored`` — each Device recovered ends with the status it held before 'recovery';
* ``alert`` — each Device recovered got one of the evidence DCC Alerts; ``request`` — each Device recovered with a
  Supplier cell got an accepted Service Request of the evidence SRV after its recovery (the Responsible Supplier's
  6.21); after a Root recovery also each Network Operator cell the Responsible Supplier handed back to its Network
  Operator (L 5.3.2(b); ``workflows.smki_recovery_network``): met when its 6.21 ended done;
* ``retry`` — each Device found off the SM WAN was recovered later or reported; ``reported`` — a drill ending with
  Devices not recovered reported them (RCV-24, RCV-33).

``not_built_for``: methods dccflow runs without this part (the Contingency method's revocations and handback):
"not assessed", never "met".
"""

from __future__ import annotations

from dccflow.audit_context import AuditContext, Verdict
from dccflow.domain.recovery import METHOD3_NO_STATUS_CHANGE

_STAGES = {"incident": ("incident_raised",), "confirmed": ("compromise_confirmed",),
           "decided": ("pma_approved", "pma_declined"), "declined": ("pma_declined",),
           "approved": ("pma_approved",), "ended": ("recovery_complete",)}
_UNGATED = ("method-1",)  # no PMA decision: 'approved' is reached at the confirmation (L 4.1)


def _first(c: AuditContext, *ids: str):
    return next((e for e in c.events if e.bpmn_id in ids), None)


def _method(c: AuditContext) -> str | None:
    chosen = _first(c, "method_chosen")
    return chosen.detail.split(":", 1)[0] if chosen is not None else None


def _recovered(c: AuditContext) -> list:
    seen: dict[str, object] = {}
    for e in c.events:
        if e.bpmn_id == "device_recovered" and e.device_id and e.device_id not in seen:
            seen[e.device_id] = e
    return list(seen.values())


def recovery(c: AuditContext) -> list[Verdict]:
    p = c.o.params
    method = _method(c)
    if p.get("methods") and method not in p["methods"]:
        why = ("dccflow does not run it yet" if not p.get("evidence") and p.get("kind", "step") == "step" else
               "another method's duty")
        return [c.not_reached(f"{' / '.join(p['methods'])} only ({why}); this drill: {method or 'no method'}")]
    stage = _STAGES[p["stage"]]
    if p["stage"] == "approved" and method in _UNGATED:
        stage = ("compromise_confirmed",)
    if _first(c, *stage) is None:
        end = next((e.bpmn_id for e in reversed(c.events) if e.bpmn_id.startswith("end_")), "not ended")
        return [c.not_reached(f"the drill did not reach {' / '.join(stage)} ({end})")]
    if method in p.get("not_built_for", ()):
        return [c.v("not assessed", detail=f"{method}: dccflow does not run this part of it yet")]
    kind = p.get("kind", "step")
    return _KINDS[kind](c, p)


def _step(c: AuditContext, p: dict) -> list[Verdict]:
    hit = _first(c, *p["evidence"])
    if hit is None:
        return [c.v("breached", detail=f"no step {' / '.join(p['evidence'])} before the drill ended")]
    return [c.v("met", actual=hit.at, device_id=hit.device_id, detail=f"step {hit.bpmn_id}: {hit.detail}"[:200])]


def _after(c: AuditContext, p: dict) -> list[Verdict]:
    gate = _first(c, p["after"])
    early = [e for e in c.events if e.bpmn_id in p["evidence"] and (gate is None or e.at < gate.at)]
    if early:
        return [c.v("breached", actual=early[0].at, detail=f"{early[0].bpmn_id} before {p['after']}")]
    done = [e for e in c.events if e.bpmn_id in p["evidence"]]
    return [c.v("met", actual=gate.at if gate else None,
                detail=f"{len(done)} step(s) {' / '.join(p['evidence'])}, none before {p['after']}"
                if gate else f"no {' / '.join(p['evidence'])}: nothing done without {p['after']}")]


def _per_device(c: AuditContext, devices: list, judge) -> list[Verdict]:
    if not devices:
        return [c.not_reached("no Device recovered")]
    return [judge(e) for e in devices]


def _smi(c: AuditContext, p: dict) -> list[Verdict]:
    notified = _first(c, "pma_notified")
    if p["evidence"] == ("recovery",) and notified is not None and METHOD3_NO_STATUS_CHANGE in notified.detail:
        # a Network Operator's certificates in Method 3 (``workflows.smki_recovery_no_key``; digest 05 §D.11 item 4)
        return [c.v("not applicable", detail=f"{notified.detail.split(': ', 1)[0]}: {METHOD3_NO_STATUS_CHANGE}")]
    events = _recovered(c) if p["evidence"] == ("recovered",) else [
        *_recovered(c), *(e for e in c.events if e.bpmn_id == "device_unreachable" and e.device_id)]
    events = list({e.device_id: e for e in reversed(events)}.values())

    def judge(e):
        change = c.rec.first_change(e.device_id, p["evidence"])
        if change is None:
            return c.v("breached", device_id=e.device_id, detail=f"never '{' / '.join(p['evidence'])}' on the SMI")
        return c.v("met", actual=change.at, device_id=e.device_id,
                   detail=f"SMI {change.from_status or '-'} → {change.to_status}")
    return _per_device(c, events, judge)


def _restored(c: AuditContext, p: dict) -> list[Verdict]:
    def judge(e):
        change = c.rec.first_change(e.device_id, ["recovery"])
        if change is None:
            return c.v("not applicable", device_id=e.device_id, detail="never in 'recovery'")
        now = c.rec.status_at(e.device_id, c.end)
        ok = now == change.from_status
        return c.v("met" if ok else "breached", device_id=e.device_id,
                   detail=f"'{now}' at the end; '{change.from_status}' before 'recovery'")
    return _per_device(c, _recovered(c), judge)


def _alert(c: AuditContext, p: dict) -> list[Verdict]:
    def judge(e):
        sent = [a for a in c.rec.alerts if a.code in p["evidence"] and a.device_id == e.device_id]
        if not sent and e.detail.startswith(_NO_RECIPIENT):
            return c.v("not applicable", device_id=e.device_id, detail=f"{e.detail}: nobody to send it to")
        if not sent:
            return c.v("breached", device_id=e.device_id, detail=f"no {' / '.join(p['evidence'])} for the Device")
        return c.v("met", actual=sent[0].at, device_id=e.device_id,
                   detail=f"{sent[0].code} to {', '.join(sorted({a.recipient for a in sent}))}")
    return _per_device(c, _recovered(c), judge)


def _request(c: AuditContext, p: dict) -> list[Verdict]:
    def judge(e):
        ok = [r for r in c.rec.requests if r.srv in p["evidence"] and r.target == e.device_id and not r.rejected
              and r.at >= e.at]
        if not ok:
            return c.v("breached", device_id=e.device_id,
                       detail=f"no accepted SRV {' / '.join(p['evidence'])} after the Device was recovered")
        return c.v("met", actual=ok[0].at, device_id=e.device_id, detail=f"SRV {ok[0].srv} from {ok[0].originator}")
    # the Devices with a Supplier cell (BAD Table 11): a Communications Hub has nothing to hand back, nor a Device
    # with no Responsible Supplier (restored at once: no handover step for it)
    handed = {e.device_id for e in c.events if e.bpmn_id == "handover_requested"}
    return _per_device(c, [e for e in _recovered(c) if c.rec.type_of(e.device_id) in _SUPPLIER_CELL
                           and (e.device_id in handed or not e.detail.startswith(_NO_RECIPIENT))], judge) \
        + _network_operator_cells(c)


def _network_operator_cells(c: AuditContext) -> list[Verdict]:
    """L 5.3.2(b): the Network Operator cells the Responsible Suppliers handed back after a Root recovery."""
    if _method(c) != "contingency":
        return []
    out = []
    for e in c.events:
        if e.bpmn_id == "handover_requested" and e.detail.startswith(_NO_CELL):
            done = "end_handover_done" in e.detail
            out.append(c.v("met" if done else "breached", actual=e.at if done else None, device_id=e.device_id,
                           detail=e.detail[:200]))
    return out


_SUPPLIER_CELL = ("ESME", "GSME", "GPF", "HCALCS")
#: ``workflows.smki_recovery_network``: how a Network Operator cell's handback is recorded
_NO_CELL = "Network Operator cell"
#: ``workflows.smki_recovery_methods.NO_RECIPIENT``: the device_recovered detail of a Device nobody was alerted of
_NO_RECIPIENT = "no Responsible Supplier"


def _retry(c: AuditContext, p: dict) -> list[Verdict]:
    off = {e.device_id: e for e in reversed(c.events) if e.bpmn_id == "device_unreachable" and e.device_id}
    if not off:
        return [c.not_reached("every Device was reached at the first attempt")]
    recovered = {e.device_id: e for e in _recovered(c)}
    reported = _first(c, "devices_not_recovered_reported")
    out = []
    for device_id in off:
        if device_id in recovered:
            out.append(c.v("met", actual=recovered[device_id].at, device_id=device_id,
                           detail=f"caught up: {recovered[device_id].detail}"))
        elif reported is not None and device_id in reported.detail:
            out.append(c.v("met", actual=reported.at, device_id=device_id,
                           detail="retried until the deadline, then reported"))
        else:
            out.append(c.v("breached", device_id=device_id, detail="neither recovered nor reported"))
    return out


def _reported(c: AuditContext, p: dict) -> list[Verdict]:
    end = _first(c, "end_recovered", "end_recovered_partly")
    if end is None or end.bpmn_id == "end_recovered":
        return [c.not_reached("every affected Device recovered: nothing to report")]
    reported = _first(c, "devices_not_recovered_reported")
    if reported is None:
        return [c.v("breached", detail=f"{end.bpmn_id} with no report of the Devices not recovered")]
    return [c.v("met", actual=reported.at, detail=f"reported: {reported.detail}"[:200])]


_KINDS = {"step": _step, "after": _after, "smi": _smi, "restored": _restored, "alert": _alert, "request": _request,
          "retry": _retry, "reported": _reported}
