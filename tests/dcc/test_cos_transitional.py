"""Transitional Change of Supplier through the simulated DCC, the CoS Party and the fleet (BAD 7.7.1.5.4; SEC
Appendix AB 6.1(g), 8, 14.2; AD 3.8.75.4): signed DUIS in, signed DUIS out, the Device's cells and Meter state."""

from __future__ import annotations

from datetime import UTC, timedelta

from cos_support import (
    ESME,
    GAINING,
    LOSING,
    MPAN,
    alerts,
    cell_owner,
    change_of_supplier,
    commissioned,
    cos_record,
    cos_request,
    cos_verdicts,
    create_schedule,
    service_response,
    skip,
    withdraw_change_of_supplier,
)
from dcc_support import (
    accepted,
    built_request,
    dcc_state,
    delivered,
    log_entry,
    request,
    submitted,
    valid_and_signed_by_dcc,
    wait_for,
)
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.duis.requests_supplier import update_import_tariff_single_rate, update_supplier_name
from dccflow.messages import GbcsCommand
from dccsim.models import SmiDevice
from dccsim.schedules import DccSchedule
from devices.anchors import authority
from devices.cos_effects import zeroed
from devices.faults import parse_fault
from devices.models import DeviceState
from devices.signing import sign_command


def _meter(rt, **values) -> None:
    with session_scope(rt.engine) as s:
        dev = s.get(DeviceState, ESME)
        for k, v in values.items():
            setattr(dev, k, v)
        s.add(dev)


def _smi(rt) -> list[dict]:
    with session_scope(rt.engine) as s:
        return [d.model_dump() for d in s.exec(select(SmiDevice).order_by(SmiDevice.device_id))]


async def test_cos_replaces_the_supplier_cell_and_tells_the_losing_supplier(stack):
    rt = stack.runtime
    await commissioned(stack)
    assert cell_owner(rt, ESME) == LOSING
    _meter(rt, registers={"active_import_wh": 123456}, tariff_block_counters=[[5, 6, 7, 8]] * 8,
           supplier_name="Supplier A")
    now = await stack.env.get_current_time()
    # the Losing Supplier's DCC Schedule and a future-dated request for the ESME, held by the DCC
    sid, schedule = create_schedule(rt, LOSING, ESME)
    created = await rt.dcc.submit(schedule, now)
    assert created.outcome == "accepted" and created.code == "I0"
    schedule_id = int(valid_and_signed_by_dcc(created.xml).body["DSPScheduleID"])
    fd_rid, fd = request(rt, LOSING, "6.20.1", ESME, import_mpan=MPAN, execution_datetime=now + timedelta(days=2))
    assert (await rt.dcc.submit(fd, now)).code == "I99"

    change_of_supplier(rt, now)
    rid, sr = cos_request(rt)
    reply = await rt.dcc.submit(sr, now)
    assert reply.outcome == "accepted" and reply.code == "I99"  # a Non-Critical request: acknowledged
    _row, response = await service_response(rt, rid)
    assert response.response_code == "I0"
    assert cell_owner(rt, ESME) == GAINING

    meter = rt.fleet.get(ESME)
    assert meter.supplier_name == "Supplier B"
    (entry,) = meter.billing_data_log
    assert entry["registers"] == {"active_import_wh": 123456} and entry["tariff_block_counters"] == [[5, 6, 7, 8]] * 8
    assert meter.tariff_block_counters == [[0, 0, 0, 0]] * 8

    # AD 3.8.75.4 (a)-(c): N27, N17 per Schedule, N38 per held future-dated request — to the Losing Supplier
    (n27,) = alerts(rt, "N27")
    assert n27.recipient == LOSING and n27.request_id is None and n27.device_id == ESME
    assert valid_and_signed_by_dcc(n27.xml).body["DCCAlert"]["ChangeOfSupplier"]["DeviceChangeOfSupplier"]["MPxNs"] == {
        "ImportMPxN": MPAN}
    (n17,) = alerts(rt, "N17")
    assert n17.recipient == LOSING
    assert int(valid_and_signed_by_dcc(n17.xml).body["DCCAlert"]["DSPScheduleRemoval"]["DSPScheduleID"]) == schedule_id
    (n38,) = alerts(rt, "N38")
    assert n38.recipient == LOSING and n38.request_id == rid  # the DCC's record: raised by the 6.23
    n38_message = valid_and_signed_by_dcc(n38.xml)  # it names the cancelled request (routed to its sender)
    assert n38_message.request_id == fd_rid
    assert n38_message.body["DCCAlert"]["CommandFailure"]["CommandRequestID"] == fd_rid
    with session_scope(rt.engine) as s:
        assert s.get(DccSchedule, schedule_id).status == "cancelled (CoS)"
    assert not alerts(rt, "N26")

    # the cancelled request is never sent: past its execution time nothing more is said about it
    await skip(stack, timedelta(days=3).total_seconds())
    assert log_entry(rt, fd_rid).stage == "cancelled"
    assert not delivered(rt, request_id=fd_rid)  # no Service Response, no N7 / N12 / N13 for it

    # three signers: the DCC's communication, the CoS Party's Signed Pre-Command, neither the ACB's
    record = cos_record(rt, rid)
    assert record.cos_outcome == record.spc_outcome == "passed" and record.losing_supplier == LOSING
    assert len({record.forward_signer, record.spc_signer,
                _signer(authority_cert(rt, "dcc-acb"))}) == 3
    assert record.spc_signer == _signer(authority_cert(rt, "dcc-transcos"))

    # the Losing Supplier can no longer operate the Device: the DCC refuses it (AB 6.1(f)) ...
    later = await stack.env.get_current_time()
    _, refused_sr = request(rt, LOSING, "6.20.1", ESME, import_mpan=MPAN)
    refused = await rt.dcc.submit(refused_sr, later)
    assert refused.outcome == "rejected" and refused.code == "E4"
    # ... and a Critical Command it signed, were it forced through, the Device refuses: wrong Supplier cell
    forced = sign_command(GbcsCommand(use_case="CS02c", target=ESME, originator=LOSING, request_id=f"{LOSING}:x:99",
                                      counter=99, params={"key_usage": "DigitalSigning"}), rt.keys.get(LOSING))
    answer, _effects = rt.fleet.execute(forced, later)
    assert not answer.success and "signature check failed" in answer.reason
    # the Gaining Supplier now can (a Critical request, signed by it, verified against the new cell)
    issued = await _critical(stack, GAINING, "6.17", ESME, credential_type="Digital Signature")
    assert issued.response_code == "I0"

    # the audit judges each actor's part from the DCC's records
    verdicts = cos_verdicts(rt, now)
    assert {k: v for k, v in verdicts.items() if v != ["met"]} == {
        "COS-04": ["not applicable"], "COS-05": ["not applicable"], "COS-08": ["not applicable"],
        "COS-09": ["not applicable"], "COS-X1": ["not assessed"], "COS-X2": ["not assessed"]}


