"""SRV 6.23 'Update Security Credentials (CoS)' (BAD 7.7.1.5.4; SEC Appendix AB 6.1(g), 8, 14.2; AD 3.8.75.4): the
DCC's side of Transitional Change of Supplier. The CoS Party is its own actor (``dccsim.cos_party``).

1. At receipt the generic AB 6.1 checks (6.23 is exempt from check C, ``dccsim.eligibility``) and check (g) here:
   the User ID in each Organisation Certificate is the sender's, and the SR's MPxN is Associated with the Device.
   The User gets the Acknowledgement (a Non-Critical request: DUIS CommandVariant 1).
2. :func:`run_cos_party` (the DCC workflow's ``dcc_cos_party`` step): the DCC forwards the SR to the CoS Party in a
   Digitally Signed communication (AB 8.1(a)); the CoS Party checks it (8.1(b)) — failure: N26 to the sender, no
   Service Response, nothing further (8.3; AD 3.8.75.4) — and returns a Signed Pre-Command (8.2); the DCC checks that
   (8.4 (a)-(f)) — failure: a Service Response with ``PROCESSING_CODES["cos_spc_rejected"]`` to the sender and the
   reasons to the CoS Party unless (c) failed (8.6).
3. The Command sent to the Device is the CS02b the CoS Party signed (:meth:`UpdateSecurityCredentialsCoS.command`).
   DECISION (AB 8.1(b) "immediately prior to creating" the Signed Pre-Command; AB 14.2 "as close to the specified
   execution time as is reasonably practicable"): a future-dated 6.23 is forwarded to the CoS Party at its execution
   time, and the CoS Party's access control is then the check made at that time — a Gaining Supplier no longer (or
   not yet) the Responsible Supplier gets N26 (AD 3.8.75.4), not the generic N7.
4. On the Device's success Response (:meth:`UpdateSecurityCredentialsCoS.apply`): N27 to the Losing Supplier, its
   active DCC Schedules on the Device deleted with N17 each, its held future-dated requests for the Device cancelled
   with N38 each (AD 3.8.75.4 (a)-(c); DECISION, digest 05 §B.9.1: the Losing Supplier of either fuel).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography import x509

from dccflow.domain.devices import DeviceType
from dccflow.domain.ids import eui64_key
from dccflow.gbcs import GbcsError, der_signature, parse_pre_command, split_signed, verify_signed
from dccflow.messages import CommandSignature, GbcsCommand, GbcsResponse
from dccflow.security.pki import CertificateError, entity_id_of
from dccsim.cos_party import COS_PARTY_KEY, CosParty, CosRecord, certificates_in, forward, responsible_supplier
from dccsim.handlers.base import Ctx, Handler, Notice, Outcome, failed, reject
from dccsim.models import RegistrationData
from dccsim.pending_work import cancel_future_dated, cancel_schedules
from dccsim.rejections import PROCESSING_CODES, Check
from dccsim.smki import SmkiAuthorityKey, SmkiRepository

_D = DeviceType


class UpdateSecurityCredentialsCoS(Handler):
    """SRV 6.23 → CS02b replacing the Supplier cell, signed by the CoS Party (BAD 7.7.1.5.4; Table 11 rows 3-5)."""

    srv = "6.23"
    use_cases = {_D.ESME: "CS02b", _D.GSME: "CS02b", _D.GPF: "CS02b", _D.HCALCS: "CS02b"}
    signed_by_cos_party = True

    def check(self, ctx: Ctx) -> None:
        """AB 6.1(g) (digest 06 §E.0 check G)."""
        dev = ctx.device(ctx.target)
        try:
            certificates = certificates_in(ctx.body)
        except (ValueError, binascii.Error) as exc:
            raise reject(Check.VERIFY, f"an Organisation Certificate of the SR cannot be read: {exc}") from None
        for name, cert in certificates.items():
            if entity_id_of(cert) != ctx.originator:
                raise reject(Check.COS_REQUEST, f"the {name} is {entity_id_of(cert)}'s, not the sender "
                                                f"{ctx.originator}'s (AB 6.1(g))")
        mpxn = ctx.body.get("ImportMPxN")
        if mpxn not in ctx.inventory.linked_mpxns(dev):
            raise reject(Check.COS_REQUEST, f"MPxN {mpxn} is not Associated with {dev.device_type} {dev.device_id} "
                                            "on the SMI (AB 6.1(g))")

    def command_params(self, ctx: Ctx) -> dict:
        certs = ctx.body["SupplierReplacementCertificates"]
        params = {"remote_party_role": "Supplier", "certificate": certs["DigitalSigningCertificate"],
                  "certification_path": list((ctx.body.get("CertificationPathCertificates") or {})
                                             .get("Certificate") or [])}
        if certs.get("KeyAgreementCertificate"):
            params["key_agreement_certificate"] = certs["KeyAgreementCertificate"]
        if certs.get("KeyAgreementTopUpCertificate"):
            params["key_agreement_top_up_certificate"] = certs["KeyAgreementTopUpCertificate"]
        return params

    def transformed(self, ctx: Ctx) -> GbcsCommand:
        """The CS02b the DCC Transforms the SR into, before anyone signs it."""
        return super().command(ctx)

    def command(self, ctx: Ctx) -> GbcsCommand:
        """The Command sent (AB 8.5): the Signed Pre-Command the CoS Party made and the DCC accepted."""
        record = ctx.session.get(CosRecord, ctx.request_id)
        if record is None or record.spc is None or record.spc_outcome != "passed":
            raise RuntimeError(f"no accepted CoS Signed Pre-Command for {ctx.request_id} (AB 8.5)")
        if record.command_sent_at is None:
            record.command_sent_at = ctx.at
            ctx.session.add(record)
        payload, rs = split_signed(record.spc)
        issuer, _, serial = (record.spc_signer or "").rpartition(" #")
        return GbcsCommand(**parse_pre_command(payload), signature=CommandSignature(
            signer_issuer=issuer, signer_serial=serial, value_b64=base64.b64encode(der_signature(rs)).decode()))

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure  # BAD 7.7.1.5.4: no N27 / N17 / N38; the Losing Supplier's certificate stays
        return Outcome(notices=after_success(ctx), detail=f"Supplier cell of {ctx.target} holds "
                                                          f"{ctx.originator}'s certificate")


def losing_supplier(ctx: Ctx, mpxn: str) -> str | None:
    """The Supplier registered for ``mpxn`` immediately before the Gaining Supplier's registration in force at the
    relevant time (AD 3.8.75.4(a): "the old registered Import Supplier or Gas Supplier")."""
    rows: list[RegistrationData] = ctx.registration.rows(mpxn)
    gaining = ctx.registration.at(mpxn, ctx.relevant_time)
    if gaining is None:
        return None
    before = [r for r in rows if r.effective_from < gaining.effective_from and r.supplier_id != gaining.supplier_id]
    return before[-1].supplier_id if before else None


def after_success(ctx: Ctx) -> list[Notice]:
    """AD 3.8.75.4 (a)-(c) for the Device of the SR, and the record of who the Losing Supplier was."""
    mpxn = ctx.body.get("ImportMPxN")
    record = ctx.session.get(CosRecord, ctx.request_id)
    loser = losing_supplier(ctx, mpxn) if mpxn else None
    if record is not None:
        record.losing_supplier, record.n27_at = loser, ctx.at if loser else None
        ctx.session.add(record)
    if loser is None:
        return []
    dev = ctx.inventory.get(ctx.target)
    # DECISION (digest 05 §B.9.1): the Losing Supplier of either fuel, as the BAD reads, not AD (b)'s "Import
    # Supplier" only
    schedules = cancel_schedules(ctx.session, [dev.device_id], "N17", ctx.at, "CoS", owner=loser)
    requests = cancel_future_dated(ctx.session, [dev.device_id], "N38", ctx.at, originator=loser)
    if record is not None:
        record.cancelled_schedules = [n.data["schedule_id"] for n in schedules]
        record.cancelled_requests = [n.data["cancelled_request_id"] for n in requests]
    return [Notice("N27", loser, dev.device_id, {"device_type": dev.device_type, "mpxn": mpxn}, names_request=False),
            *schedules, *requests]


# -- the DCC workflow's CoS step (AB 8.1-8.6) -------------------------------------------------------------------
@dataclass
class CosStep:
    """What the CoS step decided: ``None`` code and no notices — go on and send the Command."""

    stopped: str | None = None
    notices: list[Notice] | None = None
    response_code: str | None = None


class SpcRejected(Exception):
    def __init__(self, clause: str, reason: str):
        self.clause, self.reason = clause, reason
        super().__init__(f"AB {clause}: {reason}")


def run_cos_party(ctx: Ctx, xml: bytes, smki: SmkiRepository, cos_party: CosParty) -> CosStep:
    """Forward to the CoS Party, let it check and sign, check its Signed Pre-Command; record each actor's part."""
    handler = UpdateSecurityCredentialsCoS()
    record = ctx.session.get(CosRecord, ctx.request_id) or CosRecord(
        request_id=ctx.request_id, sender=ctx.originator, device_id=eui64_key(ctx.target),
        mpxn=ctx.body.get("ImportMPxN"), execution_at=ctx.execution_at)
    if record.cos_outcome is None:
        message = forward(xml, smki.dcc_credential())  # AB 8.1(a)
        record.forwarded_at, record.forward_signer = ctx.at, message.signer
        decision = cos_party.check_and_sign(ctx.session, message, handler.transformed(ctx), ctx.at)  # 8.1(b), 8.2
        record.cos_checked_at, record.cos_outcome = ctx.at, "passed" if decision.passed else "failed"
        record.cos_reason, record.spc, record.spc_signer = decision.reason, decision.spc, decision.spc_signer
    # else a retried step: what each actor did is recorded; the outcome is derived from it again
    if record.cos_outcome == "failed" or record.spc is None:  # AB 8.3: N26 to the sender, nothing further
        ctx.session.add(record)
        return CosStep(stopped="N26", notices=[Notice("N26", ctx.originator, eui64_key(ctx.target),
                                                      {"reason": record.cos_reason})])
    if record.spc_outcome is None:
        _check_spc(ctx, record, smki)
    ctx.session.add(record)
    if record.spc_outcome == "failed":  # AB 8.6(c): the sender is told with a Service Response
        return CosStep(stopped=PROCESSING_CODES["cos_spc_rejected"],
                       response_code=PROCESSING_CODES["cos_spc_rejected"])
    return CosStep()


