"""The audit activity's reading of the SMKI's records (BAD 7.7.2; ``dccflow.audit_smki_records``): the SMKI
Repository (``dccsim.models.SmkiCertificate``), the Device CSR log and the Certificate Revocation Requests
(``dccsim.smki``), and, for a 6.21 / 6.15.1 in the request log, whose Organisation Certificate it placed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlmodel import select

from dccflow.audit_smki_records import CertificateRec, CrrRec, CsrRec, SmkiRecords
from dccflow.moments import as_utc

_PLACED = re.compile(rb"DigitalSigningCertificate>\s*([A-Za-z0-9+/=\s]+?)\s*<")


def _key_hash(key) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def placed_for(srv: str | None, xml: bytes) -> str | None:
    """The User ID whose Digital Signing Organisation Certificate a 6.21 / 6.15.1 places in a cell (its subject)."""
    from dccflow.security.pki import entity_id_of

    if srv not in ("6.21", "6.15.1") or not (m := _PLACED.search(xml or b"")):
        return None
    try:
        return entity_id_of(x509.load_der_x509_certificate(base64.b64decode(b"".join(m.group(1).split()))))
    except (ValueError, binascii.Error):
        return None


def smki_records(s, device_ids: set[str]) -> SmkiRecords:
    """The run's Devices' certificates and CSRs, every Organisation Certificate and every Revocation Request."""
    from dccflow.domain.credentials import DEVICE_CERTIFICATE_LIMITS
    from dccflow.parties import USERS
    from dccsim.models import SmkiCertificate
    from dccsim.smki_records import SmkiCsrRecord, SmkiRevocationRequest

    certificates = []
    # the audited Devices' and the Parties' certificates only, by the indexed subject: the repository holds every
    # Device's of the fleet, and an audit must not grow with it
    subjects = sorted(set(device_ids) | set(USERS))
    for row in s.exec(select(SmkiCertificate).where(SmkiCertificate.is_ca == False,  # noqa: E712
                                                    SmkiCertificate.subject_entity_id.in_(subjects))
                      .order_by(SmkiCertificate.id)):
        device = row.subject_entity_id if row.subject_entity_id in device_ids else None
        user = row.subject_entity_id if row.subject_entity_id in USERS else None
        cert = x509.load_pem_x509_certificate(row.pem)
        certificates.append(CertificateRec(serial=row.serial, device_id=device, user_id=user, usage=row.usage,
                                           issued_at=cert.not_valid_before_utc, revoked_at=as_utc(row.revoked_at),
                                           key_hash=_key_hash(cert.public_key())))
    by_serial = {c.serial: c for c in certificates}
    csrs = []
    for row in s.exec(select(SmkiCsrRecord).where(SmkiCsrRecord.device_id.in_(device_ids))
                      .order_by(SmkiCsrRecord.id)):
        valid = matches = None
        try:
            csr = x509.load_der_x509_csr(row.csr_der)
            valid = csr.is_signature_valid
            issued = by_serial.get(row.serial or "")
            if issued is not None:
                matches = issued.key_hash == _key_hash(csr.public_key()) and issued.device_id == row.device_id
        except ValueError:
            pass
        csrs.append(CsrRec(device_id=row.device_id, usage=row.usage, at=as_utc(row.at), outcome=row.outcome,
                           reason=row.reason, issued_before=row.issued_before, serial=row.serial,
                           signature_valid=valid, matches_certificate=matches))
    revocations = [CrrRec(user_id=r.user_id, reason=r.reason, requested_at=as_utc(r.requested_at),
                          revoked_at=as_utc(r.revoked_at), serials=list(r.serials or []))
                   for r in s.exec(select(SmkiRevocationRequest).order_by(SmkiRevocationRequest.id))]
    return SmkiRecords(certificates=certificates, csrs=csrs, revocations=revocations,
                       per_device_limit=DEVICE_CERTIFICATE_LIMITS.per_device)
