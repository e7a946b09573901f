"""Suspension (SEC H6.10-H6.12; BAD 7.1.2.4.3-4; AC 7.3): a Device Model removed from the CPL → within 24 hours (a
durable deadline) every Device of it 'suspended', N28, held future-dated requests cancelled (N41); requests to it
refused; firmware onto a listed version, or the Model back on the CPL, restores the previous status (N29)."""

from __future__ import annotations

from datetime import timedelta

from dcc_support import (
    CHF,
    DISTRIBUTOR,
    ESME,
    GAS_SUPPLIER_A,
    GPF,
    MPAN,
    SUPPLIER_A,
    delivered,
    log_entry,
    now,
    request_id,
    signed_request,
    use_recording_wan,
)
from life_support import GSME, TRANSPORTER, alerts, dual_fuel, refused, smi
from sqlmodel import select

from dccflow.db import session_scope
from dccsim.inventory import Inventory
from dccsim.life_records import CplExtract
from dccsim.suspension import DeviceModel, cpl_change, deliver_firmware_restore

METER_V1 = DeviceModel(manufacturer="AB01", model="010A030B", firmware_version="1.0")
METER_V2 = DeviceModel(manufacturer="AB01", model="010A030B", firmware_version="2.0")
CH_MODEL = DeviceModel(manufacturer="CH01", model="CH-A")


def with_models(rt) -> None:
    dual_fuel(rt)
    with session_scope(rt.engine) as s:
        inv = Inventory(s)
        inv.get(ESME).firmware_version = "1.0"  # the premises' ESME is AB01 / 010A030B
        chf = inv.get(CHF)
        chf.manufacturer, chf.model, chf.firmware_version = "CH01", "CH-A", "3.1"


async def cpl_extract(stack, **change) -> str:
    """The Panel's extract reaches the DCC; the DCC's workflow runs to its 24-hour deadline (time skipped)."""
    wf_id = await cpl_change(stack.runtime.dcc, at=now(), **change)
    async with stack.env.time_skipping_unlocked():
        return await stack.client.get_workflow_handle(wf_id).result()


async def test_removed_meter_model_suspended_within_24_hours_and_restored_by_firmware(stack):
    rt = stack.runtime
    with_models(rt)
    wan = use_recording_wan(rt)
    from cos_support import create_schedule

    assert (await rt.dcc.submit(create_schedule(rt, SUPPLIER_A, ESME)[1], now())).code == "I0"
    held = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "6.20.1", ESME, 20, import_mpan=MPAN,
                                              execution_datetime=now() + timedelta(hours=6)), now())
    assert held.code == "I99"

    outcome = await cpl_extract(stack, removed=[METER_V1], added=[METER_V2])
    assert "all within 24 hours" in outcome
    assert smi(rt, ESME)[0] == "suspended" and smi(rt, GSME)[0] == "commissioned"  # another Model
    assert set(alerts(rt, "N28")) == {SUPPLIER_A, DISTRIBUTOR}  # the RS and the NO (BAD l.847; AC 9.1, 9.2)
    assert "DeviceSuspended" in alerts(rt, "N28")[SUPPLIER_A].body["DCCAlert"]["DeviceStatusChangeEvent"][
        "DeviceStatusChange"]
    fd = request_id(SUPPLIER_A, ESME, 20)
    assert alerts(rt, "N41")[SUPPLIER_A].request_id == fd and log_entry(rt, fd).stage == "cancelled"
    async with stack.env.time_skipping_unlocked():
        await stack.client.get_workflow_handle(f"dcc-sr-{fd}").result()
    assert wan.commands == []  # never sent
    assert set(alerts(rt, "N40")) == {SUPPLIER_A}  # its DCC Schedule deleted (BAD 7.1.2.4.3)
    with session_scope(rt.engine) as s:
        extract = s.exec(select(CplExtract)).one()
        assert extract.suspended == [ESME] and extract.late == 0
        assert extract.swept_at - extract.received_at <= rt.dcc.config.suspension_deadline

    # a Non-Critical request to the suspended ESME is refused (AB 6.1(c)); nothing changes
    await refused(rt, SUPPLIER_A, "6.20.1", "E5", target=ESME, import_mpan=MPAN)

    # firmware 2.0 (on the CPL) activated: back to 'commissioned', N29 to the same parties (AC 7.3; BAD 7.5.3.6.3)
    assert await deliver_firmware_restore(rt.dcc, ESME, "2.0", now()) == ["N29", "N29"]
    assert smi(rt, ESME)[0] == "commissioned"
    assert set(alerts(rt, "N29")) == {SUPPLIER_A, DISTRIBUTOR}
    # a version still off the CPL restores nothing
    assert await deliver_firmware_restore(rt.dcc, GSME, "9.9", now()) == []


async def test_a_ch_model_suspends_the_chf_and_its_gpf_and_cuts_off_the_premises(stack):
    rt = stack.runtime
    with_models(rt)
    wan = use_recording_wan(rt)
    await cpl_extract(stack, removed=[CH_MODEL])
    assert smi(rt, CHF)[0] == "suspended" and smi(rt, GPF)[0] == "suspended"  # H6.11
    assert smi(rt, ESME)[0] == "commissioned"
    # N28 for the CHF to each RS and NO of the CH's SMSs; for the GPF to those of the gas SMS it is part of
    n28 = delivered(rt, kind="dcc_alert", dcc_alert_code="N28")
    assert {(m.device_id, m.recipient) for m in n28} == {
        *((CHF, p) for p in (SUPPLIER_A, DISTRIBUTOR, GAS_SUPPLIER_A, TRANSPORTER)),
        (GPF, GAS_SUPPLIER_A), (GPF, TRANSPORTER)}
    # no Command through a suspended CHF (RELAY_THROUGH_SUSPENDED_CHF false): accepted, not delivered (N12)
    assert (await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "6.20.1", ESME, 30, import_mpan=MPAN),
                                now())).code == "I99"
    async with stack.env.time_skipping_unlocked():
        assert await stack.client.get_workflow_handle(f"dcc-sr-{request_id(SUPPLIER_A, ESME, 30)}").result() == "N12"
    assert wan.commands == []
    # the Model back on the CPL: both restored to 'commissioned' (AC 7.3 first limb), N29
    await cpl_extract(stack, added=[CH_MODEL])
    assert smi(rt, CHF)[0] == "commissioned" and smi(rt, GPF)[0] == "commissioned"
    assert {m.device_id for m in delivered(rt, kind="dcc_alert", dcc_alert_code="N29")} == {CHF, GPF}


async def test_a_dcc_that_works_through_the_extract_late_is_caught_at_the_24_hour_deadline(stack):
    rt = stack.runtime
    with_models(rt)
    rt.dcc.config.cpl_processing_delay = timedelta(hours=30)
    outcome = await cpl_extract(stack, removed=[METER_V1])
    assert "1 suspended late, at the 24-hour deadline" in outcome
    assert smi(rt, ESME)[0] == "suspended"
    with session_scope(rt.engine) as s:
        extract = s.exec(select(CplExtract)).one()
        assert extract.late == 1
        assert extract.deadline_checked_at - extract.received_at >= timedelta(hours=24)
