"""XML digital signatures exactly as DUIS uses them.

Profile (the only one :func:`sign` produces and :func:`verify` accepts)::

    <ds:Signature>                          last child of the document element
      <ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
        <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>
        <ds:Reference URI="">               the whole document ...
          <ds:Transforms>
            <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
          </ds:Transforms>                  ... minus this Signature, then INCLUSIVE c14n 1.0
          <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
          <ds:DigestValue>base64 SHA-256</ds:DigestValue>
        </ds:Reference>
      </ds:SignedInfo>
      <ds:SignatureValue>base64 of r||s (32 + 32 octets for P-256, RFC 4050 / RFC 6931)</...>
      <ds:KeyInfo><ds:X509Data><ds:X509IssuerSerial>
        <ds:X509IssuerName>RFC 4514 issuer DN</ds:X509IssuerName>
        <ds:X509SerialNumber>decimal serial</ds:X509SerialNumber>
      </ds:X509IssuerSerial></ds:X509Data></ds:KeyInfo>
    </ds:Signature>

Which canonicalisation applies where (W3C XML-Signature Syntax and Processing, 2nd ed., 4.3.3.2 and 4.3.3.3):

* ``URI=""`` selects the node-set of the whole document without comments; the enveloped-signature transform
  removes this ``ds:Signature`` from it.  The result is still a node-set and no canonicalisation transform is
  listed, so it is turned into octets for the digest by **inclusive** Canonical XML 1.0 without comments
  (4.3.3.2: "the XML node-set ... is converted to an octet stream using Canonical XML").  Every namespace
  declaration in scope on the document element is therefore part of the digest, used or not.
* The ``CanonicalizationMethod`` of ``SignedInfo`` (exclusive c14n, as DUIS specifies) applies to
  ``SignedInfo`` only: its octets are what ECDSA signs.

DCC's own tooling (the DCC Boxed signing tool, on the JDK's XML signature API) works this way, and so do
other conformant implementations (signxml, xmlsec): ``tests/security/test_security_xmldsig_interop.py``
checks both directions against each.

Notes on the implementation:

* The digest covers the document the element belongs to, as ``URI=""`` says: top-level processing
  instructions outside the document element are covered too; comments are not.
* Canonicalisation is done by lxml / libxml2.  A document that cannot be canonicalised (a relative
  namespace URI, which Canonical XML forbids) is a ``SignatureError('malformed')`` from both :func:`sign`
  and :func:`verify`, never another exception.
* Accepted forms: any prefix for the XML-DSig namespace (or a default namespace), base64 with line breaks or
  ``&#13;`` in it, and issuer names in either RFC 4514 spacing (``CN=Z1,OU=07`` or ``CN=U1, OU=07``).
* Signature-wrapping defences: exactly one ``ds:Signature`` may exist anywhere in the document
  and it must be a child of the document element; the only reference is ``URI=""``, so every
  other node is covered by the digest.  Comments or processing instructions placed inside text
  (``<a>12<!---->34</a>``, which c14n drops but ``element.text`` would truncate) are rejected.
* :func:`verify` works on a copy and never mutates the caller's tree.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
from collections.abc import Callable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from lxml import etree

from dccflow.security.identifiers import names_equal, normalise_name

__all__ = [
    "C14N_EXCLUSIVE",
    "C14N_INCLUSIVE",
    "DIGEST_SHA256",
    "DS_NS",
    "SIGNATURE_ECDSA_SHA256",
    "TRANSFORM_ENVELOPED",
    "CertificateLookup",
    "SignatureError",
    "find_signature",
    "sign",
    "signer_identity",
    "verify",
    "verify_with_digest",
]

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
C14N_EXCLUSIVE = "http://www.w3.org/2001/10/xml-exc-c14n#"
#: Canonical XML 1.0 without comments: how the Reference's node-set becomes octets (never listed in DUIS)
C14N_INCLUSIVE = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
SIGNATURE_ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
DIGEST_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
TRANSFORM_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

CertificateLookup = Callable[[str, int], x509.Certificate | None]


def _ds(local: str) -> str:
    return f"{{{DS_NS}}}{local}"


class SignatureError(ValueError):
    """A signature is missing, malformed or does not verify.

    ``reason`` is a short machine-friendly token, one of: 'missing', 'multiple signatures',
    'misplaced signature', 'malformed', 'unexpected algorithm', 'comment in text',
    'digest mismatch', 'unknown certificate', 'unsupported key', 'wrong key usage',
    'bad signature value', 'already signed', 'key mismatch'.
    """

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# --------------------------------------------------------------------------- helpers


def _c14n(node: etree._Element) -> bytes:
    """Exclusive c14n of ``SignedInfo`` (its CanonicalizationMethod)."""
    try:
        return etree.tostring(node, method="c14n", exclusive=True, with_comments=False)
    except (etree.C14NError, ValueError) as exc:
        raise SignatureError("malformed", f"SignedInfo cannot be canonicalised: {exc}") from exc


def _reference_octets(node: etree._Element) -> bytes:
    """The octets the ``URI=""`` Reference digests: inclusive Canonical XML 1.0 without comments of the
    document ``node`` belongs to (the caller has already removed the enveloped Signature)."""
    whole = node.getroottree() if node.getparent() is None else node  # an element on its own: its subtree
    try:
        return etree.tostring(whole, method="c14n", exclusive=False, with_comments=False)
    except (etree.C14NError, ValueError) as exc:
        raise SignatureError("malformed", f"the document cannot be canonicalised: {exc}") from exc


def _element_children(node: etree._Element) -> list[etree._Element]:
    """Element children only (comments and processing instructions are skipped)."""
    return [child for child in node if isinstance(child.tag, str)]


def _remove_preserving_tail(node: etree._Element) -> None:
    """Detach ``node``; the text that followed it stays in the document (lxml keeps it in .tail)."""
    parent = node.getparent()
    if parent is None:
        raise SignatureError("misplaced signature", "signature is the document element")
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _check_no_split_text(root: etree._Element, skip: etree._Element | None) -> None:
    # Only elements with a non-element child (comment, PI, unexpanded entity) can hide text from c14n; libxml2
    # finds those nodes (usually none) without a Python-level walk over every element.
    for node in root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity):
        element = node.getparent()
        if element is None or element is skip:
            continue
        texts = [element.text or ""] + [child.tail or "" for child in element]
        if any(text.strip() for text in texts):
            raise SignatureError("comment in text", f"comment or PI inside the text of {element.tag}")


def _all_signatures(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(_ds("Signature")))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str | None, what: str, reason: str) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError(reason, f"{what} is not valid base64") from exc


def _coordinate_size(curve: ec.EllipticCurve) -> int:
    return (curve.key_size + 7) // 8


# --------------------------------------------------------------------------- signing


def find_signature(root: etree._Element) -> etree._Element | None:
    """The enveloped ``ds:Signature`` child of ``root``, or None (no structural checks)."""
    for child in root:
        if child.tag == _ds("Signature"):
            return child
    return None


def sign(root: etree._Element, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> etree._Element:
    """Append an enveloped DUIS ``ds:Signature`` as the last child of ``root`` and return ``root``.

    Refuses (SignatureError 'already signed') if any ``ds:Signature`` already exists, and
    ('key mismatch') if ``cert`` does not certify ``key``'s public key.
    """
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SignatureError("unsupported key", "the DUIS profile signs with ECDSA P-256: the signing key must be "
                                                "an EC P-256 private key")
    if cert.public_key() != key.public_key():
        raise SignatureError("key mismatch", "certificate does not match the signing key")
    if _all_signatures(root):
        raise SignatureError("already signed", "document already contains a ds:Signature")
    _check_no_split_text(root, None)

    digest = hashlib.sha256(_reference_octets(root)).digest()  # before the Signature exists

    signature = etree.SubElement(root, _ds("Signature"), nsmap={"ds": DS_NS})
    signed_info = etree.SubElement(signature, _ds("SignedInfo"))
    etree.SubElement(signed_info, _ds("CanonicalizationMethod"), Algorithm=C14N_EXCLUSIVE)
    etree.SubElement(signed_info, _ds("SignatureMethod"), Algorithm=SIGNATURE_ECDSA_SHA256)
    reference = etree.SubElement(signed_info, _ds("Reference"), URI="")
    transforms = etree.SubElement(reference, _ds("Transforms"))
    etree.SubElement(transforms, _ds("Transform"), Algorithm=TRANSFORM_ENVELOPED)
    etree.SubElement(reference, _ds("DigestMethod"), Algorithm=DIGEST_SHA256)
    etree.SubElement(reference, _ds("DigestValue")).text = _b64(digest)
    value_element = etree.SubElement(signature, _ds("SignatureValue"))
    key_info = etree.SubElement(signature, _ds("KeyInfo"))
    x509_data = etree.SubElement(key_info, _ds("X509Data"))
    issuer_serial = etree.SubElement(x509_data, _ds("X509IssuerSerial"))
    etree.SubElement(issuer_serial, _ds("X509IssuerName")).text = normalise_name(cert.issuer)
    etree.SubElement(issuer_serial, _ds("X509SerialNumber")).text = str(cert.serial_number)

    try:
        der = key.sign(_c14n(signed_info), ec.ECDSA(hashes.SHA256()))
    except Exception:
        root.remove(signature)
        raise
    r, s = decode_dss_signature(der)
    size = _coordinate_size(key.curve)
    value_element.text = _b64(r.to_bytes(size, "big") + s.to_bytes(size, "big"))
    return root


# --------------------------------------------------------------------------- verification


def _expect(parent: etree._Element, names: list[str]) -> list[etree._Element]:
    children = _element_children(parent)
    if [child.tag for child in children] != [_ds(name) for name in names]:
        found = [etree.QName(child).localname for child in children]
        raise SignatureError("malformed", f"{etree.QName(parent).localname} has {found}, expected {names}")
    return children


def _check_algorithm(element: etree._Element, expected: str) -> None:
    algorithm = element.get("Algorithm")
    if algorithm != expected:
        raise SignatureError("unexpected algorithm", f"{etree.QName(element).localname}={algorithm!r}")
    if _element_children(element) or (element.text or "").strip():
        raise SignatureError("unexpected algorithm", f"{etree.QName(element).localname} has parameters")


def _parse_key_info(key_info: etree._Element) -> tuple[str, int]:
    (x509_data,) = _expect(key_info, ["X509Data"])
    (issuer_serial,) = _expect(x509_data, ["X509IssuerSerial"])
    issuer_element, serial_element = _expect(issuer_serial, ["X509IssuerName", "X509SerialNumber"])
    try:
        issuer = normalise_name(issuer_element.text or "")
    except ValueError as exc:
        raise SignatureError("malformed", f"X509IssuerName: {exc}") from exc
    serial_text = (serial_element.text or "").strip()
    if not serial_text.isdigit() or not serial_text.isascii():
        raise SignatureError("malformed", f"X509SerialNumber {serial_text!r} is not a decimal integer")
    return issuer, int(serial_text)


def _locate(root: etree._Element) -> etree._Element:
    signatures = _all_signatures(root)
    if not signatures:
        raise SignatureError("missing", "no ds:Signature in the document")
    if len(signatures) > 1:
        raise SignatureError("multiple signatures", f"{len(signatures)} ds:Signature elements found")
    (signature,) = signatures
    if signature.getparent() is not root:
        raise SignatureError("misplaced signature", "ds:Signature is not a child of the document element")
    return signature


def signer_identity(root: etree._Element) -> tuple[str, int]:
    """(issuer name, serial) from the enveloped signature's KeyInfo.

    The issuer name is normalised to ``cryptography``'s RFC 4514 form (no spaces after commas),
    i.e. the same string as ``cert.issuer.rfc4514_string()`` / ``Credential.issuer_name``.
    """
    signature = _locate(root)
    _, _, key_info = _expect(signature, ["SignedInfo", "SignatureValue", "KeyInfo"])
    return _parse_key_info(key_info)


def verify(root: etree._Element, find_certificate: CertificateLookup) -> x509.Certificate:
    """Verify the enveloped DUIS signature on ``root``; return the signer's certificate (see
    :func:`verify_with_digest`, which also returns the verified Reference digest)."""
    return verify_with_digest(root, find_certificate)[0]


def verify_with_digest(root: etree._Element,
                       find_certificate: CertificateLookup) -> tuple[x509.Certificate, bytes]:
    """Verify the enveloped DUIS signature on ``root``; return the signer's certificate and the verified
    SHA-256 Reference digest (inclusive c14n of the document minus the signature: the signed content).

    ``find_certificate(issuer_name, serial)`` receives the normalised issuer name (see
    :func:`signer_identity`); the returned certificate must carry that issuer and serial.
    Checks run in this order: structure and algorithms, digest, certificate lookup, signature.
    Raises :class:`SignatureError`.  Path validation of the certificate is the caller's job
    (see :func:`dccflow.security.pki.verify_path`).
    """
    if root.getparent() is None:  # the whole document, as URI="" selects it (top-level PIs included)
        work = copy.deepcopy(root.getroottree()).getroot()
    else:  # an element handed over on its own is verified as the document it would be
        work = copy.deepcopy(root)
        work.tail = None
    signature = _locate(work)
    _check_no_split_text(work, signature)

    signed_info, signature_value, key_info = _expect(signature, ["SignedInfo", "SignatureValue", "KeyInfo"])
    c14n_method, signature_method, reference = _expect(
        signed_info, ["CanonicalizationMethod", "SignatureMethod", "Reference"]
    )
    _check_algorithm(c14n_method, C14N_EXCLUSIVE)
    _check_algorithm(signature_method, SIGNATURE_ECDSA_SHA256)
    if reference.get("URI") != "" or set(reference.attrib) - {"URI", "Id"}:
        raise SignatureError("malformed", 'the only Reference must have URI="" and no Type')
    transforms, digest_method, digest_value = _expect(
        reference, ["Transforms", "DigestMethod", "DigestValue"]
    )
    (transform,) = _expect(transforms, ["Transform"])
    _check_algorithm(transform, TRANSFORM_ENVELOPED)
    _check_algorithm(digest_method, DIGEST_SHA256)
    issuer, serial = _parse_key_info(key_info)

    expected_digest = _b64decode(digest_value.text, "DigestValue", "digest mismatch")
    signed_info_c14n = _c14n(signed_info)  # before the Signature leaves the working copy
    _remove_preserving_tail(signature)  # ``work`` is already a copy: no second one
    digest = hashlib.sha256(_reference_octets(work)).digest()
    if digest != expected_digest:
        raise SignatureError("digest mismatch", "document content does not match DigestValue")

    cert = find_certificate(issuer, serial)
    if cert is None:
        raise SignatureError("unknown certificate", f"no certificate for issuer {issuer!r} serial {serial}")
    if cert.serial_number != serial or not names_equal(cert.issuer, issuer):
        raise SignatureError("unknown certificate", "looked-up certificate has a different issuer/serial")
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(public_key.curve, ec.SECP256R1):
        raise SignatureError("unsupported key", "the DUIS profile is ECDSA P-256: the signer certificate does not "
                                                "hold an EC P-256 public key")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.digital_signature:
        raise SignatureError("wrong key usage", "signer certificate is not a digital-signing certificate")

    raw = _b64decode(signature_value.text, "SignatureValue", "bad signature value")
    size = _coordinate_size(public_key.curve)
    if len(raw) != 2 * size:
        raise SignatureError("bad signature value", f"expected {2 * size} octets (r||s), got {len(raw)}")
    der = encode_dss_signature(int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big"))
    try:
        public_key.verify(der, signed_info_c14n, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise SignatureError("bad signature value", "ECDSA verification failed") from exc
    return cert, digest
