"""The generic, SRV-parameterised checks of the Service Request pipeline (digest 06 §E.0):

* S3 — future-dated timing: execution later than receipt and at most 30 days ahead (SEC H3.12);
* H3.16 — the SRV applies to the target's Device Type;
* F — the sender is or will be an Eligible User at the relevant time, from Registration Data, the Device ID
  and the SMI's Device ↔ MPxN links (AB 6.1(f), 6.2; SEC H3.8; BAD 7.8.4.4.1–2);
* C — SMI status ∈ {commissioned, installed not commissioned, whitelisted, pending} (AB 6.1(c), 16.1(b)(i));
* S4 — SMI-status entitlement: senders other than the Responsible Supplier only for 'installed not
  commissioned' or 'commissioned' Devices; the RS also 'pending' / 'whitelisted', and 'suspended' for Critical
  requests and the C-exempt 11.1 / 6.23 (SEC H3.9; decision table digest 06 §G.2);
* H3.9(c) — senders other than the Responsible Supplier only for Devices of an Enrolled SMS (SEC H5.1: gas only
  when both the GSME and the GPF are commissioned; ``dccsim.enrolment``).

Each raises ``ServiceRequestRejected`` and writes nothing.
"""

from __future__ import annotations

from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import UserRole
from dccflow.domain.service_requests import SrProcessing
from dccflow.domain.smi import SmiStatus
from dccsim.config import DccConfig
from dccsim.enrolment import enrolled_smss
from dccsim.handlers.base import Ctx, Handler, reject, status_of
from dccsim.models import SmiDevice
from dccsim.rejections import Check

_S = SmiStatus
#: AB 6.1(c): the statuses a Non-Critical request's Device may have
AB_6_1_C = frozenset({_S.COMMISSIONED, _S.INSTALLED_NOT_COMMISSIONED, _S.WHITELISTED, _S.PENDING})
#: AB 6.1(c) exempts 'Update Firmware' and 'CoS Update Security Credentials'
NON_CRITICAL_C_EXEMPT = frozenset({"11.1", "6.23"})
#: AB 16.1(b)(i): Non-Device requests exempt from check C
NON_DEVICE_C_EXEMPT = frozenset({"8.4", "8.2", "12.1", "12.2", "8.14.1", "8.14.2", "8.14.3", "8.14.4"})
#: DECISION (SMKI Recovery, L 4.2.2.5, 4.2.2.8): 'recovered' restores processing for the Responsible Supplier's
#: replacement of the DCC's ACB certificates (the BAD names 6.21; 6.15.1 for a cell already its own)
RECOVERED_HANDBACK = frozenset({"6.21", "6.15.1"})
#: SEC H3.9(b): what senders other than the Responsible Supplier may target
NON_RS_STATUSES = frozenset({_S.INSTALLED_NOT_COMMISSIONED, _S.COMMISSIONED})


def check_future_dated(ctx: Ctx, config: DccConfig) -> None:
    """S3 (SEC H3.12)."""
    execution = ctx.execution_at
    if execution is None:
        return
    if execution <= ctx.at:
        raise reject(Check.FUTURE_DATED, f"ExecutionDateTime {execution.isoformat()} is not later than the time of "
                                         f"receipt {ctx.at.isoformat()} (SEC H3.12)")
    if execution > ctx.at + config.future_dated_horizon:
        raise reject(Check.FUTURE_DATED, f"ExecutionDateTime {execution.isoformat()} is more than "
                                         f"{config.future_dated_horizon.days} days ahead (SEC H3.12)")


def check_device_type(ctx: Ctx, handler: Handler) -> None:
    """The SRV applies to the target Device's type (SEC H3.16: services only as far as the Devices provide)."""
    if not handler.use_cases:
        return
    dev = ctx.device(ctx.target)
    if DeviceType(dev.device_type) not in handler.use_cases:
        raise reject(Check.DEVICE_TYPE, f"SRV {handler.srv} does not apply to {dev.device_type} {dev.device_id} "
                                        f"(only {', '.join(t.value for t in handler.use_cases)})")


def holds_role_for(ctx: Ctx, dev: SmiDevice, mpxns: set[str] | None = None) -> bool | None:
    """Whether the sender holds its User Role for an SMS the Device belongs to at the relevant time;
    ``None`` if the SMI links the Device to no MPxN yet (nothing to judge by)."""
    mpxns = mpxns if mpxns is not None else ctx.inventory.linked_mpxns(dev)
    if not mpxns:
        return None
    assert ctx.role is not None
    return any(ctx.registration.holds(mpxn, ctx.role, ctx.originator, ctx.relevant_time) for mpxn in sorted(mpxns))


