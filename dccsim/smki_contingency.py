"""The DCC's Contingency key material (SEC Appendix L 5.2.4-5.2.8; digest 05 §D.5, §D.12): made with the Root at the
SMKI's start (``dccsim.smki.SmkiRepository.ensure_authorities``, whose Root embeds the wrappedApexContingencyKey) and
again at a Contingency recovery's Key Generation Ceremony. Kept in the SMKI's authority-key table (DCC only):
``contingency`` (the Contingency private key; no certificate: ``cert_pem`` empty) and ``contingency-symmetric`` (the
Contingency Symmetric Key, base64 in ``key_pem``; L 5.2.7 keeps it in parts with Key Custodians — one row here).
A ceremony's new material is kept under ``<name>-next-<incident>`` until the DCC moves to it."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from dccflow.security.contingency import new_contingency_material, wrapped_apex_extension

CONTINGENCY, SYMMETRIC = "contingency", "contingency-symmetric"


def contingency_rows(suffix: str = "") -> tuple[list[tuple[str, bytes, bytes]], x509.ExtensionType]:
    """New Contingency material as authority-key rows ``(name + suffix, key_pem, cert_pem)`` and the Root extension
    wrapping it."""
    key, symmetric = new_contingency_material()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return ([(CONTINGENCY + suffix, pem, b""), (SYMMETRIC + suffix, base64.b64encode(symmetric), b"")],
            wrapped_apex_extension(key.public_key(), symmetric))


def contingency_key(rows: dict[str, bytes | None], suffix: str = "") -> tuple[ec.EllipticCurvePrivateKey, str]:
    """The Contingency private key and the Contingency Symmetric Key (base64) from the rows' ``key_pem`` by name —
    L 5.2.7's Key Activation Ceremony."""
    key_pem, symmetric = rows.get(CONTINGENCY + suffix), rows.get(SYMMETRIC + suffix)
    if key_pem is None or symmetric is None:
        raise LookupError(f"the SMKI holds no Contingency key material '{CONTINGENCY + suffix}'")
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key, symmetric.decode()
