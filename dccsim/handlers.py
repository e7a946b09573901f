"""What the DCC does for each Service Request it can simulate: the SR-specific checks, the GBCS command it
sends, and what it does with the device's response (SMI updates, DCC Alerts, the Service Response).

One handler per Service Reference Variant, registered in ``HANDLERS``. BAD and SEC references are given per
handler; the generic checks (schema, signature, role, replay) live in ``dccsim.pipeline``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.duis.messages import DuisRequest
from dccflow.messages import GbcsCommand, GbcsResponse
from dccsim.inventory import Inventory, Registration
from dccsim.rejections import Check, ServiceRequestRejected


@dataclass
class Notice:
    """A DCC Alert the DCC must send once the request's effects are committed."""

    alert_code: str
    recipient: str
    device_id: str
    data: dict = field(default_factory=dict)


@dataclass
class Outcome:
    response_code: str = "I0"
    notices: list[Notice] = field(default_factory=list)
    #: for 8.11 adds: wait this many seconds for the CHF's confirming CS14 (SEC AD 3.8.109.4)
    join_watch: tuple[str, str, int] | None = None
    detail: str = ""


@dataclass
class Ctx:
    session: Session
    request: DuisRequest
    at: datetime

    @property
    def inventory(self) -> Inventory:
        return Inventory(self.session)

    @property
    def registration(self) -> Registration:
        return Registration(self.session)

    @property
    def body(self) -> dict:
        return self.request.body

    @property
    def target(self) -> str:
        return self.request.header.target

    @property
    def originator(self) -> str:
        return self.request.header.originator


def _require_status(ctx: Ctx, device_id: str, allowed: set[SmiStatus], clause: str) -> None:
    inv = ctx.inventory
    dev = inv.find(device_id)
    if dev is None:
        raise ServiceRequestRejected(Check.UNKNOWN_DEVICE, f"device {device_id} is not on the SMI")
    if SmiStatus(dev.smi_status) not in allowed:
        raise ServiceRequestRejected(
            Check.SMI_STATUS,
            f"{dev.device_type} {device_id} has SMI status '{dev.smi_status}'; {clause} requires one of "
            + ", ".join(sorted(f"'{s.value}'" for s in allowed)),
        )


def _require_registered_supplier(ctx: Ctx, mpxn: str, clause: str) -> None:
    reg = ctx.registration.at(mpxn, ctx.at)
    if reg is None or reg.supplier_id != ctx.originator:
        who = reg.supplier_id if reg else "nobody"
        raise ServiceRequestRejected(
            Check.METER_POINT_SUPPLIER,
            f"{ctx.originator} is not the registered supplier for {mpxn} at {ctx.at.isoformat()} "
            f"(registered: {who}); {clause}",
        )


class Handler:
    srv: str
    #: GBCS use case per target device type; empty for Non-Device requests
    use_cases: dict[DeviceType, str] = {}

    def check(self, ctx: Ctx) -> None:  # SR-specific checks; raise ServiceRequestRejected
        pass

    def command(self, ctx: Ctx) -> GbcsCommand | None:
        dev = ctx.inventory.get(ctx.target)
        use_case = self.use_cases.get(DeviceType(dev.device_type))
        if use_case is None:
            raise ServiceRequestRejected(
                Check.NOT_SUPPORTED, f"SRV {self.srv} cannot be sent to a {dev.device_type}")
        return GbcsCommand(use_case=use_case, target=ctx.target, originator=ctx.originator,
                           request_id=ctx.request.header.request_id, params=self.command_params(ctx))

    def command_params(self, ctx: Ctx) -> dict:
        return {}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        return Outcome()


class ChStatusUpdateInstallSuccess(Handler):
    """SRV 8.14.1 (Non-Device): record the CH as installed (BAD 7.2.1.6.6)."""

    srv = "8.14.1"

    def check(self, ctx: Ctx) -> None:
        chf_id = ctx.body["DeviceID"]
        dev = ctx.inventory.find(chf_id)
        if dev is None or dev.device_type != DeviceType.CHF:
            raise ServiceRequestRejected(Check.UNKNOWN_DEVICE, f"{chf_id} is not a CHF on the SMI")

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        dev = ctx.inventory.get(ctx.body["DeviceID"])
        dev.ch_install_state = "installed"
        ctx.session.add(dev)
        return Outcome(detail="CH asset record updated: installed")


