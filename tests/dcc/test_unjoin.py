"""'Unjoin Service' (SRV 8.8.1 Critical with its Pre-Command round trip, 8.8.2) and 'Update HAN Device Log' Remove
(SRV 8.11 → CCS02) end to end through the simulated DCC and fleet (BAD 7.6.2.5.3-4; AC 6.1; digest 04 §C, §D):
the Device Logs on the devices, the SMI, N43, and refusals that leave everything unchanged."""

from __future__ import annotations

from dcc_support import delivered, request, valid_and_signed_by_dcc
from test_dcc_join_and_configure import (
    ELEC,
    GAS,
    IDS,
    electricity_sms,
    log_of,
    now,
    on_han,
    rejected,
    send,
    smi,
)

from dccflow.db import session_scope
from dccflow.parties import DCC_ID
from dccsim.models import LatestCs14
from devices.premises import install_code


async def dual_fuel_with_ppmid(stack):
    """Install and Commission (electricity), then the GSME (joined to the GPF) and a PPMID joined to both meters."""
    rt = stack.runtime
    await electricity_sms(stack, gas=True)
    await on_han(rt, GAS, IDS.gsme_id, IDS.mprn)
    assert await send(rt, GAS, "8.1.1", IDS.gsme_id, current_datetime=now(), tolerance_period=60) == "I0"
    assert await send(rt, GAS, "8.7.2", IDS.gsme_id, other_device_id=IDS.gpf_id) == "I0"
    await on_han(rt, ELEC, IDS.ppmid_id)
    for user, srv, target, other in ((ELEC, "8.7.2", IDS.ppmid_id, IDS.esme_id), (ELEC, "8.7.1", IDS.esme_id,
                                     IDS.ppmid_id), (GAS, "8.7.2", IDS.ppmid_id, IDS.gsme_id),
                                     (GAS, "8.7.1", IDS.gsme_id, IDS.ppmid_id)):
        assert await send(rt, user, srv, target, other_device_id=other) == "I0"
    assert smi(rt, IDS.ppmid_id) == ("commissioned", IDS.esme_id)
    return rt


async def test_ppmid_unjoined_from_the_esme_both_ends_then_removed_from_the_han(stack):
    rt = await dual_fuel_with_ppmid(stack)
    # U1: 8.8.1 (Critical, Pre-Command signed by the Supplier) → CS04AC on the ESME; the Association ends (AC 6.1)
    assert await send(rt, ELEC, "8.8.1", IDS.esme_id, other_device_id=IDS.ppmid_id) == "I0"
    assert IDS.ppmid_id not in log_of(rt, IDS.esme_id)
    assert smi(rt, IDS.ppmid_id) == ("commissioned", None)
    # U4: 8.8.2 → CS04AC on the PPMID; no SMI change (§K 16)
    assert await send(rt, ELEC, "8.8.2", IDS.ppmid_id, other_device_id=IDS.esme_id) == "I0"
    assert IDS.esme_id not in log_of(rt, IDS.ppmid_id) and IDS.gsme_id in log_of(rt, IDS.ppmid_id)
    # 8.11 Remove (CCS02): off the CHF Device Log; N43 to the other Responsible Supplier (the Gas Supplier)
    assert await send(rt, ELEC, "8.11", IDS.chf_id, request_type="Remove", device_id=IDS.ppmid_id) == "I0"
    assert IDS.ppmid_id not in log_of(rt, IDS.chf_id)
    assert not rt.fleet.get(IDS.ppmid_id).han_joined
    assert smi(rt, IDS.ppmid_id)[0] == "commissioned"  # only 'whitelisted' goes back to 'pending'
    (n43,) = delivered(rt, kind="dcc_alert", dcc_alert_code="N43")
    body = valid_and_signed_by_dcc(n43.xml).body["DCCAlert"]["PPMIDRemoval"]
    assert n43.recipient == GAS and body == {"PPMIDDeviceID": IDS.ppmid_id, "CHFDeviceID": IDS.chf_id}
    with session_scope(rt.engine) as s:  # the DCC's record for a later restore (AC 8.1) no longer has it
        assert IDS.ppmid_id not in {e["device_id"] for e in s.get(LatestCs14, IDS.chf_id).device_log}


