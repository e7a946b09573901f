"""The DCC's side of an Issuing OCA compromise (BAD 7.7.3.4.8; SEC Appendix L 6.3 as the BAD quotes it; digest 05 §D.8):

* ``recovery_new_issuing_oca`` — L 6.3.1.7, 6.3.2.3: the compromised Issuing OCA Private Key destroyed, a new Issuing
  OCA under the same Root lodged and made the SMKI's (``ca``; the DCC's own signing certificate ``dcc`` re-issued under
  it); from then on every certificate the SMKI issues — the new Recovery Certificate (L 6.3.2.4), the Subscribers'
  replacements (L 6.3.2.7) — is signed by the new one. The old certificate is kept (``ca-replaced-<incident>``, no
  key) for its revocation;
* ``recovery_revoke_issuing_oca`` — L 6.3.1.7, 6.3.2.9(c): its revocation, lodged in the Organisation ARL (the
  Repository's ``revoked_at``). DECISION (like Method 1's, ``dccflow.domain.recovery`` decision 2): the DCC revokes it
  once the Subscribers have replaced their certificates: revoked at once, the DCC's Confirm Validity (AB 6.1(e))
  would refuse the very 6.15.1 the Subscribers send, signed with the certificates it issued that the cells still hold.
  Until then the SMKI validates both (``SmkiRepository._earlier_issuing_ca``).
Both idempotent.
"""

from __future__ import annotations

from cryptography import x509
from pydantic import BaseModel
from sqlmodel import select
from temporalio import activity

from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.parties import DCC_ID
from dccflow.security.pki import Credential, KeyUsageKind, create_issuing_ca, issue_organisation_certificate
from dccsim.models import SmkiCertificate
from dccsim.smki import DCC_ROLE_CODE, PKI_EPOCH, SmkiAuthorityKey
from dccsim.smki_recovery_keys import Hierarchy, OnDcc


class NewIssuingOca(BaseModel):
    replaced_serial: str
    serial: str


class RevokedOca(BaseModel):
    serial: str = ""  # "" when revoked already


def _replaced(incident_id: str) -> str:
    return f"ca-replaced-{incident_id}"


class IssuingOcaActivities(OnDcc):

    @activity.defn
    async def recovery_new_issuing_oca(self, req: Hierarchy) -> NewIssuingOca:
        from devices.anchors import repository_row

        with session_scope(self.engine) as s:
            ca_row, kept = s.get(SmkiAuthorityKey, "ca"), s.get(SmkiAuthorityKey, _replaced(req.incident_id))
            if kept is None:
                root_row = s.get(SmkiAuthorityKey, "root")
                root = Credential.from_pem(root_row.key_pem, root_row.cert_pem)
                ca = create_issuing_ca(root, f"SMKI Issuing OCA (dccflow, {req.incident_id})", not_before=PKI_EPOCH,
                                       valid_days=40 * 365)
                dcc = issue_organisation_certificate(ca, entity_id=DCC_ID, role_code=DCC_ROLE_CODE,
                                                     usage=KeyUsageKind.DIGITAL_SIGNING, organisation="DCC",
                                                     not_before=PKI_EPOCH, valid_days=30 * 365)
                kept = SmkiAuthorityKey(name=_replaced(req.incident_id), key_pem=b"", cert_pem=ca_row.cert_pem)
                s.add(kept)  # the compromised key: destroyed (no key kept)
                ca_row.key_pem, ca_row.cert_pem = ca.key_pem(), ca.cert_pem()
                dcc_row = s.get(SmkiAuthorityKey, "dcc")
                dcc_row.key_pem, dcc_row.cert_pem = dcc.key_pem(), dcc.cert_pem()
                s.add_all([ca_row, dcc_row, repository_row(ca.cert, is_ca=True), repository_row(dcc.cert)])
            old = x509.load_pem_x509_certificate(kept.cert_pem)
            new = x509.load_pem_x509_certificate(ca_row.cert_pem)
        self.dcc.smki.forget_authorities()
        return NewIssuingOca(replaced_serial=str(old.serial_number), serial=str(new.serial_number))

    @activity.defn
    async def recovery_revoke_issuing_oca(self, req: Hierarchy) -> RevokedOca:
        with session_scope(self.engine) as s:
            kept = s.get(SmkiAuthorityKey, _replaced(req.incident_id))
            if kept is None:
                return RevokedOca()
            old = x509.load_pem_x509_certificate(kept.cert_pem)
            row = s.exec(select(SmkiCertificate).where(SmkiCertificate.issuer == old.issuer.rfc4514_string(),
                                                       SmkiCertificate.serial == str(old.serial_number))).first()
            if row is None or row.revoked_at is not None:
                return RevokedOca()
            row.revoked_at = activity_now()
            s.add(row)
        self.dcc.smki.forget_authorities()
        return RevokedOca(serial=str(old.serial_number))


def issuing_oca_activities(dcc) -> list:
    acts = IssuingOcaActivities(dcc)
    return [acts.recovery_new_issuing_oca, acts.recovery_revoke_issuing_oca]