def authority_cert(rt, name: str):
    with session_scope(rt.engine) as s:
        return authority(s, name).cert


def _signer(cert) -> str:
    return f"{cert.issuer.rfc4514_string()} #{cert.serial_number}"


async def _critical(stack, user: str, srv: str, target: str, **params):
    return await accepted(stack.runtime, await stack.env.get_current_time(), user, srv, target, **params)


async def _critical_signed(stack, user: str, srv: str, target: str, build):
    """A Critical request built by ``build(request_id)``, through the Pre-Command round trip; its Service Response."""
    rid, sr = built_request(stack.runtime, user, target, build)
    return await submitted(stack.runtime, await stack.env.get_current_time(), srv, rid, sr)


async def test_future_dated_cos_is_sent_at_execution_time(stack):
    rt = stack.runtime
    await commissioned(stack)
    now = await stack.env.get_current_time()
    cos_at = now + timedelta(hours=6)
    change_of_supplier(rt, cos_at)
    rid, sr = cos_request(rt, execution=cos_at + timedelta(minutes=1))
    assert (await rt.dcc.submit(sr, now)).code == "I99"
    await skip(stack, timedelta(hours=5).total_seconds())
    assert cell_owner(rt, ESME) == LOSING and cos_record(rt, rid) is None  # held: not yet with the CoS Party
    assert not delivered(rt, request_id=rid, kind="service_response")
    await skip(stack, timedelta(hours=2).total_seconds())
    row, response = await service_response(rt, rid)
    assert response.response_code == "I0" and cell_owner(rt, ESME) == GAINING
    record = cos_record(rt, rid)
    forwarded = record.forwarded_at if record.forwarded_at.tzinfo else record.forwarded_at.replace(tzinfo=UTC)
    assert forwarded >= cos_at + timedelta(minutes=1)  # AB 14.2: at the execution time, not before
    (n27,) = alerts(rt, "N27")
    assert n27.recipient == LOSING
    assert cos_verdicts(rt, now)["COS-09"] == ["met"]  # AB 14.2

    # BAD 7.7.1.5.5: the Gaining Supplier puts its contact details on the Meter (SRV 3.4 → ECS16)
    later = await stack.env.get_current_time()
    rid_name, name = built_request(rt, GAINING, ESME, lambda rid: update_supplier_name(
        request_id=rid, supplier_name="Supplier B", supplier_telephone_number="0800 000 0002"))
    assert (await rt.dcc.submit(name, later)).code == "I99"
    assert (await service_response(rt, rid_name))[1].response_code == "I0"
    meter = rt.fleet.get(ESME)
    assert (meter.supplier_name, meter.supplier_telephone) == ("Supplier B", "0800 000 0002")
    # BAD 7.7.1.5.6: and its tariff (SRV 1.1.1, Critical: its signature checked against the new Supplier cell)
    tariff = await _critical_signed(stack, GAINING, "1.1.1", ESME, lambda rid: update_import_tariff_single_rate(
        request_id=rid, standing_charge=2500, unit_price=24500))
    assert tariff.response_code == "I0"
    assert rt.fleet.get(ESME).tariff["prices"] == {"TOUPrice": {"@index": "1", "#text": "24500"}}
    # the Losing Supplier's tariff is refused by the DCC (not the Responsible Supplier at the relevant time)
    _rid, loser_tariff = built_request(rt, LOSING, ESME, lambda rid: update_import_tariff_single_rate(
        request_id=rid, standing_charge=1, unit_price=1))
    refused = await rt.dcc.submit(loser_tariff, await stack.env.get_current_time())
    assert refused.outcome == "rejected" and refused.code == "E4"


