"""Enrolment rules (SEC H5.1-H5.3, H3.9(c); BAD 7.2.1.1): a gas SMS is Enrolled only when both its GSME and its
GPF are commissioned, and until then other Users' requests to its Devices are refused; no Device is commissioned
through a join while its CHF is not commissioned (H5.2). A refused request changes nothing."""

from __future__ import annotations

from dcc_support import dcc_state, next_counter, sign_as, valid_and_signed_by_dcc
from sqlmodel import select
from test_dcc_join_and_configure import (
    GAS,
    IDS,
    electricity_sms,
    now,
    on_han,
    rejected,
    send,
    smi,
)

from activities.compose import compose_request
from dccflow.db import session_scope
from dccflow.domain.roles import UserRole
from dccflow.domain.smi import SmiStatus
from dccflow.parties import GAS_TRANSPORTER, SUPPLIER
from dccsim.enrolment import enrolled_smss
from dccsim.inventory import Inventory
from dccsim.models import SmiDevice

GT = GAS_TRANSPORTER.user_ids[UserRole.GAS_TRANSPORTER]
ELEC = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]


def _gt_krp(rt) -> bytes:
    """The Gas Transporter's SRV 6.15.1 for the GPF's Network Operator cell (BAD 7.7.2.5.6)."""
    rid = f"{GT}:{IDS.gpf_id}:{next_counter(rt, GT)}"
    element = compose_request("6.15.1", rid, {"remote_party_role": "NetworkOperator", "certificate_of": GT},
                              rt.smki.organisation_certificate_der)
    return sign_as(rt, GT, element)


def _enrolled(rt, device_id: str) -> set[str]:
    with session_scope(rt.engine) as s:
        inv = Inventory(s)
        return enrolled_smss(inv, inv.get(device_id))


async def test_gas_is_enrolled_only_when_both_gsme_and_gpf_are_commissioned(stack):
    rt = stack.runtime
    await electricity_sms(stack, gas=True)
    await on_han(rt, GAS, IDS.gsme_id, IDS.mprn)
    # GSME -> GPF while the GSME is 'installed not commissioned': the GPF follows it (AC 4.7(a))
    assert await send(rt, GAS, "8.7.2", IDS.gsme_id, other_device_id=IDS.gpf_id) == "I0"
    assert smi(rt, IDS.gpf_id)[0] == "installed not commissioned"
    assert await send(rt, GAS, "8.1.1", IDS.gsme_id, current_datetime=now(), tolerance_period=60) == "I0"
    assert smi(rt, IDS.gsme_id)[0] == "commissioned" and smi(rt, IDS.gpf_id)[0] == "installed not commissioned"
    # the GSME is commissioned but the GPF is not: no Enrolled gas SMS (H5.1(b)) ...
    assert _enrolled(rt, IDS.gsme_id) == set() and _enrolled(rt, IDS.gpf_id) == set()
    assert _enrolled(rt, IDS.esme_id) == {"electricity"}
    # ... so the Gas Transporter's request to the GPF is refused though S4 alone would allow it; nothing changes
    before = dcc_state(rt)
    reply = await rt.dcc.submit(_gt_krp(rt), now())
    assert reply.outcome == "rejected" and reply.code == "E5", reply
    assert "Enrolled" in reply.reason and "H3.9(c)" in reply.reason
    assert valid_and_signed_by_dcc(reply.xml).response_code == "E5"
    assert dcc_state(rt) == before
    # joining the GPF to the commissioned GSME commissions it (AC 4.10): the gas SMS is Enrolled ...
    assert await send(rt, GAS, "8.7.2", IDS.gsme_id, other_device_id=IDS.gpf_id) == "I0"
    assert smi(rt, IDS.gpf_id)[0] == "commissioned"
    assert _enrolled(rt, IDS.gpf_id) == {"gas"} and _enrolled(rt, IDS.chf_id) == {"electricity", "gas"}
    # ... and the same request now passes the DCC's checks (Critical: answered with a Pre-Command)
    assert (await rt.dcc.submit(_gt_krp(rt), now())).outcome == "accepted"


async def test_no_device_commissioned_by_a_join_while_its_chf_is_not(stack):
    rt = stack.runtime
    await electricity_sms(stack)
    await on_han(rt, ELEC, IDS.ppmid_id)
    assert await send(rt, ELEC, "8.7.2", IDS.ppmid_id, other_device_id=IDS.esme_id) == "I0"
    # a CHF that is not 'commissioned' while its ESME is (a state the Code never reaches; set here directly)
    with session_scope(rt.engine) as s:
        chf = s.exec(select(SmiDevice).where(SmiDevice.device_id == IDS.chf_id)).one()
        chf.smi_status = SmiStatus.INSTALLED_NOT_COMMISSIONED.value
        s.add(chf)
    # 8.7.1 CS03A1 would make the PPMID 'commissioned' like the ESME: refused (SEC H5.2), nothing changes
    await rejected(rt, ELEC, "8.7.1", IDS.esme_id, "E5", other_device_id=IDS.ppmid_id)
    assert smi(rt, IDS.ppmid_id) == ("installed not commissioned", None)


async def test_withdrawn_or_decommissioned_devices_are_refused(stack):
    rt = stack.runtime
    await electricity_sms(stack, gas=True)
    await on_han(rt, GAS, IDS.gsme_id, IDS.mprn)
    for status in (SmiStatus.WITHDRAWN, SmiStatus.DECOMMISSIONED):
        with session_scope(rt.engine) as s:
            gsme = s.exec(select(SmiDevice).where(SmiDevice.device_id == IDS.gsme_id)).one()
            gsme.smi_status = status.value
            s.add(gsme)
        # H5.3(b), AC 4.12(b): no Commission; AC 4.6(c): no join through it
        await rejected(rt, GAS, "8.1.1", IDS.gsme_id, "E5", current_datetime=now(), tolerance_period=60)
        await rejected(rt, GAS, "8.7.2", IDS.gsme_id, "E5", other_device_id=IDS.gpf_id)
        assert smi(rt, IDS.gsme_id)[0] == status.value and smi(rt, IDS.gpf_id)[0] == "pending"
