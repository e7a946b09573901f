"""The registry of the simulated DCC's Service Request handlers: one per Service Reference Variant, by SRV.

A module of its own, beside the ``dccsim.handlers`` package rather than its ``__init__``: the modules the handlers
use (``dccsim.eligibility``, ``dccsim.schedules``, ``dccsim.pending_work``…) import ``dccsim.handlers.base``, and
Python runs the package's ``__init__`` first — a registry there would import every handler back (an import cycle).

A Service Request for an SRV that is in the catalogue but has no handler here is answered with the DUIS
'not supported' code (``dccsim.rejections``), never left unanswered.
"""

from __future__ import annotations

from dccsim.handlers.base import Ctx, Handler, Notice, Outcome
from dccsim.handlers.cos import UpdateSecurityCredentialsCoS
from dccsim.handlers.credentials import IssueSecurityCredentials, UpdateCellCertificate, UpdateDeviceCertificate
from dccsim.handlers.credentials_read import RetrieveDeviceCredentials, RetrieveKrpCredentials
from dccsim.handlers.decommission import DecommissionDevice
from dccsim.handlers.device import CommissionDevice, UpdateHanDeviceLog
from dccsim.handlers.firmware import ActivateFirmware, ReadFirmwareVersion, UpdateFirmware
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
from dccsim.handlers.restore import RestoreGpfDeviceLog, RestoreHanDeviceLog
from dccsim.handlers.supplier_name import UpdateImportTariff, UpdateSupplierName
from dccsim.handlers.unjoin import UnjoinService
from dccsim.handlers.update_inventory import UpdateInventory
from dccsim.schedules import CreateSchedule

HANDLERS: dict[str, Handler] = {h.srv: h for h in (
    UpdateHanDeviceLog(), CommissionDevice(), JoinService("8.7.1"), JoinService("8.7.2"), SetImportMpxn(),
    DevicePrenotification(), ReadInventory(), RequestWanMatrix(), UpdateInventory(),
    ChInstallSuccess(), ChInstallNoSmWan(), ChFaultReturn(), ChNoFaultReturn(),
    IssueSecurityCredentials(), UpdateDeviceCertificate(), UpdateCellCertificate("6.15.1"),
    UpdateCellCertificate("6.21"), RetrieveKrpCredentials(), RetrieveDeviceCredentials(),
    UpdateSecurityCredentialsCoS(), CreateSchedule(), UpdateSupplierName(), UpdateImportTariff(),
)}
# the end of a Device's life and the CH replacement (BAD 7.6; SEC H6)
HANDLERS.update({h.srv: h for h in (DecommissionDevice(), UnjoinService("8.8.1"), UnjoinService("8.8.2"),
                                    RestoreHanDeviceLog(), RestoreGpfDeviceLog())})
# Manage Firmware (BAD 7.5.3)
HANDLERS.update({h.srv: h for h in (UpdateFirmware(), ReadFirmwareVersion(), ActivateFirmware())})
HANDLERS[ReturnLocalCommandResponse.srv] = ReturnLocalCommandResponse(HANDLERS)

__all__ = ["HANDLERS", "Ctx", "Handler", "Notice", "Outcome", "UpdateHanDeviceLog"]
