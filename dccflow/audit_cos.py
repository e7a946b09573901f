"""The obligations audit's checks for Transitional Change of Supplier (BAD 7.7.1.5.4; SEC Appendix AB 8, 14.2; AD
3.8.75.4; the register's COS-01..COS-13, ``dccflow.domain.obligations_cos``), judged per SRV 6.23 from the DCC's and
the CoS Party's record of it (:class:`dccflow.audit_records.CosRec`) and the DCC Alerts sent. Registered in
:data:`dccflow.audit.CHECKS` as ``cos``, with the part of the process as ``params["part"]``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from dccflow.audit_context import AuditContext, Verdict
from dccflow.audit_records import CosRec

Part = Callable[[AuditContext, CosRec], Verdict]


def _na(c: AuditContext, r: CosRec, why: str) -> Verdict:
    return c.v("not applicable", device_id=r.device_id, detail=f"{r.request_id}: {why}")


def _judge(c: AuditContext, r: CosRec, ok: bool, met: str, breached: str, actual=None, due=None) -> Verdict:
    return c.v("met" if ok else "breached", device_id=r.device_id, actual=actual, due=due,
               detail=f"{r.request_id}: {met if ok else breached}")


def _forward(c: AuditContext, r: CosRec) -> Verdict:
    """AB 8.1(a): the accepted SR went to the CoS Party in a communication the DCC signed."""
    if r.forwarded_at is None and r.execution_at is not None and c.end is not None and c.end < r.execution_at:
        return c.v("not assessed", device_id=r.device_id, due=r.execution_at,
                   detail=f"{r.request_id}: the run ended before its execution time")
    return _judge(c, r, r.forwarded_at is not None and bool(r.forward_signer),
                  f"forwarded, signed by {r.forward_signer}", "never forwarded to the CoS Party", r.forwarded_at)


def _cos_checks(c: AuditContext, r: CosRec) -> Verdict:
    """AB 8.1(b): the CoS Party checked it, on receipt of the communication."""
    if r.forwarded_at is None:
        return _na(c, r, "not forwarded to the CoS Party")
    ok = r.cos_checked_at is not None and r.cos_checked_at >= r.forwarded_at and r.cos_outcome in ("passed", "failed")
    return _judge(c, r, ok, f"checks {r.cos_outcome}" + (f": {r.cos_reason}" if r.cos_reason else ""),
                  "the CoS Party's checks are not recorded", r.cos_checked_at)


def _cos_signed(c: AuditContext, r: CosRec) -> Verdict:
    """AB 8.2: on passing, a Signed Pre-Command substantively identical to the SR, signed by the CoS Party."""
    if r.cos_outcome != "passed":
        return _na(c, r, "the CoS Party's checks did not pass")
    identical = r.spc_failed_check not in ("8.4(a)", "8.4(b)")
    return _judge(c, r, bool(r.spc_signer) and identical, f"Signed Pre-Command signed by {r.spc_signer}",
                  "no Signed Pre-Command" if not r.spc_signer else f"not the SR's content ({r.spc_failed_check})",
                  r.cos_checked_at)


def _cos_stopped(c: AuditContext, r: CosRec) -> Verdict:
    """AB 8.3(a): on failing, no further processing (no Signed Pre-Command, no Command)."""
    if r.cos_outcome != "failed":
        return _na(c, r, "the CoS Party's checks did not fail")
    return _judge(c, r, r.spc_signer is None and r.command_sent_at is None, "processed no further",
                  "processing went on after the CoS Party's checks failed", r.cos_checked_at)


def _n26(c: AuditContext, r: CosRec) -> Verdict:
    """AB 8.3(b); AD 3.8.75.4: N26 to the sender, the SR not processed further."""
    if r.cos_outcome != "failed":
        return _na(c, r, "the CoS Party's checks did not fail")
    sent = [a for a in c.rec.alerts if a.code == "N26" and a.request_id == r.request_id and a.recipient == r.sender]
    ok = bool(sent) and r.command_sent_at is None
    return _judge(c, r, ok, f"N26 to {r.sender}", "no N26 to the sender" if not sent else "a Command was sent",
                  sent[0].at if sent else None)


def _spc_checks(c: AuditContext, r: CosRec) -> Verdict:
    """AB 8.4: every Signed Pre-Command from the CoS Party checked (a)-(f)."""
    if not r.spc_signer:
        return _na(c, r, "no Signed Pre-Command")
    return _judge(c, r, r.spc_checked_at is not None and r.spc_outcome in ("passed", "failed"),
                  f"checks {r.spc_outcome}" + (f" at {r.spc_failed_check}" if r.spc_failed_check else ""),
                  "the DCC's checks of the Signed Pre-Command are not recorded", r.spc_checked_at)


def _command_sent(c: AuditContext, r: CosRec) -> Verdict:
    """AB 8.5: when all of 8.4 pass, the Command is sent (AB 13, subject to AB 14)."""
    if r.spc_outcome != "passed":
        return _na(c, r, "the Signed Pre-Command did not pass the DCC's checks")
    return _judge(c, r, r.command_sent_at is not None, "Command sent", "the Command was never sent", r.command_sent_at)


def _spc_rejected(c: AuditContext, r: CosRec) -> Verdict:
    """AB 8.6: a failed check: no Command; the CoS Party told why unless (c) failed; the sender told."""
    if r.spc_outcome != "failed":
        return _na(c, r, "the Signed Pre-Command passed the DCC's checks" if r.spc_outcome else "no check failed")
    faults = []
    if r.command_sent_at is not None:
        faults.append("a Command was sent")
    if r.cos_party_notified != (r.spc_failed_check != "8.4(c)"):
        faults.append("the CoS Party " + ("was" if r.cos_party_notified else "was not") + " told")
    if not (r.response_code or "").startswith("E"):
        faults.append("the sender was not told")
    return _judge(c, r, not faults, f"rejected at {r.spc_failed_check}; sender told ({r.response_code})",
                  "; ".join(faults), r.spc_checked_at)


def _timing(c: AuditContext, r: CosRec) -> Verdict:
    """AB 14.2: the Command of a future-dated CoS SR as close to the execution time as reasonably practicable."""
    if r.execution_at is None:
        return _na(c, r, "not future-dated")
    if r.command_sent_at is None:
        return _na(c, r, "no Command was sent")
    allowance = timedelta(seconds=c.o.params.get("seconds", 60))
    ok = r.execution_at <= r.command_sent_at <= r.execution_at + allowance
    return _judge(c, r, ok, "sent at its execution time", "sent before its execution time"
                  if r.command_sent_at < r.execution_at else f"sent more than {allowance} after it",
                  r.command_sent_at, r.execution_at + allowance)


def _n27(c: AuditContext, r: CosRec) -> Verdict:
    """AD 3.8.75.4(a): on success, N27 to the old registered Import or Gas Supplier."""
    if r.response_code != "I0":
        return _na(c, r, "the Device did not execute it successfully")
    if r.losing_supplier is None:
        return _na(c, r, "no Supplier was registered before the Gaining Supplier")
    sent = [a for a in c.rec.alerts if a.code == "N27" and a.recipient == r.losing_supplier
            and a.device_id == r.device_id and r.n27_at is not None and a.at >= r.n27_at]
    return _judge(c, r, bool(sent), f"N27 to {r.losing_supplier}", f"no N27 to {r.losing_supplier}",
                  sent[0].at if sent else None)


def _per_item(code: str, items: str, what: str) -> Part:
    def check(c: AuditContext, r: CosRec) -> Verdict:
        if r.response_code != "I0" or r.losing_supplier is None:
            return _na(c, r, "no successful CoS with a Losing Supplier")
        cancelled, left = getattr(r, f"cancelled_{items}"), getattr(r, f"uncancelled_{items}")
        if not cancelled and not left:
            return _na(c, r, f"the Losing Supplier had no {what} for the Device")
        sent = [a for a in c.rec.alerts if a.code == code and a.recipient == r.losing_supplier
                and a.device_id == r.device_id and r.n27_at is not None and a.at >= r.n27_at]
        faults = [f"{len(left)} {what} not cancelled ({', '.join(map(str, left))})"] if left else []
        if len(sent) < len(cancelled):
            faults.append(f"{len(cancelled)} cancelled but {len(sent)} {code}")
        return _judge(c, r, not faults, f"{len(cancelled)} {what} cancelled, {len(sent)} {code}", "; ".join(faults))
    return check


def _response(c: AuditContext, r: CosRec) -> Verdict:
    """BAD 7.7.1.5.4: the Service Response to the Gaining Supplier (after an N26 the SR is not processed further:
    AD 3.8.75.4 names the alert as the answer)."""
    if r.cos_outcome == "failed":
        return _na(c, r, "answered with N26 (AD 3.8.75.4)")
    if r.response_code is None and r.execution_at is not None and c.end is not None and c.end < r.execution_at:
        return c.v("not assessed", device_id=r.device_id, detail=f"{r.request_id}: not executed by the end of the run")
    return _judge(c, r, r.response_code is not None, f"Service Response {r.response_code}",
                  "no Service Response", r.completed_at)


PARTS: dict[str, Part] = {
    "forward": _forward, "cos_checks": _cos_checks, "cos_signed": _cos_signed, "cos_stopped": _cos_stopped,
    "n26": _n26, "spc_checks": _spc_checks, "command_sent": _command_sent, "spc_rejected": _spc_rejected,
    "timing": _timing, "n27": _n27, "n17": _per_item("N17", "schedules", "DCC Schedule(s)"),
    "n38": _per_item("N38", "requests", "future-dated request(s)"), "response": _response,
}


def cos(c: AuditContext) -> list[Verdict]:
    if not c.rec.cos:
        return [c.not_reached("the DCC received no SRV 6.23 for the run's Devices")]
    part = PARTS[c.o.params["part"]]
    return [part(c, r) for r in c.rec.cos]
