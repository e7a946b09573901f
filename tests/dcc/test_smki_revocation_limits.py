"""The SMKI's Device Certificate issuance limits (BAD 7.7.2.5.3; digest 05 §C.3) as data with a check: fewer than
100 Device Certificates previously Issued for a Device ID (DC-04), batches of at most 50,000 CSRs (DC-03); a Device
CSR over the limit is refused to the Subscriber and nothing is lodged. Device Certificates are never revoked."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlmodel import func, select
from temporalio.exceptions import ApplicationError

from activities.smki_client import CSR_REJECTED, DeviceCertificateRequest, SmkiClient
from dccflow.db import get_engine, session_scope
from dccflow.domain.credentials import (
    DEVICE_CERTIFICATE_LIMITS,
    DeviceCertificateLimitReached,
    DeviceCertificateLimits,
    check_batch_size,
    check_device_certificate_count,
)
from dccflow.parties import DCC_ID
from dccflow.security.pki import KeyUsageKind, make_device_csr, new_private_key
from dccsim.models import SmkiCertificate
from dccsim.smki import PKI_EPOCH, SmkiRepository

DEVICE = "00-DB-12-03-00-00-09-01"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"


def test_the_limits_are_the_code_s():
    assert (DEVICE_CERTIFICATE_LIMITS.per_device, DEVICE_CERTIFICATE_LIMITS.per_batch) == (100, 50_000)
    assert DEVICE_CERTIFICATE_LIMITS.pickup == timedelta(days=30)
    check_device_certificate_count(DEVICE, 99)
    with pytest.raises(DeviceCertificateLimitReached, match="Service Desk"):
        check_device_certificate_count(DEVICE, 100)
    check_batch_size(50_000)
    with pytest.raises(ValueError, match="rejected whole"):
        check_batch_size(50_001)


def test_a_csr_beyond_the_device_s_limit_is_refused_and_nothing_is_lodged(tmp_path):
    smki = SmkiRepository(get_engine(f"sqlite:///{tmp_path / 'smki.db'}"))
    smki.ensure_authorities(DCC_ID)
    smki.limits = DeviceCertificateLimits(per_device=2)
    at = PKI_EPOCH + timedelta(days=1)

    def csr() -> str:
        return base64.b64encode(make_device_csr(new_private_key(), DEVICE).public_bytes(Encoding.DER)).decode()

    client = SmkiClient(smki)
    for _ in range(2):
        client.request_device_certificate(DeviceCertificateRequest(device_id=DEVICE, csr=csr(), user_id=SUPPLIER,
                                                                   usage=KeyUsageKind.KEY_AGREEMENT))
    with pytest.raises(ApplicationError, match="fewer than 2") as refused:
        client.request_device_certificate(DeviceCertificateRequest(device_id=DEVICE, csr=csr(), user_id=SUPPLIER))
    assert refused.value.type == CSR_REJECTED and refused.value.non_retryable
    with session_scope(smki.engine) as s:
        assert s.exec(select(func.count()).select_from(SmkiCertificate)
                      .where(SmkiCertificate.subject_entity_id == DEVICE)).one() == 2
    with pytest.raises(DeviceCertificateLimitReached):
        smki.issue_device_certificate(base64.b64decode(csr()), DEVICE, KeyUsageKind.DIGITAL_SIGNING, at)
