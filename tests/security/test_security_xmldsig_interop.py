"""DUIS signatures against implementations dccflow did not write, in both directions.

* DCC's own signing tool (the DCC Boxed signing tool from ``@smartdcc/duis-sign-wrap``, on the JDK's XML signature
  API) with the published Z1 test Supplier key in ``shared/duis/interop``;
* signxml, a conformant XMLDSig implementation.

What each checks: the Reference of ``URI=""`` with only the enveloped-signature transform is digested by inclusive
Canonical XML 1.0 (XMLDSig 4.3.3.2), SignedInfo by its exclusive c14n (``dccflow.security.xmldsig``).
"""

from __future__ import annotations

import base64
import copy
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from interop_tools import dcc_signing_tool, signxml_sign_duis, signxml_verify
from lxml import etree
from security_support import SAMPLE_FILES, SHARED_DIR, load_unsigned
from signxml.exceptions import InvalidDigest, InvalidSignature
from typer.testing import CliRunner

from dccflow.security import Credential, SignatureError, sign, verify
from dccflow_app.cli import app

INTEROP = SHARED_DIR / "duis" / "interop"
UNSIGNED = INTEROP / "ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML"
PLACEHOLDER = INTEROP / "ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS-signed.XML"
Z1_CERT = INTEROP / "Z1-supplier-ds.pem"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture(scope="module")
def z1() -> Credential:
    """The Z1 test Supplier's digital-signing key and certificate, as DCC's test environments ship them."""
    return Credential.from_pem((INTEROP / "Z1-supplier-ds.key.pem").read_bytes(), Z1_CERT.read_bytes())


@pytest.fixture(scope="module")
def dcc_signed(z1: Credential) -> bytes:
    """The unsigned 4.1.1 request of DCC's test data, signed by DCC's own tool with the Z1 key."""
    result, signed = dcc_signing_tool().sign(UNSIGNED.read_bytes(), z1.cert, z1.key)
    assert result.code == "SUCCESS", result
    return signed


def only(cert):
    return lambda issuer, serial: cert


def flat(path: Path) -> etree._Element:
    """A message as dccflow sends one: no whitespace-only text between elements (DCC's tool drops such text when it
    parses, so it can only verify messages without it; see the README)."""
    return etree.parse(str(path), etree.XMLParser(remove_blank_text=True)).getroot()


def flat_unsigned_sample(path: Path) -> etree._Element:
    root = flat(path)
    root.remove(root.find(f"{{{DS_NS}}}Signature"))  # the samples carry placeholder signatures
    return root


# ----------------------------------------------------------------------------------- DCC's tool → dccflow


def test_request_signed_by_dcc_tool_verifies_in_dccflow(dcc_signed: bytes, z1: Credential) -> None:
    root = etree.fromstring(dcc_signed)
    value = root.find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}SignatureValue").text
    assert "\r" in value  # the JDK folds base64 at 76 characters with &#13;\n
    assert root.find(f".//{{{DS_NS}}}X509IssuerName").text == "CN=Z1,OU=07"  # the DCC's DN order
    assert verify(root, only(z1.cert)) is z1.cert


@pytest.mark.parametrize("old, new", [(b"<sr:CommandVariant>1<", b"<sr:CommandVariant>2<"),
                                      (b"4.1.1</sr:ServiceReferenceVariant>", b"4.1.2</sr:ServiceReferenceVariant>"),
                                      (b'schemaVersion="5.0"', b'schemaVersion="5.1"')])
def test_one_byte_changed_in_dcc_signed_request_fails(dcc_signed: bytes, z1: Credential, old: bytes,
                                                      new: bytes) -> None:
    assert dcc_signed.count(old) == 1
    tampered = dcc_signed.replace(old, new)
    with pytest.raises(SignatureError) as info:
        verify(etree.fromstring(tampered), only(z1.cert))
    assert info.value.reason == "digest mismatch"
    (tool,) = dcc_signing_tool().validate([(tampered, z1.cert)])
    assert not tool.signature_verified  # DCC's tool agrees