class UpdateHanDeviceLog(Handler):
    """SRV 8.11 'Update HAN Device Log' → CCS01 to the CHF (BAD 7.2.1.6.7; AB 6.1(k); AD 3.8.109.4)."""

    srv = "8.11"
    use_cases = {DeviceType.CHF: "CCS01"}
    #: network transmission allowance added to the Join Time Period (AD 3.8.109.4: "configurable")
    network_allowance_seconds = 60

    def _adding(self, ctx: Ctx) -> dict | None:
        return ctx.body.get("AddDeviceToCHFWhitelist")

    def check(self, ctx: Ctx) -> None:
        _require_status(ctx, ctx.target, {SmiStatus.COMMISSIONED}, "delivery to a Device (AB 13.2(a))")
        add = self._adding(ctx)
        if add is None:
            raise ServiceRequestRejected(Check.NOT_SUPPORTED, "only 'Add' is simulated for SRV 8.11")
        device_id = ctx.body["DeviceID"]
        joiner = ctx.inventory.find(device_id)
        if joiner is None:
            raise ServiceRequestRejected(Check.UNKNOWN_DEVICE, f"device {device_id} is not on the SMI")
        if DeviceType(joiner.device_type).is_meter:
            mpxn = add.get("ImportMPxN")
            if not mpxn:
                raise ServiceRequestRejected(Check.VERIFY, f"adding meter {device_id} needs its ImportMPxN")
            _require_registered_supplier(ctx, mpxn, "AB 6.1(k)")
        _require_status(ctx, device_id, {SmiStatus.PENDING, SmiStatus.WHITELISTED,
                                          SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED},
                        "adding to a CHF Device Log")

    def command_params(self, ctx: Ctx) -> dict:
        joiner = ctx.inventory.get(ctx.body["DeviceID"])
        return {"device_id": joiner.device_id, "device_type": joiner.device_type,
                "install_code": self._adding(ctx)["InstallCode"]}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if response is None or not response.success:
            return Outcome(response_code="E100", detail=response.reason if response else "no response")
        inv = ctx.inventory
        add = self._adding(ctx)
        joiner = inv.get(ctx.body["DeviceID"])
        dtype = DeviceType(joiner.device_type)
        joiner.chf_id = ctx.target  # all Devices: Associate with the CHF
        notices: list[Notice] = []
        if dtype.is_meter or dtype.is_type1:
            if SmiStatus(joiner.smi_status) == SmiStatus.PENDING:
                inv.set_status(joiner.device_id, SmiStatus.WHITELISTED, ctx.at, "SRV 8.11 CCS01 executed")
        if dtype.is_meter:
            joiner.mpxn = add["ImportMPxN"]  # Meters: Associate the MPxN
            reg = ctx.registration.at(joiner.mpxn, ctx.at)
            if reg is not None:  # N16 'Device Identity Confirmation' to the Network Operator
                notices.append(Notice("N16", reg.network_operator_id, joiner.device_id,
                                      {"mpxn": joiner.mpxn, "device_type": dtype.value}))
        ctx.session.add(joiner)
        timeout = int(add["JoinTimePeriod"]) + self.network_allowance_seconds
        return Outcome(notices=notices, join_watch=(ctx.target, joiner.device_id, timeout),
                       detail=f"{joiner.device_id} whitelisted on {ctx.target}")

    def join_result(self, ctx: Ctx, device_id: str, joined: bool) -> Outcome:
        """AD 3.8.109.4: N24 and 'installed not commissioned' if the CS14 came in time, else N25."""
        inv = ctx.inventory
        dev = inv.get(device_id)
        dtype = DeviceType(dev.device_type)
        if not joined:
            return Outcome(notices=[Notice("N25", ctx.originator, device_id)])
        if (dtype.is_meter or dtype.is_type1) and SmiStatus(dev.smi_status) != SmiStatus.COMMISSIONED:
            inv.set_status(device_id, SmiStatus.INSTALLED_NOT_COMMISSIONED, ctx.at,
                           "CS14 confirmed the HAN join (AC 4.4; AD 3.8.109.4(a))")
        return Outcome(notices=[Notice("N24", ctx.originator, device_id)])


class CommissionDevice(Handler):
    """SRV 8.1.1 'Commission Device' (Critical) → ECS70 / GCS28 'Set Clock' (BAD 7.2.1.6.10; AC 4.11–4.13)."""

    srv = "8.1.1"
    use_cases = {DeviceType.ESME: "ECS70", DeviceType.GSME: "GCS28"}

    def check(self, ctx: Ctx) -> None:
        inv = ctx.inventory
        meter = inv.find(ctx.target)
        if meter is None:
            raise ServiceRequestRejected(Check.UNKNOWN_DEVICE, f"{ctx.target} is not on the SMI (AC 4.12(a))")
        if SmiStatus(meter.smi_status) in {SmiStatus.COMMISSIONED, SmiStatus.DECOMMISSIONED,
                                            SmiStatus.WITHDRAWN, SmiStatus.SUSPENDED}:
            raise ServiceRequestRejected(
                Check.SMI_STATUS, f"{meter.device_type} {meter.device_id} is '{meter.smi_status}' (AC 4.12(b))")
        if meter.mpxn is None:
            raise ServiceRequestRejected(Check.ELIGIBLE_USER, f"{meter.device_id} has no MPxN Associated")
        _require_registered_supplier(ctx, meter.mpxn, "AB 6.1(f)")
        chf = inv.find(meter.chf_id) if meter.chf_id else None
        if chf is None or SmiStatus(chf.smi_status) != SmiStatus.COMMISSIONED:
            raise ServiceRequestRejected(
                Check.SMI_STATUS, f"the CHF of {meter.device_id} is not 'commissioned' (AC 4.12(c); H5.2)")

    def command_params(self, ctx: Ctx) -> dict:
        return {"current_date_time": ctx.body.get("CurrentDateTime")}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if response is None or not response.success:
            return Outcome(response_code="E100", detail=response.reason if response else "no response")
        ctx.inventory.set_status(ctx.target, SmiStatus.COMMISSIONED, ctx.at,
                                 "SRV 8.1.1 Set Clock executed (AC 4.13)")
        return Outcome(detail=f"{ctx.target} commissioned")


HANDLERS: dict[str, Handler] = {h.srv: h for h in (ChStatusUpdateInstallSuccess(), UpdateHanDeviceLog(),
                                                   CommissionDevice())}
