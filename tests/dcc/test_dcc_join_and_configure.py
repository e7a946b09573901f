"""'Join Service' (SRV 8.7.1 / 8.7.2; BAD 7.2.1.6.12, Table 5; SEC Appendix AC 4.5-4.10) and 'Set Device
Configuration (Import MPxN)' (SRV 6.20.1; BAD 7.2.1.6.11; AC 4.14), end to end through the simulated DCC and
the simulated fleet, after an electricity Install and Commission."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dcc_support import accepted, delivered, rejected_unchanged, wait_for
from sqlalchemy import insert
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import UserRole
from dccflow.parties import SUPPLIER
from dccflow_app.scenarios.runner import run_scenario
from dccsim.handlers.join import JOIN_COMMANDS
from dccsim.inventory import Inventory
from dccsim.models import RegistrationData, SmiDevice, SmiStatusChange
from dccsim.rejections import PROCESSING_CODES
from devices.anchors import AnchorIds
from devices.builder import FleetSpec, _Rows
from devices.models import DeviceState
from devices.premises import install_code, premises_ids

ELEC = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]
GAS = SUPPLIER.user_ids[UserRole.GAS_SUPPLIER]
IDS = premises_ids(1)


def now() -> datetime:
    return datetime.now(UTC)


async def electricity_sms(stack, *, gas: bool = False) -> None:
    """A commissioned CHF and ESME (the Install and Commission scenario), then a PPMID and an IHD (and with
    ``gas`` a GSME with its MPRN) at the same premises: in the fleet, the PPMID / GSME pre-notified 'pending'
    on the SMI, the IHD (Type 2, no SMI Status, AC 2.9) on the SMI without one."""
    report = await run_scenario(stack.client, "install-commission-electricity")
    assert report.result == "completed", report.reason
    rt = stack.runtime
    at = now()
    spec = FleetSpec(sms=1, dual_fuel=True, ppmid=True, ihd=True, first_number=1)
    _ids, devices, smi, changes, registrations = _Rows(spec, AnchorIds(rt.engine), at).premises(1, SUPPLIER)
    new = {IDS.ppmid_id, IDS.ihd_id} | ({IDS.gsme_id} if gas else set())
    with rt.engine.begin() as conn:  # only the rows of the devices the scenario did not build
        for model, rows in ((DeviceState, devices), (SmiDevice, smi), (SmiStatusChange, changes)):
            conn.execute(insert(model.__table__), [r for r in rows if r["device_id"] in new])
        if gas:
            conn.execute(insert(RegistrationData.__table__), [r for r in registrations if r["fuel"] == "gas"])
    with session_scope(rt.engine) as s:
        Inventory(s).add(IDS.ihd_id, DeviceType.IHD, None, at, reason="test set-up (Type 2)")


async def send(rt, user: str, srv: str, target: str, **params) -> str:
    """A request through the real pipeline (with the Pre-Command round trip for a Critical one); returns the
    code of the signed Service Response."""
    return (await accepted(rt, now(), user, srv, target, **params)).response_code


async def on_han(rt, user: str, device_id: str, mpxn: str | None = None) -> None:
    """SRV 8.11 adds the device to the CHF Device Log; the installer fits it; it joins the SM HAN and the CHF's
    CS14 reaches the DCC (N24; AD 3.8.109.4)."""
    assert await send(rt, user, "8.11", IDS.chf_id, device_id=device_id, install_code=install_code(device_id),
                      join_time_period=300, import_mpxn=mpxn) == "I0"
    rt.fleet.install_device(device_id, now())
    await rt.wan.carry(rt.fleet.complete_han_join(IDS.chf_id, device_id, now()))
    await wait_for(lambda: delivered(rt, kind="dcc_alert", dcc_alert_code="N24", device_id=device_id))


def smi(rt, device_id: str) -> tuple[str | None, str | None]:
    with session_scope(rt.engine) as s:
        dev = Inventory(s).get(device_id)
        return dev.smi_status, dev.associated_with


def history(rt, device_id: str) -> list[str]:
    with session_scope(rt.engine) as s:
        return [c.to_status for c in s.exec(select(SmiStatusChange).where(SmiStatusChange.device_id == device_id)
                                             .order_by(SmiStatusChange.id))]


def log_of(rt, device_id: str) -> dict[str, bool]:
    return {e["device_id"]: e["joined"] for e in rt.fleet.get(device_id).device_log}


async def rejected(rt, user: str, srv: str, target: str, code: str, **params) -> None:
    await rejected_unchanged(rt, now(), user, srv, target, code, **params)


def test_join_table_follows_bad_text_where_table_5_disagrees():
    assert JOIN_COMMANDS[("8.7.2", DeviceType.GSME, DeviceType.GPF)].use_case == "CS03B"
    assert ("8.7.1", DeviceType.GSME, DeviceType.GPF) not in JOIN_COMMANDS
    assert JOIN_COMMANDS[("8.7.2", DeviceType.PPMID, DeviceType.ESME)].use_case == "CS03A2"
    assert JOIN_COMMANDS[("8.7.1", DeviceType.ESME, DeviceType.PPMID)].use_case == "CS03A1"


async def test_ppmid_and_ihd_join_the_commissioned_esme(stack):
    rt = stack.runtime
    await electricity_sms(stack)
    await on_han(rt, ELEC, IDS.ppmid_id)
    await on_han(rt, ELEC, IDS.ihd_id)
    assert smi(rt, IDS.ppmid_id) == ("installed not commissioned", None)

    # the ESME refuses CS03A1 while the PPMID does not hold it yet: a failure Response, the SMI unchanged
    code = await send(rt, ELEC, "8.7.1", IDS.esme_id, other_device_id=IDS.ppmid_id)
    assert code == PROCESSING_CODES["device_failure"]
    assert smi(rt, IDS.ppmid_id) == ("installed not commissioned", None)

    # PPMID -> ESME: CS03A2 on the PPMID (8.7.2); the SMI is not changed until the ESME effects the join
    assert await send(rt, ELEC, "8.7.2", IDS.ppmid_id, other_device_id=IDS.esme_id) == "I0"
    assert log_of(rt, IDS.ppmid_id) == {IDS.esme_id: False}
    assert smi(rt, IDS.ppmid_id) == ("installed not commissioned", None)

    # ESME -> PPMID: CS03A1 (8.7.1, Critical): Associated and 'commissioned' like the ESME (AC 4.7(b), 4.9)
    assert await send(rt, ELEC, "8.7.1", IDS.esme_id, other_device_id=IDS.ppmid_id) == "I0"
    assert log_of(rt, IDS.esme_id)[IDS.ppmid_id] is True
    assert smi(rt, IDS.ppmid_id) == ("commissioned", IDS.esme_id)
    assert history(rt, IDS.ppmid_id) == ["pending", "whitelisted", "installed not commissioned", "commissioned"]

    # ESME -> IHD: CS03B (8.7.2): a Type 2 Device is only Associated (AC 4.8(c))
    assert await send(rt, ELEC, "8.7.2", IDS.esme_id, other_device_id=IDS.ihd_id) == "I0"
    assert log_of(rt, IDS.esme_id)[IDS.ihd_id] is True
    assert smi(rt, IDS.ihd_id) == (None, IDS.esme_id)
    assert history(rt, IDS.ihd_id) == []


async def test_join_refused_when_the_device_is_only_whitelisted(stack):
    rt = stack.runtime
    await electricity_sms(stack)
    assert await send(rt, ELEC, "8.11", IDS.chf_id, device_id=IDS.ppmid_id,
                      install_code=install_code(IDS.ppmid_id), join_time_period=300) == "I0"
    assert smi(rt, IDS.ppmid_id) == ("whitelisted", None)
    # AC 4.6(a): 'whitelisted' is not a status a Device to be joined may have; E5, nothing changes
    await rejected(rt, ELEC, "8.7.1", IDS.esme_id, "E5", other_device_id=IDS.ppmid_id)
    # and a pair Table 5 does not have (ESME -> GPF) is refused as not applying (E11)
    await rejected(rt, ELEC, "8.7.2", IDS.esme_id, "E11", other_device_id=IDS.gpf_id)


async def test_type2_join_refused_before_the_ihd_is_in_the_chf_device_log(stack):
    rt = stack.runtime
    await electricity_sms(stack)
    await rejected(rt, ELEC, "8.7.2", IDS.esme_id, "E5", other_device_id=IDS.ihd_id)
    assert smi(rt, IDS.ihd_id) == (None, None)


async def test_gsme_gpf_and_ppmid_joins_commission_the_gpf(stack):
    rt = stack.runtime
    await electricity_sms(stack, gas=True)
    await on_han(rt, GAS, IDS.gsme_id, IDS.mprn)
    assert await send(rt, GAS, "8.1.1", IDS.gsme_id, current_datetime=now(), tolerance_period=60) == "I0"
    assert smi(rt, IDS.gsme_id)[0] == "commissioned"
    assert smi(rt, IDS.gpf_id) == ("pending", None)

    # GSME -> GPF: CS03B (8.7.2, BAD text; Table 5 says 8.7.1 CS03C): the GPF is commissioned (AC 4.10)
    assert await send(rt, GAS, "8.7.2", IDS.gsme_id, other_device_id=IDS.gpf_id) == "I0"
    assert smi(rt, IDS.gpf_id) == ("commissioned", IDS.gsme_id)
    assert log_of(rt, IDS.gsme_id)[IDS.gpf_id] is True

    # GPF -> PPMID: CS03B; the PPMID follows the GPF (BAD 7.2.1.6.12; AC 4.7(b))
    await on_han(rt, GAS, IDS.ppmid_id)
    assert await send(rt, GAS, "8.7.2", IDS.gpf_id, other_device_id=IDS.ppmid_id) == "I0"
    assert smi(rt, IDS.ppmid_id) == ("commissioned", IDS.gpf_id)
    # PPMID -> GSME (CS03C, 8.7.2) then GSME -> PPMID (CS03C, 8.7.1 Critical): joined; no status change
    assert await send(rt, GAS, "8.7.2", IDS.ppmid_id, other_device_id=IDS.gsme_id) == "I0"
    assert await send(rt, GAS, "8.7.1", IDS.gsme_id, other_device_id=IDS.ppmid_id) == "I0"
    assert log_of(rt, IDS.gsme_id)[IDS.ppmid_id] is True
    assert smi(rt, IDS.ppmid_id) == ("commissioned", IDS.gpf_id)
    # GPF -> IHD: CS03B, Type 2 Associated only
    await on_han(rt, GAS, IDS.ihd_id)
    assert await send(rt, GAS, "8.7.2", IDS.gpf_id, other_device_id=IDS.ihd_id) == "I0"
    assert smi(rt, IDS.ihd_id) == (None, IDS.gpf_id)

    # 6.20.1 on the GSME: GCS41 with the MPRN
    assert await send(rt, GAS, "6.20.1", IDS.gsme_id, import_mprn=IDS.mprn) == "I0"
    assert rt.fleet.get(IDS.gsme_id).mpxn == IDS.mprn


async def test_set_import_mpan_on_the_esme(stack):
    rt = stack.runtime
    await electricity_sms(stack)
    assert await send(rt, ELEC, "6.20.1", IDS.esme_id, import_mpan=IDS.mpan) == "I0"
    assert rt.fleet.get(IDS.esme_id).mpxn == IDS.mpan
    # an MPRN for an ESME does not apply (E11); nothing changes
    await rejected(rt, ELEC, "6.20.1", IDS.esme_id, "E11", import_mprn=IDS.mprn)


@pytest.mark.parametrize("user", [GAS])
async def test_set_import_mpan_by_a_supplier_not_registered_is_refused(stack, user):
    rt = stack.runtime
    await electricity_sms(stack)
    await rejected(rt, user, "6.20.1", IDS.esme_id, "E4", import_mpan=IDS.mpan)
