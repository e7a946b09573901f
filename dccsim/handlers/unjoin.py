"""'Unjoin Service' (SRV 8.8.1 Critical, 8.8.2 Non-Critical; BAD 7.6.2.5.3, 7.6.1.6.3, 7.6.1.6.7, 7.6.2.5.7; SEC
Appendix AC 6.1, AB 11.2; digest 04 §C.3).

The target is the Device whose Device Log is edited; ``OtherDeviceID`` the Device removed from it (DUIS
``JoinOrUnjoinDevice``). Which SRV and GBCS use case applies to which pair is the BAD's variant table
(``UNJOIN_COMMANDS``, digest 04 §C.3 U1-U11); a pair it does not list is refused (E11), as for joins.

AC 6.1: on Successful Execution of an Unjoin removing a Device (not a CHF or Smart Meter) from the Device Log of a
Smart Meter or GPF, the DCC terminates their Association — the rows the BAD marks "yes". The PPMID- and HCALCS-side
unjoins (U3, U4, U7) change nothing in the SMI (no effect is stated, §K 16). No unjoin changes an SMI Status.

Who may: check F judges the SMS of the target (AB 6.1(f)), with these SR-specific rules:

* only the Gas Supplier unjoins the GPF from a PPMID or IHD (BAD 7.6.1.6.3; U8, U9); an Other User only CADs
  (BAD 7.6.2.5.7, U10, U11);
* the GSME from its GPF (U6): the Gas Supplier, or the Import Supplier within a CH replacement (AB 10.2, 6.2(a)),
  so an Import Supplier is judged on the CH's SMSs (whether a replacement is under way is audited, not refused).
"""

from __future__ import annotations

from dataclasses import dataclass

from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import UserRole
from dccflow.messages import GbcsResponse
from dccsim.handlers.base import Ctx, Handler, Outcome, failed, reject
from dccsim.models import SmiDevice
from dccsim.rejections import Check

_D = DeviceType


@dataclass(frozen=True)
class UnjoinCommand:
    use_case: str
    #: AC 6.1 applies: the Association of the other Device with the target ends on success
    ends_association: bool
    variant: str


#: (SRV, target Device Type, other Device Type) -> the Command (digest 04 §C.3; BAD 7.6.2.5.3 headings)
UNJOIN_COMMANDS: dict[tuple[str, DeviceType, DeviceType], UnjoinCommand] = {
    ("8.8.1", _D.ESME, _D.PPMID): UnjoinCommand("CS04AC", True, "U1 Unjoin ESME from PPMID"),
    ("8.8.2", _D.ESME, _D.IHD): UnjoinCommand("CS04B", True, "U2 Unjoin ESME from IHD"),
    ("8.8.1", _D.HCALCS, _D.ESME): UnjoinCommand("CS04AC", False, "U3 Unjoin HCALCS from ESME"),
    ("8.8.2", _D.PPMID, _D.ESME): UnjoinCommand("CS04AC", False, "U4 Unjoin PPMID from ESME"),
    ("8.8.1", _D.GSME, _D.PPMID): UnjoinCommand("CS04AC", True, "U5 Unjoin GSME from PPMID"),
    ("8.8.2", _D.GSME, _D.GPF): UnjoinCommand("CS04B", True, "U6 Unjoin GSME from GPF"),
    ("8.8.2", _D.PPMID, _D.GSME): UnjoinCommand("CS04AC", False, "U7 Unjoin PPMID from GSME"),
    ("8.8.2", _D.GPF, _D.PPMID): UnjoinCommand("CS04B", True, "U8 Unjoin GPF from PPMID"),
    ("8.8.2", _D.GPF, _D.IHD): UnjoinCommand("CS04B", True, "U9 Unjoin GPF from IHD"),
    ("8.8.2", _D.ESME, _D.CAD): UnjoinCommand("CS04B", True, "U10 Unjoin ESME from CAD (BAD 7.6.2.5.7)"),
    ("8.8.2", _D.GPF, _D.CAD): UnjoinCommand("CS04B", True, "U11 Unjoin GPF from CAD (BAD 7.6.2.5.7)"),
}


class UnjoinService(Handler):
    def __init__(self, srv: str):
        self.srv = srv
        self.use_cases = {t: "" for (s, t, _o) in UNJOIN_COMMANDS if s == srv}

    def _pair(self, ctx: Ctx) -> tuple[UnjoinCommand, SmiDevice, SmiDevice]:
        target, other = ctx.device(ctx.target), ctx.device(ctx.body["OtherDeviceID"])
        unjoin = UNJOIN_COMMANDS.get((self.srv, DeviceType(target.device_type), DeviceType(other.device_type)))
        if unjoin is None:
            raise reject(Check.DEVICE_TYPE, f"SRV {self.srv} addressed to a {target.device_type} cannot unjoin a "
                                            f"{other.device_type} (BAD 7.6.2.5.3)")
        return unjoin, target, other

    def eligibility_mpxns(self, ctx: Ctx) -> set[str] | None:
        """U6 by an Import Supplier: judged on the CH's SMSs (AB 10.2, 6.2(a))."""
        try:
            unjoin, target, other = self._pair(ctx)
        except Exception:  # noqa: BLE001 - the SR-specific check reports it
            return None
        if unjoin.variant.startswith("U6") and ctx.role == UserRole.IMPORT_SUPPLIER:
            chf = ctx.inventory.find(other.chf_id) if other.chf_id else None
            return ctx.inventory.linked_mpxns(chf) if chf is not None else None
        return None

    def check(self, ctx: Ctx) -> None:
        unjoin, target, other = self._pair(ctx)
        if ctx.role == UserRole.OTHER_USER and other.device_type != _D.CAD:
            raise reject(Check.ELIGIBLE_USER_ROLE, f"an Other User unjoins only a CAD ({unjoin.variant}: "
                                                   "BAD 7.6.2.5.7)")
        if target.device_type == _D.GPF and other.device_type in (_D.PPMID, _D.IHD) \
                and ctx.role != UserRole.GAS_SUPPLIER:
            raise reject(Check.ELIGIBLE_USER_ROLE, f"only the Gas Supplier may {unjoin.variant[3:]} "
                                                   "(BAD 7.6.1.6.3)")

    def use_case(self, ctx: Ctx) -> str:
        return self._pair(ctx)[0].use_case

    def command_params(self, ctx: Ctx) -> dict:
        return {"other_device_id": ctx.inventory.get(ctx.body["OtherDeviceID"]).device_id}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        unjoin, target, other = self._pair(ctx)
        if unjoin.ends_association and other.associated_with == target.device_id:
            ctx.inventory.relink(other, "associated_with", None, ctx.at, f"SRV {self.srv} {ctx.request_id}")
            return Outcome(detail=f"{unjoin.variant}: Association of {other.device_id} with {target.device_id} "
                                  "terminated (AC 6.1)")
        # the SMI keeps one Association per Device (dccsim.handlers.join): the GPF's with its GSME
        if unjoin.ends_association and target.associated_with == other.device_id:
            ctx.inventory.relink(target, "associated_with", None, ctx.at, f"SRV {self.srv} {ctx.request_id}")
        return Outcome(detail=f"{unjoin.variant}: {other.device_id} removed from the Device Log of {target.device_id}")
