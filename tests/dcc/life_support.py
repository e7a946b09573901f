"""Helpers for the end-of-life tests (decommission, unjoin, remove, restore, suspension): a dual-fuel premises on
the SMI, Non-Device requests through the DCC's front door, and the DCC Alerts it delivered, each checked as a
signed, schema-valid DUIS message."""

from __future__ import annotations

from datetime import timedelta

from dcc_support import (
    CHF,
    ESME,
    GAS_SUPPLIER_A,
    GPF,
    dcc_state,
    delivered,
    now,
    premises,
    signed_request,
    valid_and_signed_by_dcc,
)

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.parties import DCC_ID
from dccsim.inventory import Inventory, Registration
from dccsim.smki import PKI_EPOCH

TRANSPORTER = "90-B3-D5-1F-30-03-00-00"
GSME, PPMID, IHD = "00-DB-12-04-00-00-09-01", "00-DB-12-06-00-00-09-01", "00-DB-12-05-00-00-09-01"
MPRN = "9000000901"
EXPORT_MPAN = "1300000009029"
_COUNTERS: dict[str, int] = {}


def dual_fuel(rt, *, gpf: SmiStatus = SmiStatus.COMMISSIONED) -> None:
    """``dcc_support.premises`` with the ESME commissioned, plus a commissioned GSME on the MPRN (Gas Supplier A's
    gas User ID, Gas Transporter A), the GPF ``gpf``, a PPMID joined to the ESME and an IHD (Type 2)."""
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    at = now() - timedelta(minutes=4)
    with session_scope(rt.engine) as s:
        inv = Inventory(s)
        if gpf != SmiStatus.PENDING:
            inv.set_status(GPF, gpf, at, "test set-up")
        inv.get(GPF).associated_with = GSME
        inv.add(GSME, DeviceType.GSME, SmiStatus.PENDING, at, chf_id=CHF, mpxn=MPRN, reason="test set-up")
        inv.add(PPMID, DeviceType.PPMID, SmiStatus.PENDING, at, chf_id=CHF, reason="test set-up")
        for status in (SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED):
            inv.set_status(GSME, status, at, "test set-up")
            inv.set_status(PPMID, status, at, "test set-up")
        inv.get(PPMID).associated_with = ESME
        inv.add(IHD, DeviceType.IHD, None, at, chf_id=CHF, reason="test set-up (Type 2)")
        Registration(s).add(mpxn=MPRN, fuel="gas", supplier_id=GAS_SUPPLIER_A, network_operator_id=TRANSPORTER,
                            effective_from=PKI_EPOCH)


def counter(user: str) -> int:
    _COUNTERS[user] = _COUNTERS.get(user, 100) + 1
    return _COUNTERS[user]


async def non_device(rt, user: str, srv: str, **params):
    """A Non-Device request (target: the DCC) and the DCC's signed, schema-valid synchronous reply."""
    reply = await rt.dcc.submit(signed_request(rt, user, srv, DCC_ID, counter(user), **params), now())
    assert reply.xml is not None, reply
    return reply, valid_and_signed_by_dcc(reply.xml)


async def refused(rt, user: str, srv: str, code: str, target: str = DCC_ID, **params) -> None:
    """Refused with ``code`` in a signed DUIS Response, the DCC's inventory, logs and the devices unchanged."""
    before = dcc_state(rt)
    reply = await rt.dcc.submit(signed_request(rt, user, srv, target, counter(user), **params), now())
    assert reply.outcome == "rejected" and reply.code == code, reply
    assert valid_and_signed_by_dcc(reply.xml).response_code == code
    assert dcc_state(rt) == before


def alerts(rt, code: str, **where) -> dict[str, object]:
    """Recipient → parsed alert, for every DCC Alert ``code`` delivered (each valid and signed)."""
    found = {}
    for row in delivered(rt, kind="dcc_alert", dcc_alert_code=code, **where):
        parsed = valid_and_signed_by_dcc(row.xml)
        assert parsed.dcc_alert_code == code
        found[row.recipient] = parsed
    return found


def smi(rt, device_id: str) -> tuple[str | None, str | None, str | None, str | None]:
    """SMI status, CHF, Associated Device and MPxN of a Device."""
    with session_scope(rt.engine) as s:
        dev = Inventory(s).get(device_id)
        return dev.smi_status, dev.chf_id, dev.associated_with, dev.mpxn

