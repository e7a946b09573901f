"""The Contingency key material of the SMKI (SEC Appendix L 5.2.4-5.2.8 as BAD 7.7.3.4.5 quotes it; digest 05 §D.5,
§D.12): the Contingency Key Pair, the Contingency Symmetric Key, and the **wrappedApexContingencyKey** the Root OCA
Certificate carries — the Contingency public key wrapped (AES key wrap with padding, RFC 5649) with the Contingency
Symmetric Key.

A Device accepts a Contingency-signed Command iff the Command carries the Contingency Symmetric Key that unwraps the
wrappedApexContingencyKey of the Root certificate in its Root cell, and the Command's signature verifies with the
unwrapped key (digest 05 §D.12, an inference consistent with L 5.2.7-5.2.8). DECISION: the extension's OID is a
project-private one (GBCS's is not in the reference texts).
"""

from __future__ import annotations

import base64
import os

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding, aes_key_wrap_with_padding

from dccflow.security.pki import CertificateError, new_private_key

#: DECISION: the wrappedApexContingencyKey extension of a Root OCA Certificate (project-private OID arc)
WRAPPED_APEX_CONTINGENCY_KEY = x509.ObjectIdentifier("1.3.6.1.4.1.55555.7.7.3.5")


def new_contingency_material() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    """A new Contingency Key Pair and Contingency Symmetric Key (L 5.2.4's Key Generation Ceremony)."""
    return new_private_key(), os.urandom(32)


def wrapped_apex_extension(contingency_public: ec.EllipticCurvePublicKey, symmetric: bytes) -> x509.ExtensionType:
    """The extension a new Root OCA Certificate embeds (L 5.2.5)."""
    der = contingency_public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return x509.UnrecognizedExtension(WRAPPED_APEX_CONTINGENCY_KEY, aes_key_wrap_with_padding(symmetric, der))


def unwrap_contingency_key(root: x509.Certificate, symmetric_b64: str) -> ec.EllipticCurvePublicKey:
    """The Contingency public key a Root certificate wraps, unwrapped with the Command's Contingency Symmetric Key.
    Raises ``CertificateError``."""
    try:
        wrapped = root.extensions.get_extension_for_oid(WRAPPED_APEX_CONTINGENCY_KEY).value.value
    except x509.ExtensionNotFound:
        raise CertificateError("no contingency key", "the Root certificate carries no wrappedApexContingencyKey") \
            from None
    try:
        der = aes_key_unwrap_with_padding(base64.b64decode(symmetric_b64), wrapped)
    except (InvalidUnwrap, ValueError):
        raise CertificateError("contingency key", "the Contingency Symmetric Key does not unwrap the Root's "
                               "wrappedApexContingencyKey") from None
    key = serialization.load_der_public_key(der)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise CertificateError("contingency key", "the wrapped Contingency key is not an EC key")
    return key
