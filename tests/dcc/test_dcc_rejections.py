"""Each check of the Service Request pipeline (BAD 7.8.4.4; SEC Appendix AB 6.1, 6.3) refuses what it must, tells
the User why (or, after a bad signature, nothing at all) and leaves the DCC exactly as it was."""

from __future__ import annotations

from datetime import timedelta

from dcc_support import (
    CHF,
    DISTRIBUTOR,
    ESME,
    MPAN,
    NEW_ESME,
    SUPPLIER_A,
    SUPPLIER_B,
    add_to_chf,
    commission,
    dcc_state,
    delivered,
    now,
    premises,
    rejections,
    request_id,
    sign_as,
    signed_request,
    use_recording_wan,
    valid_and_signed_by_dcc,
)

from activities.compose import compose_request
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.duis.messages import to_bytes
from dccflow.duis.schema import MAX_MESSAGE_BYTES
from dccflow.security.pki import KeyUsageKind, create_issuing_ca, create_root, issue_organisation_certificate
from dccflow.security.xmldsig import sign
from dccsim.inventory import Inventory
from dccsim.smki import PKI_EPOCH


async def refused(rt, xml: bytes, code: str | None):
    """Submit, expect a refusal with ``code`` and a signed DUIS answer (when one can be formed), and nothing
    changed in the DCC."""
    before = dcc_state(rt)
    reply = await rt.dcc.submit(xml, now())
    assert reply.outcome == "rejected", reply
    assert reply.code == code, reply.reason
    if reply.xml is not None:
        answer = valid_and_signed_by_dcc(reply.xml)
        assert answer.response_code == code
    assert dcc_state(rt) == before
    return reply


async def test_a_tampered_body_is_rejected_silently_and_nothing_is_delivered(stack):
    rt = stack.runtime
    premises(rt)
    wan = use_recording_wan(rt)
    xml = commission(rt).replace(b"<sr:TolerancePeriod>60<", b"<sr:TolerancePeriod>61<")
    before = dcc_state(rt)
    reply = await rt.dcc.submit(xml, now())
    assert reply.outcome == "silent" and reply.xml is None and reply.code is None  # SEC AB 6.3
    assert dcc_state(rt) == before and delivered(rt) == [] and wan.commands == []
    (audit,) = rejections(rt)
    assert audit.silent and audit.check.startswith("D:") and "digest mismatch" in audit.reason


async def test_a_certificate_the_smki_does_not_know_leaves_the_signature_uncheckable(stack):
    rt = stack.runtime
    premises(rt)
    root = create_root("Not the SMKI", not_before=PKI_EPOCH)
    rogue = issue_organisation_certificate(create_issuing_ca(root, "Rogue OCA", not_before=PKI_EPOCH),
                                           entity_id=SUPPLIER_A, role_code="01", usage=KeyUsageKind.DIGITAL_SIGNING,
                                           organisation="Supplier A", not_before=PKI_EPOCH)
    element = compose_request("8.1.1", request_id(SUPPLIER_A, ESME, 5),
                              {"current_datetime": now().isoformat(), "tolerance_period": 60})
    before = dcc_state(rt)
    reply = await rt.dcc.submit(to_bytes(sign(element, rogue.key, rogue.cert)), now())
    assert reply.outcome == "silent"  # AB 6.1(d) cannot be satisfied, so AB 6.3 applies
    assert "unknown certificate" in reply.reason
    assert dcc_state(rt) == before


async def test_a_revoked_certificate_is_rejected_with_the_code(stack):
    rt = stack.runtime
    premises(rt)
    rt.smki.revoke(rt.keys.get(SUPPLIER_A).cert, PKI_EPOCH)
    reply = await refused(rt, commission(rt), "E1")
    assert "revoked" in reply.reason


async def test_a_network_operator_cannot_send_the_supplier_only_commission_device(stack):
    rt = stack.runtime
    premises(rt)
    reply = await refused(rt, commission(rt, user=DISTRIBUTOR), "E2")
    assert "Electricity Distributor" in reply.reason


async def test_a_supplier_not_registered_for_the_mpxn_is_not_eligible(stack):
    rt = stack.runtime
    premises(rt)
    reply = await refused(rt, commission(rt, user=SUPPLIER_B), "E4")
    assert MPAN in reply.reason and "AB 6.1(f)" in reply.reason


async def test_a_registration_that_starts_in_the_future_does_not_count_now(stack):
    rt = stack.runtime
    premises(rt, registered_from=now() + timedelta(days=3))
    await refused(rt, commission(rt), "E4")


async def test_a_registration_that_ended_does_not_count(stack):
    rt = stack.runtime
    premises(rt, registered_to=now() - timedelta(days=1))
    await refused(rt, commission(rt), "E4")


async def test_a_future_dated_request_is_judged_at_its_execution_time(stack):
    """AB 6.1(f)(ii): Supplier B, due to become registered tomorrow, may send an 8.11 executing the day after;
    Supplier A, registered until tomorrow, may not."""
    rt = stack.runtime
    premises(rt, registered_to=now() + timedelta(days=1))
    from dccsim.inventory import Registration
    with session_scope(rt.engine) as s:
        Registration(s).add(mpxn=MPAN, fuel="electricity", supplier_id=SUPPLIER_B, network_operator_id=DISTRIBUTOR,
                            effective_from=now() + timedelta(days=1))
        Inventory(s).add(NEW_ESME, DeviceType.ESME, SmiStatus.PENDING, now(), reason="test", added_by=SUPPLIER_B)
    later = now() + timedelta(days=2)
    await refused(rt, add_to_chf(rt, user=SUPPLIER_A, execution_datetime=later), "E4")
    use_recording_wan(rt)
    reply = await rt.dcc.submit(add_to_chf(rt, user=SUPPLIER_B, execution_datetime=later), now())
    assert reply.outcome == "accepted" and reply.code == "I99"


