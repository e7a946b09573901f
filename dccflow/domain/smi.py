"""SMI Statuses and the legal SMI Status transitions per Device Type.

The Smart Metering Inventory (SMI) records an SMI Status for every Device other than a Type 2 Device
(BAD 7.1.1.1; SEC Appendix AC 2.9). The nine statuses are listed in BAD 7.1.1.1 and in the DUIS 5.4 XSD
simple type ``DeviceStatus``. The code below records, for each Device Type, the direct status changes
that the Code allows, and the clauses that allow each one (``TRANSITION_RULES``).

Sources (BAD = Business Architecture Document v2.0; AC = SEC Appendix AC; AD = SEC Appendix AD (DUIS),
as quoted in the BAD governance tables; App L = SEC Appendix L, SMKI Recovery Procedure):

* BAD 7.1.1.6.1 Table 2 (triggers per status and Device Type), 7.1.1.6.2, 7.1.1.6.3, 7.1.2.4.3-4;
* AC 2.4, 2.6, 4.1-4.13, 7.1-7.3; AD 3.8.100.5, 3.8.101.4.3, 3.8.101.5, 3.8.109.4;
* SEC H5.3, H6.1-H6.11 (June 2020 text; H6.7-H6.9 are 'Not used');
* BAD 7.7.3.4.3-7.7.3.4.5 and App L 4.2.2, 4.3.2, 5.2 (recovery).

Decisions where the Code is silent or ambiguous:

1. No-op: a change to the status a Device already has is not a transition and is refused by
   :func:`check_transition` (unless ``allow_noop=True``). Where the Code says "set the status to X" and
   the Device already has X (e.g. AC 4.7(b) when a Commissioned PPMID is joined to a second meter), the
   caller should record no change.
2. A Smart Meter must be 'installed not commissioned' before a 'Commission Device' Response can make it
   'commissioned'. AC 4.12 lists only commissioned, decommissioned, withdrawn and suspended as statuses
   for which the DCC refuses the Command, so on its face it does not bar 'pending' or 'whitelisted'. We
   follow the enrolment sequence the Code describes (AC 4.3 -> 4.4 -> 4.13; AD 3.8.101.4.3bi.1 for
   Install and Leave; BAD Table 2), in which the meter is seen on the HAN first.
3. Type 1 Devices can go straight from 'pending' to 'installed not commissioned' or 'commissioned' by a
   Join Service (AC 4.6(a) lists 'pending' among the statuses a joined Device may have; AC 4.7(a)/(b)).
   'whitelisted' is not in AC 4.6(a), so a whitelisted Type 1 Device is not commissioned by a Join.
4. 'withdrawn': SEC H6 (June 2020) no longer has withdrawal clauses and BAD 7.1.1.7 leaves it out, but
   DUIS 5.4 still has the status. We keep only the moves the quoted Code text gives: CHF (and its GPF)
   'commissioned' -> 'withdrawn' by Update Inventory (AD 3.8.101.4.3c/cii), the Smart Meter equivalent by
   'Service Opt Out' (SRV 8.5, named in AD 3.8.101.4.3cii), and 'withdrawn' -> 'pending' (AC 7.1).
   'Service Opt In' (SRV 8.6) is not described in the reference texts and is not modelled.
5. Suspension (H6.10) is applied to Devices whose status is pending, whitelisted, installed not
   commissioned or commissioned. Decommissioned and withdrawn Devices are left as they are (nothing may be
   sent to them anyway), and suspension of a Device in recovery is not modelled.
6. 'suspended', 'recovery' and 'recovered' return the Device to the status it held before (AC 7.3; App L
   4.2.2.1, 4.3.2.7; BAD 7.7.3.4.3). The static table allows every status the Device could have held; use
   :func:`check_restore` with the recorded prior status to enforce the exact one.
7. Recovery applies to Smart Meters, HCALCS, GPF and CHF only (BAD Table 2). PPMIDs never enter
   'recovery'.
8. Type 2 Devices (IHD, CAD) have no SMI Status at all (AC 2.9), so they have no transitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from dccflow.domain.devices import DeviceType


class SmiStatus(StrEnum):
    """An SMI Status, spelled as the SEC spells it (lower case, e.g. AC 4.12)."""

    PENDING = "pending"
    WHITELISTED = "whitelisted"
    INSTALLED_NOT_COMMISSIONED = "installed not commissioned"
    COMMISSIONED = "commissioned"
    DECOMMISSIONED = "decommissioned"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"
    RECOVERY = "recovery"
    RECOVERED = "recovered"

    @property
    def duis_name(self) -> str:
        """The DUIS ``DeviceStatus`` enumeration value (duis-5.4.xsd), e.g. 'InstalledNotCommissioned'."""
        return _DUIS_NAMES[self]

    @classmethod
    def from_duis(cls, name: str) -> SmiStatus:
        """Parse a DUIS ``DeviceStatus`` value; raise ``ValueError`` naming the bad value."""
        try:
            return _FROM_DUIS[name.strip()]
        except KeyError:
            allowed = ", ".join(_DUIS_NAMES.values())
            raise ValueError(f"unknown DUIS DeviceStatus {name!r}; expected one of {allowed}") from None


_DUIS_NAMES: dict[SmiStatus, str] = {
    SmiStatus.PENDING: "Pending",
    SmiStatus.WHITELISTED: "Whitelisted",
    SmiStatus.INSTALLED_NOT_COMMISSIONED: "InstalledNotCommissioned",
    SmiStatus.COMMISSIONED: "Commissioned",
    SmiStatus.DECOMMISSIONED: "Decommissioned",
    SmiStatus.WITHDRAWN: "Withdrawn",
    SmiStatus.SUSPENDED: "Suspended",
    SmiStatus.RECOVERY: "Recovery",
    SmiStatus.RECOVERED: "Recovered",
}
_FROM_DUIS: dict[str, SmiStatus] = {v: k for k, v in _DUIS_NAMES.items()}

_S = SmiStatus

#: How the SMI history names a return to the status held before a suspension (SEC Appendix AC 7.3): such a change
#: to 'commissioned' restores a status, it is no commissioning (the audit's AC 4.12 guard passes it by)
RESTORATION = "AC 7.3 restoration"
_D = DeviceType
_METERS = frozenset({_D.ESME, _D.GSME})
_TYPE1 = frozenset({_D.PPMID, _D.HCALCS})
_CH = frozenset({_D.CHF, _D.GPF})
_WITH_STATUS = frozenset(d for d in DeviceType if d.has_smi_status)
_RECOVERABLE = _METERS | _CH | {_D.HCALCS}  # BAD 7.1.1.6.1 Table 2, rows 'Recovery'/'Recovered'
_LIVE = frozenset({_S.PENDING, _S.WHITELISTED, _S.INSTALLED_NOT_COMMISSIONED, _S.COMMISSIONED})
_FROZEN = frozenset({_S.SUSPENDED, _S.RECOVERY, _S.RECOVERED})

#: The SMI Statuses each Device Type can hold. CHF and GPF are never 'whitelisted' (only Devices added
#: to the CHF Device Log are: AC 4.3(c)); only Smart Meters, CHF and GPF can be withdrawn (decision 4);
#: only Smart Meters, HCALCS, CHF and GPF can be in recovery (BAD Table 2).
STATUSES_BY_TYPE: Mapping[DeviceType, frozenset[SmiStatus]] = MappingProxyType(
    {
        _D.ESME: frozenset(SmiStatus),
        _D.GSME: frozenset(SmiStatus),
        _D.PPMID: frozenset(SmiStatus) - {_S.WITHDRAWN, _S.RECOVERY, _S.RECOVERED},
        _D.HCALCS: frozenset(SmiStatus) - {_S.WITHDRAWN},
        _D.CHF: frozenset(SmiStatus) - {_S.WHITELISTED},
        _D.GPF: frozenset(SmiStatus) - {_S.WHITELISTED},
        _D.IHD: frozenset(),
        _D.CAD: frozenset(),
    }
)

#: The status a Device gets when it is added to the SMI: 'pending' for a Device pre-notified with SRV 12.2
#: (AC 2.6; AD 3.8.113.2) and for the CHF and GPF the DCC adds before delivering a Communications Hub
#: (AC 2.4); none for Type 2 Devices (AC 2.9; BAD 7.1.1.6.2).
INITIAL_STATUS: Mapping[DeviceType, SmiStatus | None] = MappingProxyType(
    {d: (_S.PENDING if d.has_smi_status else None) for d in DeviceType}
)


@dataclass(frozen=True)
class TransitionRule:
    """One clause-backed rule: Devices of ``device_types`` may go from any of ``sources`` to ``target``."""

    device_types: frozenset[DeviceType]
    sources: frozenset[SmiStatus]
    target: SmiStatus
    clause: str


def _rule(
    types: Iterable[DeviceType], sources: Iterable[SmiStatus], target: SmiStatus, clause: str
) -> TransitionRule:
    return TransitionRule(frozenset(types), frozenset(sources), target, clause)


_INC = _S.INSTALLED_NOT_COMMISSIONED

#: Every rule, with the clause that allows it. A pair is legal if any rule allows it for that Device
#: Type and both statuses are ones the Device Type can hold (``STATUSES_BY_TYPE``).
TRANSITION_RULES: tuple[TransitionRule, ...] = (
    # --- Enrolment: Smart Meters and Type 1 Devices (AC 4) ---
    _rule(_METERS | _TYPE1, {_S.PENDING}, _S.WHITELISTED,
          "AC 4.3(c); AD 3.8.109.4(a): CCS01 Response to 'Update HAN Device Log' (SRV 8.11), BAD 7.2.1.6.7"),
    _rule(_METERS | _TYPE1, {_S.WHITELISTED}, _INC,
          "AC 4.4; AD 3.8.109.4(a)(i): second CS14 (0x8F12) from the CHF within the join timeout (N24)"),
    _rule(_METERS | _TYPE1, {_S.PENDING}, _INC,
          "AD 3.8.101.4.3bi.1: 'Update Inventory' (SRV 8.4) pending -> installed not commissioned, "
          "BAD 7.2.2.6.5 (Install and Leave)"),
    _rule(_METERS, {_INC}, _S.COMMISSIONED,
          "AC 4.11-4.13: ECS70/GCS28 Response to 'Commission Device' (SRV 8.1.1), BAD 7.2.1.6.10"),
    _rule(_TYPE1, {_S.PENDING}, _INC,
          "AC 4.6(a), 4.7(a): 'Join Service' with a meter that is installed not commissioned"),
    _rule(_TYPE1, {_S.PENDING, _INC}, _S.COMMISSIONED,
          "AC 4.6(a), 4.7(b), 4.9: 'Join Service' with a Commissioned ESME or GPF, BAD 7.2.1.6.12"),
    # --- Enrolment: Communications Hub Function and Gas Proxy Function ---
    _rule({_D.CHF}, {_S.PENDING, _INC}, _S.COMMISSIONED,
          "AC 4.1, 4.2(b): first SM WAN communication from the CHF, BAD 7.2.1.6.4"),
    _rule({_D.CHF}, {_S.PENDING}, _INC,
          "AD 3.8.101.4.3ci.1: 'Update Inventory' (SRV 8.4), Install and Leave"),
    _rule({_D.CHF}, {_INC}, _S.COMMISSIONED, "AD 3.8.101.4.3ci.2: 'Update Inventory' (SRV 8.4)"),
    _rule({_D.CHF}, {_S.PENDING}, _S.COMMISSIONED, "AD 3.8.101.4.3ci.3: 'Update Inventory' (SRV 8.4)"),
    _rule({_D.GPF}, {_S.PENDING}, _INC,
          "AD 3.8.101.4.3ci.1, ci.3: GPF follows an 'Update Inventory' on its CHF; "
          "AC 4.7(a): joined to an installed-not-commissioned GSME"),
    _rule({_D.GPF}, {_S.PENDING, _INC}, _S.COMMISSIONED,
          "AC 4.6(a), 4.7(b), 4.10: 'Join Service' with a Commissioned GSME, BAD 7.2.1.6.12"),
    _rule({_D.GPF}, {_INC}, _S.COMMISSIONED,
          "BAD 7.2.2.6.8: 'Update Inventory' (SRV 8.4) sets the GPF to commissioned (Install and Leave)"),
    # --- Back to pending (AC 7.1) ---
    _rule(_METERS | _TYPE1, {_S.WHITELISTED}, _S.PENDING,
          "AC 7.1; AD 3.8.101.4.3bi.2: 'Update Inventory' (SRV 8.4) whitelisted -> pending"),
    _rule(_WITH_STATUS, {_S.DECOMMISSIONED}, _S.PENDING,
          "AC 7.1; AD 3.8.101.5: re-use after decommissioning via 'Device Pre-notification' (SRV 12.2)"),
    _rule(_METERS | _CH, {_S.WITHDRAWN}, _S.PENDING, "AC 7.1: withdrawn -> pending on the RS's request"),
    # --- Withdrawal (decision 4) ---
    _rule(_CH, {_S.COMMISSIONED}, _S.WITHDRAWN,
          "AD 3.8.101.4.3c, cii: 'Update Inventory' (SRV 8.4) on a CHF and its associated GPF"),
    _rule(_METERS, {_S.COMMISSIONED}, _S.WITHDRAWN,
          "AD 3.8.101.4.3cii ('Service Opt Out', SRV 8.5, for Device Types other than the CHF); AC 9.1"),
    # --- Decommissioning (SEC H6) ---
    _rule(_WITH_STATUS, {_S.WHITELISTED, _INC, _S.COMMISSIONED} | _FROZEN, _S.DECOMMISSIONED,
          "SEC H6.1-H6.4; AD 3.8.100.5(a): any status except decommissioned, pending or withdrawn "
          "(expressly incl. recovery); AD 3.8.100.5(c) and SEC H6.6 for the GPF with its CHF"),
    # --- Suspension (SEC H6.10-H6.11, AC 7.3) ---
    _rule(_WITH_STATUS, _LIVE, _S.SUSPENDED,
          "SEC H6.10, H6.11: Device Model removed from the CPL, BAD 7.1.2.4.3 (N28)"),
    *(
        _rule(_WITH_STATUS, {_S.SUSPENDED}, prior,
              "AC 7.3: restored to the prior status when the Device Model is back on the CPL, "
              "BAD 7.1.2.4.4 (N29); BAD 7.5.3.6.3 (firmware activation on a suspended Device)")
        for prior in sorted(_LIVE)
    ),
    # --- SMKI recovery (BAD 7.7.3; SEC Appendix L) ---
    _rule(_RECOVERABLE, _LIVE, _S.RECOVERY,
          "App L 4.2.1.3, 4.3.1.3, 5.2.1; BAD 7.7.3.4.3-7.7.3.4.5: communications disabled"),
    _rule(_RECOVERABLE, {_S.RECOVERY}, _S.RECOVERED,
          "App L 4.2.2, 5.2.9; BAD 7.7.3.4.3, 7.7.3.4.5: DCC ACB Certificate placed (N44)"),
    *(
        _rule(_RECOVERABLE, {_S.RECOVERY, _S.RECOVERED}, prior,
              "App L 4.2.2.1, 4.3.2.1, 4.3.2.7; BAD 7.7.3.4.3-7.7.3.4.5: restored to the prior status")
        for prior in sorted(_LIVE)
    ),
)


def _build() -> tuple[
    Mapping[DeviceType, Mapping[SmiStatus, frozenset[SmiStatus]]],
    Mapping[tuple[DeviceType, SmiStatus, SmiStatus], tuple[str, ...]],
]:
    edges: dict[DeviceType, dict[SmiStatus, set[SmiStatus]]] = {d: {} for d in DeviceType}
    clauses: dict[tuple[DeviceType, SmiStatus, SmiStatus], list[str]] = {}
    for rule in TRANSITION_RULES:
        for device_type in rule.device_types:
            held = STATUSES_BY_TYPE[device_type]
            if rule.target not in held:
                continue
            for source in rule.sources & held:
                if source == rule.target:
                    raise AssertionError(f"self-loop in SMI rules: {device_type} {source}")
                edges[device_type].setdefault(source, set()).add(rule.target)
                clauses.setdefault((device_type, source, rule.target), []).append(rule.clause)
    table = MappingProxyType(
        {
            d: MappingProxyType({s: frozenset(edges[d].get(s, ())) for s in sorted(STATUSES_BY_TYPE[d])})
            for d in DeviceType
        }
    )
    return table, MappingProxyType({k: tuple(v) for k, v in clauses.items()})


#: The legal direct SMI Status changes: ``SMI_TRANSITIONS[device_type][current]`` is the set of statuses
#: the Device may move to. Every status the Device Type can hold is a key. Type 2 Devices map to an empty
#: mapping (no SMI Status). Built from ``TRANSITION_RULES``.
SMI_TRANSITIONS: Mapping[DeviceType, Mapping[SmiStatus, frozenset[SmiStatus]]]
_CLAUSES: Mapping[tuple[DeviceType, SmiStatus, SmiStatus], tuple[str, ...]]
SMI_TRANSITIONS, _CLAUSES = _build()

#: The statuses from which a Device is later returned to "the status it held before".
RESTORING_STATUSES: frozenset[SmiStatus] = _FROZEN


class IllegalSmiTransition(ValueError):
    """An SMI Status change that the Code does not allow for this Device Type."""

    def __init__(
        self,
        device_type: DeviceType,
        current: SmiStatus | None,
        new: SmiStatus | None,
        allowed: frozenset[SmiStatus],
        reason: str = "",
    ) -> None:
        self.device_type = device_type
        self.current = current
        self.new = new
        self.allowed = allowed
        shown = ", ".join(f"'{s}'" for s in sorted(allowed)) or "none"
        message = (
            f"illegal SMI Status change for {device_type.value} ({device_type.full_name}): "
            f"'{current}' -> '{new}'; allowed from '{current}': {shown}"
        )
        if reason:
            message = f"{message} ({reason})"
        super().__init__(message)


def allowed_next(device_type: DeviceType, current: SmiStatus) -> frozenset[SmiStatus]:
    """The statuses a Device of ``device_type`` with status ``current`` may move to.

    Empty for Type 2 Devices and for a status the Device Type cannot hold.
    """
    return SMI_TRANSITIONS[DeviceType(device_type)].get(SmiStatus(current), frozenset())


def is_legal(device_type: DeviceType, current: SmiStatus, new: SmiStatus) -> bool:
    """True if ``current -> new`` is a legal change for ``device_type`` (a no-op is not)."""
    return SmiStatus(new) in allowed_next(device_type, current)


def check_transition(
    device_type: DeviceType, current: SmiStatus, new: SmiStatus, *, allow_noop: bool = False
) -> None:
    """Raise :class:`IllegalSmiTransition` unless ``current -> new`` is legal for ``device_type``.

    A change to the same status is refused unless ``allow_noop`` is set (module decision 1).
    """
    device_type = DeviceType(device_type)
    if device_type.is_type2:
        raise IllegalSmiTransition(
            device_type, current, new, frozenset(), "Type 2 Devices have no SMI Status, SEC Appendix AC 2.9"
        )
    current, new = SmiStatus(current), SmiStatus(new)
    held = STATUSES_BY_TYPE[device_type]
    allowed = allowed_next(device_type, current)
    if current not in held:
        raise IllegalSmiTransition(
            device_type, current, new, allowed, f"a {device_type.value} never has the status '{current}'"
        )
    if current == new:
        if allow_noop:
            return
        raise IllegalSmiTransition(device_type, current, new, allowed, "no change: the status is already set")
    if new not in allowed:
        raise IllegalSmiTransition(device_type, current, new, allowed)


def check_restore(device_type: DeviceType, current: SmiStatus, prior: SmiStatus) -> None:
    """Check a return from 'suspended', 'recovery' or 'recovered' to the recorded ``prior`` status.

    AC 7.3 (end of suspension) and App L 4.2.2.1 / 4.3.2.7 / BAD 7.7.3.4.3 (end of recovery) return the
    Device to the status it held immediately before. ``prior`` is that recorded status.
    """
    device_type, current, prior = DeviceType(device_type), SmiStatus(current), SmiStatus(prior)
    if current not in RESTORING_STATUSES:
        raise IllegalSmiTransition(
            device_type,
            current,
            prior,
            allowed_next(device_type, current),
            "only 'suspended', 'recovery' and 'recovered' return to a prior status",
        )
    if prior in RESTORING_STATUSES:
        raise IllegalSmiTransition(
            device_type,
            current,
            prior,
            frozenset(_LIVE & STATUSES_BY_TYPE[device_type]),
            f"the prior status recorded before '{current}' cannot itself be '{prior}'",
        )
    check_transition(device_type, current, prior)


def transition_clauses(device_type: DeviceType, current: SmiStatus, new: SmiStatus) -> tuple[str, ...]:
    """The clauses that allow ``current -> new`` for ``device_type`` (empty if the change is illegal)."""
    return _CLAUSES.get((DeviceType(device_type), SmiStatus(current), SmiStatus(new)), ())


def legal_pairs(device_type: DeviceType) -> frozenset[tuple[SmiStatus, SmiStatus]]:
    """All legal ``(current, new)`` pairs for ``device_type``."""
    table = SMI_TRANSITIONS[DeviceType(device_type)]
    return frozenset((s, t) for s, targets in table.items() for t in targets)
