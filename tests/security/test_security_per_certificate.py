"""``dccflow.security.per_certificate``: a certificate's facts computed once per certificate object."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from security_support import SUPPLIER_ID, Smki

from dccflow.security import per_certificate as module
from dccflow.security.certinfo import entity_id_of


def test_computed_once_per_object_and_right_for_an_equal_copy(smki: Smki) -> None:
    calls: list[x509.Certificate] = []

    @module.per_certificate
    def serial(cert: x509.Certificate) -> int:
        calls.append(cert)
        return cert.serial_number

    cert = smki.signer.cert
    copy = x509.load_der_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert copy == cert and copy is not cert
    assert serial(cert) == serial(cert) == cert.serial_number
    assert serial(smki.ca.cert) == smki.ca.cert.serial_number  # another certificate: its own value
    assert serial(copy) == cert.serial_number
    assert [c is cert for c in calls] == [True, False, False]  # once each for the three objects


def test_a_full_cache_starts_again_and_never_answers_for_another_object(smki: Smki, monkeypatch) -> None:
    monkeypatch.setattr(module, "MAX_ENTRIES", 2)

    @module.per_certificate
    def subject(cert: x509.Certificate) -> str:
        return cert.subject.rfc4514_string()

    certs = [smki.root.cert, smki.ca.cert, smki.signer.cert, smki.agreement.cert]
    for _ in range(3):
        assert [subject(c) for c in certs] == [c.subject.rfc4514_string() for c in certs]


def test_entity_id_of_the_signer(smki: Smki) -> None:
    assert entity_id_of(smki.signer.cert) == SUPPLIER_ID
    assert entity_id_of(smki.root.cert) is None
