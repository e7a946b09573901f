"""DUIS XML signature: sign/verify round trips, schema validity and tamper/wrapping rejection."""

from __future__ import annotations

import base64
import copy

import pytest
from lxml import etree
from security_support import SAMPLE_FILES, SUPPLIER_ID, Smki, load_unsigned, registry

from dccflow.security import (
    DS_NS,
    KeyUsageKind,
    SignatureError,
    find_signature,
    issue_organisation_certificate,
    sign,
    signer_identity,
    verify,
)
from dccflow.security.xmldsig import (
    C14N_EXCLUSIVE,
    DIGEST_SHA256,
    SIGNATURE_ECDSA_SHA256,
    TRANSFORM_ENVELOPED,
)

DS = {"ds": DS_NS}
SR = {"sr": "http://www.dccinterface.co.uk/ServiceUserGateway"}


@pytest.fixture()
def signed(smki: Smki) -> etree._Element:
    return sign(load_unsigned(), smki.signer.key, smki.signer.cert)


def _reason(root: etree._Element, lookup) -> str:
    with pytest.raises(SignatureError) as info:
        verify(root, lookup)
    return info.value.reason


def _one(root: etree._Element, path: str) -> etree._Element:
    (element,) = root.xpath(path, namespaces={**DS, **SR})
    return element


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: p.stem)
def test_signed_samples_verify_and_validate(sample, smki: Smki, duis_schema: etree.XMLSchema) -> None:
    root = sign(load_unsigned(sample), smki.signer.key, smki.signer.cert)
    assert duis_schema.validate(root.getroottree()), duis_schema.error_log
    assert verify(root, registry(smki.signer.cert)) is smki.signer.cert


def test_serialise_and_reparse_still_verifies(signed: etree._Element, smki: Smki) -> None:
    lookup = registry(smki.signer.cert)
    as_element = etree.tostring(signed)
    as_document = etree.tostring(signed.getroottree(), xml_declaration=True, encoding="UTF-8")
    for data in (as_element, as_document):
        assert verify(etree.fromstring(data), lookup) is smki.signer.cert


def test_signature_shape_matches_duis_profile(signed: etree._Element, smki: Smki) -> None:
    signature = signed[-1]
    assert signature.tag == f"{{{DS_NS}}}Signature" and signature.prefix == "ds"
    assert signed.index(_one(signed, "sr:Body")) == len(signed) - 2
    assert _one(signature, "ds:SignedInfo/ds:CanonicalizationMethod").get("Algorithm") == C14N_EXCLUSIVE
    assert _one(signature, "ds:SignedInfo/ds:SignatureMethod").get("Algorithm") == SIGNATURE_ECDSA_SHA256
    reference = _one(signature, "ds:SignedInfo/ds:Reference")
    assert reference.get("URI") == ""
    assert [t.get("Algorithm") for t in reference.xpath("ds:Transforms/ds:Transform", namespaces=DS)] == [
        TRANSFORM_ENVELOPED
    ]
    assert _one(reference, "ds:DigestMethod").get("Algorithm") == DIGEST_SHA256
    assert len(base64.b64decode(_one(reference, "ds:DigestValue").text)) == 32
    assert len(base64.b64decode(_one(signature, "ds:SignatureValue").text)) == 64  # raw r||s, not DER
    issuer_serial = _one(signature, "ds:KeyInfo/ds:X509Data/ds:X509IssuerSerial")
    assert _one(issuer_serial, "ds:X509IssuerName").text == "CN=U1,OU=07"
    assert _one(issuer_serial, "ds:X509SerialNumber").text == str(smki.signer.serial)
    assert signer_identity(signed) == (smki.signer.issuer_name, smki.signer.serial)


def test_verify_does_not_mutate_callers_tree(signed: etree._Element, smki: Smki) -> None:
    before = etree.tostring(signed)
    verify(signed, registry(smki.signer.cert))
    assert etree.tostring(signed) == before


def test_sign_keeps_content_and_refuses_second_signature(smki: Smki) -> None:
    root = load_unsigned()
    before = [etree.tostring(child) for child in root]
    sign(root, smki.signer.key, smki.signer.cert)
    assert [etree.tostring(child) for child in root[:-1]] == before
    with pytest.raises(SignatureError) as info:
        sign(root, smki.signer.key, smki.signer.cert)
    assert info.value.reason == "already signed"


