"""'Decommission Device' (SRV 8.3; BAD 7.6.2.5.5; SEC H6.1-H6.6; AD 3.8.100.5) at the DCC boundary: signed DUIS in,
the signed Service Response and DCC Alerts out; who may, per Device Type; and H6.6 on a durable timer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dcc_support import (
    CHF,
    DISTRIBUTOR,
    ESME,
    GAS_SUPPLIER_A,
    GPF,
    MPAN,
    SUPPLIER_A,
    SUPPLIER_B,
    delivered,
    log_entry,
    now,
    request_id,
    signed_request,
    use_recording_wan,
)
from life_support import (
    EXPORT_MPAN,
    GSME,
    IHD,
    PPMID,
    TRANSPORTER,
    alerts,
    dual_fuel,
    non_device,
    refused,
    smi,
)
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccsim.inventory import Inventory, Registration
from dccsim.life_records import ChfOrphanWatch
from dccsim.models import RegistrationData
from dccsim.orphans import orphan_watch_workflow_id
from dccsim.smki import PKI_EPOCH

NEW_CHF = "00-DB-12-01-00-00-09-02"


async def test_esme_decommissioned_with_its_mpan_links_associations_and_held_requests_ended(stack):
    rt = stack.runtime
    dual_fuel(rt)
    wan = use_recording_wan(rt)
    with session_scope(rt.engine) as s:  # an export MPAN with its own (Export) Supplier: N1 "if applicable"
        Inventory(s).get(ESME).export_mpan = EXPORT_MPAN
        Registration(s).add(mpxn=EXPORT_MPAN, fuel="electricity", supplier_id=SUPPLIER_B,
                            network_operator_id=DISTRIBUTOR, effective_from=PKI_EPOCH)
    held = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "6.20.1", ESME, 20, import_mpan=MPAN,
                                              execution_datetime=now() + timedelta(hours=6)), now())
    assert held.code == "I99"

    reply, response = await non_device(rt, SUPPLIER_A, "8.3", device_id=ESME)
    assert (reply.outcome, response.response_code, response.service_reference_variant) == ("accepted", "I0", "8.3")
    assert smi(rt, ESME) == ("decommissioned", None, None, None)  # AD (a), (b); H6.4(b)
    with session_scope(rt.engine) as s:
        assert Inventory(s).get(ESME).export_mpan is None
    assert smi(rt, PPMID) == ("commissioned", CHF, None, None)  # Association ended; no cascade (§K 23)
    n1 = alerts(rt, "N1")
    assert set(n1) == {DISTRIBUTOR, SUPPLIER_B}  # the ED, and the ES of the export MPAN
    status_change = n1[DISTRIBUTOR].body["DCCAlert"]["DeviceStatusChangeEvent"]
    meter = status_change["DeviceStatusChange"]["MeterDecommissioningOrWithdrawal"]
    assert meter["MeterDecommissionOrWithdrawal"] == {"ImportMPxN": MPAN, "ExportMPAN": EXPORT_MPAN}
    assert meter["AssociatedType1Device"] == {"DeviceID": PPMID, "DeviceType": "PPMID"}
    # the future-dated request held for the ESME is cancelled (N33 to its sender) and never sent (AD (g))
    fd = request_id(SUPPLIER_A, ESME, 20)
    (n33,) = delivered(rt, kind="dcc_alert", dcc_alert_code="N33")
    assert (n33.recipient, alerts(rt, "N33")[SUPPLIER_A].request_id) == (SUPPLIER_A, fd)
    assert log_entry(rt, fd).stage == "cancelled"
    async with stack.env.time_skipping_unlocked():
        await stack.client.get_workflow_handle(f"dcc-sr-{fd}").result()
    assert wan.commands == []
    assert alerts(rt, "N2") == {} and alerts(rt, "N9") == {}


async def test_gsme_decommissioned_tells_the_gas_transporter(stack):
    rt = stack.runtime
    dual_fuel(rt)
    _reply, response = await non_device(rt, GAS_SUPPLIER_A, "8.3", device_id=GSME)
    assert response.response_code == "I0"
    assert smi(rt, GSME) == ("decommissioned", None, None, None)
    assert set(alerts(rt, "N2")) == {TRANSPORTER}  # AC 9.1; BAD l.3624
    assert alerts(rt, "N1") == {}
    assert smi(rt, GPF)[2] is None  # the GPF's Association with the GSME ended (H6.4(b))


@pytest.mark.parametrize("status", ["recovery", "suspended"])
async def test_recovery_and_suspended_devices_can_be_decommissioned(stack, status):
    rt = stack.runtime
    dual_fuel(rt)
    device = PPMID if status == "suspended" else ESME  # a PPMID never enters 'recovery' (BAD Table 2)
    with session_scope(rt.engine) as s:
        Inventory(s).set_status(device, SmiStatus(status), now(), "test set-up")
    _reply, response = await non_device(rt, SUPPLIER_A, "8.3", device_id=device)
    assert response.response_code == "I0"  # AD 3.8.100.5(a) and its note; digest 04 §K 9
    assert smi(rt, device)[0] == "decommissioned"


async def test_who_may_decommission_and_what_cannot_be(stack):
    """H6.2 / H6.5: only a Responsible Supplier; Type 2 never (BAD l.3628); pending, decommissioned: not updated
    (AD (a)). Every refusal leaves the DCC and the devices as they were."""
    rt = stack.runtime
    dual_fuel(rt)
    await refused(rt, SUPPLIER_B, "8.3", "E4", device_id=ESME)  # another Supplier
    await refused(rt, GAS_SUPPLIER_A, "8.3", "E4", device_id=ESME)  # the gas RS, for an electricity meter
    await refused(rt, DISTRIBUTOR, "8.3", "E2", device_id=ESME)  # not a Supplier role at all
    await refused(rt, SUPPLIER_A, "8.3", "E11", device_id=IHD)  # Type 2
    with session_scope(rt.engine) as s:
        Inventory(s).add("00-DB-12-03-00-00-09-07", DeviceType.ESME, SmiStatus.PENDING, now(), chf_id=CHF,
                         mpxn=MPAN, reason="test set-up")
    await refused(rt, SUPPLIER_A, "8.3", "E5", device_id="00-DB-12-03-00-00-09-07")  # pending
    await non_device(rt, SUPPLIER_A, "8.3", device_id=ESME)
    await refused(rt, SUPPLIER_A, "8.3", "E4", device_id=ESME)  # no MPAN link left: no RS to show
    await refused(rt, GAS_SUPPLIER_A, "8.3", "E19", device_id="00-DB-12-03-00-00-09-99")  # not on the SMI


async def test_the_losing_supplier_is_refused_after_a_change_of_supplier(stack):
    rt = stack.runtime
    dual_fuel(rt)
    with session_scope(rt.engine) as s:  # CoS: Supplier B registered for the MPAN from an hour ago
        row = s.exec(select(RegistrationData).where(RegistrationData.mpxn == MPAN)).one()
        row.effective_to = now() - timedelta(hours=1)
        s.add(row)
        Registration(s).add(mpxn=MPAN, fuel="electricity", supplier_id=SUPPLIER_B, network_operator_id=DISTRIBUTOR,
                            effective_from=now() - timedelta(hours=1))
    await refused(rt, SUPPLIER_A, "8.3", "E4", device_id=ESME)
    _reply, response = await non_device(rt, SUPPLIER_B, "8.3", device_id=ESME)
    assert response.response_code == "I0" and smi(rt, ESME)[0] == "decommissioned"


def _electricity_moved_to_supplier_b(rt) -> None:
    with session_scope(rt.engine) as s:  # CoS of the electricity only: Supplier B from an hour ago
        row = s.exec(select(RegistrationData).where(RegistrationData.mpxn == MPAN)).one()
        row.effective_to = now() - timedelta(hours=1)
        s.add(row)
        Registration(s).add(mpxn=MPAN, fuel="electricity", supplier_id=SUPPLIER_B, network_operator_id=DISTRIBUTOR,
                            effective_from=now() - timedelta(hours=1))


async def test_the_gas_supplier_may_decommission_the_chf_after_the_electricity_moved(stack):
    """H6.2: a Responsible Supplier for any of the CH's Metering Points may; the losing Import Supplier may not."""
    rt = stack.runtime
    dual_fuel(rt)
    _electricity_moved_to_supplier_b(rt)
    await refused(rt, SUPPLIER_A, "8.3", "E4", device_id=CHF)
    _reply, response = await non_device(rt, GAS_SUPPLIER_A, "8.3", device_id=CHF)
    assert response.response_code == "I0" and smi(rt, CHF)[0] == "decommissioned"
    assert {DISTRIBUTOR, SUPPLIER_B, TRANSPORTER} <= set(alerts(rt, "N9"))


