"""SRV 8.4 'Update Inventory' and the GPF (BAD 7.2.2.6.8; SEC Appendix AD 3.8.101.4.3c; AC 4.10; SEC H5): the
Install and Leave move that sets the GPF 'commissioned' once its CHF is commissioned and the GSME joined to it
is commissioned — and is refused, changing nothing, otherwise."""

from __future__ import annotations

from dcc_support import (
    CHF,
    GAS_SUPPLIER_A,
    GPF,
    SUPPLIER_A,
    dcc_state,
    now,
    premises,
    signed_request,
    valid_and_signed_by_dcc,
)
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.parties import DCC_ID
from dccsim.inventory import Inventory, Registration
from dccsim.models import SmiDevice, SmiStatusChange

GSME = "00-DB-12-04-00-00-09-01"
MPRN = "3000009011"
TRANSPORTER = "90-B3-D5-1F-30-03-00-00"
COMMISSION_GPF = {"device_id": CHF, "device_status_ch": "Commissioned"}


def _gas_premises(rt, *, gsme_status: SmiStatus, gpf_joined: bool = True,
                  chf_status: SmiStatus = SmiStatus.COMMISSIONED) -> None:
    """The electricity premises of ``dcc_support`` plus a GSME on the same CHF with its MPRN registered to the Gas
    Supplier; the GPF 'installed not commissioned', joined to the GSME (Associated) as the local GSME-GPF join
    returned by SRV 8.13 left it (BAD 7.2.2.6.4)."""
    premises(rt)
    at = now()
    with session_scope(rt.engine) as s:
        inv = Inventory(s)
        if chf_status != SmiStatus.COMMISSIONED:  # back through 'decommissioned' (AC 7.1) to the status wanted
            inv.set_status(CHF, SmiStatus.DECOMMISSIONED, at, "test set-up")
            inv.set_status(CHF, SmiStatus.PENDING, at, "test set-up")
            if chf_status == SmiStatus.INSTALLED_NOT_COMMISSIONED:
                inv.set_status(CHF, chf_status, at, "test set-up")
        inv.set_status(GPF, SmiStatus.INSTALLED_NOT_COMMISSIONED, at, "test set-up")
        inv.add(GSME, DeviceType.GSME, SmiStatus.PENDING, at, chf_id=CHF, mpxn=MPRN, reason="test set-up",
                added_by=GAS_SUPPLIER_A, manufacturer="AB01", model="010A030B")
        for status in (SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED):
            inv.set_status(GSME, status, at, "test set-up")
            if status == gsme_status:
                break
        if gpf_joined:
            gpf = s.get(SmiDevice, GPF)
            gpf.associated_with = GSME
            s.add(gpf)
        Registration(s).add(mpxn=MPRN, fuel="gas", supplier_id=GAS_SUPPLIER_A, network_operator_id=TRANSPORTER,
                            effective_from=at.replace(year=2020))


def _status(rt, device_id: str) -> str:
    with session_scope(rt.engine) as s:
        return s.get(SmiDevice, device_id).smi_status


async def _refused(rt, user: str, counter: int, code: str) -> None:
    before = dcc_state(rt)
    reply = await rt.dcc.submit(signed_request(rt, user, "8.4", DCC_ID, counter, **COMMISSION_GPF), now())
    assert (reply.outcome, reply.code) == ("rejected", code), reply.reason
    valid_and_signed_by_dcc(reply.xml)
    assert dcc_state(rt) == before  # a refused request changes nothing


async def test_update_inventory_commissions_the_gpf_joined_to_a_commissioned_gsme(stack):
    rt = stack.runtime
    _gas_premises(rt, gsme_status=SmiStatus.COMMISSIONED)
    # the GPF's Responsible Supplier is the Gas Supplier of the GSME's MPRN (AD 3.8.101.4.3a): not the Import one
    await _refused(rt, SUPPLIER_A, 1, "E4")
    reply = await rt.dcc.submit(signed_request(rt, GAS_SUPPLIER_A, "8.4", DCC_ID, 2, **COMMISSION_GPF), now())
    assert (reply.outcome, reply.code) == ("accepted", "I0"), reply.reason
    assert valid_and_signed_by_dcc(reply.xml).service_reference_variant == "8.4"
    assert (_status(rt, CHF), _status(rt, GPF), _status(rt, GSME)) == ("commissioned",) * 3
    with session_scope(rt.engine) as s:
        last = s.exec(select(SmiStatusChange).where(SmiStatusChange.device_id == GPF)
                      .order_by(SmiStatusChange.id.desc())).first()
    assert (last.from_status, last.to_status) == ("installed not commissioned", "commissioned")
    assert "BAD 7.2.2.6.8" in last.reason and GSME in last.reason
    # once commissioned, the same move again is refused: 'commissioned' -> 'commissioned' is no transition
    await _refused(rt, GAS_SUPPLIER_A, 3, "E5")


async def test_gpf_not_commissioned_while_its_gsme_is_not(stack):
    rt = stack.runtime
    _gas_premises(rt, gsme_status=SmiStatus.INSTALLED_NOT_COMMISSIONED)  # AC 4.10: a Commissioned GSME
    await _refused(rt, GAS_SUPPLIER_A, 1, "E5")
    assert _status(rt, GPF) == "installed not commissioned"


async def test_gpf_not_commissioned_unless_joined_to_the_gsme(stack):
    rt = stack.runtime
    _gas_premises(rt, gsme_status=SmiStatus.COMMISSIONED, gpf_joined=False)
    await _refused(rt, GAS_SUPPLIER_A, 1, "E5")
    assert _status(rt, GPF) == "installed not commissioned"


async def test_gpf_not_commissioned_before_its_chf(stack):
    """With the CHF 'installed not commissioned' the request is the CHF's own move (AD 3.8.101.4.3ci.2: 'GPF no
    status transition'): the CHF is commissioned, the GPF is not (SEC H5.2: nothing before its CHF)."""
    rt = stack.runtime
    _gas_premises(rt, gsme_status=SmiStatus.INSTALLED_NOT_COMMISSIONED, chf_status=SmiStatus.INSTALLED_NOT_COMMISSIONED)
    reply = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 1, **COMMISSION_GPF), now())
    assert reply.code == "I0", reply.reason
    assert (_status(rt, CHF), _status(rt, GPF)) == ("commissioned", "installed not commissioned")


async def test_the_request_still_names_the_chf_not_the_gpf(stack):
    rt = stack.runtime
    _gas_premises(rt, gsme_status=SmiStatus.COMMISSIONED)
    before = dcc_state(rt)
    reply = await rt.dcc.submit(signed_request(rt, GAS_SUPPLIER_A, "8.4", DCC_ID, 1, device_id=GPF,
                                               device_status_ch="Commissioned"), now())
    assert reply.code == "E11"  # AD 3.8.101.4: the DeviceId of a Communications Hub is the CHF's
    assert dcc_state(rt) == before
