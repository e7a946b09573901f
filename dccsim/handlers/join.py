"""'Join Service' (SRV 8.7.1 Critical, 8.7.2 Non-Critical; BAD 7.2.1.6.12, Table 5 in 7.2.2.6.2; SEC Appendix
AC 4.5-4.10) and 'Set Device Configuration (Import MPxN)' (SRV 6.20.1; BAD 7.2.1.6.11; AC 4.14).

Which GBCS use case a join sends depends on the SRV, the target Device Type and the other Device's type
(``JOIN_COMMANDS``). Where the BAD's process text and its Table 5 disagree we follow the process text:

* Gas Smart Meter -> GPF: text 'Join Service (Non-Critical)' 8.7.2 with 'Method B Join' CS03B on the GSME
  (BAD 7.2.1.6.12, "Join Gas Smart Meter to GPF"); Table 5 lists 8.7.1 with CS03C (GSME). GBCS Method C is the
  PPMID<->GSME join and Method B the one for a GPF, which is also what the simulated GSME answers, so 8.7.2 +
  CS03B it is; 8.7.1 to a GSME naming its GPF is refused (E11).
* PPMID -> ESME (CS03A2) and PPMID -> GSME (CS03C): text 8.7.2; Table 5 puts both under 8.7.1. A PPMID holds no
  Supplier trust anchor cell (BAD 7.2.1.5 Table 4), so it could not verify a Critical Command: 8.7.2.
* HCALCS -> ESME (CS03A2): text and Table 5 agree on 8.7.1.

A join has two halves for Method A and C: the non-meter side first records the meter (CS03A2 / CS03C on the
PPMID or HCALCS), then the meter effects the join (CS03A1 / CS03C on the meter). AC 4.7 speaks of the Device
added "to the Device Log of a Smart Meter or Gas Proxy Function", so the SMI changes only on the half that does
that (``completes``); the first half leaves the SMI as it is (BAD text: "The DCC ... sends a Service Response").
"""

from __future__ import annotations

from dataclasses import dataclass

from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.gbcs import REQUEST_BODY
from dccflow.messages import GbcsCommand, GbcsResponse
from dccsim.handlers.base import Ctx, Handler, Outcome, failed, reject, status_of
from dccsim.models import SmiDevice
from dccsim.rejections import Check

_D = DeviceType
_S = SmiStatus
#: AC 4.6(a)-(c), 4.8(b): the statuses the joining Device, the CHF and the Meter / GPF must have
JOINABLE = frozenset({_S.PENDING, _S.INSTALLED_NOT_COMMISSIONED, _S.COMMISSIONED})


@dataclass(frozen=True)
class JoinCommand:
    use_case: str
    #: the Smart Meter or GPF whose Device Log the other Device joins ("target" or "other")
    anchor: str
    #: this Command adds the Device to the anchor's Device Log (AC 4.7 / 4.8(c) apply on success)
    completes: bool
    source: str


#: (SRV, target Device Type, other Device Type) -> the Command (BAD 7.2.1.6.12; Table 5; module docstring)
JOIN_COMMANDS: dict[tuple[str, DeviceType, DeviceType], JoinCommand] = {
    ("8.7.1", _D.ESME, _D.PPMID): JoinCommand("CS03A1", "target", True, "BAD 7.2.1.6.12; Table 5"),
    ("8.7.1", _D.ESME, _D.HCALCS): JoinCommand("CS03A1", "target", True, "BAD 7.2.1.6.12; Table 5"),
    ("8.7.1", _D.HCALCS, _D.ESME): JoinCommand("CS03A2", "other", False, "BAD 7.2.1.6.12; Table 5"),
    ("8.7.1", _D.GSME, _D.PPMID): JoinCommand("CS03C", "target", True, "BAD 7.2.1.6.12; Table 5"),
    ("8.7.2", _D.ESME, _D.IHD): JoinCommand("CS03B", "target", True, "BAD 7.2.1.6.12; Table 5"),
    ("8.7.2", _D.ESME, _D.CAD): JoinCommand("CS03B", "target", True, "BAD 7.2.1.6.14"),
    ("8.7.2", _D.PPMID, _D.ESME): JoinCommand("CS03A2", "other", False, "BAD 7.2.1.6.12 (Table 5: 8.7.1)"),
    ("8.7.2", _D.PPMID, _D.GSME): JoinCommand("CS03C", "other", False, "BAD 7.2.1.6.12 (Table 5: 8.7.1)"),
    ("8.7.2", _D.GSME, _D.GPF): JoinCommand("CS03B", "target", True,
                                            "BAD 7.2.1.6.12 text (Table 5: 8.7.1 CS03C); AC 4.10"),
    ("8.7.2", _D.GPF, _D.PPMID): JoinCommand("CS03B", "target", True, "BAD 7.2.1.6.12; Table 5"),
    ("8.7.2", _D.GPF, _D.IHD): JoinCommand("CS03B", "target", True, "BAD 7.2.1.6.12; Table 5"),
    ("8.7.2", _D.GPF, _D.CAD): JoinCommand("CS03B", "target", True, "BAD 7.2.1.6.14"),
}


