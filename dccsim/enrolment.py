"""Enrolment of Smart Metering Systems (SEC H5.1) and what it opens (SEC H3.9(c); BAD 7.2.1.1).

* Electricity: the SMS is Enrolled when its Electricity Smart Meter is Commissioned (H5.1(a)).
* Gas: only when both its Gas Smart Meter and its Gas Proxy Function are Commissioned (H5.1(b)): a commissioned
  GSME whose GPF is not (yet) commissioned is not an Enrolled gas SMS.

"Once a SMS is Enrolled, other Users can request DCC Services in respect of Devices forming part of that SMS"
(BAD 7.2.1.1; "Communication Services are not available until the SMS is Enrolled", H3.9(c)).

DECISION: Appendix E (which SRVs are Enrolment Services) is not in the sources. The Responsible Supplier's requests
are how an SMS gets Enrolled (8.11, 8.1.1, 8.7.x, and 6.21 / 6.15.1 before commissioning, BAD 7.2.1.6.8-9), so the
rule is applied to the other Users (Network Operators, Export Supplier, Registered Supplier Agent, Other Users):
their Service Requests to a Device need an Enrolled SMS the Device forms part of. The check reads only; a refused
request changes nothing.
"""

from __future__ import annotations

from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccsim.inventory import Inventory
from dccsim.models import SmiDevice

_D = DeviceType
_GAS = frozenset({_D.GSME, _D.GPF})


def _commissioned(dev: SmiDevice | None) -> bool:
    return dev is not None and dev.smi_status == SmiStatus.COMMISSIONED


def _gas_enrolled(inv: Inventory, chf_id: str | None) -> bool:
    """H5.1(b): the GSME and the GPF on this CH both 'commissioned'."""
    if chf_id is None:
        return False
    devices = inv.devices_of_chf(chf_id)
    gsmes = [d for d in devices if d.device_type == _D.GSME]
    gpfs = [d for d in devices if d.device_type == _D.GPF]
    return any(_commissioned(g) for g in gsmes) and any(_commissioned(g) for g in gpfs)


def _electricity_enrolled(inv: Inventory, chf_id: str | None) -> bool:
    """H5.1(a): the ESME on this CH 'commissioned'."""
    return chf_id is not None and any(_commissioned(d) for d in inv.devices_of_chf(chf_id)
                                      if d.device_type == _D.ESME)


def enrolled_smss(inv: Inventory, dev: SmiDevice) -> set[str]:
    """The fuels ('electricity', 'gas') of the Enrolled SMSs the Device forms part of."""
    dtype = DeviceType(dev.device_type)
    chf_id = dev.device_id if dtype == _D.CHF else dev.chf_id
    if dtype == _D.ESME:
        return {"electricity"} if _commissioned(dev) else set()
    if dtype in _GAS:
        return {"gas"} if _gas_enrolled(inv, chf_id) else set()
    if dtype == _D.CHF:
        return ({"electricity"} if _electricity_enrolled(inv, chf_id) else set()) | (
            {"gas"} if _gas_enrolled(inv, chf_id) else set())
    # PPMID, HCALCS, IHD, CAD: the SMS of the Smart Meter / GPF they are Associated with
    anchor = inv.find(dev.associated_with) if dev.associated_with else None
    return enrolled_smss(inv, anchor) if anchor is not None and anchor.device_id != dev.device_id else set()
