"""SRV 8.4 'Update Inventory' (Non-Device): the five things a User may change on the SMI directly
(BAD 7.1.1.6.3; SEC Appendix AD 3.8.101.4, quoted in the BAD governance table; AB 16.1(d)(i)).

It is exempt from the SMI status check C (AB 16.1(b)(i)) but not from check F: who is eligible depends on the
variant (AD 3.8.101.4.1b, 4.2b, 4.3a, 4.4a), so this handler makes that check itself.

The GPF: a request about a Communications Hub names the CHF, never the GPF (AD 3.8.101.4; 3.8.93.4), and the
GPF follows its CHF's moves (AD 3.8.101.4.3ci.1-3, cii). Install and Leave adds one more (BAD 7.2.2.6.8, Table 2
'Commissioned' row 2): after the Meters are commissioned, 'Update Inventory' sets the GPF 'commissioned' — the
GSME-GPF join having been made locally while the GSME was not commissioned, so no Join Service could do it
(AC 4.10). DECISION (AD 3.8.101.4 lists no such move): the request names the CHF with UpdateDeviceStatusCH
'Commissioned' while the CHF already is 'commissioned' (otherwise a no-op, which AD 3.8.101.4.3ci.2 leaves the
GPF out of); the DCC then moves the GPF from 'installed not commissioned' to 'commissioned', and only when the
enrolment rules hold (SEC H5.1(b), H5.2; AC 4.10): the CHF 'commissioned', the GPF joined to (Associated with) a
GSME of the same CHF, and that GSME 'commissioned'; the sender must be the GPF's Responsible Supplier (the Gas
Supplier of that GSME's MPRN, AD 3.8.101.4.3a). Otherwise it is refused and nothing changes.
"""

from __future__ import annotations

from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import IllegalSmiTransition, SmiStatus, check_transition
from dccsim.handlers.base import Ctx, Handler, Notice, Outcome, reject, status_of
from dccsim.models import SmiDevice
from dccsim.rejections import Check

VARIANTS = ("UpdateDeviceStatusExceptCH", "UpdateDeviceStatusCH", "UpdateDeviceDetails", "DeleteDevice",
            "UpdateMPxN")
#: UpdateDeviceDetails element → SMI record field (AD 3.8.101.4.1e: "most of the Device details" of 12.2)
DETAILS = {"DeviceManufacturer": "manufacturer", "DeviceModel": "model", "SMETSCHTSVersion": "smets_chts_version",
           "FirmwareVersion": "firmware_version", "ESMEVariant": "esme_variant"}
#: UpdateMPxN element → SMI record field, and the Device Types it can apply to (AD 3.8.101.4.4c)
MPXN_FIELDS = {"ImportMPxN": ("mpxn", {DeviceType.ESME, DeviceType.GSME}),
               "SecondaryImportMPAN": ("secondary_import_mpan", {DeviceType.ESME}),
               "ExportMPAN": ("export_mpan", {DeviceType.ESME})}

_S = SmiStatus
#: the status moves each variant offers (AD 3.8.101.4.3bi.1–2 for Devices other than CH; 3ci.1–3, cii for a CHF)
STATUS_MOVES = {
    "UpdateDeviceStatusExceptCH": {(_S.PENDING, _S.INSTALLED_NOT_COMMISSIONED), (_S.WHITELISTED, _S.PENDING)},
    "UpdateDeviceStatusCH": {(_S.PENDING, _S.INSTALLED_NOT_COMMISSIONED), (_S.INSTALLED_NOT_COMMISSIONED,
                             _S.COMMISSIONED), (_S.PENDING, _S.COMMISSIONED), (_S.COMMISSIONED, _S.WITHDRAWN)},
}


#: DECISION (module docstring): UpdateDeviceStatusCH 'Commissioned' on a commissioned CHF commissions its GPF
GPF_COMMISSIONING = (_S.COMMISSIONED, _S.COMMISSIONED)


def _gpf_follows(chf_from: SmiStatus, chf_to: SmiStatus, gpf: SmiStatus) -> SmiStatus | None:
    """The GPF's status after its CHF's Update Inventory (AD 3.8.101.4.3ci.1–3, cii)."""
    if chf_to == SmiStatus.WITHDRAWN:
        return SmiStatus.WITHDRAWN
    if gpf == SmiStatus.PENDING and (chf_to == SmiStatus.INSTALLED_NOT_COMMISSIONED or chf_from == SmiStatus.PENDING):
        return SmiStatus.INSTALLED_NOT_COMMISSIONED
    return None  # ci.2: "GPF no status transition"


