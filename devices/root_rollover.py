"""The Root replacement of the Contingency key rollover (BAD 7.7.3.4.6; SEC Appendix L 6.1.2.4, 6.1.2.7; digest 05
§D.6, §D.11 item 2), called by ``devices.security.cs02b_update_security_credentials`` for the Root cell."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from dccflow.domain.roles import RemotePartyRole
from dccflow.security.pki import CertificateError
from devices.anchors import RESOLVER, decode_cert, encode_cert
from devices.effects import CommandCtx

_R = RemotePartyRole


def replace_root(ctx: CommandCtx, signer: _R):
    """The Contingency key rollover (BAD 7.7.3.4.6; SEC Appendix L 6.1.2.4, 6.1.2.7; digest 05 §D.6, §D.11 item 2):
    a CS02b replacing the **Root** cell, sent for the Responsible Supplier's SRV 6.15.1 (the DCC for CHFs), signed by
    a party entitled to it (``devices.catalogue.ENTITLED_TO_REPLACE``). L's replacement Root is "Digitally Signed by
    the existing Root OCA Private Key and the new Root OCA Private Key": DECISION — the new Root is self-signed (the
    new key) and the Command carries ``root_link_signature``, the existing Root key's ECDSA signature over the new
    Root's DER, which the Device verifies with the public key of the certificate in its Root cell (digest 05 §D.12).
    Nothing else may replace the Root cell: a Root the existing Root key did not sign is refused."""
    dev = ctx.device
    old = RESOLVER.cert(ctx.session, dev.anchors.get(_R.ROOT.value))
    try:
        new = decode_cert(ctx.params["certificate"])
        if old is None:
            raise CertificateError("no root", "the Root cell is empty")
        new.verify_directly_issued_by(new)
        if not new.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise CertificateError("not a CA", "the replacement Root is not a CA certificate")
        if not new.not_valid_before_utc <= ctx.at <= new.not_valid_after_utc:
            raise CertificateError("expired", "the replacement Root is outside its validity period")
        link = base64.b64decode(str(ctx.params.get("root_link_signature", "")))
        old.public_key().verify(link, new.public_bytes(serialization.Encoding.DER), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return ctx.fail("Root replacement refused: the new Root is not signed by the existing Root OCA key "
                        "(L 6.1.2.4)")
    except (CertificateError, KeyError, ValueError, TypeError, x509.ExtensionNotFound) as exc:
        return ctx.fail(f"Root replacement refused: {exc}")
    dev.anchors = {**dev.anchors, _R.ROOT.value: encode_cert(new)}
    ctx.save()
    return ctx.ok(remote_party_role=_R.ROOT.value, signed_by=signer.value, new_serial=str(new.serial_number),
                  replaced_serial=str(old.serial_number))
