"""The obligations audit's checks for Manage Security Credentials (BAD 7.7.2; the register's SUB-*, OC-*, DC-*,
REV-*, MSC-* entries, ``dccflow.domain.obligations_msc``), judged from the SMKI's records
(:class:`dccflow.audit_smki_records.SmkiRecords`: the SMKI Repository, the Device CSR log, the Certificate
Revocation Requests) and the DCC's request and rejection logs and DCC Alerts. Registered in
:data:`dccflow.audit.CHECKS` as ``msc``, with the part as ``params["part"]``.

A part finding nothing of its kind in the run says "not applicable" (no Device CSR, no revocation, no 6.21)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from dccflow.audit_context import AuditContext, Verdict

Part = Callable[[AuditContext], list[Verdict]]


def _run_start(c: AuditContext):
    return min((e.at for e in c.events), default=None)


def _csrs(c: AuditContext):
    ids = {d for d, _ in c.devices()} or {d.device_id for d in c.rec.devices}
    return [r for r in c.rec.smki.csrs if r.device_id in ids]


def _revocations(c: AuditContext):
    start = _run_start(c)
    return [r for r in c.rec.smki.revocations if start is None or r.revoked_at >= start]  # revoked during the run


def _key_reuse(c: AuditContext) -> list[Verdict]:
    """SEC L11.4 (a) Device / (b) Organisation Certificates: no Public Key in two certificates of the kind."""
    kind = c.o.params["kind"]
    certs = [x for x in c.rec.smki.certificates if (x.device_id if kind == "device" else x.user_id)]
    if not certs:
        return [c.not_reached(f"no {kind} certificate in the SMKI Repository")]
    out, seen = [], {}
    for x in certs:
        seen.setdefault(x.key_hash, []).append(x)
    if kind == "device":
        for device_id in sorted({x.device_id for x in certs}):
            mine = [x for x in certs if x.device_id == device_id]
            shared = [x.serial for x in mine if len(seen[x.key_hash]) > 1]
            out.append(c.v("breached" if shared else "met", device_id=device_id,
                           detail=f"Public Key of certificate(s) #{', #'.join(shared)} in another Device Certificate"
                           if shared else f"{len(mine)} Device Certificate(s), each with its own Public Key"))
        return out
    shared = sorted({x.user_id for group in seen.values() if len(group) > 1 for x in group})
    return [c.v("breached" if shared else "met",
                detail=f"a Public Key in two Organisation Certificates ({', '.join(shared)})" if shared
                else f"{len(certs)} Organisation Certificates, each with its own Public Key")]


def _csr_checks(c: AuditContext) -> list[Verdict]:
    """M 2.3.1.7(a): each Device CSR's format and signature checked; none issued on a bad one; refusals logged."""
    rows = _csrs(c)
    if not rows:
        return [c.not_reached("no Device CSR reached the SMKI")]
    out = []
    for r in rows:
        if r.outcome == "issued":
            ok = r.signature_valid is True
            out.append(c.v("met" if ok else "breached", actual=r.at, device_id=r.device_id,
                           detail=f"{r.usage} CSR: signature verified, #{r.serial} issued" if ok else
                           f"{r.usage} CSR with an invalid or unreadable signature: #{r.serial} issued"))
        else:
            out.append(c.v("met" if r.reason else "breached", actual=r.at, device_id=r.device_id,
                           detail=f"{r.usage} CSR refused: {r.reason}" if r.reason else "refused, no error logged"))
    return out


def _device_limit(c: AuditContext) -> list[Verdict]:
    """M 2.3.1.8(a)(ii): a Device Certificate only while fewer than the limit were Issued for the Device ID (the
    SMKI Repository's certificates in the order lodged); a CSR refused for the limit only when it was reached."""
    limit = c.rec.smki.per_device_limit
    rows = _csrs(c)
    devices = sorted({r.device_id for r in rows})
    if not devices:
        return [c.not_reached("no Device CSR reached the SMKI")]
    out = []
    for device_id in devices:
        certs = c.rec.smki.device_certificates(device_id)
        faults = [f"#{x.serial} was the {i + 1}th" for i, x in enumerate(certs) if i >= limit]
        refused = [r for r in rows if r.device_id == device_id and r.outcome == "refused"
                   and r.issued_before is not None and "Device Certificates have already been issued" in r.reason]
        faults += [f"a CSR refused with {r.issued_before} issued" for r in refused if r.issued_before < limit]
        out.append(c.v("breached" if faults else "met", device_id=device_id,
                       actual=max((x.issued_at for x in certs if x.issued_at), default=None),
                       detail=f"beyond the limit of {limit}: {'; '.join(faults)}" if faults else
                       f"{len(certs)} Device Certificate(s) Issued, fewer than {limit} before each"
                       + (f"; {len(refused)} CSR(s) refused at the limit" if refused else "")))
    return out