async def test_a_replaced_chf_is_decommissioned_by_a_supplier_of_the_sms_it_served(stack):
    """BAD 7.6.1.6.8: once 8.12.1 has moved the meters to the new CHF, the old CHF serves no Metering Point on the
    SMI; the Metering Points it served are those of the meters in the DCC's record of its Device Log (AC 8.1), so
    the Gas Supplier (an RS of them) may decommission it after the electricity moved, a stranger still may not."""
    from dccsim.models import LatestCs14

    rt = stack.runtime
    dual_fuel(rt)
    _electricity_moved_to_supplier_b(rt)
    with session_scope(rt.engine) as s:
        s.add(LatestCs14(chf_id=CHF, at=now(), device_log=[
            {"device_id": d, "device_type": t, "joined": True} for d, t in ((ESME, "ESME"), (GSME, "GSME"))]))
        inv = Inventory(s)
        inv.add(NEW_CHF, DeviceType.CHF, SmiStatus.COMMISSIONED, now(), reason="test set-up: the replacement")
        for dev in (ESME, GSME, PPMID, IHD):  # what a successful 8.12.1 does (dccsim.handlers.restore)
            inv.get(dev).chf_id = NEW_CHF
    await refused(rt, SUPPLIER_A, "8.3", "E4", device_id=CHF)  # the losing Import Supplier
    _reply, response = await non_device(rt, GAS_SUPPLIER_A, "8.3", device_id=CHF)
    assert response.response_code == "I0" and smi(rt, CHF)[0] == "decommissioned"
    assert smi(rt, ESME)[0] == "commissioned"  # on the new CHF: untouched


