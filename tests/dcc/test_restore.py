"""Replace Communications Hub at the DCC boundary (BAD 7.6.1; AB 10.1, 10.4, 10.5; AC 8.1-8.2): 'Restore HAN Device
Log' (SRV 8.12.1, CCS03) and 'Restore GPF Device Log' (SRV 8.12.2, GCS59) put onto a new CH exactly the Device Logs
the DCC recorded (the latest CS14 and GCS62), the Devices re-join the new HAN, N30 / N31 go to the other Supplier;
then the GSME moves to the new GPF and the old CH is decommissioned and returned."""

from __future__ import annotations

from datetime import timedelta

from dcc_support import delivered, valid_and_signed_by_dcc
from test_dcc_join_and_configure import ELEC, GAS, IDS, now, on_han, smi, wait_for
from test_unjoin import dual_fuel_with_ppmid, rejected, send

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.parties import DCC_ID
from dccsim.gpf_device_log import gpf_device_log_to_restore
from dccsim.inventory import Inventory
from dccsim.life_records import ChfOrphanWatch
from dccsim.models import LatestCs14
from devices.fleet import DeviceSpec
from devices.premises import device_id

NEW_CHF, NEW_GPF = device_id("CHF", 2), device_id("GPF", 2)


def recorded_chf_log(rt, chf_id: str) -> list[str]:
    with session_scope(rt.engine) as s:
        return [e["device_id"] for e in s.get(LatestCs14, chf_id).device_log]


async def new_ch_installed(stack):
    """The old CH fails; the DCC has a new CH on the SMI ('pending', AC 2.4); the installer fits and powers it and it
    reaches the SM WAN (the DCC commissions its CHF, AC 4.1)."""
    rt = stack.runtime
    rt.fleet.provision([DeviceSpec(device_id=NEW_CHF, device_type="CHF", premises_id=IDS.premises_id),
                        DeviceSpec(device_id=NEW_GPF, device_type="GPF", premises_id=IDS.premises_id,
                                   chf_id=NEW_CHF)])
    with session_scope(rt.engine) as s:
        inv = Inventory(s)
        inv.add(NEW_CHF, DeviceType.CHF, SmiStatus.PENDING, now(), reason="test set-up (AC 2.4)")
        inv.add(NEW_GPF, DeviceType.GPF, SmiStatus.PENDING, now(), chf_id=NEW_CHF, reason="test set-up (AC 2.4)")
    await rt.wan.set_fault(IDS.chf_id, "ch-fault")
    assert await rt.wan.power_up_ch(NEW_CHF, now())
    assert smi(rt, NEW_CHF)[0] == "commissioned"


async def test_device_logs_restored_onto_the_new_ch_equal_the_dcc_record(stack):
    rt = await dual_fuel_with_ppmid(stack)
    assert await send(rt, GAS, "8.7.2", IDS.gpf_id, other_device_id=IDS.ppmid_id) == "I0"  # GCS62 to the DCC
    chf_record = recorded_chf_log(rt, IDS.chf_id)
    with session_scope(rt.engine) as s:
        gpf_record = [e["device_id"] for e in gpf_device_log_to_restore(s, IDS.gpf_id)]
    assert {IDS.esme_id, IDS.gsme_id, IDS.ppmid_id} <= set(chf_record) and IDS.ppmid_id in gpf_record
    await new_ch_installed(stack)

    # 8.12.1 by the Import Supplier: the new CHF's log is the DCC's record; the Devices re-join it
    assert await send(rt, ELEC, "8.12.1", NEW_CHF, old_chf_id=IDS.chf_id) == "I0"
    assert [e["device_id"] for e in rt.fleet.get(NEW_CHF).device_log] == chf_record
    await stack.env.sleep(timedelta(minutes=2))  # the re-joins (durable device timers)
    await wait_for(lambda: all(rt.fleet.get(d).chf_id == NEW_CHF and rt.fleet.get(d).han_joined
                               for d in (IDS.esme_id, IDS.gsme_id, IDS.ppmid_id)))
    await wait_for(lambda: set(recorded_chf_log(rt, NEW_CHF)) == set(chf_record))
    with session_scope(rt.engine) as s:
        assert all(e["joined"] for e in s.get(LatestCs14, NEW_CHF).device_log)
    for device in (IDS.esme_id, IDS.gsme_id, IDS.ppmid_id):  # Associated with the new CHF (§K 22)
        with session_scope(rt.engine) as s:
            assert Inventory(s).get(device).chf_id == NEW_CHF
    assert smi(rt, IDS.esme_id)[0] == "commissioned"
    (n30,) = delivered(rt, kind="dcc_alert", dcc_alert_code="N30")  # to the other RS only (AB 10.4)
    restored = valid_and_signed_by_dcc(n30.xml).body["DCCAlert"]["DeviceLogRestored"]["CHFDeviceLog"]
    assert n30.recipient == GAS
    assert restored == {"OldCHFDeviceID": IDS.chf_id, "NewCHFDeviceID": NEW_CHF, "OldGPFDeviceID": IDS.gpf_id,
                        "NewGPFDeviceID": NEW_GPF}
    await wait_for(lambda: delivered(rt, kind="device_alert", device_alert_code=0x8183, device_id=IDS.esme_id))

    # 8.12.2 by the Import Supplier (AB 6.2(b)): the new GPF's log is the DCC's GCS62 record; N31 to the Gas Supplier
    assert await send(rt, ELEC, "8.12.2", NEW_GPF, old_gpf_id=IDS.gpf_id) == "I0"
    assert [e["device_id"] for e in rt.fleet.get(NEW_GPF).device_log] == gpf_record
    (n31,) = delivered(rt, kind="dcc_alert", dcc_alert_code="N31")
    assert n31.recipient == GAS and valid_and_signed_by_dcc(n31.xml).body["DCCAlert"]["DeviceLogRestored"][
        "GPFDeviceLog"]["NewGPFDeviceID"] == NEW_GPF
    assert smi(rt, IDS.ppmid_id)[1] == IDS.esme_id  # its Association with the ESME is not the GPF's

    # BAD 7.6.1.6.7: the GSME leaves the old GPF (8.8.2, CS04B) and joins the new one (8.7.2): the new GPF commissioned
    assert await send(rt, ELEC, "8.8.2", IDS.gsme_id, other_device_id=IDS.gpf_id) == "I0"
    assert await send(rt, GAS, "8.7.2", IDS.gsme_id, other_device_id=NEW_GPF) == "I0"
    assert smi(rt, NEW_GPF) == ("commissioned", IDS.gsme_id)

    # 8.3 of the old CHF: CHF and GPF decommissioned; nothing left on it, so no H6.6 watch; then the CH returned
    reply = await rt.dcc.submit(_signed(rt, ELEC, "8.3", DCC_ID, device_id=IDS.chf_id), now())
    assert valid_and_signed_by_dcc(reply.xml).response_code == "I0"
    assert smi(rt, IDS.chf_id)[0] == "decommissioned" and smi(rt, IDS.gpf_id)[0] == "decommissioned"
    with session_scope(rt.engine) as s:
        assert s.get(ChfOrphanWatch, IDS.chf_id) is None
    reply = await rt.dcc.submit(_signed(rt, ELEC, "8.14.4", DCC_ID, chf_id=IDS.chf_id), now())
    assert valid_and_signed_by_dcc(reply.xml).response_code == "I0"


