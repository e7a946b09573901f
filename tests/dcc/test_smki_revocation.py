"""Revoke Organisation Certificate (BAD 7.7.2.5.4) as the operation a key compromise calls: from the revocation time
on, the DCC refuses the User's Service Requests at AB 6.1(e) (E1, with a signed DUIS response, nothing changed) and
its Signed Pre-Commands silently (AB 7.3(b)); before it they are carried out. Revocation is permanent and only for
Organisation Certificates (SEC Appendix D 8.1, 8.2.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dcc_support import (
    ESME,
    GAS_SUPPLIER_A,
    SUPPLIER_A,
    commission,
    dcc_state,
    now,
    premises,
    rejections,
    request_id,
    sign_as,
    valid_and_signed_by_dcc,
)
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from dccflow.db import session_scope
from dccsim.models import SmkiCertificate
from dccsim.smki_oca_activities import OcaActivities, OrganisationCertificateRevocation


async def test_requests_after_the_revocation_are_refused_with_e1_and_change_nothing(stack):
    rt = stack.runtime
    premises(rt)
    at = now()
    revoked = await ActivityEnvironment().run(OcaActivities(rt.smki).smki_revoke_organisation_certificate,
                                              OrganisationCertificateRevocation(user_id=SUPPLIER_A))
    assert revoked.serials == [str(rt.keys.get(SUPPLIER_A).cert.serial_number)]
    before = dcc_state(rt)
    reply = await rt.dcc.submit(commission(rt), max(at, revoked.at) + timedelta(seconds=1))
    assert (reply.outcome, reply.code) == ("rejected", "E1")
    assert "revoked" in reply.reason
    assert valid_and_signed_by_dcc(reply.xml).response_code == "E1"
    assert dcc_state(rt) == before  # nothing changed: not logged, no SMI change, nothing sent
    (refusal,) = rejections(rt)
    assert (refusal.originator, refusal.srv, refusal.code, refusal.silent) == (SUPPLIER_A, "8.1.1", "E1", False)


async def test_a_request_before_the_revocation_time_is_carried_out(stack):
    rt = stack.runtime
    premises(rt)
    later = now() + timedelta(days=1)
    rt.smki.revoke_organisation_certificates(SUPPLIER_A, later)
    reply = await rt.dcc.submit(commission(rt, counter=20), now())
    assert reply.outcome == "accepted", reply
    reply = await rt.dcc.submit(commission(rt, counter=21), later)
    assert (reply.outcome, reply.code) == ("rejected", "E1")


def test_revocation_is_permanent_and_for_organisation_certificates_only(tmp_path):
    from dccflow.db import get_engine
    from dccflow.parties import DCC_ID
    from dccsim.smki import PKI_EPOCH, SmkiRepository

    smki = SmkiRepository(get_engine(f"sqlite:///{tmp_path / 'smki.db'}"))
    smki.ensure_authorities(DCC_ID)
    smki.issue_user_credentials(user_id=SUPPLIER_A, role_code="02", organisation="Supplier A")
    first = PKI_EPOCH + timedelta(days=10)
    assert len(smki.revoke_organisation_certificates(SUPPLIER_A, first)) == 1
    # revoking again revokes nothing more and keeps the first time (never reinstated, D 8.2.1)
    assert smki.revoke_organisation_certificates(SUPPLIER_A, first + timedelta(days=1)) == []
    with session_scope(smki.engine) as s:
        (row,) = s.exec(select(SmkiCertificate).where(SmkiCertificate.subject_entity_id == SUPPLIER_A)).all()
    assert row.revoked_at.replace(tzinfo=None) == first.replace(tzinfo=None)
    assert smki.organisation_certificate(SUPPLIER_A) is None  # no longer placed in cells
    with pytest.raises(ValueError, match="Device Certificates cannot be"):
        smki.revoke_organisation_certificates(ESME, first)


async def test_a_request_placing_a_revoked_certificate_in_a_cell_is_refused(stack):
    """AB 6.1(j): the DCC confirms the validity of every certificate a Service Request carries; a revoked one (here
    the Gas Supplier MPID's, placed by the Import Supplier MPID of the same Party) stops it before the Device."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from dccflow.duis.requests_credentials import request_handover_of_dcc_controlled_device

    rt = stack.runtime
    premises(rt)
    placed = rt.keys.get(GAS_SUPPLIER_A).cert
    rt.smki.revoke_organisation_certificates(GAS_SUPPLIER_A, now() - timedelta(minutes=1))
    element = request_handover_of_dcc_controlled_device(
        request_id=request_id(SUPPLIER_A, ESME, 30), remote_party_role="Supplier",
        digital_signing_certificate=placed.public_bytes(Encoding.DER),
        certification_path_certificates=[c.public_bytes(Encoding.DER) for c in rt.smki.certification_path()],
        apply_time_based_cpv_checks=True)
    before = dcc_state(rt)
    reply = await rt.dcc.submit(sign_as(rt, SUPPLIER_A, element), now())
    assert (reply.outcome, reply.code) == ("rejected", "E1")
    assert "AB 6.1(j)" in reply.reason
    assert dcc_state(rt) == before
