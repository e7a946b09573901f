"""One handler per Service Reference Variant the simulated DCC processes, registered in ``HANDLERS``.

A Service Request for an SRV that is in the catalogue but has no handler here is answered with the DUIS
'not supported' code (``dccsim.rejections``), never left unanswered.
"""

from __future__ import annotations

from dccsim.handlers.base import Ctx, Handler, Notice, Outcome
from dccsim.handlers.device import CommissionDevice, UpdateHanDeviceLog
from dccsim.handlers.nondevice import (
    ChFaultReturn,
    ChInstallNoSmWan,
    ChInstallSuccess,
    ChNoFaultReturn,
    DevicePrenotification,
    ReadInventory,
    RequestWanMatrix,
)
from dccsim.handlers.update_inventory import UpdateInventory

HANDLERS: dict[str, Handler] = {h.srv: h for h in (
    UpdateHanDeviceLog(), CommissionDevice(),
    DevicePrenotification(), ReadInventory(), RequestWanMatrix(), UpdateInventory(),
    ChInstallSuccess(), ChInstallNoSmWan(), ChFaultReturn(), ChNoFaultReturn(),
)}

__all__ = ["HANDLERS", "Ctx", "Handler", "Notice", "Outcome", "UpdateHanDeviceLog"]
