"""Signatures on GBCS commands, as the simulation carries them (``dccflow.messages.CommandSignature``).

Producing one (the User signing a Pre-Command; the DCC signing with a role key it holds)::

    signed = sign_command(command, credential)      # ECDSA P-256 / SHA-256 over command.signed_payload()

Checking one (a device, before it executes a Critical Command or lets a certificate into a cell): the signer
named in the signature must be the certificate in the entitled trust anchor cell, and the signature must
verify with that certificate's public key (GBCS 'Check Cryptographic Protection').
"""

from __future__ import annotations

import base64
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from dccflow.messages import CommandSignature, GbcsCommand
from dccflow.security.identifiers import names_equal
from dccflow.security.pki import Credential


class SignatureCheck(StrEnum):
    OK = "ok"
    MISSING = "missing"
    WRONG_SIGNER = "wrong signer"
    INVALID = "invalid"


def sign_command(command: GbcsCommand, credential: Credential) -> GbcsCommand:
    """A copy of ``command`` carrying ``credential``'s signature over its payload."""
    value = credential.key.sign(command.signed_payload(), ec.ECDSA(hashes.SHA256()))
    signature = CommandSignature(signer_issuer=credential.cert.issuer.rfc4514_string(),
                                 signer_serial=str(credential.cert.serial_number),
                                 value_b64=base64.b64encode(value).decode())
    return command.model_copy(update={"signature": signature})


def is_signer(signature: CommandSignature, cert: x509.Certificate) -> bool:
    return (signature.signer_serial.strip() == str(cert.serial_number)
            and names_equal(signature.signer_issuer, cert.issuer))


def check_signature(command: GbcsCommand, entitled: list[x509.Certificate]) -> tuple[SignatureCheck, int]:
    """Check ``command``'s signature against the certificates entitled to sign it; return the outcome and
    the index of the certificate that signed (-1 if none)."""
    sig = command.signature
    if sig is None:
        return SignatureCheck.MISSING, -1
    for index, cert in enumerate(entitled):
        if not is_signer(sig, cert):
            continue
        key = cert.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return SignatureCheck.INVALID, -1
        try:
            key.verify(base64.b64decode(sig.value_b64), command.signed_payload(), ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return SignatureCheck.INVALID, -1
        return SignatureCheck.OK, index
    return SignatureCheck.WRONG_SIGNER, -1