def test_sign_refuses_certificate_of_another_key(smki: Smki) -> None:
    with pytest.raises(SignatureError) as info:
        sign(load_unsigned(), smki.signer.key, smki.agreement.cert)
    assert info.value.reason == "key mismatch"


def test_freshly_built_document_without_ds_declaration(smki: Smki) -> None:
    root = etree.Element("{urn:example}Message", nsmap={None: "urn:example"})
    etree.SubElement(root, "{urn:example}Value").text = "42 & <more>"
    sign(root, smki.signer.key, smki.signer.cert)
    reparsed = etree.fromstring(etree.tostring(root))
    assert verify(reparsed, registry(smki.signer.cert)) is smki.signer.cert


def test_issuer_name_with_spaces_after_commas_matches(signed: etree._Element, smki: Smki) -> None:
    _one(signed, "ds:Signature/ds:KeyInfo//ds:X509IssuerName").text = "CN=U1, OU=07"
    assert verify(signed, registry(smki.signer.cert)) is smki.signer.cert


def test_issuer_name_otherwise_exact(signed: etree._Element, smki: Smki) -> None:
    _one(signed, "ds:Signature/ds:KeyInfo//ds:X509IssuerName").text = "CN=u1,OU=07"
    assert _reason(signed, registry(smki.signer.cert)) == "unknown certificate"


def test_base64_line_breaks_in_signature_value_accepted(signed: etree._Element, smki: Smki) -> None:
    value = _one(signed, "ds:Signature/ds:SignatureValue")
    value.text = value.text[:40] + "\n" + value.text[40:]
    assert verify(signed, registry(smki.signer.cert)) is smki.signer.cert


# --------------------------------------------------------------------------- rejections


def test_tampered_body_text_is_a_digest_mismatch(signed: etree._Element, smki: Smki) -> None:
    request_id = _one(signed, "sr:Header/sr:RequestID")
    request_id.text = request_id.text[:-1] + ("1" if request_id.text[-1] != "1" else "2")
    assert _reason(signed, registry(smki.signer.cert)) == "digest mismatch"


