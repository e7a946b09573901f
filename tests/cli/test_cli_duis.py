"""``dccflow duis check | sign | verify`` as a user runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree
from typer.testing import CliRunner

from dccflow.duis.messages import to_bytes
from dccflow.duis.responses import build_service_response
from dccflow.duis.schema import NS_DS, secure_parse, shared_dir
from dccflow.security.pki import KeyUsageKind, create_issuing_ca, create_root, issue_organisation_certificate
from dccflow_app.cli import app

runner = CliRunner()
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
SUPPLIER_ID = "90-B3-D5-1F-30-01-00-00"
SAMPLE = "8.2_READ_INVENTORY_REQUEST_DUIS.XML"


def _samples() -> list[Path]:
    return sorted(p for p in (shared_dir() / "duis" / "samples").iterdir() if p.is_file())


def _srv_of(name: str) -> str:  # '8.14.1_FOO.XML' -> '8.14.1'; 'CCS01_8.11_FOO.XML' -> '8.11'
    parts = name.split("_")
    return parts[0] if parts[0][:1].isdigit() else parts[1]


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A User's signing key and certificate, and a second certificate of another User, as PEM files."""
    folder = tmp_path_factory.mktemp("pki")
    ca = create_issuing_ca(create_root(not_before=EPOCH), "Issuing CA", not_before=EPOCH)
    files = {}
    for name, entity in (("user", SUPPLIER_ID), ("other", "90-B3-D5-1F-30-04-00-00")):
        cred = issue_organisation_certificate(ca, entity_id=entity, role_code="02", organisation=name,
                                              usage=KeyUsageKind.DIGITAL_SIGNING, not_before=EPOCH)
        (folder / f"{name}.key").write_bytes(cred.key_pem())
        (folder / f"{name}.crt").write_bytes(cred.cert_pem())
        files[name], files[f"{name}_key"] = folder / f"{name}.crt", folder / f"{name}.key"
    return files


