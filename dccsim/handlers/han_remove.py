"""'Update HAN Device Log' with RequestType Remove (SRV 8.11 → CCS02 to the CHF; BAD 7.6.2.5.4, 7.6.2.5.7; digest
04 §D), the half of ``dccsim.handlers.device.UpdateHanDeviceLog`` that takes a Device off the HAN whitelist.

On a successful Response (the CHF's CS14 then carries the new Device Log, which the DCC keeps as its record: a
removed Device is not restored by a later 8.12.1):

* a 'whitelisted' Device goes back to 'pending' (the clause quoted as "AB 3.8.101.4", 004 l.3685); any other status
  stays (the Device is off the HAN but e.g. 'commissioned' until its 8.3, §D.3); its Association with the CHF stays
  until the 8.3 (H6.4(b));
* N43 'PPMID Removal' to every Responsible Supplier for the CHF but the sender, when a Supplier removed a PPMID
  joined to both an ESME and a GSME (BAD 7.6.2.5.4). The BAD says so, the quoted DUIS clause says "No additional DCC
  Alerts" (§K 10): the BAD's specific rule wins. The SMI keeps one Association per Device (``join``), so "joined to
  both" is judged as: the PPMID has been joined to a meter (its status is the one a join gives, AC 4.7) and the CHF
  serves both an electricity and a gas SMS. An ESME-side unjoin by the Import Supplier (U1, U4) does not take it off
  the GSME, which only the Gas Supplier can do (U5, U7): the Gas Supplier still learns its PPMID left the HAN.

A Remove naming a Device not in the CHF's log is answered by the CHF with a failure (E100), §D.4.
"""

from __future__ import annotations

from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.messages import GbcsResponse
from dccsim.handlers.base import Ctx, Notice, Outcome, failed, reject, status_of
from dccsim.handlers.decommission import responsible_suppliers
from dccsim.rejections import Check

REMOVE_USE_CASE = "CCS02"
#: a PPMID in these statuses has been joined to a meter (AC 4.7: a join gives it the meter's status)
JOINED = frozenset({SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED})


def check_remove(ctx: Ctx) -> None:
    leaver = ctx.device(ctx.body["DeviceID"])
    if leaver.device_type in (DeviceType.CHF, DeviceType.GPF):
        raise reject(Check.DEVICE_TYPE, f"a {leaver.device_type} is not in a CHF Device Log")
    if ctx.execution_at is not None:
        raise reject(Check.NOT_SUPPORTED, "a future-dated Remove is not simulated (BAD 7.6.2.5.4 does not describe "
                                          "it; digest 04 §D.6)")


def remove_params(ctx: Ctx) -> dict:
    leaver = ctx.inventory.get(ctx.body["DeviceID"])
    return {"device_id": leaver.device_id, "device_type": leaver.device_type}


def apply_remove(ctx: Ctx, response: GbcsResponse | None) -> Outcome:
    if (failure := failed(response)) is not None:
        return failure
    inv = ctx.inventory
    leaver = inv.get(ctx.body["DeviceID"])
    if status_of(leaver) == SmiStatus.WHITELISTED:
        inv.set_status(leaver.device_id, SmiStatus.PENDING, ctx.at, f"SRV 8.11 Remove {ctx.request_id}: CCS02 "
                                                                     "executed (AD 3.8.109.4, quoted at BAD l.3685)")
    notices = []
    if leaver.device_type == DeviceType.PPMID and status_of(leaver) in JOINED:
        meters = [d for d in inv.devices_of_chf(ctx.target) if DeviceType(d.device_type).is_meter and d.mpxn]
        suppliers = responsible_suppliers(ctx.registration, {m.mpxn for m in meters}, ctx.at)
        if {"electricity", "gas"} <= set(suppliers.values()):
            notices = [Notice("N43", rs, leaver.device_id, {"chf_id": ctx.target}, names_request=False, tag=rs)
                       for rs in suppliers if rs != ctx.originator]
    return Outcome(notices=notices, detail=f"{leaver.device_id} removed from the Device Log of {ctx.target}")