def _issued_lodged(c: AuditContext) -> list[Verdict]:
    """M 2.3.1.9: an approved Device CSR's certificate Issued and lodged in the SMKI Repository."""
    issued = [r for r in _csrs(c) if r.outcome == "issued"]
    if not issued:
        return [c.not_reached("no Device Certificate was Issued in the run")]
    lodged = {x.serial for x in c.rec.smki.certificates}
    return [c.v("met" if r.serial in lodged else "breached", actual=r.at, device_id=r.device_id,
                detail=f"{r.usage} #{r.serial} " + ("in the SMKI Repository (handed to the Subscriber at once: the "
                                                     "pickup page is not simulated)" if r.serial in lodged
                                                     else "not in the SMKI Repository")) for r in issued]


def _subscriber_check(c: AuditContext) -> list[Verdict]:
    """SEC L11.6: the Subscriber took a Device Certificate that matches its CSR (Public Key, Device ID); one that
    does not must be rejected, so going on with it (a 'Obtain Device Certificate' step) is a breach."""
    issued = [r for r in _csrs(c) if r.outcome == "issued"]
    if not issued:
        return [c.not_reached("no Device Certificate was Issued in the run")]
    out = []
    for r in issued:
        took = any("SEC L11.6" in e.refs and e.device_id in (None, r.device_id) and e.at >= r.at for e in c.events)
        if r.matches_certificate is False:
            out.append(c.v("breached" if took else "met", actual=r.at, device_id=r.device_id,
                           detail=f"#{r.serial} does not match its CSR and was " + ("kept" if took else "rejected")))
        else:
            out.append(c.v("met", actual=r.at, device_id=r.device_id,
                           detail=f"{r.usage} #{r.serial} matches its CSR (Public Key, Device ID)"))
    return out


def _crr_revoked(c: AuditContext) -> list[Verdict]:
    """B 4.9.1(B): on a CRR the OCA revokes the User's Organisation Certificates (all of them revoked by then)."""
    rows = _revocations(c)
    if not rows:
        return [c.not_reached("no Certificate Revocation Request in the run")]
    out = []
    for r in rows:
        later = _replacements(c, r.user_id, r.serials)
        live = [x.serial for x in c.rec.smki.certificates if x.user_id == r.user_id and x.serial not in later
                and (x.revoked_at is None or x.revoked_at > r.revoked_at)]
        out.append(c.v("breached" if live else "met", actual=r.revoked_at,
                       detail=f"{r.user_id}: #{', #'.join(live)} not revoked" if live else
                       f"{r.user_id}: {len(r.serials) or 'no further'} certificate(s) revoked ({r.reason})"))
    return out


def _replacements(c: AuditContext, user_id: str, serials: list[str]) -> set[str]:
    """The User's certificates lodged after the last one a CRR revoked and not revoked themselves: its replacement
    certificates (SMKI Recovery, BAD 7.7.3: a CRR for the compromised certificate only, L 4.x.1.1)."""
    mine = [x for x in c.rec.smki.certificates if x.user_id == user_id]
    last = max((i for i, x in enumerate(mine) if x.serial in serials), default=None)
    return set() if last is None else {x.serial for x in mine[last + 1:] if x.revoked_at is None}


def _crr_prompt(c: AuditContext) -> list[Verdict]:
    """B 4.9.5(A): every CRR processed promptly (``params["hours"]``, a DECISION: the RAPP's time is not quoted)."""
    rows = _revocations(c)
    if not rows:
        return [c.not_reached("no Certificate Revocation Request in the run")]
    allowance = timedelta(hours=c.o.params.get("hours", 24))
    return [c.v("met" if r.requested_at <= r.revoked_at <= r.requested_at + allowance else "breached",
                due=r.requested_at + allowance, actual=r.revoked_at,
                detail=f"{r.user_id}: requested {r.requested_at:%Y-%m-%d %H:%M:%S}, revoked "
                       f"{(r.revoked_at - r.requested_at).total_seconds():g} s later") for r in rows]


def _never_reinstated(c: AuditContext) -> list[Verdict]:
    """D 8.2.1: a revoked certificate stays revoked from its first revocation, and the DCC accepts no Service
    Request from that User after it (AB 6.1(e): refused with E1)."""
    rows = _revocations(c)
    if not rows:
        return [c.not_reached("no Certificate Revocation Request in the run")]
    out = []
    by_serial = {x.serial: x for x in c.rec.smki.certificates}
    for user in dict.fromkeys(r.user_id for r in rows):
        mine = [r for r in rows if r.user_id == user]
        first = {s: r.revoked_at for r in reversed(mine) for s in r.serials}  # the earliest revocation wins
        faults = [f"#{s} no longer revoked from {at:%Y-%m-%d %H:%M:%S}" for s, at in first.items()
                  if by_serial.get(s) is None or by_serial[s].revoked_at != at]
        since = min([*first.values(), *(r.revoked_at for r in mine)])
        after = [q for q in c.rec.requests if q.originator == user and q.at > since]
        if not _replacements(c, user, list(first)):  # signed with a replacement: Confirm Validity passed it
            faults += [f"SRV {q.srv} {q.request_id} accepted after the revocation" for q in after if not q.rejected]
        codes = sorted({q.response_code or "?" for q in after if q.rejected})
        refused = f"{sum(q.rejected for q in after)} later request(s) refused ({', '.join(codes)})" if codes \
            else "no later request"
        out.append(c.v("breached" if faults else "met", actual=since, detail=f"{user}: {'; '.join(faults)}" if faults
                       else f"{user}: {len(first)} certificate(s) revoked since {since:%Y-%m-%d %H:%M:%S}; {refused}"))
    return out