def test_every_reference_sample_passes_check():
    samples = _samples()
    result = runner.invoke(app, ["duis", "check", *map(str, samples)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(samples)
    for path, line in zip(samples, lines, strict=True):
        assert line.startswith("OK") and path.name in line
        assert f"SRV {_srv_of(path.name)} " in line


def test_a_corrupted_copy_fails_naming_the_element_and_line(tmp_path):
    original = (shared_dir() / "duis" / "samples" / SAMPLE).read_text()
    broken = tmp_path / "broken.xml"
    broken.write_text(original.replace("<sr:CommandVariant>8</sr:CommandVariant>",
                                       "<sr:CommandVariant>twelve</sr:CommandVariant>"))
    line_no = next(i for i, text in enumerate(broken.read_text().splitlines(), 1) if "twelve" in text)
    result = runner.invoke(app, ["duis", "check", str(shared_dir() / "duis" / "samples" / SAMPLE), str(broken)])
    assert result.exit_code == 1
    ok, fail = result.stdout.splitlines()
    assert ok.startswith("OK")
    assert fail.startswith("FAIL") and "broken.xml" in fail
    assert "<CommandVariant>" in fail and f"line {line_no}" in fail and "twelve" in fail
    assert "1 of 2" in result.stderr


def test_check_reports_kind_and_code_of_a_response(tmp_path):
    response = tmp_path / "response.xml"
    response.write_bytes(to_bytes(build_service_response(
        request_id=f"{SUPPLIER_ID}:90-B3-D5-1F-30-00-00-02:1", response_code="E17", at=EPOCH,
        service_reference_variant="8.14.1")))
    result = runner.invoke(app, ["duis", "check", str(response)])
    assert result.exit_code == 0, result.output
    assert "service_response E17" in result.stdout and "SRV 8.14.1" in result.stdout


def test_sign_then_verify_round_trip(tmp_path, pki):
    sample = shared_dir() / "duis" / "samples" / SAMPLE
    signed = tmp_path / "signed.xml"
    key_args = ["--key", str(pki["user_key"]), "--cert", str(pki["user"])]

    refused = runner.invoke(app, ["duis", "sign", str(sample), *key_args, "-o", str(signed)])
    assert refused.exit_code == 2 and "--replace" in refused.stderr and not signed.exists()

    done = runner.invoke(app, ["duis", "sign", str(sample), *key_args, "--replace", "-o", str(signed)])
    assert done.exit_code == 0, done.output
    assert runner.invoke(app, ["duis", "check", str(signed)]).exit_code == 0
    valid = runner.invoke(app, ["duis", "verify", str(signed), "--cert", str(pki["user"])])
    assert valid.exit_code == 0, valid.output
    assert "VALID" in valid.stdout and SUPPLIER_ID in valid.stdout

    to_stdout = runner.invoke(app, ["duis", "sign", str(signed), *key_args, "--replace"])
    assert to_stdout.exit_code == 0 and to_stdout.stdout.startswith("<?xml")


def test_verify_fails_with_another_certificate_or_a_changed_message(tmp_path, pki):
    sample = shared_dir() / "duis" / "samples" / SAMPLE
    signed = tmp_path / "signed.xml"
    runner.invoke(app, ["duis", "sign", str(sample), "--key", str(pki["user_key"]), "--cert", str(pki["user"]),
                        "--replace", "-o", str(signed)])
    wrong = runner.invoke(app, ["duis", "verify", str(signed), "--cert", str(pki["other"])])
    assert wrong.exit_code == 1
    assert "INVALID" in wrong.stdout and "unknown certificate" in wrong.stdout

    changed = tmp_path / "changed.xml"
    changed.write_text(signed.read_text().replace("00-DB-12-34-56-78-90-A2", "00-DB-12-34-56-78-90-A3"))
    tampered = runner.invoke(app, ["duis", "verify", str(changed), "--cert", str(pki["user"])])
    assert tampered.exit_code == 1 and "digest mismatch" in tampered.stdout

    placeholder = runner.invoke(app, ["duis", "verify", str(sample), "--cert", str(pki["user"])])
    assert placeholder.exit_code == 1 and "INVALID" in placeholder.stdout


def test_sign_refuses_a_key_that_does_not_match_the_certificate(tmp_path, pki):
    sample = shared_dir() / "duis" / "samples" / SAMPLE
    result = runner.invoke(app, ["duis", "sign", str(sample), "--key", str(pki["user_key"]),
                                 "--cert", str(pki["other"]), "--replace"])
    assert result.exit_code == 2 and "does not match" in result.stderr


def _self_signed(folder: Path, curve: ec.EllipticCurve, password: bytes | None = None) -> tuple[Path, Path]:
    """A key on ``curve`` and a self-signed digital-signing certificate of it, as PEM files."""
    key = ec.generate_private_key(curve)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"test {curve.name}")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(EPOCH)
            .not_valid_after(EPOCH + timedelta(days=3650)).sign(key, hashes.SHA256()))
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    key_file, cert_file = folder / f"{curve.name}.key", folder / f"{curve.name}.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def test_only_p256_signs_and_verifies_in_the_duis_profile(tmp_path, pki):
    """ECDSA P-256 is the profile: a P-384 key is refused for signing (exit 2), and a P-384 signature is INVALID
    (exit 1) even when the message was signed outside dccflow (signxml, in the same profile otherwise)."""
    from signxml import SignatureMethod, XMLSigner

    sample = shared_dir() / "duis" / "samples" / SAMPLE
    key, cert = _self_signed(tmp_path, ec.SECP384R1())
    refused = runner.invoke(app, ["duis", "sign", str(sample), "--key", str(key), "--cert", str(cert), "--replace"])
    assert refused.exit_code == 2 and "EC P-256" in refused.stderr
    root = secure_parse(sample.read_bytes())
    root.remove(root.find(f"{{{NS_DS}}}Signature"))
    signed = XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256).sign(
        root, key=key.read_bytes(), cert=cert.read_text())
    other = tmp_path / "p384.xml"
    other.write_bytes(etree.tostring(signed))
    verdict = runner.invoke(app, ["duis", "verify", str(other), "--cert", str(cert)])
    assert verdict.exit_code == 1 and "INVALID" in verdict.stdout, verdict.output


def test_sign_inputs_it_cannot_use_are_one_line_and_exit_2(tmp_path, pki, monkeypatch):
    sample = shared_dir() / "duis" / "samples" / SAMPLE
    key_args = ["--key", str(pki["user_key"]), "--cert", str(pki["user"]), "--replace"]
    locked, cert = _self_signed(tmp_path, ec.SECP256R1(), password=b"x")
    encrypted = runner.invoke(app, ["duis", "sign", str(sample), "--key", str(locked), "--cert", str(cert),
                                    "--replace"])
    assert encrypted.exit_code == 2 and "the private key is encrypted" in encrypted.stderr
    for out in (tmp_path, tmp_path / "no" / "such" / "out.xml"):
        result = runner.invoke(app, ["duis", "sign", str(sample), *key_args, "-o", str(out)])
        assert result.exit_code == 2 and f"-o {out}: cannot be written" in result.stderr, result.output
    monkeypatch.setenv("DCCFLOW_DUIS_SCHEMA_DIR", str(tmp_path / "nowhere"))
    from dccflow.duis import schema

    caches = (schema._schema_dir, schema._resolved)
    for cache in caches:
        cache.cache_clear()
    try:
        for command in (["check", str(sample)], ["sign", str(sample), *key_args]):
            result = runner.invoke(app, ["duis", *command])
            assert result.exit_code == 2 and result.stderr.startswith("error: DUIS schema not found"), result.output
            assert "Traceback" not in result.output
    finally:
        monkeypatch.undo()
        for cache in caches:
            cache.cache_clear()