def _status_name(dev: SmiDevice) -> str:
    return dev.smi_status or "no SMI Status"


class JoinService(Handler):
    """SRV 8.7.1 / 8.7.2 'Join Service': the target is the Device the Command goes to; ``OtherDeviceID`` the
    Device it joins (DUIS JoinService body)."""

    def __init__(self, srv: str):
        self.srv = srv
        self.use_cases = {t: "" for (s, t, _o) in JOIN_COMMANDS if s == srv}

    # -- the pair --------------------------------------------------------------------------------------
    def _other_id(self, ctx: Ctx) -> str:
        return ctx.body["OtherDeviceID"]

    def _join(self, ctx: Ctx) -> tuple[JoinCommand, SmiDevice, SmiDevice]:
        """The Command, the anchor (Smart Meter / GPF) and the joining Device."""
        target, other = ctx.device(ctx.target), ctx.device(self._other_id(ctx))
        key = (self.srv, DeviceType(target.device_type), DeviceType(other.device_type))
        join = JOIN_COMMANDS.get(key)
        if join is None:
            raise reject(Check.DEVICE_TYPE, f"SRV {self.srv} addressed to a {target.device_type} cannot join a "
                                            f"{other.device_type} (BAD 7.2.1.6.12, Table 5)")
        return (join, target, other) if join.anchor == "target" else (join, other, target)

    def eligibility_device(self, ctx: Ctx) -> str | None:
        """F is judged on the SMS the join is for: the Smart Meter's / GPF's MPxN (AB 6.1(f))."""
        try:
            _join, anchor, _joiner = self._join(ctx)
        except Exception:  # noqa: BLE001 - the SR-specific check reports it
            return ctx.target
        return anchor.device_id

    # -- AC 4.6 / 4.8(b) ---------------------------------------------------------------------------------
    def check(self, ctx: Ctx) -> None:
        join, anchor, joiner = self._join(ctx)
        if joiner.device_id == anchor.device_id:
            raise reject(Check.VERIFY, "a Device cannot be joined to itself")
        chf_id = anchor.chf_id
        chf = ctx.inventory.find(chf_id) if chf_id else None
        if chf is None or status_of(chf) not in JOINABLE:
            raise reject(Check.SMI_STATUS, f"the CHF of {anchor.device_type} {anchor.device_id} is "
                                           f"'{_status_name(chf) if chf else 'not on the SMI'}' (AC 4.6(b))")
        if status_of(anchor) not in JOINABLE:
            clause = "AC 4.8(b)" if DeviceType(joiner.device_type).is_type2 else "AC 4.6(c)"
            raise reject(Check.SMI_STATUS, f"{anchor.device_type} {anchor.device_id} is '{_status_name(anchor)}' "
                                           f"({clause})")
        jtype = DeviceType(joiner.device_type)
        if jtype.has_smi_status and status_of(joiner) not in JOINABLE:
            raise reject(Check.SMI_STATUS, f"{joiner.device_type} {joiner.device_id} is '{_status_name(joiner)}'; "
                                           "a Device to be joined must be 'pending', 'installed not commissioned' "
                                           "or 'commissioned' (AC 4.6(a))")
        if join.completes and jtype.has_smi_status and status_of(anchor) == _S.COMMISSIONED \
                and status_of(chf) != _S.COMMISSIONED:
            raise reject(Check.SMI_STATUS, f"joining {joiner.device_id} to the commissioned {anchor.device_type} would "
                                           f"commission it, but its CHF {chf_id} is '{_status_name(chf)}' (SEC H5.2)")
        if joiner.chf_id != chf_id:
            raise reject(Check.SMI_STATUS, f"{joiner.device_type} {joiner.device_id} is not in the Device Log of "
                                           f"CHF {chf_id} (add it with SRV 8.11 first; BAD 7.2.1.6.12)")

    # -- the Command ---------------------------------------------------------------------------------------
    def command(self, ctx: Ctx) -> GbcsCommand:
        join, _anchor, _joiner = self._join(ctx)
        params = {**self.command_params(ctx), REQUEST_BODY: ctx.body}
        return GbcsCommand(use_case=join.use_case, target=ctx.target, originator=ctx.originator,
                           request_id=ctx.request_id, counter=ctx.request.header.counter, params=params)

    def command_params(self, ctx: Ctx) -> dict:
        return {"other_device_id": self._other_id(ctx)}

    # -- AC 4.7, 4.8(c), 4.10 ------------------------------------------------------------------------------
    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        join, anchor, joiner = self._join(ctx)
        if not join.completes:
            return Outcome(detail=f"{join.use_case}: {joiner.device_id} holds {anchor.device_id}; the join is "
                                  "completed by the Smart Meter / GPF")
        # DECISION: the SMI keeps one Association per Device (SmiDevice.associated_with): the first Smart Meter
        # or GPF it is joined to; a PPMID joined to an ESME and then a GPF stays Associated with the ESME.
        if joiner.associated_with is None:
            ctx.inventory.relink(joiner, "associated_with", anchor.device_id, ctx.at,
                                 f"SRV {self.srv} {ctx.request_id}")
        jtype = DeviceType(joiner.device_type)
        if not jtype.has_smi_status:  # Type 2: Associate only (AC 4.8(c))
            return Outcome(detail=f"{joiner.device_id} Associated with {anchor.device_id} (AC 4.8(c))")
        new = {_S.INSTALLED_NOT_COMMISSIONED: _S.INSTALLED_NOT_COMMISSIONED,
               _S.COMMISSIONED: _S.COMMISSIONED}.get(status_of(anchor))
        current = status_of(joiner)
        # AC 4.7 follows the anchor, but never moves a Device back (a commissioned PPMID joined to an INC GPF)
        if new is not None and current != new and current != _S.COMMISSIONED:
            clause = "AC 4.7(b)" if new == _S.COMMISSIONED else "AC 4.7(a)"
            if jtype == _D.GPF and new == _S.COMMISSIONED:
                clause = "AC 4.7(b), 4.10"
            ctx.inventory.set_status(joiner.device_id, new, ctx.at,
                                     f"SRV {self.srv} {join.use_case}: joined to {anchor.device_type} "
                                     f"{anchor.device_id} ('{anchor.smi_status}') ({clause})")
        return Outcome(detail=f"{joiner.device_id} joined to {anchor.device_id}")