def test_tampered_signature_value(signed: etree._Element, smki: Smki) -> None:
    value = _one(signed, "ds:Signature/ds:SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[5] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    assert _reason(signed, registry(smki.signer.cert)) == "bad signature value"


def test_der_encoded_signature_value_rejected(signed: etree._Element, smki: Smki) -> None:
    value = _one(signed, "ds:Signature/ds:SignatureValue")
    value.text = base64.b64encode(b"\x30\x44" + base64.b64decode(value.text)[:66]).decode()
    assert _reason(signed, registry(smki.signer.cert)) == "bad signature value"


def test_unknown_certificate(signed: etree._Element) -> None:
    assert _reason(signed, lambda issuer, serial: None) == "unknown certificate"


def test_lookup_returning_certificate_with_other_serial(signed: etree._Element, smki: Smki) -> None:
    assert _reason(signed, lambda issuer, serial: smki.ca.cert) == "unknown certificate"


def test_other_key_with_same_issuer_and_serial(signed: etree._Element, smki: Smki) -> None:
    impostor = issue_organisation_certificate(
        smki.ca,
        entity_id=SUPPLIER_ID,
        role_code="02",
        usage=KeyUsageKind.DIGITAL_SIGNING,
        organisation="Acme Energy",
        not_before=smki.signer.cert.not_valid_before_utc,
        serial=smki.signer.serial,
    )
    assert _reason(signed, registry(impostor.cert)) == "bad signature value"


def test_key_agreement_certificate_cannot_sign(smki: Smki) -> None:
    # Forge the situation: a document signed with the KA key, verified against the KA certificate.
    root = sign(load_unsigned(), smki.agreement.key, smki.agreement.cert)
    assert _reason(root, registry(smki.agreement.cert)) == "wrong key usage"


def test_second_signature_inside_body_rejected(signed: etree._Element, smki: Smki) -> None:
    body = _one(signed, "sr:Body")
    body.append(copy.deepcopy(find_signature(signed)))
    assert _reason(signed, registry(smki.signer.cert)) == "multiple signatures"


def test_signature_moved_into_body_rejected(signed: etree._Element, smki: Smki) -> None:
    signature = find_signature(signed)
    _one(signed, "sr:Body").append(signature)
    assert _reason(signed, registry(smki.signer.cert)) == "misplaced signature"


def test_wrapping_signed_request_inside_forged_request_rejected(signed: etree._Element, smki: Smki) -> None:
    forged = load_unsigned()
    _one(forged, "sr:Header/sr:RequestID").text = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-FF:1"
    _one(forged, "sr:Body").append(copy.deepcopy(signed))
    assert _reason(forged, registry(smki.signer.cert)) == "misplaced signature"
    forged.append(copy.deepcopy(find_signature(signed)))  # and the original signature at root level
    assert _reason(forged, registry(smki.signer.cert)) == "multiple signatures"


def test_comment_splitting_text_rejected(signed: etree._Element, smki: Smki) -> None:
    device = _one(signed, "sr:Body//sr:DeviceIDList")
    head, tail = device.text[:6], device.text[6:]
    device.text = head
    comment = etree.Comment("x")
    comment.tail = tail
    device.append(comment)  # c14n drops it, so the digest still matches; element.text would lie
    assert _reason(signed, registry(smki.signer.cert)) == "comment in text"


@pytest.mark.parametrize(
    ("path", "algorithm"),
    [
        ("ds:SignedInfo/ds:SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
        ("ds:SignedInfo/ds:CanonicalizationMethod", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"),
        ("ds:SignedInfo/ds:Reference/ds:DigestMethod", "http://www.w3.org/2000/09/xmldsig#sha1"),
        (
            "ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform",
            "http://www.w3.org/TR/1999/REC-xpath-19991116",
        ),
    ],
)
def test_swapped_algorithm_rejected(signed: etree._Element, smki: Smki, path: str, algorithm: str) -> None:
    _one(find_signature(signed), path).set("Algorithm", algorithm)
    assert _reason(signed, registry(smki.signer.cert)) == "unexpected algorithm"


def test_reference_to_fragment_rejected(signed: etree._Element, smki: Smki) -> None:
    _one(signed, "ds:Signature/ds:SignedInfo/ds:Reference").set("URI", "#body")
    assert _reason(signed, registry(smki.signer.cert)) == "malformed"


def test_extra_reference_rejected(signed: etree._Element, smki: Smki) -> None:
    reference = _one(signed, "ds:Signature/ds:SignedInfo/ds:Reference")
    reference.addnext(copy.deepcopy(reference))
    assert _reason(signed, registry(smki.signer.cert)) == "malformed"


def test_unsigned_document_is_missing_signature(smki: Smki) -> None:
    assert _reason(load_unsigned(), registry(smki.signer.cert)) == "missing"


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: p.stem)
def test_sample_placeholder_signatures_fail(sample, smki: Smki) -> None:
    root = etree.parse(str(sample)).getroot()
    assert signer_identity(root)[0] == "CN=U1,OU=07"
    for lookup in (registry(smki.signer.cert), lambda issuer, serial: smki.signer.cert):
        with pytest.raises(SignatureError):
            verify(root, lookup)


def test_whitespace_around_signature_from_other_signers(smki: Smki) -> None:
    # Another implementation may write "</Body>\n  <ds:Signature>...</ds:Signature>\n</Request>"; its
    # digest covers both whitespace text nodes, which lxml stores as Body.tail and Signature.tail.
    root = load_unsigned()
    body = _one(root, "sr:Body")
    body.tail = "\n  \n"
    sign(root, smki.signer.key, smki.signer.cert)
    body.tail, find_signature(root).tail = "\n  ", "\n"
    reparsed = etree.fromstring(etree.tostring(root))
    assert verify(reparsed, registry(smki.signer.cert)) is smki.signer.cert
    find_signature(reparsed).tail = "\n\n"
    assert _reason(reparsed, registry(smki.signer.cert)) == "digest mismatch"
