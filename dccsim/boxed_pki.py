"""The ZAZ1 test PKI of DCC Boxed, for the simulated DCC (issue #19): the DCC signs with DCC's published DSP test
key, and the SMKI Repository holds the published ZAZ1 Organisation Certificates of the test Users.

DCC publishes these in its signing tool (``tool.jar`` of the npm package ``@smartdcc/duis-sign-wrap``): every
``*.pem`` in the jar's root is a certificate issued by the ZAZ1 test OCA (``CN=Z1,OU=07``), every ``*.key`` the
PKCS#8 (DER) private key beside it. dccflow reads them from the jar the user has; it ships none of them.

Trust. The jar does not carry the ZAZ1 Root or OCA certificate, so no path to a Root can be built. In this
profile Confirm Validity (AB 6.1(e)) treats the published certificates as lodged in the SMKI Repository by the
OCA: one of them is valid when the repository holds that very certificate, the moment is inside its validity
period and it is not revoked. Any other certificate (the generated PKI's, which stays beside it for everything
the DCC issues itself, e.g. Device Certificates) is checked up to the generated Root as usual.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import Session, select

from dccflow.db import session_scope
from dccflow.security.pki import CertificateError, Credential
from dccsim.models import SmkiCertificate
from dccsim.smki import SmkiRepository, _cert_row

#: the DCC's (DSP's) XML signing certificate and key in the jar: what DCC Boxed signs its responses with
DSP_NAME = "dsp-xml-sign-90B3D51F30000002-ds"


class Zaz1Unavailable(RuntimeError):
    """The ZAZ1 material cannot be read (the message says where dccflow looked and how to get it)."""


@dataclass(frozen=True)
class Zaz1Material:
    """The published ZAZ1 certificates (by the name of their file in the jar, without ``.pem``) and the DSP's
    signing credential."""

    certificates: dict[str, x509.Certificate]
    dsp: Credential
    keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)

    @classmethod
    def from_jar(cls, jar: Path) -> Zaz1Material:
        try:
            with zipfile.ZipFile(jar) as archive:
                files = {name: archive.read(name) for name in archive.namelist()
                         if "/" not in name and (name.endswith(".pem") or name.endswith(".key"))}
        except (OSError, zipfile.BadZipFile) as exc:
            raise Zaz1Unavailable(f"cannot read DCC's signing tool {jar}: {exc}") from exc
        certificates, keys = {}, {}
        for name, data in files.items():
            stem = name.rsplit(".", 1)[0]
            if name.endswith(".pem") and b"CERTIFICATE" in data:
                certificates[stem] = x509.load_pem_x509_certificate(data)
            elif name.endswith(".key"):
                key = serialization.load_der_private_key(data, password=None)
                if isinstance(key, ec.EllipticCurvePrivateKey):
                    keys[stem] = key
        if DSP_NAME not in certificates or DSP_NAME not in keys:
            raise Zaz1Unavailable(f"{jar} does not hold the ZAZ1 DSP signing certificate and key ({DSP_NAME})")
        dsp = Credential(key=keys[DSP_NAME], cert=certificates[DSP_NAME])
        if dsp.cert.public_key() != dsp.key.public_key():
            raise Zaz1Unavailable(f"{DSP_NAME}: the certificate does not match the key in {jar}")
        return cls(certificates=certificates, dsp=dsp, keys=keys)


class Zaz1SmkiRepository(SmkiRepository):
    """The SMKI Repository of the ZAZ1 profile (see the module docstring)."""

    def __init__(self, engine, material: Zaz1Material):
        super().__init__(engine)
        self.material = material
        self._published = {cert.fingerprint(hashes.SHA256()): cert for cert in material.certificates.values()}

    def ensure_authorities(self, dcc_entity_id: str) -> None:
        """The generated Root and OCA (for what the DCC issues), then the published ZAZ1 certificates lodged in
        the repository once (idempotent)."""
        super().ensure_authorities(dcc_entity_id)
        with session_scope(self.engine) as s:
            for cert in self._published.values():
                if not self._lodged(s, cert):
                    s.add(_cert_row(cert))

    @staticmethod
    def _lodged(s: Session, cert: x509.Certificate) -> bool:
        return s.exec(select(SmkiCertificate.id).where(
            SmkiCertificate.issuer == cert.issuer.rfc4514_string(),
            SmkiCertificate.serial == str(cert.serial_number))).first() is not None

    def dcc_credential(self, session: Session | None = None) -> Credential:
        """The DSP's published test key: DCC Boxed's responses are signed with it."""
        return self.material.dsp

    def confirm_validity(self, cert: x509.Certificate, at: datetime, *, session: Session | None = None) -> None:
        if cert.fingerprint(hashes.SHA256()) not in self._published:
            super().confirm_validity(cert, at, session=session)
            return
        label = cert.subject.rfc4514_string()
        if at < cert.not_valid_before_utc:
            raise CertificateError("not yet valid", f"{label} is valid from {cert.not_valid_before_utc.isoformat()}")
        if at > cert.not_valid_after_utc:
            raise CertificateError("expired", f"{label} expired at {cert.not_valid_after_utc.isoformat()}")
        if self._revoked_among({cert.serial_number}, at, session):
            raise CertificateError("revoked", f"{label} (serial {cert.serial_number}) is revoked")
