"""Confirm Validity (AB 6.1(e)) with the verified-path cache: a certificate's path is verified once, but its
validity window and revocation are still checked on every request, and a revocation made by another process
(another repository object on its own engine) is seen at once. Also: the content digest the pipeline takes from
the signature check is the retransmission digest it replaces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import create_engine

from dccflow.db import get_engine, session_scope
from dccflow.duis import requests as duis
from dccflow.duis.messages import to_bytes
from dccflow.duis.schema import secure_parse
from dccflow.parties import DCC_ID
from dccflow.security.pki import CertificateError
from dccflow.security.xmldsig import sign, verify_with_digest
from dccsim.pipeline import content_digest
from dccsim.smki import PKI_EPOCH, SmkiRepository

AT = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
USER_ID = "90-B3-D5-1F-30-01-00-01"


@pytest.fixture
def repositories(tmp_path):
    """The DCC's repository and the same database seen from 'another process' (own engine, own caches)."""
    url = f"sqlite:///{tmp_path / 'smki.db'}"
    smki = SmkiRepository(get_engine(url))
    smki.ensure_authorities(DCC_ID)
    other = SmkiRepository(create_engine(url, connect_args={"timeout": 30}))
    return smki, other


def test_a_revocation_by_another_process_is_seen_by_the_next_request(repositories):
    smki, other = repositories
    cred = smki.issue_user_credentials(user_id=USER_ID, role_code="01", organisation="Supplier A")
    smki.confirm_validity(cred.cert, AT)  # the path is verified and cached
    with session_scope(smki.engine) as s:
        smki.confirm_validity(cred.cert, AT, session=s)
    other.revoke(cred.cert, AT - timedelta(minutes=1))
    for session in (None, "request transaction"):
        with pytest.raises(CertificateError, match="revoked"):
            if session is None:
                smki.confirm_validity(cred.cert, AT)
            else:
                with session_scope(smki.engine) as s:
                    smki.confirm_validity(cred.cert, AT, session=s)
    # revoked from a later moment: still valid before it
    later = smki.issue_user_credentials(user_id=USER_ID, role_code="01", organisation="Supplier A")
    smki.confirm_validity(later.cert, AT)
    other.revoke(later.cert, AT + timedelta(days=1))
    smki.confirm_validity(later.cert, AT)
    with pytest.raises(CertificateError, match="revoked"):
        smki.confirm_validity(later.cert, AT + timedelta(days=2))


def test_the_validity_window_is_checked_on_every_call_after_the_path_is_cached(repositories):
    smki, _ = repositories
    cred = smki.issue_user_credentials(user_id=USER_ID, role_code="01", organisation="Supplier A")
    smki.confirm_validity(cred.cert, AT)
    with pytest.raises(CertificateError, match="not yet valid"):
        smki.confirm_validity(cred.cert, PKI_EPOCH - timedelta(seconds=1))
    with pytest.raises(CertificateError, match="expired"):
        smki.confirm_validity(cred.cert, cred.cert.not_valid_after_utc + timedelta(seconds=1))
    smki.confirm_validity(cred.cert, AT)


def test_the_verified_reference_digest_is_the_content_digest(repositories):
    smki, _ = repositories
    cred = smki.issue_user_credentials(user_id=USER_ID, role_code="01", organisation="Supplier A")
    for counter in (1, 2):
        el = duis.communications_hub_status_update_install_success(
            request_id=f"{USER_ID}:{DCC_ID}:{counter}", chf_id="00-DB-12-34-56-78-90-C1", mpxn="1234567890123")
        root = secure_parse(to_bytes(sign(el, cred.key, cred.cert)))
        cert, digest = verify_with_digest(root, smki.find)
        assert cert == cred.cert and digest.hex() == content_digest(root)