async def test_n26_when_the_sender_is_not_the_responsible_supplier_at_execution(stack):
    """The CoS is withdrawn after the 6.23 was accepted: at the execution date the CoS Party finds the Gaining
    Supplier is not the Responsible Supplier (AB 8.1(b)(iv)): N26 to it, nothing else (AB 8.3; AD 3.8.75.4)."""
    rt = stack.runtime
    await commissioned(stack)
    now = await stack.env.get_current_time()
    cos_at = now + timedelta(hours=1)
    change_of_supplier(rt, cos_at)
    rid, sr = cos_request(rt, execution=cos_at + timedelta(minutes=1))
    assert (await rt.dcc.submit(sr, now)).code == "I99"
    withdraw_change_of_supplier(rt)
    smi, meter = _smi(rt), rt.fleet.get(ESME)
    await skip(stack, timedelta(hours=2).total_seconds())
    (n26,) = await wait_for(lambda: alerts(rt, "N26"))
    assert n26.recipient == GAINING and n26.request_id == rid
    assert valid_and_signed_by_dcc(n26.xml).body["DCCAlert"]["CommandFailure"]["CommandRequestID"] == rid
    assert not delivered(rt, request_id=rid, kind="service_response")  # no Service Response (contract 2)
    assert cell_owner(rt, ESME) == LOSING and _smi(rt) == smi
    assert rt.fleet.get(ESME).anchors == meter.anchors and not alerts(rt, "N27")
    record = cos_record(rt, rid)
    assert record.cos_outcome == "failed" and record.cos_reason.startswith("8.1(b)(iv)") and record.spc is None
    verdicts = cos_verdicts(rt, now)
    assert [verdicts[k] for k in ("COS-01", "COS-02", "COS-04", "COS-05")] == [["met"]] * 4
    assert verdicts["COS-03"] == verdicts["COS-10"] == verdicts["COS-13"] == ["not applicable"]


