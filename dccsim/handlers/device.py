"""Device Service Requests the simulated DCC carries to Devices: 'Update HAN Device Log' (SRV 8.11, Non-Critical)
and 'Commission Device' (SRV 8.1.1, Critical)."""

from __future__ import annotations

from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import UserRole
from dccflow.domain.smi import SmiStatus
from dccflow.messages import GbcsResponse
from dccsim.handlers.base import Ctx, Handler, Notice, Outcome, failed, reject, status_of
from dccsim.handlers.han_remove import REMOVE_USE_CASE, apply_remove, check_remove, remove_params
from dccsim.rejections import Check

#: the CHF statuses a Command for Local Delivery to it may find (Install and Leave, BAD 7.2.2.6.2)
LOCAL_CHF_STATUSES = frozenset({SmiStatus.PENDING, SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED})
_ROLE_FOR_FUEL = {"electricity": UserRole.IMPORT_SUPPLIER, "gas": UserRole.GAS_SUPPLIER}


def require_responsible_supplier(ctx: Ctx, mpxn: str, check: Check, clause: str) -> None:
    """The sender is the Responsible Supplier for ``mpxn`` at the relevant time, per Registration Data."""
    reg = ctx.registration.at(mpxn, ctx.relevant_time)
    if reg is None or reg.supplier_id != ctx.originator or ctx.role != _ROLE_FOR_FUEL.get(reg.fuel):
        who = reg.supplier_id if reg else "nobody"
        raise reject(check, f"{ctx.originator} is not the Responsible Supplier for {mpxn} at "
                            f"{ctx.relevant_time.isoformat()} (registered: {who}); {clause}")


class UpdateHanDeviceLog(Handler):
    """SRV 8.11 'Update HAN Device Log' → CCS01 to the CHF (BAD 7.2.1.6.7; AB 6.1(k); AD 3.8.109.4); a Remove →
    CCS02 (``dccsim.handlers.han_remove``)."""

    srv = "8.11"
    use_cases = {DeviceType.CHF: "CCS01"}
    #: network transmission allowance added to the Join Time Period (AD 3.8.109.4: "configurable")
    network_allowance_seconds = 60

    def _adding(self, ctx: Ctx) -> dict | None:
        return ctx.body.get("AddDeviceToCHFWhitelist")

    def eligibility_mpxns(self, ctx: Ctx) -> set[str] | None:
        """Adding a Meter: F judges the SMS named by the request's MPxN, not every SMS sharing the CHF — on a
        dual-fuel CH the Gas Supplier adds the GSME although the CHF is already linked to the MPAN (AB 6.1(f)
        with 6.1(k)). Otherwise the CHF's own SMSs."""
        add = self._adding(ctx)
        if add is not None and add.get("ImportMPxN"):
            return {add["ImportMPxN"]}
        return None

    def check(self, ctx: Ctx) -> None:
        chf = ctx.device(ctx.target)
        if ctx.local_delivery:  # the HHT carries the Command (BAD 7.2.2.6.2): the CHF need not be on the SM WAN
            if status_of(chf) not in LOCAL_CHF_STATUSES:
                raise reject(Check.SMI_STATUS, f"CHF {chf.device_id} is '{chf.smi_status}' (AC 4.3)")
        elif status_of(chf) != SmiStatus.COMMISSIONED:  # delivery over the SM WAN (AB 13.2(a))
            raise reject(Check.SMI_STATUS, f"CHF {chf.device_id} is '{chf.smi_status}'; a Command is delivered "
                                           "only to Devices with a Commissioned CHF (AB 13.2(a))")
        add = self._adding(ctx)
        if add is None:  # RequestType Remove → CCS02 (BAD 7.6.2.5.4)
            return check_remove(ctx)
        joiner = ctx.device(ctx.body["DeviceID"])
        if DeviceType(joiner.device_type).is_meter:
            mpxn = add.get("ImportMPxN")
            if not mpxn:
                raise reject(Check.VERIFY, f"adding meter {joiner.device_id} needs its ImportMPxN")
            require_responsible_supplier(ctx, mpxn, Check.METER_POINT_SUPPLIER, "AB 6.1(k)")
        if status_of(joiner) not in {SmiStatus.PENDING, SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED,
                                     SmiStatus.COMMISSIONED} and joiner.smi_status is not None:
            raise reject(Check.SMI_STATUS, f"{joiner.device_type} {joiner.device_id} is '{joiner.smi_status}': "
                                           "it cannot be added to a CHF Device Log")

    def use_case(self, ctx: Ctx) -> str:
        return super().use_case(ctx) if self._adding(ctx) is not None else REMOVE_USE_CASE

    def command_params(self, ctx: Ctx) -> dict:
        if self._adding(ctx) is None:
            return remove_params(ctx)
        joiner = ctx.inventory.get(ctx.body["DeviceID"])
        return {"device_id": joiner.device_id, "device_type": joiner.device_type,
                "install_code": self._adding(ctx)["InstallCode"]}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if self._adding(ctx) is None:
            return apply_remove(ctx, response)
        if (failure := failed(response)) is not None:
            return failure
        inv = ctx.inventory
        add = self._adding(ctx)
        joiner = inv.get(ctx.body["DeviceID"])
        dtype = DeviceType(joiner.device_type)
        joiner.chf_id = ctx.target  # all Devices: Associate with the CHF
        notices: list[Notice] = []
        if (dtype.is_meter or dtype.is_type1) and status_of(joiner) == SmiStatus.PENDING:
            inv.set_status(joiner.device_id, SmiStatus.WHITELISTED, ctx.at, "SRV 8.11 CCS01 executed (AC 4.3(c))")
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
        if (dtype.is_meter or dtype.is_type1) and status_of(dev) != SmiStatus.COMMISSIONED:
            inv.set_status(device_id, SmiStatus.INSTALLED_NOT_COMMISSIONED, ctx.at,
                           "CS14 confirmed the HAN join (AC 4.4; AD 3.8.109.4(a))")
        return Outcome(notices=[Notice("N24", ctx.originator, device_id)])