class UpdateInventory(Handler):
    srv = "8.4"

    def status_device(self, ctx: Ctx) -> str | None:
        return None  # AB 16.1(b)(i)

    def eligibility_device(self, ctx: Ctx) -> str | None:
        return None  # variant-specific, below

    @staticmethod
    def variant(ctx: Ctx) -> str:
        return next(v for v in VARIANTS if v in ctx.body)

    # -- checks ---------------------------------------------------------------------------------------
    def check(self, ctx: Ctx) -> None:
        dev = ctx.device(ctx.body["DeviceID"])
        dtype = DeviceType(dev.device_type)
        if dtype == DeviceType.GPF:
            raise reject(Check.DEVICE_TYPE, "for a Communications Hub the DeviceID must be the CHF's, not the "
                                            "GPF's (AD 3.8.93.4)")
        variant = self.variant(ctx)
        if variant in ("UpdateDeviceStatusExceptCH", "UpdateDeviceStatusCH"):
            if (dtype == DeviceType.CHF) != (variant == "UpdateDeviceStatusCH"):
                raise reject(Check.DEVICE_TYPE, f"{variant} does not apply to a {dtype.value} (AD 3.8.101.4.3b)")
            current, new = status_of(dev), SmiStatus.from_duis(ctx.body[variant])
            if variant == "UpdateDeviceStatusCH" and (current, new) == GPF_COMMISSIONING:
                self._check_gpf_commissioning(ctx, dev)
                return
            self._require_responsible_supplier(ctx, dev, "AD 3.8.101.4.3a")
            try:
                if (current, new) not in STATUS_MOVES[variant]:
                    raise ValueError(f"{variant} offers only " + ", ".join(
                        f"'{a.value}' -> '{b.value}'" for a, b in sorted(STATUS_MOVES[variant])))
                check_transition(dtype, current, new)
            except ValueError as exc:
                raise reject(Check.SMI_STATUS, f"Update Inventory cannot move {dev.device_id} from "
                                               f"'{dev.smi_status}' to '{new.value}': {exc}") from None
        elif variant in ("UpdateDeviceDetails", "DeleteDevice"):
            if dev.smi_status is not None and status_of(dev) != SmiStatus.PENDING:  # 4.1c/d, 4.2c/d
                raise reject(Check.SMI_STATUS, f"{dev.device_id} is '{dev.smi_status}': only 'pending' Devices "
                                               "(and Type 2 Devices) can be updated or deleted (AD 3.8.101.4.1c, 4.2c)")
            if dev.added_by != ctx.originator:  # 4.1b, 4.2b
                raise reject(Check.ELIGIBLE_USER, f"{dev.device_id} was added to the SMI by "
                                                  f"{dev.added_by or 'the DCC'}, not {ctx.originator} "
                                                  "(AD 3.8.101.4.1b, 4.2b)")
        else:  # UpdateMPxN
            (element, value), = ctx.body["UpdateMPxN"].items()
            field, types = MPXN_FIELDS[element]
            if dtype not in types:
                raise reject(Check.DEVICE_TYPE, f"{element} does not apply to a {dtype.value} (AD 3.8.101.4.4c)")
            if getattr(dev, field):  # the RS for the existing association (4.4a) ...
                self._require_responsible_supplier(ctx, dev, "AD 3.8.101.4.4a")
            self._require_registered(ctx, value, "AD 3.8.101.4.4a, 4.4b")  # ... and for the new one

    def _check_gpf_commissioning(self, ctx: Ctx, chf: SmiDevice) -> None:
        """BAD 7.2.2.6.8: the GPF of a commissioned CHF to 'commissioned' (the module's DECISION)."""
        inv = ctx.inventory
        gpf = inv.gpf_of(chf.device_id)
        if gpf is None:
            raise reject(Check.DEVICE_TYPE, f"CHF {chf.device_id} has no GPF on the SMI")
        gsme = inv.find(gpf.associated_with) if gpf.associated_with else None
        if gsme is None or gsme.device_type != DeviceType.GSME or gsme.chf_id != chf.device_id:
            raise reject(Check.SMI_STATUS, f"GPF {gpf.device_id} is not joined to a Gas Smart Meter of CHF "
                                           f"{chf.device_id}: it cannot be commissioned (AC 4.10)")
        self._require_responsible_supplier(ctx, gpf, "AD 3.8.101.4.3a")
        if status_of(gsme) != _S.COMMISSIONED:
            raise reject(Check.SMI_STATUS, f"GSME {gsme.device_id} is '{gsme.smi_status}': the GPF is commissioned "
                                           "only with a commissioned Gas Smart Meter (AC 4.10; SEC H5.1(b))")
        try:
            check_transition(DeviceType.GPF, status_of(gpf), _S.COMMISSIONED)
        except ValueError as exc:
            raise reject(Check.SMI_STATUS, f"Update Inventory cannot commission GPF {gpf.device_id} "
                                           f"('{gpf.smi_status}'): {exc}") from None

    def _require_responsible_supplier(self, ctx: Ctx, dev: SmiDevice, clause: str) -> None:
        mpxns = ctx.inventory.linked_mpxns(dev)
        if not mpxns:
            raise reject(Check.ELIGIBLE_USER, f"{dev.device_id} is linked to no MPxN: its Responsible Supplier "
                                              f"cannot be identified ({clause})")
        if not any(self._is_supplier_for(ctx, mpxn) for mpxn in mpxns):
            raise reject(Check.ELIGIBLE_USER, f"{ctx.originator} is not the Responsible Supplier of "
                                              f"{dev.device_id} ({', '.join(sorted(mpxns))}) ({clause})")

    def _require_registered(self, ctx: Ctx, mpxn: str, clause: str) -> None:
        if not self._is_supplier_for(ctx, mpxn):
            raise reject(Check.ELIGIBLE_USER, f"{ctx.originator} is not the Responsible Supplier for {mpxn} "
                                              f"({clause})")

    @staticmethod
    def _is_supplier_for(ctx: Ctx, mpxn: str) -> bool:
        return (ctx.role is not None and ctx.role.is_supplier
                and ctx.registration.holds(mpxn, ctx.role, ctx.originator, ctx.relevant_time))

    # -- effects (AB 16.1(d)(i)) ----------------------------------------------------------------------
    def execute(self, ctx: Ctx) -> Outcome:
        inv = ctx.inventory
        dev = inv.get(ctx.body["DeviceID"])
        variant = self.variant(ctx)
        reason = f"SRV 8.4 Update Inventory {ctx.request_id}"
        family = [dev] + ([gpf] if dev.device_type == DeviceType.CHF and (gpf := inv.gpf_of(dev.device_id)) else [])
        if variant == "UpdateDeviceStatusExceptCH":
            new = SmiStatus.from_duis(ctx.body[variant])
            inv.set_status(dev.device_id, new, ctx.at, f"{reason} (AD 3.8.101.4.3bi)")
        elif variant == "UpdateDeviceStatusCH":
            old, new = SmiStatus(dev.smi_status), SmiStatus.from_duis(ctx.body[variant])
            if (old, new) == GPF_COMMISSIONING:
                gpf = family[1]
                inv.set_status(gpf.device_id, new, ctx.at, f"{reason}: GPF commissioned with GSME "
                                                           f"{gpf.associated_with} (BAD 7.2.2.6.8; AC 4.10)")
                return Outcome(detail=f"GPF {gpf.device_id} commissioned")
            inv.set_status(dev.device_id, new, ctx.at, f"{reason} (AD 3.8.101.4.3ci, cii)")
            for gpf in family[1:]:
                target = _gpf_follows(old, new, SmiStatus(gpf.smi_status))
                if target is not None and target != SmiStatus(gpf.smi_status):
                    try:
                        inv.set_status(gpf.device_id, target, ctx.at, f"{reason}: follows its CHF (AD 3.8.101.4.3c)")
                    except IllegalSmiTransition:
                        pass  # a GPF in a status the move does not apply to keeps it
        elif variant == "UpdateDeviceDetails":
            for member in family:  # details shared by the CHF and GPF go to both (AD 3.8.101.4.1h)
                for element, field in DETAILS.items():
                    if element in ctx.body[variant]:
                        setattr(member, field, ctx.body[variant][element])
                ctx.session.add(member)
        elif variant == "DeleteDevice":
            for member in reversed(family):  # deleting a CHF deletes its GPF (AD 3.8.101.4.2e)
                inv.remove(member.device_id)
        else:
            (element, value), = ctx.body["UpdateMPxN"].items()
            setattr(dev, MPXN_FIELDS[element][0], value)
            ctx.session.add(dev)
            reg = ctx.registration.at(value, ctx.at)
            if reg is not None:  # N16 to the Meter's Registered Network Operator (AD 3.8.101.4.4e)
                return Outcome(notices=[Notice("N16", reg.network_operator_id, dev.device_id,
                                               {"mpxn": value, "device_type": dev.device_type})],
                               detail=f"{dev.device_id} {element} = {value}")
        return Outcome(detail=f"{dev.device_id}: {variant}")