async def test_chf_decommissioned_takes_its_gpf_and_tells_the_other_parties(stack):
    rt = stack.runtime
    dual_fuel(rt)
    _reply, response = await non_device(rt, SUPPLIER_A, "8.3", device_id=CHF)
    assert response.response_code == "I0"
    assert smi(rt, CHF)[0] == "decommissioned" and smi(rt, GPF)[0] == "decommissioned"  # AD (c)
    # N9 to every RS and Network Party of the CH's SMSs but the sender (AB 10.3)
    assert set(alerts(rt, "N9")) == {DISTRIBUTOR, GAS_SUPPLIER_A, TRANSPORTER}
    assert "CHFDecommissioning" in alerts(rt, "N9")[GAS_SUPPLIER_A].body["DCCAlert"]["DeviceStatusChangeEvent"][
        "DeviceStatusChange"]
    # the meters and the PPMID are off the CHF but stay commissioned for now (H6.6); the IHD is no longer on it
    assert smi(rt, ESME) == ("commissioned", None, None, MPAN)
    assert smi(rt, IHD)[1] is None
    with session_scope(rt.engine) as s:
        watch = s.get(ChfOrphanWatch, CHF)
        assert sorted(watch.devices) == sorted([ESME, GSME, PPMID]) and watch.workflow_started


async def test_h6_6_the_orphans_are_decommissioned_after_the_reasonable_period(stack):
    rt = stack.runtime
    dual_fuel(rt)
    await non_device(rt, SUPPLIER_A, "8.3", device_id=CHF)
    with session_scope(rt.engine) as s:  # the ESME is on a replacement CHF, commissioned, within the period
        inv = Inventory(s)
        inv.add(NEW_CHF, DeviceType.CHF, SmiStatus.PENDING, now(), reason="test set-up")
        inv.set_status(NEW_CHF, SmiStatus.COMMISSIONED, now(), "test set-up")
        inv.get(ESME).chf_id = NEW_CHF
    async with stack.env.time_skipping_unlocked():
        outcome = await stack.client.get_workflow_handle(orphan_watch_workflow_id(CHF)).result()
    assert GSME in outcome and PPMID in outcome
    assert smi(rt, ESME)[0] == "commissioned"  # kept: its replacement CHF was Commissioned in time
    assert smi(rt, GSME)[0] == "decommissioned" and smi(rt, PPMID)[0] == "decommissioned"
    assert set(alerts(rt, "N2")) == {TRANSPORTER}
    with session_scope(rt.engine) as s:
        watch = s.get(ChfOrphanWatch, CHF)
        assert watch.kept == [ESME] and watch.closed_at is not None
        # the period is the configured one, measured from the CHF's 8.3
        assert (watch.closed_at - watch.decommissioned_at) >= rt.dcc.config.reasonable_period_chf_replacement
    assert smi(rt, GSME)[3] is None  # its MPRN link went with it (AD (b))