async def test_a_signed_pre_command_not_from_the_cos_party_is_rejected(stack):
    """AB 8.4(c): the CoS Party's Signed Pre-Command must verify with the Transitional CoS certificate; one signed
    with another DCC key (the ACB's) is rejected, nothing is sent, and the CoS Party is not told (AB 8.6(b))."""
    rt = stack.runtime
    await commissioned(stack)
    rt.dcc.cos_party.key_name = "dcc-acb"
    now = await stack.env.get_current_time()
    change_of_supplier(rt, now)
    rid, sr = cos_request(rt)
    assert (await rt.dcc.submit(sr, now)).code == "I99"
    _row, response = await service_response(rt, rid)
    assert response.response_code == "E062301"
    assert cell_owner(rt, ESME) == LOSING and not alerts(rt, "N27") and not alerts(rt, "N26")
    record = cos_record(rt, rid)
    assert record.cos_outcome == "passed" and record.spc_outcome == "failed"
    assert record.spc_failed_check == "8.4(c)" and record.cos_party_notified is False
    verdicts = cos_verdicts(rt, now)
    assert verdicts["COS-06"] == verdicts["COS-08"] == verdicts["COS-13"] == ["met"]
    assert verdicts["COS-07"] == verdicts["COS-10"] == ["not applicable"]
    assert rt.fleet.get(ESME).billing_data_log == []


async def test_the_device_refusing_the_cos_command_changes_nothing(stack):
    rt = stack.runtime
    await commissioned(stack)
    spec, count = parse_fault("reject-cos:1")
    rt.fleet.set_fault(ESME, spec.name, count)
    now = await stack.env.get_current_time()
    change_of_supplier(rt, now)
    rid, sr = cos_request(rt)
    assert (await rt.dcc.submit(sr, now)).code == "I99"
    _row, response = await service_response(rt, rid)
    assert response.response_code == "E100"
    meter = rt.fleet.get(ESME)
    assert cell_owner(rt, ESME) == LOSING and meter.billing_data_log == [] and meter.supplier_name is None
    assert not alerts(rt, "N27") and "reject-cos" not in meter.faults  # the one refusal is used up
    # sent again (a new request), the Device accepts it
    rid2, sr2 = cos_request(rt)
    assert (await rt.dcc.submit(sr2, await stack.env.get_current_time())).code == "I99"
    assert (await service_response(rt, rid2))[1].response_code == "I0" and cell_owner(rt, ESME) == GAINING


async def test_check_g_refuses_another_users_certificate_at_receipt(stack):
    """AB 6.1(g): each Organisation Certificate in the 6.23 is the sender's; refused at once, nothing changes."""
    rt = stack.runtime
    await commissioned(stack)
    now = await stack.env.get_current_time()
    change_of_supplier(rt, now)
    before = dcc_state(rt)
    _rid, sr = cos_request(rt, certificate_of=LOSING)
    reply = await rt.dcc.submit(sr, now)
    assert reply.outcome == "rejected" and reply.code == "E062302"
    assert valid_and_signed_by_dcc(reply.xml).response_code == "E062302"
    assert dcc_state(rt) == before


def test_reject_cos_fault_and_matrix_reset():
    spec, value = parse_fault("reject-cos")
    assert spec.name == "reject-cos" and value is True and parse_fault("reject-cos:2")[1] == 2
    assert zeroed([], "GSME") == [[0, 0, 0, 0]] and zeroed([[1, 2]], "ESME") == [[0, 0]]


def test_the_audit_breaches_a_cos_that_left_the_losing_suppliers_work_in_place():
    """COS-10..12 judged from the DCC's records: a Schedule left active, a held request not cancelled, no N27."""
    from datetime import datetime

    from dccflow.audit import evaluate
    from dccflow.audit_records import CosRec, DccRecords
    from dccflow.domain.obligations_cos import COS_REGISTER
    from dccflow.events import ProcessEvent

    at = datetime(2030, 1, 1, tzinfo=UTC)
    record = CosRec(request_id=f"{GAINING}:{ESME}:1", sender=GAINING, device_id=ESME, forwarded_at=at,
                    forward_signer="DCC #1", cos_checked_at=at, cos_outcome="passed", spc_signer="CoS #2",
                    spc_checked_at=at, spc_outcome="passed", command_sent_at=at, losing_supplier=LOSING, n27_at=at,
                    uncancelled_schedules=[7], uncancelled_requests=[f"{LOSING}:{ESME}:9"], response_code="I0",
                    completed_at=at)
    step = ProcessEvent(bpmn_id="cos", actor="Gaining Supplier", at=at, refs=["SRV 6.23"], device_id=ESME)
    verdicts = {v.obligation: v for v in evaluate([step], [], DccRecords(cos=[record]), COS_REGISTER)}
    assert [verdicts[k].verdict for k in ("COS-07", "COS-10", "COS-11", "COS-12", "COS-13")] == [
        "met", "breached", "breached", "breached", "met"]
    assert "not cancelled (7)" in verdicts["COS-11"].detail