class SetImportMpxn(Handler):
    """SRV 6.20.1 'Set Device Configuration (Import MPxN)' → ECS39a (ESME) / GCS41 (GSME): the MPAN(s) or MPRN
    the meter displays (BAD 7.2.1.6.11; AC 4.14). The SMI is not changed: the MPxN is Associated by SRV 8.11."""

    srv = "6.20.1"
    use_cases = {DeviceType.ESME: "ECS39a", DeviceType.GSME: "GCS41"}

    def check(self, ctx: Ctx) -> None:
        meter = ctx.device(ctx.target)
        if meter.device_type == DeviceType.ESME and not ctx.body.get("ImportMPANs"):
            raise reject(Check.DEVICE_TYPE, f"ESME {meter.device_id} takes an ImportMPAN, not an ImportMPRN")
        if meter.device_type == DeviceType.GSME and not ctx.body.get("ImportMPRN"):
            raise reject(Check.DEVICE_TYPE, f"GSME {meter.device_id} takes an ImportMPRN, not ImportMPANs")

    def command_params(self, ctx: Ctx) -> dict:
        mpans = ctx.body.get("ImportMPANs")
        if mpans:
            return {"import_mpans": [m for m in (mpans.get("ImportMPAN"), mpans.get("SecondaryImportMPAN")) if m]}
        return {"mpxn": ctx.body["ImportMPRN"]}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        return Outcome(detail=f"{ctx.target} displays {self.command_params(ctx)}")