async def test_execution_time_must_be_after_receipt_and_within_thirty_days(stack):
    rt = stack.runtime
    premises(rt)
    with session_scope(rt.engine) as s:
        Inventory(s).add(NEW_ESME, DeviceType.ESME, SmiStatus.PENDING, now(), reason="test")
    await refused(rt, add_to_chf(rt, execution_datetime=now() - timedelta(minutes=1)), "E31")
    await refused(rt, add_to_chf(rt, counter=12, execution_datetime=now() + timedelta(days=31)), "E31")


async def test_a_device_whose_status_forbids_the_request(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    reply = await refused(rt, commission(rt), "E5")  # AC 4.12(b)
    assert "commissioned" in reply.reason
    with session_scope(rt.engine) as s:
        Inventory(s).set_status(CHF, SmiStatus.DECOMMISSIONED, now(), "test")
        Inventory(s).add(NEW_ESME, DeviceType.ESME, SmiStatus.PENDING, now(), reason="test")
    reply = await refused(rt, add_to_chf(rt), "E5")  # AB 6.1(c)
    assert "AB 6.1(c)" in reply.reason


async def test_an_unknown_device_and_a_wrong_device_type(stack):
    rt = stack.runtime
    premises(rt)
    await refused(rt, commission(rt, target="00-DB-12-03-00-00-09-99"), "E19")
    await refused(rt, commission(rt, target=CHF), "E11")


async def test_a_replayed_request_id_and_a_lower_counter_are_rejected(stack):
    rt = stack.runtime
    premises(rt)
    use_recording_wan(rt)
    with session_scope(rt.engine) as s:
        Inventory(s).add(NEW_ESME, DeviceType.ESME, SmiStatus.PENDING, now(), reason="test")
        Inventory(s).add("00-DB-12-03-00-00-09-03", DeviceType.ESME, SmiStatus.PENDING, now(), reason="test")
    first = await rt.dcc.submit(add_to_chf(rt, counter=20), now())
    assert first.outcome == "accepted"
    again = await rt.dcc.submit(add_to_chf(rt, counter=20), now())  # a retransmission: the same answer
    assert again.outcome == "accepted" and again.xml == first.xml
    reply = await refused(rt, add_to_chf(rt, counter=20, device="00-DB-12-03-00-00-09-03"), "E40")
    assert "already used" in reply.reason
    reply = await refused(rt, add_to_chf(rt, counter=19, device="00-DB-12-03-00-00-09-03"), "E40")
    assert "not above 20" in reply.reason


async def test_a_command_variant_the_srv_does_not_allow(stack):
    rt = stack.runtime
    premises(rt)
    element = compose_request("8.1.1", request_id(SUPPLIER_A, ESME, 7),
                              {"current_datetime": now().isoformat(), "tolerance_period": 60, "command_variant": 5})
    await refused(rt, sign_as(rt, SUPPLIER_A, element), "E12")


async def test_hostile_xml_is_refused_without_expansion(stack):
    rt = stack.runtime
    premises(rt)
    xxe = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">&x;</sr:Request>')
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        f'<!ENTITY lol{i} "{"&lol%s;" % ("" if i == 1 else i - 1) * 10}">'.encode() for i in range(1, 10)) + \
        b']><lolz>&lol9;</lolz>'
    oversized = b'<?xml version="1.0"?><a>' + b"x" * MAX_MESSAGE_BYTES + b"</a>"
    for hostile in (xxe, laughs, oversized, b"<sr:Request", b"not xml at all"):
        reply = await refused(rt, hostile, "E1")
        assert reply.xml is None  # nothing readable to answer to
    reasons = [r.reason for r in rejections(rt)]
    assert "DOCTYPE" in reasons[0] and "DOCTYPE" in reasons[1] and "limit" in reasons[2]


async def test_a_request_signed_for_another_originator(stack):
    rt = stack.runtime
    premises(rt)
    element = compose_request("8.1.1", request_id(SUPPLIER_A, ESME, 8),
                              {"current_datetime": now().isoformat(), "tolerance_period": 60})
    reply = await refused(rt, sign_as(rt, SUPPLIER_B, element), "E1")
    assert "originator" in reply.reason


async def test_every_rejection_is_audited_apart_from_the_request_log(stack):
    rt = stack.runtime
    premises(rt)
    await rt.dcc.submit(commission(rt, user=SUPPLIER_B), now())
    await rt.dcc.submit(signed_request(rt, DISTRIBUTOR, "8.1.1", ESME, 1, current_datetime=now(),
                                       tolerance_period=60), now())
    assert [(r.code, r.originator, r.srv) for r in rejections(rt)] == [("E4", SUPPLIER_B, "8.1.1"),
                                                                       ("E2", DISTRIBUTOR, "8.1.1")]
