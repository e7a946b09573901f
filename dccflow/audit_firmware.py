"""The obligations audit's checks for Manage Firmware (BAD 7.5.3; register ``dccflow.domain.obligations_firmware``,
FW-01..FW-14), judged from the Supplier's process events and the DCC's records (request and rejection logs, DCC
Alerts, SMI status history, :class:`dccflow.audit_firmware_records.FirmwareRecords`). Registered in
:data:`dccflow.audit.CHECKS` as ``firmware``, with the part in ``params["part"]``.

How each part judges (DECISIONS where the Code leaves the evidence open):

* ``ab_2_2`` (AB 2.2(a)-(d)): every 11.1 the DCC received (accepted or refused) must come after the Supplier's step
  citing the sub-clause (``check_firmware_package``: S1-S4 passed, so it held the package, checked the creator's
  signature, its own Hash, the CPL). No 11.1 sent - the checks failed and the process stopped - is 'met': the clause
  only forbids sending.
* ``ab_5_1`` / ``ab_5_2``: from the DCC's record of each CH upgrade: distributed only with (c) the signature verified
  and (d) a current CPL entry by its own Hash ((a) and (b) hold by construction: the DCC builds the release from the
  CH Model's CPL details); activated at least 7 days after the Users were told, unless security-urgent.
* ``refusal_alert``, ``n22``, ``n23``: per 11.1 refused (E110101) and per distribution record: the alert sent to the
  11.1's sender naming it. A watch still running at the end of the run is 'not assessed'.
* ``activation_after_receipt``: every 11.3 to a Device after a 0x8F72 step for it and no later 0x8F1C.
* ``smi_version``: when the meter runs the new version (the Supplier's 11.2, the last ``read_firmware_version``
  step), the SMI holds it; when it does not, the SMI does not hold the new version either (unchanged: the SMI
  keeps no history of Firmware Versions to compare with). Not applicable without an 11.2.
* ``restored``: each Device 'suspended' when its activation succeeded (the SMI's version change in the process) has
  an SMI change back to the status before its suspension.
* ``suspended_requests``: every request to a Device while the SMI had it 'suspended' is an 11.1, 11.3 or 6.23.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from dccflow.audit_context import AuditContext, Verdict, cites
from dccflow.audit_firmware_records import ChUpgradeRec, DistributionRec
from dccflow.domain.smi import RESTORATION

#: 11.1's refusal Service Response code (``dccsim.rejections.PROCESSING_CODES['firmware_rejected']``)
REFUSED = "E110101"
REFUSAL_ALERTS = ("N18", "N19", "N20", "N21")
#: what a User may send a suspended Device (SEC AB 2.1; BAD 7.1.2.6)
ALLOWED_WHILE_SUSPENDED = ("11.1", "11.3", "6.23")


def _ab_2_2(c: AuditContext) -> list[Verdict]:
    sent = [r for r in c.rec.requests if r.srv == "11.1"]
    checked = [e for e in c.events if cites(e.refs, [c.o.ref])]
    if not sent:
        failed = next((e for e in c.events if e.bpmn_id == "package_checks_failed"), None)
        return [c.v("met", actual=failed.at if failed else None, device_id=failed.device_id if failed else None,
                    detail="no 11.1 sent" + (f" (the checks stopped it: {failed.detail})" if failed else ""))]
    out = []
    for r in sent:
        before = [e for e in checked if e.at <= r.at]
        out.append(c.v("met", actual=r.at, device_id=before[-1].device_id, detail=f"{r.request_id} after "
                       f"{before[-1].bpmn_id}") if before else
                   c.v("breached", actual=r.at, detail=f"{r.request_id} sent with no step citing {c.o.ref} before"))
    return out


def _ch_upgrades(c: AuditContext, judge: Callable[[ChUpgradeRec], Verdict]) -> list[Verdict]:
    if not c.rec.firmware.ch_upgrades:
        return [c.not_reached("the DCC upgraded no CH of the run")]
    return [judge(u) for u in c.rec.firmware.ch_upgrades]


def _ab_5_1(c: AuditContext) -> list[Verdict]:
    def judge(u: ChUpgradeRec) -> Verdict:
        failed = [k for k in "abcd" if not u.checks.get(k)]
        if u.distributed_at is None:
            return c.v("met", device_id=u.chf_id, detail=f"{u.to_version} not distributed: {u.refused}")
        return c.v("breached" if failed else "met", actual=u.distributed_at, device_id=u.chf_id,
                   detail=f"{u.to_version} distributed " + (f"with 5.1({', '.join(failed)}) not met" if failed else
                                                            "after (c) the signature and (d) the CPL entry checked"))
    return _ch_upgrades(c, judge)


def _ab_5_2(c: AuditContext) -> list[Verdict]:
    notice = c.o.timing.amount if c.o.timing else 7

    def judge(u: ChUpgradeRec) -> Verdict:
        if u.notice_at is None:
            return c.v("not applicable", device_id=u.chf_id, detail=f"{u.to_version} never distributed")
        due = u.notice_at + timedelta(days=notice)
        if u.activated_at is None:
            return c.v("not assessed", due=due, device_id=u.chf_id, detail="not activated by the end of the run")
        ok = u.security_urgent or u.activated_at >= due
        why = "security-urgent: no notice period" if u.security_urgent else f"told {', '.join(u.notified) or 'no one'}"
        return c.v("met" if ok else "breached", due=due, actual=u.activated_at, device_id=u.chf_id,
                   detail=f"{why}; activated {u.activated_at - u.notice_at} after the notice")
    return _ch_upgrades(c, judge)


def _refusal_alert(c: AuditContext) -> list[Verdict]:
    refused = [r for r in c.rec.requests if r.srv == "11.1" and r.response_code == REFUSED and not r.rejected]
    if not refused:
        return [c.not_reached("no 11.1 stopped by the DCC's checks")]
    out = []
    for r in refused:
        sent = [a for a in c.rec.alerts if a.request_id == r.request_id and a.code in REFUSAL_ALERTS
                and a.recipient == r.originator]
        out.append(c.v("met", actual=sent[0].at, detail=f"{r.request_id}: {sent[0].code} to {r.originator}") if sent
                   else c.v("breached", detail=f"{r.request_id} refused with no N18-N21 to {r.originator}"))
    return out


def _watch(code: str, due_when: Callable[[DistributionRec], bool], what: str) -> Callable[[AuditContext], list]:
    def check(c: AuditContext) -> list[Verdict]:
        out = []
        for d in c.rec.firmware.distributions:
            if not due_when(d):
                continue
            sent = [a for a in c.rec.alerts if a.code == code and a.request_id == d.request_id
                    and a.device_id == d.device_id and a.recipient == d.supplier_id]
            if sent:
                out.append(c.v("met", actual=sent[0].at, device_id=d.device_id,
                               detail=f"{code} to {d.supplier_id} ({what}; {d.attempts} attempt(s))"))
            elif d.alert is None:
                out.append(c.v("not assessed", device_id=d.device_id, detail=f"{what}: the DCC was still waiting "
                                                                             "when the run ended"))
            else:
                out.append(c.v("breached", device_id=d.device_id, detail=f"{what}, but no {code} to {d.supplier_id}"))
        return out or [c.not_reached(f"no 11.1 distribution in which {what}")]
    return check


def _activation_after_receipt(c: AuditContext) -> list[Verdict]:
    sent = [r for r in c.rec.requests if r.srv == "11.3"]
    if not sent:
        refused = [e for e in c.events if e.bpmn_id == "distribution_receipt_failure"]
        return [c.v("met", actual=e.at, device_id=e.device_id, detail="no 11.3 after the 0x8F1C")
                for e in refused] or [c.not_reached("no 11.3 sent")]
    out = []
    for r in sent:
        receipts = [e for e in c.events if e.device_id == r.target and e.at <= r.at
                    and e.bpmn_id in ("distribution_receipt_success", "distribution_receipt_failure")]
        ok = bool(receipts) and receipts[-1].bpmn_id == "distribution_receipt_success"
        out.append(c.v("met" if ok else "breached", actual=r.at, device_id=r.target,
                       detail=f"{r.request_id} after {receipts[-1].bpmn_id}" if receipts
                       else f"{r.request_id} with no Firmware Distribution Receipt before it"))
    return out


def _smi_version(c: AuditContext) -> list[Verdict]:
    reads = {e.device_id: e for e in c.events if e.bpmn_id == "read_firmware_version" and e.device_id}
    if not reads:
        return [c.not_reached("no Read Firmware Version (11.2) to compare the SMI with")]
    wanted = {e.device_id: e.detail.removeprefix("to version ").strip() for e in c.events
              if e.bpmn_id == "start_firmware_upgrade"}
    out = []
    for device_id, e in reads.items():
        running, held = e.detail.removeprefix("runs ").strip(), c.rec.firmware.smi_versions.get(device_id)
        new = wanted.get(device_id)
        activated = running == new
        ok = held == running if activated else held != new  # updated on success; unchanged (not new) otherwise
        out.append(c.v("met" if ok else "breached", actual=e.at, device_id=device_id,
                       detail=f"the meter runs {running} ({'activated' if activated else f'not {new}'}); the SMI "
                              f"holds {held}"))
    return out


def _restored(c: AuditContext) -> list[Verdict]:
    out = []
    for device_id, _ in c.devices():
        suspended = [ch for ch in c.rec.smi_changes if ch.device_id == device_id and ch.to_status == "suspended"]
        if not suspended:
            continue
        back = next((ch for ch in c.rec.smi_changes if ch.device_id == device_id and ch.at >= suspended[-1].at
                     and ch.from_status == "suspended" and ch.reason.startswith(RESTORATION)), None)
        prior = suspended[-1].from_status
        upgraded = any(e.device_id == device_id and e.bpmn_id == "end_firmware_upgraded" for e in c.events)
        if back is not None:
            out.append(c.v("met" if back.to_status == prior else "breached", actual=back.at, device_id=device_id,
                           detail=f"SMI suspended → {back.to_status} (before the suspension: {prior})"))
        elif upgraded:
            out.append(c.v("breached", device_id=device_id, detail="activated, but the SMI still has it suspended"))
    return out or [c.not_reached("no Device of the process was suspended")]


def _suspended_requests(c: AuditContext) -> list[Verdict]:
    ids = {d for d, _ in c.devices()}
    asked = [r for r in c.rec.requests if r.target in ids and c.rec.status_at(r.target, r.at) == "suspended"]
    if not asked:
        return [c.not_reached("no request to a Device while it was suspended")]
    other = [r for r in asked if r.srv not in ALLOWED_WHILE_SUSPENDED]
    if other:
        return [c.v("breached", actual=r.at, device_id=r.target, detail=f"SRV {r.srv} {r.request_id} while "
                                                                         "suspended") for r in other]
    return [c.v("met", actual=asked[-1].at, device_id=asked[-1].target,
                detail=f"only {', '.join(sorted({r.srv for r in asked}))} while suspended")]


PARTS: dict[str, Callable[[AuditContext], list[Verdict]]] = {
    "ab_2_2": _ab_2_2, "ab_5_1": _ab_5_1, "ab_5_2": _ab_5_2, "refusal_alert": _refusal_alert,
    "n22": _watch("N22", lambda d: d.delivered_at is None and d.download_completed_at is None,
                  "the CH never acknowledged the image"),
    "n23": _watch("N23", lambda d: d.delivered_at is not None and d.download_completed_at is None,
                  "the download never completed"),
    "activation_after_receipt": _activation_after_receipt, "smi_version": _smi_version, "restored": _restored,
    "suspended_requests": _suspended_requests,
}


def firmware(c: AuditContext) -> list[Verdict]:
    return PARTS[c.o.params["part"]](c)