def test_namespace_declared_on_root_but_unused_is_signed(dcc_signed: bytes, z1: Credential) -> None:
    # Inclusive c14n digests every namespace in scope on the document element: xmlns:xsi is used nowhere in this
    # request, yet dropping it breaks DCC's signature (exclusive c14n of the Reference would not notice).
    assert b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' in dcc_signed
    tampered = dcc_signed.replace(b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"', b"")
    with pytest.raises(SignatureError) as info:
        verify(etree.fromstring(tampered), only(z1.cert))
    assert info.value.reason == "digest mismatch"


def test_cli_verifies_dcc_signed_request_with_expired_certificate(dcc_signed: bytes, tmp_path: Path) -> None:
    signed = tmp_path / "signed.xml"
    signed.write_bytes(dcc_signed)
    result = CliRunner().invoke(app, ["duis", "verify", str(signed), "--cert", str(Z1_CERT)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and "expired" in result.output  # valid signature, certificate out of date
    at = CliRunner().invoke(app, ["duis", "verify", str(signed), "--cert", str(Z1_CERT),
                                  "--at", "2020-06-01T00:00:00Z"])
    assert at.exit_code == 0, at.output
    late = CliRunner().invoke(app, ["duis", "verify", str(signed), "--cert", str(Z1_CERT),
                                    "--at", "2026-01-01T00:00:00Z"])
    assert late.exit_code == 1 and "not valid" in late.output
    signed.write_bytes(dcc_signed.replace(b"<sr:CommandVariant>1<", b"<sr:CommandVariant>2<"))
    tampered = CliRunner().invoke(app, ["duis", "verify", str(signed), "--cert", str(Z1_CERT)])
    assert tampered.exit_code == 1 and "digest mismatch" in tampered.output


def test_shared_signed_fixture_carries_placeholder_values(z1: Credential) -> None:
    # shared/duis/interop's "-signed" file is DCC's template, not a signature: its DigestValue and SignatureValue
    # are base64 of "default" (its own comment says so). It must be refused; the tests above sign with DCC's tool.
    root = etree.parse(str(PLACEHOLDER)).getroot()
    assert base64.b64decode(root.find(f".//{{{DS_NS}}}DigestValue").text) == b"default"
    with pytest.raises(SignatureError) as info:
        verify(root, only(z1.cert))
    assert info.value.reason == "digest mismatch"


# ----------------------------------------------------------------------------------- dccflow → DCC's tool


def test_dccflow_signed_requests_verify_in_dcc_tool(z1: Credential) -> None:
    documents = [flat(UNSIGNED)] + [flat_unsigned_sample(path) for path in SAMPLE_FILES]
    signed = [etree.tostring(sign(root, z1.key, z1.cert)) for root in documents]
    results = dcc_signing_tool().validate([(xml, z1.cert) for xml in signed])
    failures = [(path.name, result) for path, result in zip([UNSIGNED, *SAMPLE_FILES], results, strict=True)
                if not result.signature_verified]
    assert not failures


def test_dcc_tool_refuses_a_dccflow_signature_made_by_another_key(z1: Credential) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    root = sign(flat(UNSIGNED), z1.key, z1.cert)
    value = root.find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}SignatureValue")
    signed_info = root.find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}SignedInfo")
    r, s = decode_dss_signature(other.sign(etree.tostring(signed_info, method="c14n", exclusive=True),
                                           ec.ECDSA(hashes.SHA256())))
    value.text = base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
    (result,) = dcc_signing_tool().validate([(etree.tostring(root), z1.cert)])
    assert result.code == "VALIDATION_FAIL"


# ----------------------------------------------------------------------------------- signxml, both ways


@pytest.mark.parametrize("sample", [UNSIGNED, *SAMPLE_FILES[:8]], ids=lambda p: p.stem)
def test_dccflow_signatures_verify_in_signxml(sample: Path, z1: Credential) -> None:
    root = etree.parse(str(sample)).getroot()  # pretty-printed: whitespace is signed content too
    placeholder = root.find(f"{{{DS_NS}}}Signature")
    if placeholder is not None:
        root.remove(placeholder)
    signed = etree.tostring(sign(root, z1.key, z1.cert))
    signxml_verify(signed, z1.cert)
    with pytest.raises((InvalidDigest, InvalidSignature)):
        signxml_verify(signed.replace(b"</sr:Header>", b"</sr:Header> "), z1.cert)


@pytest.mark.parametrize("prefix", ["ds", "dsig"])
def test_signxml_signatures_in_duis_profile_verify_in_dccflow(prefix: str, z1: Credential) -> None:
    for sample in [UNSIGNED, *SAMPLE_FILES[:8]]:
        root = etree.parse(str(sample)).getroot()
        placeholder = root.find(f"{{{DS_NS}}}Signature")
        if placeholder is not None:
            root.remove(placeholder)
        signed = etree.tostring(signxml_sign_duis(root, z1.key, z1.cert, prefix=prefix))
        assert f"<{prefix}:Signature".encode() in signed
        assert verify(etree.fromstring(signed), only(z1.cert)) is z1.cert, sample.name


# ----------------------------------------------------------------------------------- forms and edges


def _hand_signed_default_namespace(z1: Credential) -> bytes:
    """A Signature in the default namespace, built step by step from XMLDSig 4.3.3 (not by dccflow's sign)."""
    root = flat(UNSIGNED)
    digest = hashlib.sha256(etree.tostring(root.getroottree(), method="c14n")).digest()
    signature = etree.SubElement(root, f"{{{DS_NS}}}Signature", nsmap={None: DS_NS})
    signature.append(etree.fromstring(
        f'<SignedInfo xmlns="{DS_NS}"><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/><Reference URI="">'
        '<Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms>'
        '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        f"<DigestValue>{base64.b64encode(digest).decode()}</DigestValue></Reference></SignedInfo>"))
    signed_info = signature[0]
    r, s = decode_dss_signature(z1.key.sign(etree.tostring(signed_info, method="c14n", exclusive=True),
                                            ec.ECDSA(hashes.SHA256())))
    raw = base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
    etree.SubElement(signature, f"{{{DS_NS}}}SignatureValue").text = raw[:40] + "\r\n" + raw[40:]
    serial = etree.SubElement(etree.SubElement(etree.SubElement(signature, f"{{{DS_NS}}}KeyInfo"),
                                               f"{{{DS_NS}}}X509Data"), f"{{{DS_NS}}}X509IssuerSerial")
    etree.SubElement(serial, f"{{{DS_NS}}}X509IssuerName").text = "CN=Z1, OU=07"
    etree.SubElement(serial, f"{{{DS_NS}}}X509SerialNumber").text = str(z1.cert.serial_number)
    return etree.tostring(root)


def test_default_namespace_signature_with_cr_in_base64_verifies(z1: Credential) -> None:
    signed = _hand_signed_default_namespace(z1)
    assert b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">' in signed and b"&#13;" in signed
    assert verify(etree.fromstring(signed), only(z1.cert)) is z1.cert
    signxml_verify(signed, z1.cert)  # and the independent implementation agrees
    (tool,) = dcc_signing_tool().validate([(signed, z1.cert)])
    assert tool.signature_verified


def test_top_level_processing_instruction_is_covered(z1: Credential) -> None:
    # URI="" is the whole document (XMLDSig 4.3.3.3), so a processing instruction before the document element is
    # signed content. DCC's tool agrees both ways; signxml (which digests the document element only) does not.
    body = etree.tostring(flat(UNSIGNED))
    document = etree.fromstring(b'<?xml-stylesheet href="a.xsl"?>' + body).getroottree()
    sign(document.getroot(), z1.key, z1.cert)
    ours = etree.tostring(document)
    result, theirs = dcc_signing_tool().sign(b'<?xml-stylesheet href="a.xsl"?>' + body, z1.cert, z1.key)
    assert result.code == "SUCCESS" and b'<?xml-stylesheet href="a.xsl"?>' in theirs
    assert dcc_signing_tool().validate([(ours, z1.cert)])[0].signature_verified
    for data in (ours, theirs):
        assert verify(etree.fromstring(data), only(z1.cert)) is z1.cert
        with pytest.raises(SignatureError) as info:
            verify(etree.fromstring(data.replace(b"a.xsl", b"b.xsl")), only(z1.cert))
        assert info.value.reason == "digest mismatch"


def test_relative_namespace_uri_is_malformed_not_a_crash(z1: Credential) -> None:
    root = load_unsigned()
    signed = sign(copy.deepcopy(root), z1.key, z1.cert)
    broken = etree.fromstring(etree.tostring(signed).replace(b"<sr:Header>", b'<sr:Header xmlns:x="rel/ns">'))
    with pytest.raises(SignatureError) as info:
        verify(broken, only(z1.cert))
    assert info.value.reason == "malformed"
    unsigned = etree.fromstring(etree.tostring(root).replace(b"<sr:Header>", b'<sr:Header xmlns:x="rel/ns">'))
    with pytest.raises(SignatureError) as info:
        sign(unsigned, z1.key, z1.cert)
    assert info.value.reason == "malformed"
