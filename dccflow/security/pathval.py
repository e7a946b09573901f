"""Certification path validation for SMKI certificates (re-exported by :mod:`dccflow.security.pki`)."""

from __future__ import annotations

from collections.abc import Container, Sequence
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import SignatureAlgorithmOID

from dccflow.security.certinfo import CertificateError, utc

__all__ = ["MAX_PATH_LENGTH", "verify_path"]

MAX_PATH_LENGTH = 8


# --------------------------------------------------------------------------- path validation


def _issued_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    if child.issuer != issuer.subject:
        return False
    if child.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        return False
    public_key = issuer.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return False
    try:
        public_key.verify(child.signature, child.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _build_path(
    cert: x509.Certificate, intermediates: Sequence[x509.Certificate], root: x509.Certificate
) -> list[x509.Certificate]:
    if cert == root:
        return [root]
    path = [cert]
    while True:
        current = path[-1]
        if _issued_by(current, root):
            return [*path, root]
        if len(path) > MAX_PATH_LENGTH:
            raise CertificateError("path too long")
        for candidate in intermediates:
            if candidate not in path and candidate != root and _issued_by(current, candidate):
                path.append(candidate)
                break
        else:
            raise CertificateError(
                "untrusted issuer", f"no trusted issuer for {current.subject.rfc4514_string() or '<device>'}"
            )


def _check_certificate(
    cert: x509.Certificate, index: int, is_root: bool, at: datetime, revoked_serials: Container[int]
) -> None:
    label = cert.subject.rfc4514_string() or f"serial {cert.serial_number}"
    for extension in cert.extensions:
        if extension.critical and isinstance(extension.value, x509.UnrecognizedExtension):
            detail = f"{extension.oid.dotted_string} in {label}"
            raise CertificateError("unsupported critical extension", detail)
    if not is_root and cert.serial_number in revoked_serials:
        raise CertificateError("revoked", f"{label} (serial {cert.serial_number}) is revoked")
    if at < cert.not_valid_before_utc:
        detail = f"{label} is valid from {cert.not_valid_before_utc.isoformat()}"
        raise CertificateError("not yet valid", detail)
    if at > cert.not_valid_after_utc:
        raise CertificateError("expired", f"{label} expired at {cert.not_valid_after_utc.isoformat()}")
    if index == 0:
        return
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        raise CertificateError("not a CA", f"{label} has no basicConstraints") from None
    if not constraints.ca:
        raise CertificateError("not a CA", f"{label} is not a CA certificate")
    try:
        if not cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign:
            raise CertificateError("not a CA", f"{label} may not sign certificates")
    except x509.ExtensionNotFound:
        pass
    if constraints.path_length is not None and index - 1 > constraints.path_length:
        raise CertificateError("path length exceeded", f"{label} allows {constraints.path_length} sub-CAs")


def verify_path(
    cert: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    root: x509.Certificate,
    *,
    at: datetime,
    revoked_serials: Container[int] = (),
) -> None:
    """Validate ``cert`` up to the trusted ``root`` at time ``at``; raise CertificateError if not.

    Builds the path by issuer/subject name and ECDSA-with-SHA256 signature (each certificate must
    verify under its issuer's key), then checks every certificate: no unknown critical extension,
    serial not in ``revoked_serials`` (root excepted), validity period covers ``at``, issuers are
    CAs allowed to sign certificates and path-length constraints hold.  A certificate whose issuer
    name matches but whose signature does not verify is reported as 'untrusted issuer'.
    """
    moment = utc(at)
    path = _build_path(cert, intermediates, root)
    for index, member in enumerate(path):
        _check_certificate(member, index, member is path[-1], moment, revoked_serials)