async def test_a_decommissioned_esme_is_reused_only_through_pre_notification(stack):
    """AD 3.8.101.5; AC 7.1; H5.3(b): 8.3, then 12.2 ('pending') at another premises; on the way, commissioning or
    adding it to a CHF Device Log is refused."""
    rt = stack.runtime
    dual_fuel(rt)
    await non_device(rt, SUPPLIER_A, "8.3", device_id=ESME)
    await refused(rt, SUPPLIER_A, "8.1.1", "E5", target=ESME, current_datetime=now(), tolerance_period=60)
    await refused(rt, SUPPLIER_A, "8.11", "E5", target=CHF, device_id=ESME, install_code="00" * 16,
                  join_time_period=300, import_mpxn=MPAN)
    _reply, response = await non_device(rt, SUPPLIER_B, "12.2", device_id=ESME, device_manufacturer="AB01",
                                        device_model="010A030B", device_type="ESME")
    assert response.response_code == "I0"
    assert smi(rt, ESME) == ("pending", None, None, None)


async def test_the_dcc_schedules_of_a_decommissioned_meter_are_deleted_with_n6_to_their_owner(stack):
    """AD 3.8.100.5(e): each active DCC Schedule for the Device deleted; N6 to its owner (here the Supplier)."""
    from cos_support import create_schedule

    from dccsim.schedules import active

    rt = stack.runtime
    dual_fuel(rt)
    _rid, schedule = create_schedule(rt, SUPPLIER_A, ESME)
    assert (await rt.dcc.submit(schedule, now())).code == "I0"
    with session_scope(rt.engine) as s:
        (created,) = active(s, ESME)
        schedule_id = created.schedule_id
    await non_device(rt, SUPPLIER_A, "8.3", device_id=ESME)
    with session_scope(rt.engine) as s:
        assert active(s, ESME) == []
    removal = alerts(rt, "N6")[SUPPLIER_A].body["DCCAlert"]["DSPScheduleRemoval"]
    assert removal == {"DeviceID": ESME, "DSPScheduleID": str(schedule_id)}


async def test_a_gpf_or_a_ppmid_alone_is_decommissioned_without_network_notices(stack):
    """H6.2 allows the GPF and Type 1 Devices; no N-code is named for them (digest 04 §E.3, §K 21)."""
    rt = stack.runtime
    dual_fuel(rt)
    await refused(rt, SUPPLIER_A, "8.3", "E4", device_id=GPF)  # the GPF serves the gas SMS: its RS is the GS
    _reply, response = await non_device(rt, GAS_SUPPLIER_A, "8.3", device_id=GPF)
    assert response.response_code == "I0" and smi(rt, GPF)[0] == "decommissioned"
    assert smi(rt, CHF)[0] == "commissioned" and smi(rt, GPF)[1] == CHF  # the CHF stays; the GPF is in its box
    _reply, response = await non_device(rt, SUPPLIER_A, "8.3", device_id=PPMID)
    assert response.response_code == "I0" and smi(rt, PPMID) == ("decommissioned", None, None, None)
    assert delivered(rt, kind="dcc_alert") == []


async def test_h6_6_with_the_responsible_supplier_as_the_actor_the_dcc_only_records(stack):
    """``orphan_decommission_actor="rs"`` (SEC H6.2's reading, digest 04 §K 7): nothing is decommissioned by the DCC."""
    rt = stack.runtime
    dual_fuel(rt)
    rt.dcc.config.orphan_decommission_actor = "rs"
    await non_device(rt, SUPPLIER_A, "8.3", device_id=CHF)
    async with stack.env.time_skipping_unlocked():
        outcome = await stack.client.get_workflow_handle(orphan_watch_workflow_id(CHF)).result()
    assert "left to its Responsible Supplier" in outcome
    assert smi(rt, ESME)[0] == "commissioned" and smi(rt, GSME)[0] == "commissioned"
    assert alerts(rt, "N1") == {} and alerts(rt, "N2") == {}
