"""Critical Service Requests go through the Pre-Command round trip (BAD 7.8.4.4.2; SEC Appendix AB 3.1, 3.2, 6.4(b),
7.1–7.3): the DCC answers a Critical request with a signed Pre-Command, the User checks and correlates it and
returns the Signed Pre-Command, and only then does a Command, carrying the User's signature, reach the Device."""

from __future__ import annotations

import base64
import json

import pytest
from dcc_support import (
    ESME,
    SUPPLIER_A,
    SUPPLIER_B,
    commission,
    dcc_state,
    delivered,
    log_entry,
    now,
    premises,
    request_id,
    sign_as,
    use_recording_wan,
    valid_and_signed_by_dcc,
    wait_for,
)
from lxml import etree
from sqlmodel import select

from activities.duis_client import PreCommandRefused
from activities.store import UserOutboxEntry, UserSignedPreCommand
from dccflow.db import session_scope
from dccflow.domain.smi import SmiStatus
from dccflow.duis.messages import build_request, to_bytes
from dccflow.duis.schema import duis_schema, secure_parse
from dccflow.gbcs import REQUEST_BODY, sign_payload
from dccflow.security.xmldsig import sign
from dccflow_app.scenarios.runner import run_scenario
from dccsim.inventory import Inventory
from dccsim.models import RequestLogEntry
from dccsim.records import ServiceLevelRecord
from devices.signing import SignatureCheck, check_signature


def outbox_entry(xml: bytes) -> UserOutboxEntry:
    rid = secure_parse(xml).findtext("{*}Header/{*}RequestID")
    return UserOutboxEntry(step_key="test", request_id=rid, workflow_id="test", srv="8.1.1", xml=xml, created_at=now())


async def test_a_critical_request_completes_through_the_pre_command_round_trip(stack):
    rt = stack.runtime
    premises(rt)
    wan = use_recording_wan(rt)
    sr = commission(rt)
    rid = request_id(SUPPLIER_A, ESME, 10)

    # 1. the DCC answers with a Pre-Command (AB 6.4(b)), and sends nothing to the Device yet
    reply = await rt.dcc.submit(sr, now())
    assert reply.outcome == "accepted" and reply.code == "I0"
    pre_command = valid_and_signed_by_dcc(reply.xml)
    assert pre_command.request_id == rid and pre_command.service_reference_variant == "8.1.1"
    assert set(pre_command.body["PreCommand"]) == {"GBCSVersion", "GBCSPayload"}
    payload = base64.b64decode(pre_command.body["PreCommand"]["GBCSPayload"])
    content = json.loads(payload)
    assert content["use_case"] == "ECS70" and content["request_id"] == rid and content["counter"] == 10
    assert content["params"][REQUEST_BODY]["TolerancePeriod"] == "60"
    assert wan.commands == [] and log_entry(rt, rid).stage == "pre_command_sent"

    # 2. the User checks, correlates and signs it (AB 3.1, 3.2)
    spc = rt.duis_client.signed_pre_command(outbox_entry(sr), reply.xml, now())
    doc = etree.fromstring(spc)
    assert duis_schema().validate(doc), duis_schema().error_log
    assert doc.findtext("{*}Header/{*}RequestID") == rid and doc.findtext("{*}Header/{*}CommandVariant") == "5"
    assert base64.b64decode(doc.findtext("{*}Body/{*}SignedPreCommand/{*}GBCSPayload")).startswith(payload)

    # 3. the DCC acknowledges the Signed Pre-Command (AB 7.1) and sends the Command with the User's signature
    ack = await rt.dcc.submit(spc, now())
    assert ack.outcome == "accepted" and ack.code == "I99"
    assert valid_and_signed_by_dcc(ack.xml).request_id == rid
    (command,) = await wait_for(lambda: wan.commands)
    assert command.signed_payload() == payload  # exactly the Pre-Command the User signed
    user_cert = rt.keys.get(SUPPLIER_A).cert
    assert check_signature(command, [user_cert]) == (SignatureCheck.OK, 0)  # as the ESME checks it
    assert check_signature(command, [rt.keys.get(SUPPLIER_B).cert])[0] == SignatureCheck.WRONG_SIGNER

    # 4. the Device's Response gives the Service Response, and the ESME is commissioned (AC 4.13)
    response = await wait_for(lambda: delivered(rt, kind="service_response", request_id=rid))
    assert valid_and_signed_by_dcc(response[0].xml).response_code == "I0"
    with session_scope(rt.engine) as s:
        assert Inventory(s).status(ESME) == SmiStatus.COMMISSIONED
        measures = {r.measure for r in s.exec(select(ServiceLevelRecord).where(ServiceLevelRecord.ref == rid))}
    assert measures == {"Pre-Command (Critical Service Request)", "On-Demand Service Response (CPM 1)"}


async def test_retransmissions_get_the_same_answers_and_one_command(stack):
    rt = stack.runtime
    premises(rt)
    wan = use_recording_wan(rt)
    sr = commission(rt)
    first = await rt.dcc.submit(sr, now())
    assert (await rt.dcc.submit(sr, now())).xml == first.xml
    spc = rt.duis_client.signed_pre_command(outbox_entry(sr), first.xml, now())
    assert rt.duis_client.signed_pre_command(outbox_entry(sr), first.xml, now()) == spc  # kept, not re-signed
    ack = await rt.dcc.submit(spc, now())
    assert (await rt.dcc.submit(spc, now())).xml == ack.xml
    await wait_for(lambda: delivered(rt, kind="service_response"))
    assert len(wan.commands) == 1


