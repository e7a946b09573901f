"""The SMKI as the simulated DCC runs it: Root and issuing CA, Organisation Certificates for every Party's
roles and for the DCC, and a persisted repository where certificates are looked up by issuer and serial.

Private keys of Users never enter the DCC's tables: ``issue_user_credentials`` hands them to the User side
(``activities.store``), as a Party generating its own key and having its certificate issued would.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from dccflow.db import session_scope
from dccflow.domain.credentials import (
    DEVICE_CERTIFICATE_LIMITS,
    DeviceCertificateLimits,
    check_device_certificate_count,
)
from dccflow.moments import as_utc
from dccflow.parties import USERS
from dccflow.prepared import Prepared
from dccflow.security.per_certificate import per_certificate
from dccflow.security.pki import (
    CertificateError,
    Credential,
    KeyUsageKind,
    create_issuing_ca,
    create_root,
    entity_id_of,
    issue_device_certificate,
    issue_organisation_certificate,
    key_usage_of,
    role_code_of,
    verify_path,
)
from dccsim.models import SmkiCertificate
from dccsim.smki_authority import AuthorityGeneration, SmkiAuthorityGeneration, SmkiAuthorityKey
from dccsim.smki_records import SmkiCsrRecord, SmkiRevocationRequest

__all__ = ["SmkiAuthorityGeneration", "SmkiAuthorityKey", "SmkiCsrRecord", "SmkiRepository", "SmkiRevocationRequest"]

_certificates = SmkiCertificate.__table__


@functools.cache
def _revoked_among_statement(count: int):
    """Revoked certificates among ``count`` serials, ``:s0``…  (``smki_certificate.serial`` is indexed): one
    statement per count, compiled once (an expanding IN would be rendered again at every execution)."""
    return sa_select(_certificates.c.serial, _certificates.c.revoked_at).where(
        _certificates.c.serial.in_([bindparam(f"s{i}") for i in range(count)]),
        _certificates.c.revoked_at.is_not(None))


@functools.cache
def _revoked_among_prepared(count: int) -> Prepared:
    """``_revoked_among_statement`` compiled once per dialect and run on the driver (``dccflow.prepared``)."""
    return Prepared(_revoked_among_statement(count))


@per_certificate
def _der(cert: x509.Certificate) -> bytes:
    """A certificate's DER, encoded once (certificates are immutable)."""
    return cert.public_bytes(serialization.Encoding.DER)


#: a subject's newest unrevoked Organisation Certificate for a key usage (``organisation_certificate``)
_NEWEST_ORGANISATION_CERTIFICATE = Prepared(sa_select(_certificates.c.pem).where(
    _certificates.c.subject_entity_id == bindparam("entity_id"), _certificates.c.usage == bindparam("usage"),
    _certificates.c.is_ca.is_(False), _certificates.c.revoked_at.is_(None)).order_by(_certificates.c.id.desc())
    .limit(1))


@per_certificate
def _fingerprint(cert: x509.Certificate) -> bytes:
    """A certificate's SHA-256 fingerprint, computed once (the key of the verified paths)."""
    return cert.fingerprint(hashes.SHA256())


@functools.lru_cache(maxsize=4096)
def _parsed(pem: bytes | str) -> x509.Certificate:
    """A certificate parsed once (certificates are immutable; a drill places the same few in thousands of cells)."""
    return x509.load_pem_x509_certificate(pem if isinstance(pem, bytes) else pem.encode())


@dataclass(frozen=True)
class _VerifiedPath:
    """A certificate's path to a Root as Confirm Validity verified it, kept for the keys' generation (their
    replacement clears it, ``SmkiRepository.forget_authorities``): the certificates' signatures and names do not
    change; their revocation and the time are checked on every request."""

    issuing: x509.Certificate
    anchor: x509.Certificate
    #: the serials whose revocation fails the path (the certificate's and its Issuing OCA's)
    serials: frozenset[int]
    #: the window in which every certificate of the path is in date
    not_before: datetime
    not_after: datetime