def _check_spc(ctx: Ctx, record: CosRecord, smki: SmkiRepository) -> None:
    record.spc_checked_at = ctx.at
    try:
        record.spc_signer = check_signed_pre_command(ctx, record.spc, smki)
        record.spc_outcome = "passed"
    except SpcRejected as exc:  # AB 8.6
        record.spc_outcome, record.spc_failed_check, record.spc_reason = "failed", exc.clause, exc.reason
        record.cos_party_notified = exc.clause != "8.4(c)"  # (b): not where it did not come from the CoS Party


def _cos_party_certificate(ctx: Ctx) -> x509.Certificate:
    row = ctx.session.get(SmkiAuthorityKey, COS_PARTY_KEY)
    if row is None:
        raise RuntimeError("the DCC knows no Transitional CoS certificate (devices.anchors.ensure_dcc_anchor_"
                           "credentials not run)")
    return x509.load_pem_x509_certificate(row.cert_pem)


def check_signed_pre_command(ctx: Ctx, spc: bytes, smki: SmkiRepository) -> str:
    """AB 8.4 (a)-(f) on the CoS Party's Signed Pre-Command, (c) first: a message that did not come from the CoS
    Party is not read further. Returns the signer ("issuer #serial"); raises :class:`SpcRejected`."""
    cos_cert = _cos_party_certificate(ctx)
    try:  # (c) Check Cryptographic Protection: signed with the CoS Party's (Transitional CoS) key
        payload, _signature = verify_signed(spc, cos_cert.public_key())
    except GbcsError as exc:
        raise SpcRejected("8.4(c)", f"not signed by the CoS Party: {exc}") from None
    try:  # (d)
        smki.confirm_validity(cos_cert, ctx.at, session=ctx.session)
    except CertificateError as exc:
        raise SpcRejected("8.4(d)", f"the CoS Party's certificate: {exc}") from None
    try:
        fields = parse_pre_command(payload)
        spc_body = fields["params"].get("request_body") or {}
        in_spc = certificates_in(spc_body)
    except (GbcsError, ValueError, binascii.Error) as exc:
        raise SpcRejected("8.4(a)", f"unreadable: {exc}") from None
    in_sr = certificates_in(ctx.body)
    # (a) the User ID in each Organisation Certificate is that of the corresponding one in the SR
    if sorted(in_spc) != sorted(in_sr) or any(entity_id_of(in_spc[n]) != entity_id_of(in_sr[n]) for n in in_sr):
        raise SpcRejected("8.4(a)", "its Organisation Certificates are not those of the SR")
    # (b) the same Device
    if eui64_key(str(fields["target"])) != eui64_key(ctx.target):
        raise SpcRejected("8.4(b)", f"it is for {fields['target']}, the SR for {ctx.target}")
    for name, cert in in_spc.items():  # (e) every certificate it contains is Valid
        try:
            smki.confirm_validity(cert, ctx.at, session=ctx.session)
        except CertificateError as exc:
            raise SpcRejected("8.4(e)", f"the {name}: {exc}") from None
    # (f) each User ID is the Responsible Supplier via the SMI's MPxN and Registration Data, at execution or now
    dev = ctx.inventory.get(ctx.target)
    suppliers = {responsible_supplier(ctx.session, m, ctx.relevant_time) for m in ctx.inventory.linked_mpxns(dev)}
    for name, cert in in_spc.items():
        if entity_id_of(cert) not in suppliers:
            raise SpcRejected("8.4(f)", f"the {name} is {entity_id_of(cert)}'s; the Responsible Supplier for the "
                                        f"Device's MPxN is {', '.join(sorted(s or 'nobody' for s in suppliers))}")
    return f"{cos_cert.issuer.rfc4514_string()} #{cos_cert.serial_number}"