async def test_gsme_unjoined_from_its_gpf_ends_the_association(stack):
    rt = await dual_fuel_with_ppmid(stack)
    assert smi(rt, IDS.gpf_id) == ("commissioned", IDS.gsme_id)
    # U6: 8.8.2 → CS04B on the GSME, by the Import Supplier (AB 10.2: within a CH replacement)
    assert await send(rt, ELEC, "8.8.2", IDS.gsme_id, other_device_id=IDS.gpf_id) == "I0"
    assert IDS.gpf_id not in log_of(rt, IDS.gsme_id)
    assert smi(rt, IDS.gpf_id) == ("commissioned", None)


async def test_a_whitelisted_device_removed_goes_back_to_pending(stack):
    rt = stack.runtime
    await electricity_sms(stack)
    assert await send(rt, ELEC, "8.11", IDS.chf_id, device_id=IDS.ppmid_id, install_code=install_code(IDS.ppmid_id),
                      join_time_period=300) == "I0"
    assert smi(rt, IDS.ppmid_id) == ("whitelisted", None)
    assert await send(rt, ELEC, "8.11", IDS.chf_id, request_type="Remove", device_id=IDS.ppmid_id) == "I0"
    assert smi(rt, IDS.ppmid_id) == ("pending", None)  # BAD l.3685
    assert IDS.ppmid_id not in log_of(rt, IDS.chf_id)
    assert delivered(rt, kind="dcc_alert", dcc_alert_code="N43") == []  # joined to no meter
    # a Device not in the CHF Device Log: the CHF answers with a failure, nothing changes in the SMI
    assert await send(rt, ELEC, "8.11", IDS.chf_id, request_type="Remove", device_id=IDS.ppmid_id) == "E100"
    assert smi(rt, IDS.ppmid_id) == ("pending", None)


async def test_unjoins_refused_leave_the_dcc_and_the_devices_unchanged(stack):
    rt = await dual_fuel_with_ppmid(stack)
    # only the Gas Supplier unjoins the GPF from a PPMID (BAD 7.6.1.6.3): check F already refuses the Import Supplier
    # (the GPF serves the gas SMS, AB 6.1(f))
    await rejected(rt, ELEC, "8.8.2", IDS.gpf_id, "E4", other_device_id=IDS.ppmid_id)
    # the ESME-side PPMID unjoin is Critical (U1): not a pair 8.8.2 serves
    await rejected(rt, ELEC, "8.8.2", IDS.esme_id, "E11", other_device_id=IDS.ppmid_id)
    # not the Supplier registered for the GSME's MPRN (AB 6.1(f))
    from dccflow.parties import PARTIES
    other = PARTIES["supplier-b"].user_ids
    await rejected(rt, next(v for k, v in other.items() if k.value == "Gas Supplier"), "8.8.2", IDS.gsme_id, "E4",
                  other_device_id=IDS.gpf_id)
    await rejected(rt, ELEC, "8.11", IDS.chf_id, "E11", request_type="Remove", device_id=IDS.gpf_id)
    assert IDS.ppmid_id in log_of(rt, IDS.esme_id) and smi(rt, IDS.ppmid_id) == ("commissioned", IDS.esme_id)
    # a decommissioned ESME is no longer talked to (AB 6.1(c); SEC H3.9): its unjoins are refused, its log stays
    rid, sr = request(rt, ELEC, "8.3", DCC_ID, device_id=IDS.esme_id)
    assert (await rt.dcc.submit(sr, now())).code == "I0"
    await rejected(rt, ELEC, "8.8.1", IDS.esme_id, "E5", other_device_id=IDS.ppmid_id)
    assert IDS.ppmid_id in log_of(rt, IDS.esme_id)