#: Certificates of the simulation are valid from this instant, so any virtual clock after it works.
PKI_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
DCC_ROLE_CODE = "DCC"


def _cert_row(cert: x509.Certificate, *, is_ca: bool = False) -> SmkiCertificate:
    return SmkiCertificate(
        issuer=cert.issuer.rfc4514_string(),
        serial=str(cert.serial_number),
        subject_entity_id=None if is_ca else entity_id_of(cert),
        role_code=None if is_ca else role_code_of(cert),
        usage=None if is_ca else (key_usage_of(cert).value if key_usage_of(cert) else None),
        is_ca=is_ca,
        pem=cert.public_bytes(serialization.Encoding.PEM),
    )


class SmkiRepository:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._cache: dict[tuple[str, str], x509.Certificate] = {}
        self._found: dict[tuple[str, int], x509.Certificate] = {}  # by the look-up key as given
        self._authorities: dict[str, Credential] = {}  # a cache, as of ``_generation``
        self._generation: int | None = None
        self._read_generation = AuthorityGeneration(engine)
        #: certificates whose path to the Root has been verified: fingerprint -> the window in which every
        #: certificate of the path is in date. Signatures and names never change; revocation is checked
        #: against the repository on every call.
        self._verified_paths: dict[bytes, _VerifiedPath] = {}

    # -- authority ------------------------------------------------------------------------------------
    def _authority(self, name: str, session: Session | None = None) -> Credential | None:
        """The authority key ``name`` as of the keys' generation now, or as ``session``'s transaction sees it
        (``AuthorityGeneration.in_transaction``): written by another process since read, they are read again."""
        generation = self._read_generation() if session is None else self._read_generation.in_transaction(session)
        if generation != self._generation:
            self.forget_authorities()
            self._generation = generation
        if name in self._authorities:
            return self._authorities[name]
        with session_scope(self.engine) as s:
            row = s.get(SmkiAuthorityKey, name)
            cred = Credential.from_pem(row.key_pem, row.cert_pem) if row else None
        if cred is not None:
            self._authorities[name] = cred
        return cred

    def ensure_authorities(self, dcc_entity_id: str) -> None:
        """Create the Root, the issuing CA and the DCC's digital-signing certificate once."""
        if self._authority("root") is not None:
            return
        # the Root embeds the wrappedApexContingencyKey (SMKI Recovery's Contingency method, dccsim.smki_contingency)
        from dccsim.smki_contingency import contingency_rows

        contingency, extension = contingency_rows()
        root = create_root("SMKI Root (dccflow)", not_before=PKI_EPOCH, valid_days=40 * 365, extensions=(extension,))
        # as long-lived as the Root, so that simulations skipping years of virtual time stay inside the path
        ca = create_issuing_ca(root, "SMKI Issuing OCA (dccflow)", not_before=PKI_EPOCH, valid_days=40 * 365)
        dcc = issue_organisation_certificate(
            ca, entity_id=dcc_entity_id, role_code=DCC_ROLE_CODE, usage=KeyUsageKind.DIGITAL_SIGNING,
            organisation="DCC", not_before=PKI_EPOCH, valid_days=30 * 365,
        )
        with session_scope(self.engine) as s:
            for name, cred in (("root", root), ("ca", ca), ("dcc", dcc)):
                s.add(SmkiAuthorityKey(name=name, key_pem=cred.key_pem(), cert_pem=cred.cert_pem()))
            s.add_all(SmkiAuthorityKey(name=name, key_pem=key_pem, cert_pem=cert_pem)
                      for name, key_pem, cert_pem in contingency)
            s.add(_cert_row(root.cert, is_ca=True))
            s.add(_cert_row(ca.cert, is_ca=True))
            s.add(_cert_row(dcc.cert))

    def forget_authorities(self) -> None:
        """The authority keys were replaced (SMKI Recovery's Contingency method moves the SMKI to a new Root and
        Issuing OCA, ``dccsim.smki_recovery_keys.adopt_hierarchy``): read them again; verify paths again."""
        self._authorities.clear()
        self._verified_paths.clear()

    def _earlier_issuing_ca(self, name: x509.Name) -> x509.Certificate | None:
        """An Issuing OCA Certificate of the Repository other than the current one, by subject: after an Issuing OCA
        compromise (BAD 7.7.3.4.8) the Subscribers' certificates it issued stay valid until the OCA is revoked
        (``dccsim.smki_recovery_keys``), which Confirm Validity then sees."""
        with session_scope(self.engine) as s:
            rows = s.exec(select(SmkiCertificate).where(SmkiCertificate.is_ca == True)).all()  # noqa: E712
        return next((c for row in rows if (c := x509.load_pem_x509_certificate(row.pem)).subject == name), None)

    def dcc_credential(self, session: Session | None = None) -> Credential:
        """The DCC's digital-signing key and certificate; as ``session``'s transaction sees the keys, if given."""
        cred = self._authority("dcc", session)
        if cred is None:
            raise RuntimeError("the SMKI has not been initialised (SmkiRepository.ensure_authorities)")
        return cred

    def issue_user_credentials(self, *, user_id: str, role_code: str, organisation: str) -> Credential:
        """Issue a digital-signing Organisation Certificate for a User acting in one role."""
        ca = self._authority("ca")
        if ca is None:
            raise RuntimeError("the SMKI has not been initialised")
        cred = issue_organisation_certificate(
            ca, entity_id=user_id, role_code=role_code, usage=KeyUsageKind.DIGITAL_SIGNING,
            organisation=organisation, not_before=PKI_EPOCH, valid_days=30 * 365,
        )
        with session_scope(self.engine) as s:
            s.add(_cert_row(cred.cert))
        return cred

    # -- look-up and validity -------------------------------------------------------------------------
    def find(self, issuer: str, serial: int) -> x509.Certificate | None:
        cert = self._found.get((issuer, serial))  # certificates never change (revocation is checked apart)
        if cert is not None:
            return cert
        key = (x509.Name.from_rfc4514_string(issuer).rfc4514_string(), str(serial))
        cert = self._cache.get(key)
        if cert is not None:
            self._found[(issuer, serial)] = cert
            return cert
        with session_scope(self.engine) as s:
            row = s.exec(
                select(SmkiCertificate).where(SmkiCertificate.issuer == key[0], SmkiCertificate.serial == key[1])
            ).first()
        if row is None:
            return None
        cert = x509.load_pem_x509_certificate(row.pem)
        self._cache[key] = self._found[(issuer, serial)] = cert
        return cert

    def revoke(self, cert: x509.Certificate, at: datetime) -> None:
        with session_scope(self.engine) as s:
            row = s.exec(
                select(SmkiCertificate).where(
                    SmkiCertificate.issuer == cert.issuer.rfc4514_string(),
                    SmkiCertificate.serial == str(cert.serial_number),
                )
            ).one()
            row.revoked_at = at
            s.add(row)

    def revoke_organisation_certificates(self, entity_id: str, at: datetime, *, requested_at: datetime | None = None,
                                         reason: str = "") -> list[str]:
        """'Revoke Organisation Certificate' (BAD 7.7.2.5.4): the OCA revokes every Organisation Certificate of
        the subject ``entity_id`` (a User ID) not yet revoked, from ``at``, and the Organisation CRL (the
        repository's ``revoked_at``) shows it; from then on the DCC's Confirm Validity refuses a request signed
        with one (AB 6.1(e)). Permanent: a revoked certificate is never reinstated, and revoking again keeps the
        first revocation time (SEC Appendix D 8.2.1; REV-10). A request that revokes something is logged with its time
        (``requested_at``, default ``at``) and the revocation's (:class:`SmkiRevocationRequest`). Returns the serials
        revoked by this call."""
        if entity_id not in USERS:  # SEC Appendix D 8.1: no CRR for a Device Certificate (REV-12)
            raise ValueError(f"{entity_id} is not a DCC User: only Organisation Certificates are revoked "
                             "(Device Certificates cannot be, BAD 7.7.2.5.4)")
        with session_scope(self.engine) as s:
            rows = s.exec(select(SmkiCertificate).where(
                SmkiCertificate.subject_entity_id == entity_id, SmkiCertificate.is_ca == False,  # noqa: E712
                SmkiCertificate.revoked_at == None)).all()  # noqa: E711
            for row in rows:
                row.revoked_at = at
                s.add(row)
            serials = [row.serial for row in rows]
            if serials:  # a retry, or a request finding all revoked already, changes nothing and is not logged again
                s.add(SmkiRevocationRequest(user_id=entity_id, reason=reason, requested_at=requested_at or at,
                                            revoked_at=at, serials=serials))
            return serials

    def revoked_serials(self, at: datetime) -> set[int]:
        with session_scope(self.engine) as s:
            rows = s.exec(select(SmkiCertificate).where(SmkiCertificate.revoked_at != None)).all()  # noqa: E711
        return {int(r.serial) for r in rows if r.revoked_at is not None and as_utc(r.revoked_at) <= at}

    def _revoked_among(self, serials: set[int], at: datetime, session: Session | None = None) -> set[int]:
        """Which of ``serials`` the repository has revoked by ``at``: one indexed look-up, read in the caller's
        session when one is given: it sees every revocation committed by any process before it."""
        statement = _revoked_among_prepared(len(serials))
        params = {f"s{i}": str(n) for i, n in enumerate(serials)}
        if session is not None:
            rows = statement.all(session.connection(), params)
        else:
            with self.engine.connect() as conn:
                rows = statement.all(conn, params)
        return {int(serial) for serial, revoked_at in rows if as_utc(revoked_at) <= at}

    def confirm_validity(self, cert: x509.Certificate, at: datetime, *, session: Session | None = None) -> None:
        """'Confirm Validity' (AB 6.1(e)): path to the Root, validity period, revocation.

        The path (the Issuing OCA and Root the certificate chains to) is found and its signatures verified once per
        certificate and keys' generation (cached by SHA-256 fingerprint, in process: a certificate's signature and
        names never change); every call still checks the validity window at
        ``at`` and asks the repository, on ``session``'s connection if given, whether a certificate of the
        path has been revoked: a revocation by any process is seen by the next request."""
        root, ca = self._authority("root", session), self._authority("ca", session)  # the generation checked
        if root is None or ca is None:
            raise CertificateError("the SMKI has not been initialised")
        fingerprint = _fingerprint(cert)
        known = self._verified_paths.get(fingerprint)  # this generation's verified path of ``cert``
        if known is not None:
            issuing, anchor = known.issuing, known.anchor
        else:
            issuing = ca.cert if cert.issuer == ca.cert.subject else \
                self._earlier_issuing_ca(cert.issuer) or ca.cert
            # two Roots during a Contingency key rollover (BAD 7.7.3.4.6): an Issuing OCA under the replaced Root (not
            # revoked, digest 05 §D.6 notes) still validates; a revoked Root fails through its Issuing OCA's revocation
            anchor = root.cert if issuing.issuer == root.cert.subject else self._earlier_issuing_ca(issuing.issuer)
            anchor = anchor or root.cert
        revoked = self._revoked_among(known.serials if known is not None else
                                      {cert.serial_number, issuing.serial_number}, at, session)
        if known is None or revoked or not known.not_before <= at <= known.not_after:
            verify_path(cert, [issuing], anchor, at=at, revoked_serials=revoked)  # raises with the reason
            path = (cert, issuing, anchor)
            self._verified_paths[fingerprint] = _VerifiedPath(
                issuing=issuing, anchor=anchor, serials=frozenset({cert.serial_number, issuing.serial_number}),
                not_before=max(c.not_valid_before_utc for c in path),
                not_after=min(c.not_valid_after_utc for c in path))

    # -- Device Certificates and Organisation Certificates by subject (BAD 7.7.2.5.3, 7.7.2.5.5-6) ------------
    #: BAD 7.7.2.5.3: the DCC checks that fewer than 100 Device Certificates have been issued for the Device ID
    #: (``dccflow.domain.credentials.DEVICE_CERTIFICATE_LIMITS``; a repository may be given other limits)
    limits: DeviceCertificateLimits = DEVICE_CERTIFICATE_LIMITS

    def issue_device_certificate(self, csr_der: bytes, device_id: str, usage: KeyUsageKind,
                                 at: datetime) -> x509.Certificate:
        """'Obtain Device Certificate' (BAD 7.7.2.5.3): verify the Device CSR, check the per-Device limit, issue
        the Device Certificate with the issuing CA and lodge it in the SMKI Repository. Raises
        ``CertificateError`` (format, signature, content) or ``DeviceCertificateLimitReached`` (a ``ValueError``)."""
        ca = self._authority("ca")
        if ca is None:
            raise RuntimeError("the SMKI has not been initialised")
        log = SmkiCsrRecord(device_id=device_id, usage=usage.value, at=at, csr_der=csr_der, outcome="refused")
        try:
            try:
                csr = x509.load_der_x509_csr(csr_der)
            except ValueError as exc:
                raise CertificateError("bad csr", f"unreadable Device CSR: {exc}") from exc
            with session_scope(self.engine) as s:
                log.issued_before = len(s.exec(select(SmkiCertificate.id).where(
                    SmkiCertificate.subject_entity_id == device_id, SmkiCertificate.is_ca == False)).all())  # noqa: E712
            check_device_certificate_count(device_id, log.issued_before, self.limits)  # DeviceCertificateLimitReached
            cert = issue_device_certificate(ca, csr, device_id=device_id, usage=usage, not_before=at)
        except (CertificateError, ValueError) as exc:
            log.reason = str(exc)
            with session_scope(self.engine) as s:  # the refusal is logged (M 2.3.1.7(a)(ii)); nothing is lodged
                s.add(log)
            raise
        log.outcome, log.serial = "issued", str(cert.serial_number)
        with session_scope(self.engine) as s:
            s.add(_cert_row(cert))
            s.add(log)
        return cert

    def organisation_certificate(self, entity_id: str,
                                 usage: KeyUsageKind = KeyUsageKind.DIGITAL_SIGNING) -> x509.Certificate | None:
        """The newest unrevoked Organisation Certificate of a subject (a User ID) for a key usage."""
        with self.engine.connect() as conn:
            row = _NEWEST_ORGANISATION_CERTIFICATE.first(conn, {"entity_id": entity_id, "usage": usage.value})
        return _parsed(row[0]) if row is not None else None

    def certification_path(self) -> list[x509.Certificate]:
        """The certification path of an Organisation Certificate: the issuing CA then the Root."""
        root, ca = self._authority("root"), self._authority("ca")
        if root is None or ca is None:
            raise RuntimeError("the SMKI has not been initialised")
        return [ca.cert, root.cert]

    def organisation_certificate_der(self, entity_id: str) -> tuple[bytes, list[bytes]]:
        """``(certificate, certification path)`` as DER for a User's Digital Signing Organisation Certificate:
        what a Service Request that places it in a trust anchor cell carries (``activities.compose``)."""
        cert = self.organisation_certificate(entity_id)
        if cert is None:
            raise LookupError(f"the SMKI Repository holds no Digital Signing Organisation Certificate of {entity_id}")
        return _der(cert), [_der(c) for c in self.certification_path()]
