"""Whatever the DCC cannot do, the User still gets a clear, signed, schema-valid answer: an SRV the simulator does
not implement ('not supported'), a fault inside processing (an error Service Response, never a stuck request),
a Device that does not answer (DCC Alert N13, BAD Table 14)."""

from __future__ import annotations

from dcc_support import (
    CHF,
    DCC_ID_,
    ESME,
    NEW_ESME,
    SUPPLIER_A,
    add_to_chf,
    dcc_state,
    delivered,
    log_entry,
    now,
    premises,
    request_id,
    sign_as,
    signed_request,
    use_recording_wan,
    valid_and_signed_by_dcc,
    wait_for,
)

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.duis import requests as duis
from dccsim import pipeline
from dccsim.handler_registry import HANDLERS
from dccsim.inventory import Inventory


def new_esme(rt) -> None:
    with session_scope(rt.engine) as s:
        Inventory(s).add(NEW_ESME, DeviceType.ESME, SmiStatus.PENDING, now(), reason="test")


async def test_an_srv_the_dcc_does_not_simulate_gets_a_signed_not_supported_answer(stack):
    rt = stack.runtime
    premises(rt)
    element = duis.read_device_log(request_id=request_id(SUPPLIER_A, ESME, 1))  # SRV 8.9: no handler (yet)
    before = dcc_state(rt)
    reply = await rt.dcc.submit(sign_as(rt, SUPPLIER_A, element), now())
    assert (reply.outcome, reply.code) == ("rejected", "E13")
    answer = valid_and_signed_by_dcc(reply.xml)
    assert (answer.response_code, answer.service_reference_variant) == ("E13", "8.9")
    assert "not simulated" in reply.reason and dcc_state(rt) == before


async def test_a_fault_in_non_device_processing_is_a_signed_error_and_changes_nothing(stack, monkeypatch):
    rt = stack.runtime
    premises(rt)

    def broken(ctx):
        Inventory(ctx.session).set_status(ESME, SmiStatus.COMMISSIONED, now(), "half done")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(HANDLERS["8.2"], "execute", broken)
    reply = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "8.2", DCC_ID_, 1, device_id=ESME), now())
    assert (reply.outcome, reply.code) == ("rejected", "E1000")
    assert valid_and_signed_by_dcc(reply.xml).response_code == "E1000"
    with session_scope(rt.engine) as s:
        assert Inventory(s).status(ESME) == SmiStatus.INSTALLED_NOT_COMMISSIONED  # the half-done work undone
    assert log_entry(rt, request_id(SUPPLIER_A, DCC_ID_, 1)).stage == "failed"


async def test_a_fault_in_the_checks_is_a_signed_error_and_changes_nothing(stack, monkeypatch):
    rt = stack.runtime
    premises(rt)

    def broken(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(pipeline, "check_smi_status", broken)
    before = dcc_state(rt)
    new_esme(rt)
    before = dcc_state(rt)
    reply = await rt.dcc.submit(add_to_chf(rt), now())
    assert (reply.outcome, reply.code) == ("rejected", "E1000")
    assert valid_and_signed_by_dcc(reply.xml).response_code == "E1000"
    assert dcc_state(rt) == before


async def test_a_fault_applying_the_device_response_becomes_an_error_service_response(stack, monkeypatch):
    rt = stack.runtime
    premises(rt)
    new_esme(rt)
    use_recording_wan(rt)

    def broken(ctx, response):
        raise ValueError("cannot apply")

    monkeypatch.setattr(HANDLERS["8.11"], "apply", broken)
    assert (await rt.dcc.submit(add_to_chf(rt), now())).code == "I99"
    rid = request_id(SUPPLIER_A, CHF, 11)
    (response,) = await wait_for(lambda: delivered(rt, kind="service_response", request_id=rid), timeout=30)
    assert valid_and_signed_by_dcc(response.xml).response_code == "E1000"
    assert log_entry(rt, rid).stage == "failed"
    with session_scope(rt.engine) as s:
        assert Inventory(s).status(NEW_ESME) == SmiStatus.PENDING


async def test_a_step_that_keeps_failing_ends_with_an_error_service_response(stack, monkeypatch):
    rt = stack.runtime
    premises(rt)
    new_esme(rt)
    use_recording_wan(rt)

    async def unreachable(request_id, at):
        raise ConnectionError("SM WAN gateway down")

    monkeypatch.setattr(rt.dcc, "send_command", unreachable)
    rt.dcc.config.step_attempts = 2
    assert (await rt.dcc.submit(add_to_chf(rt), now())).code == "I99"
    rid = request_id(SUPPLIER_A, CHF, 11)
    (response,) = await wait_for(lambda: delivered(rt, kind="service_response", request_id=rid), timeout=30)
    assert valid_and_signed_by_dcc(response.xml).response_code == "E1000"


async def test_no_response_from_the_device_raises_n13(stack):
    rt = stack.runtime
    premises(rt)
    new_esme(rt)
    wan = use_recording_wan(rt, answer=None)
    await rt.dcc.submit(add_to_chf(rt), now())
    rid = request_id(SUPPLIER_A, CHF, 11)
    (alert,) = await wait_for(lambda: delivered(rt, kind="dcc_alert", request_id=rid), timeout=30)
    parsed = valid_and_signed_by_dcc(alert.xml)
    assert parsed.dcc_alert_code == "N13" and parsed.body["DCCAlert"]["CommandFailure"] == {
        "CommandRequestID": rid, "DeviceID": CHF}
    assert len(wan.commands) == 1 and delivered(rt, kind="service_response") == []
    assert log_entry(rt, rid).stage == "failed"