def check_eligible_user(ctx: Ctx, handler: Handler, config: DccConfig) -> None:
    """F (AB 6.1(f)). Not for role-based services (H3.10; AB 16.1(b)(ii)) nor Other Users (AB 6.2(c)); for
    Critical requests as ``config.critical_eligible_user_check`` says (BAD 7.8.4.4.2 vs AB 6.1(f)).

    Decision: a Device the SMI links to no MPxN (a pending meter before 8.11, a CH before it is reported
    installed) belongs to no SMS yet; F has nothing to judge by and passes; the SR-specific checks (e.g. K for
    8.11 adding a meter) and S4 still apply."""
    definition = ctx.definition
    assert definition is not None and ctx.role is not None
    if definition.role_based or ctx.role == UserRole.OTHER_USER:
        return
    if definition.is_critical and not config.critical_eligible_user_check:
        return
    device_id = handler.eligibility_device(ctx)
    if device_id is None:
        return
    dev = ctx.device(device_id)
    judged = handler.eligibility_mpxns(ctx)
    if holds_role_for(ctx, dev, judged) is False:
        mpxns = ", ".join(sorted(judged if judged is not None else ctx.inventory.linked_mpxns(dev)))
        raise reject(Check.ELIGIBLE_USER, f"{ctx.originator} is not the {ctx.role.value} registered for {mpxns} "
                                          f"({dev.device_type} {dev.device_id}) at "
                                          f"{ctx.relevant_time.isoformat()} (AB 6.1(f); SEC H3.8)")


def is_responsible_supplier(ctx: Ctx, dev: SmiDevice, mpxns: set[str] | None = None) -> bool:
    """The sender is the Device's Responsible Supplier (an Import or Gas Supplier registered for an MPxN the
    Device is linked to, or for ``mpxns``, the SMS the request is judged by); a Supplier is taken to be it while
    the Device is linked to no MPxN."""
    assert ctx.role is not None
    return ctx.role.is_supplier and holds_role_for(ctx, dev, mpxns) is not False


def check_smi_status(ctx: Ctx, handler: Handler) -> None:
    """C (AB 6.1(c), 16.1(b)(i)) then S4 (SEC H3.9)."""
    definition = ctx.definition
    assert definition is not None
    device_id = handler.status_device(ctx)
    if device_id is None:
        return
    dev = ctx.device(device_id)
    status = status_of(dev)
    if status is None:
        return  # Type 2 Devices have no SMI Status (AC 2.9)
    c_applies = (definition.processing is SrProcessing.NON_CRITICAL and definition.srv not in NON_CRITICAL_C_EXEMPT
                 or definition.processing is SrProcessing.NON_DEVICE and definition.srv not in NON_DEVICE_C_EXEMPT)
    if c_applies and status not in AB_6_1_C and not (status == _S.RECOVERED and definition.srv in RECOVERED_HANDBACK):
        raise reject(Check.SMI_STATUS, f"{dev.device_type} {dev.device_id} has SMI status '{status.value}'; "
                                       f"SRV {definition.srv} needs one of "
                                       + ", ".join(f"'{s.value}'" for s in sorted(AB_6_1_C)) + " (AB 6.1(c))")
    if definition.role_based:
        return
    allowed = set(NON_RS_STATUSES)
    # judged by the same SMS as F (``Handler.eligibility_mpxns``): on a dual-fuel CH left without SM WAN (BAD
    # 7.2.2) the Gas Supplier adding its GSME is Responsible Supplier for that SMS although the 'pending' CHF is
    # linked only to the MPAN so far
    responsible = is_responsible_supplier(ctx, dev, handler.eligibility_mpxns(ctx))
    if responsible:
        allowed |= {_S.PENDING, _S.WHITELISTED}
        if definition.is_critical or definition.srv in NON_CRITICAL_C_EXEMPT:
            allowed.add(_S.SUSPENDED)
        if definition.srv in RECOVERED_HANDBACK:
            allowed.add(_S.RECOVERED)
    if status not in allowed:
        raise reject(Check.SMI_STATUS, f"{dev.device_type} {dev.device_id} has SMI status '{status.value}'; "
                                       f"{ctx.originator} acting as {ctx.role.value} may send SRV {definition.srv} "
                                       "only for " + ", ".join(f"'{s.value}'" for s in sorted(allowed))
                                       + " (SEC H3.9)")
    if not responsible and not enrolled_smss(ctx.inventory, dev):
        raise reject(Check.SMI_STATUS, f"{dev.device_type} {dev.device_id} forms part of no Enrolled Smart Metering "
                                       f"System (electricity: the ESME commissioned; gas: both the GSME and the GPF, "
                                       f"SEC H5.1); {ctx.originator} acting as {ctx.role.value} may not send SRV "
                                       f"{definition.srv} to it before Enrolment (SEC H3.9(c); BAD 7.2.1.1)")