async def test_a_device_joined_after_the_recorded_cs14_is_not_restored(stack):
    """BAD 7.6.1 §B.7 item 5: the restore uses the DCC's record; a Device missing from it stays off the new HAN."""
    rt = await dual_fuel_with_ppmid(stack)
    record = recorded_chf_log(rt, IDS.chf_id)
    await on_han(rt, ELEC, IDS.ihd_id)
    with session_scope(rt.engine) as s:  # the CS14 that added the IHD never reached the DCC
        row = s.get(LatestCs14, IDS.chf_id)
        row.device_log = [e for e in row.device_log if e["device_id"] != IDS.ihd_id]
        s.add(row)
    assert recorded_chf_log(rt, IDS.chf_id) == record
    await new_ch_installed(stack)
    assert await send(rt, GAS, "8.12.1", NEW_CHF, old_chf_id=IDS.chf_id) == "I0"
    assert IDS.ihd_id not in {e["device_id"] for e in rt.fleet.get(NEW_CHF).device_log}
    (n30,) = delivered(rt, kind="dcc_alert", dcc_alert_code="N30")
    assert n30.recipient == ELEC  # the Gas Supplier sent it: the Import Supplier is told


async def test_restores_refused_leave_everything_unchanged(stack):
    rt = await dual_fuel_with_ppmid(stack)
    await new_ch_installed(stack)
    from dccflow.parties import PARTIES

    stranger = PARTIES["supplier-b"].user_ids
    is_b = next(v for k, v in stranger.items() if k.value == "Import Supplier")
    await rejected(rt, is_b, "8.12.1", NEW_CHF, "E4", old_chf_id=IDS.chf_id)  # not an RS of the old CH's SMSs
    await rejected(rt, ELEC, "8.12.1", NEW_CHF, "E11", old_chf_id=IDS.esme_id)  # OldCHFID not a CHF
    await rejected(rt, ELEC, "8.12.2", NEW_CHF, "E11", old_gpf_id=IDS.gpf_id)  # 8.12.2 goes to a GPF
    assert rt.fleet.get(NEW_CHF).device_log == []


def _signed(rt, user, srv, target, **params) -> bytes:
    from dcc_support import request

    return request(rt, user, srv, target, **params)[1]


async def test_electricity_only_the_gpf_log_is_restored_empty(stack):
    """BAD 7.6.1 §B.7 item 2: no gas SMS; 8.12.2 is still sent (AB 10.1(b) literally) and restores an empty log (the
    DCC never received a GCS62); no Gas Supplier, so no N31."""
    from test_dcc_join_and_configure import electricity_sms

    rt = stack.runtime
    await electricity_sms(stack)
    await new_ch_installed(stack)
    assert await send(rt, ELEC, "8.12.1", NEW_CHF, old_chf_id=IDS.chf_id) == "I0"
    assert await send(rt, ELEC, "8.12.2", NEW_GPF, old_gpf_id=IDS.gpf_id) == "I0"
    assert rt.fleet.get(NEW_GPF).device_log == []
    assert delivered(rt, kind="dcc_alert", dcc_alert_code="N31") == []
    assert delivered(rt, kind="dcc_alert", dcc_alert_code="N30") == []  # the sender is the only RS