async def _pre_command(rt, counter: int = 10):
    sr = commission(rt, counter=counter)
    reply = await rt.dcc.submit(sr, now())
    return sr, reply.xml, base64.b64decode(valid_and_signed_by_dcc(reply.xml).body["PreCommand"]["GBCSPayload"])


def _spc(rt, user: str, rid: str, gbcs_payload: bytes) -> bytes:
    element = build_request(request_id=rid, service_reference_variant="8.1.1", body_element="SignedPreCommand",
                            body={"GBCSPayload": base64.b64encode(gbcs_payload).decode()}, command_variant=5)
    return sign_as(rt, user, element)


async def test_a_signed_pre_command_that_is_not_the_pre_command_is_rejected_and_changes_nothing(stack):
    rt = stack.runtime
    premises(rt)
    wan = use_recording_wan(rt)
    _, _, payload = await _pre_command(rt)
    rid = request_id(SUPPLIER_A, ESME, 10)
    altered = payload.replace(b'"TolerancePeriod":"60"', b'"TolerancePeriod":"86400"')
    before = dcc_state(rt)
    for spc, code in ((_spc(rt, SUPPLIER_A, rid, sign_payload(altered, rt.keys.get(SUPPLIER_A).key)), "E41"),
                      (_spc(rt, SUPPLIER_A, rid, payload), "E41"),  # not signed at all
                      (_spc(rt, SUPPLIER_A, rid, sign_payload(payload, rt.keys.get(SUPPLIER_B).key)), "E41"),
                      (_spc(rt, SUPPLIER_B, rid, sign_payload(payload, rt.keys.get(SUPPLIER_B).key)), "E1"),
                      (_spc(rt, SUPPLIER_A, request_id(SUPPLIER_A, ESME, 99), sign_payload(
                          payload, rt.keys.get(SUPPLIER_A).key)), "E41")):
        reply = await rt.dcc.submit(spc, now())
        assert (reply.outcome, reply.code) == ("rejected", code), reply.reason
        assert valid_and_signed_by_dcc(reply.xml).response_code == code  # AB 7.3: the User is told why
    assert dcc_state(rt) == before and wan.commands == []
    assert log_entry(rt, rid).stage == "pre_command_sent"  # the genuine Signed Pre-Command may still come


async def test_a_signed_pre_command_with_a_revoked_certificate_is_rejected_silently(stack):
    rt = stack.runtime
    premises(rt)
    _, _, payload = await _pre_command(rt)
    spc = _spc(rt, SUPPLIER_A, request_id(SUPPLIER_A, ESME, 10), sign_payload(payload, rt.keys.get(SUPPLIER_A).key))
    rt.smki.revoke(rt.keys.get(SUPPLIER_A).cert, now())
    reply = await rt.dcc.submit(spc, now())
    assert reply.outcome == "silent"  # AB 7.3(b): a failed 7.1(d) is not notified


async def test_the_user_does_not_sign_a_pre_command_that_does_not_correlate(stack):
    rt = stack.runtime
    premises(rt)
    sr, reply, payload = await _pre_command(rt)
    # a Pre-Command the DCC signs for a different Tolerance Period (digest 06 §L scenario 3)
    doc = etree.fromstring(reply)
    doc.remove(doc.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    altered = payload.replace(b'"TolerancePeriod":"60"', b'"TolerancePeriod":"86400"')
    doc.find(".//{*}PreCommand/{*}GBCSPayload").text = base64.b64encode(altered).decode()
    dcc = rt.smki.dcc_credential()
    with pytest.raises(PreCommandRefused, match="not substantively identical"):
        rt.duis_client.signed_pre_command(outbox_entry(sr), to_bytes(sign(doc, dcc.key, dcc.cert)), now())
    # …and one whose DCC signature does not verify is not even correlated (AB 3.1(a))
    tampered = reply.replace(b"<sr:GBCSVersion>4.0<", b"<sr:GBCSVersion>4.1<")
    with pytest.raises(PreCommandRefused, match="SignatureError"):
        rt.duis_client.signed_pre_command(outbox_entry(sr), tampered, now())
    with session_scope(rt.engine) as s:
        assert s.exec(select(UserSignedPreCommand)).all() == []


async def test_install_and_commission_commissions_through_a_signed_pre_command(stack):
    report = await run_scenario(stack.client, "install-commission-electricity")
    assert report.result == "completed", report.reason
    rt = stack.runtime
    with session_scope(rt.engine) as s:
        entry = s.exec(select(RequestLogEntry).where(RequestLogEntry.srv == "8.1.1")).one()
        kept = s.get(UserSignedPreCommand, entry.request_id)
    assert entry.stage == "completed" and entry.response_code == "I0"
    assert entry.pre_command_at is not None and entry.spc_received_at is not None
    assert kept is not None and kept.reply_code == "I99" and kept.signed_pre_command == entry.spc_xml
    assert valid_and_signed_by_dcc(entry.reply).body["PreCommand"]["GBCSVersion"] == "4.0"
    assert duis_schema().validate(etree.fromstring(entry.spc_xml))


async def test_every_message_the_dcc_produced_in_a_scenario_is_valid_and_signed(stack):
    from dccsim.models import DeliveredMessage

    await run_scenario(stack.client, "install-commission-electricity")
    with session_scope(stack.runtime.engine) as s:
        produced = [m.xml for m in s.exec(select(DeliveredMessage))]
        for entry in s.exec(select(RequestLogEntry)):
            produced += [x for x in (entry.reply, entry.spc_reply) if x is not None]
    assert len(produced) >= 9  # 3 replies, the Signed Pre-Command's Acknowledgement, responses and alerts
    for xml in produced:
        valid_and_signed_by_dcc(xml)
