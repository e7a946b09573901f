"""One handler per Service Reference Variant the simulated DCC processes, registered in ``HANDLERS``.

A Service Request for an SRV that is in the catalogue but has no handler here is answered with the DUIS
'not supported' code (``dccsim.rejections``), never left unanswered.
"""

from __future__ import annotations

from dccsim.handlers.base import Ctx, Handler, Notice, Outcome
from dccsim.handlers.credentials import IssueSecurityCredentials, UpdateCellCertificate, UpdateDeviceCertificate
from dccsim.handlers.device import CommissionDevice, UpdateHanDeviceLog
from dccsim.handlers.join import JoinService, SetImportMpxn
from dccsim.handlers.local_response import ReturnLocalCommandResponse
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
    UpdateHanDeviceLog(), CommissionDevice(), JoinService("8.7.1"), JoinService("8.7.2"), SetImportMpxn(),
    DevicePrenotification(), ReadInventory(), RequestWanMatrix(), UpdateInventory(),
    ChInstallSuccess(), ChInstallNoSmWan(), ChFaultReturn(), ChNoFaultReturn(),
    IssueSecurityCredentials(), UpdateDeviceCertificate(), UpdateCellCertificate("6.15.1"),
    UpdateCellCertificate("6.21"),
)}
HANDLERS[ReturnLocalCommandResponse.srv] = ReturnLocalCommandResponse(HANDLERS)

__all__ = ["HANDLERS", "Ctx", "Handler", "Notice", "Outcome", "UpdateHanDeviceLog"]
