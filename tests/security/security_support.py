"""Helpers for dccflow.security tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from lxml import etree

from dccflow.duis.schema import shared_dir
from dccflow.security import (
    Credential,
    KeyUsageKind,
    create_issuing_ca,
    create_root,
    find_signature,
    issue_organisation_certificate,
    normalise_name,
)

SHARED_DIR = shared_dir()  # beside the checkout, or $DCCFLOW_SHARED_DIR
SAMPLES_DIR = SHARED_DIR / "duis" / "samples"
SCHEMA_PATH = SHARED_DIR / "duis" / "schema" / "duis-5.4.xsd"
SAMPLE_FILES = sorted(SAMPLES_DIR.glob("*.XML"))
NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
SUPPLIER_ID = "90-B3-D5-1F-30-01-00-00"


@dataclass
class Smki:
    root: Credential
    ca: Credential
    signer: Credential  # supplier Digital Signing Organisation Certificate
    agreement: Credential  # supplier Key Agreement Organisation Certificate


def build_smki() -> Smki:
    root = create_root("Root OCA", not_before=NOT_BEFORE)
    ca = create_issuing_ca(root, "U1", not_before=NOT_BEFORE, role_code="07")
    common = dict(entity_id=SUPPLIER_ID, role_code="02", organisation="Acme Energy", not_before=NOT_BEFORE)
    signer = issue_organisation_certificate(ca, usage=KeyUsageKind.DIGITAL_SIGNING, **common)
    agreement = issue_organisation_certificate(ca, usage=KeyUsageKind.KEY_AGREEMENT, **common)
    return Smki(root=root, ca=ca, signer=signer, agreement=agreement)


def registry(*certs: x509.Certificate) -> Callable[[str, int], x509.Certificate | None]:
    """A certificate lookup keyed by (normalised issuer name, serial), like a repository would be."""
    table = {(normalise_name(cert.issuer), cert.serial_number): cert for cert in certs}
    return lambda issuer, serial: table.get((issuer, serial))


def load_unsigned(path: Path = SAMPLE_FILES[0]) -> etree._Element:
    """Parse a DUIS sample and strip its placeholder ds:Signature."""
    root = etree.parse(str(path)).getroot()
    placeholder = find_signature(root)
    assert placeholder is not None
    root.remove(placeholder)
    return root