class CommissionDevice(Handler):
    """SRV 8.1.1 'Commission Device' (Critical) → ECS70 / GCS28 'Set Clock' (BAD 7.2.1.6.10; AC 4.11–4.13)."""

    srv = "8.1.1"
    use_cases = {DeviceType.ESME: "ECS70", DeviceType.GSME: "GCS28"}

    def check(self, ctx: Ctx) -> None:
        meter = ctx.device(ctx.target)
        if status_of(meter) in {SmiStatus.COMMISSIONED, SmiStatus.DECOMMISSIONED, SmiStatus.WITHDRAWN,
                                SmiStatus.SUSPENDED}:
            raise reject(Check.SMI_STATUS, f"{meter.device_type} {meter.device_id} is '{meter.smi_status}' "
                                           "(AC 4.12(b))")
        if meter.mpxn is None:
            raise reject(Check.ELIGIBLE_USER, f"{meter.device_id} has no MPxN Associated (AC 4.12(a))")
        chf = ctx.inventory.find(meter.chf_id) if meter.chf_id else None
        if chf is None or status_of(chf) != SmiStatus.COMMISSIONED:
            raise reject(Check.SMI_STATUS, f"the CHF of {meter.device_id} is not 'commissioned' (AC 4.12(c); H5.2)")

    def command_params(self, ctx: Ctx) -> dict:
        return {"current_date_time": ctx.body.get("CurrentDateTime")}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        ctx.inventory.set_status(ctx.target, SmiStatus.COMMISSIONED, ctx.at, "SRV 8.1.1 Set Clock executed (AC 4.13)")
        return Outcome(detail=f"{ctx.target} commissioned")