def _no_device_crr(c: AuditContext) -> list[Verdict]:
    """D 8.1: Device Certificates are never revoked (no CRR names one)."""
    revoked = [x for x in c.rec.smki.certificates if x.device_id and x.revoked_at is not None]
    crrs = _revocations(c)
    if not revoked and not crrs:
        return [c.not_reached("no Certificate Revocation Request in the run")]
    return [c.v("breached" if revoked else "met", device_id=revoked[0].device_id if revoked else None,
                detail=f"Device Certificate #{revoked[0].serial} revoked" if revoked else
                f"{len(crrs)} CRR(s), all for Organisation Certificates; no Device Certificate revoked")]


def _n42(c: AuditContext) -> list[Verdict]:
    """AD 3.8.73.4 / 3.8.66.4, AB 15.3: a successful 6.21 / 6.15.1 that placed another User's certificate than the
    sender's: N42 to that User. The sender is told by the Service Response; a placed DCC or Root certificate has no
    User to tell."""
    srvs = c.o.params["srvs"]
    rows = [q for q in c.rec.requests if q.srv in srvs and not q.rejected and q.response_code == "I0"]
    if not rows:
        return [c.not_reached(f"no successful SRV {' / '.join(srvs)}")]
    out = []
    for q in rows:
        if q.placed_for is None or q.placed_for == q.originator:
            out.append(c.v("not applicable", device_id=q.target, detail=f"{q.request_id}: the sender's own "
                           "certificate placed: told by the Service Response"))
            continue
        sent = [a for a in c.rec.alerts if a.code == "N42" and a.recipient == q.placed_for
                and a.device_id == q.target and a.at >= q.at]
        out.append(c.v("met" if sent else "breached", device_id=q.target, actual=sent[0].at if sent else None,
                       detail=f"{q.request_id}: N42 to {q.placed_for}" if sent else
                       f"{q.request_id}: no N42 to {q.placed_for}, whose certificate was placed"))
    return out


def _dcs_in_use(c: AuditContext) -> list[Verdict]:
    """AD 3.8.67.4: after a successful 6.15.2 the DCC records the Device Certificates in use (its Post
    Commissioning Information, ``device_certificate_stored_at``, for the Devices it keeps it for)."""
    rows = [q for q in c.rec.requests if q.srv == "6.15.2" and not q.rejected and q.response_code == "I0"]
    if not rows:
        return [c.not_reached("no successful SRV 6.15.2")]
    out = []
    for q in rows:
        info = next((p for p in c.rec.pc_info if p.device_id == q.target), None)
        if info is None and c.rec.type_of(q.target) == "CHF":
            out.append(c.v("not assessed", device_id=q.target, detail="the DCC keeps no such record for a CHF"))
            continue
        at = info.device_certificate_stored_at if info else None
        ok = at is not None and at >= q.at
        out.append(c.v("met" if ok else "breached", device_id=q.target, actual=at,
                       detail=f"{q.request_id}: Device Certificates in use recorded" if ok else
                       f"{q.request_id}: the DCC recorded no Device Certificate in use after it"))
    return out


def _responded(c: AuditContext) -> list[Verdict]:
    """BAD 7.7.2.5.5-10: each accepted request of ``params["srvs"]`` answered with a Service Response."""
    srvs = c.o.params["srvs"]
    rows = [q for q in c.rec.requests if q.srv in srvs and not q.rejected]
    if not rows:
        return [c.not_reached(f"no SRV {' / '.join(srvs)} accepted")]
    return [c.v("met" if q.response_code else "not assessed", device_id=q.target, actual=q.completed_at,
                detail=f"SRV {q.srv} {q.request_id}: " + (f"Service Response {q.response_code}" if q.response_code
                                                           else "no Service Response by the end of the run (the "
                                                                "Device's answer is awaited)")) for q in rows]


PARTS: dict[str, Part] = {
    "key_reuse": _key_reuse, "csr_checks": _csr_checks, "device_limit": _device_limit,
    "issued_lodged": _issued_lodged, "subscriber_check": _subscriber_check, "crr_revoked": _crr_revoked,
    "crr_prompt": _crr_prompt, "never_reinstated": _never_reinstated, "no_device_crr": _no_device_crr,
    "n42": _n42, "dcs_in_use": _dcs_in_use, "responded": _responded,
}


def msc(c: AuditContext) -> list[Verdict]:
    return PARTS[c.o.params["part"]](c)
