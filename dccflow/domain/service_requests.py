"""The Service Request catalogue: one entry per Service Reference Variant (SRV).

Sources, in order of authority:

* Names: as the Code spells them (SEC H3.10 for the role-based services; BAD process text otherwise).
* Processing class (BAD 4.5, 7.8.4): Critical, Non-Critical or Non-Device. It agrees with the Command
  Variants the DUIS 5.4 XSD allows for each SRV (comments on ``ServiceReferenceVariant``: 4-7 Critical,
  1-3 Non-Critical, 8 Non-Device), except 11.1 'Update Firmware' and 11.4, which are sent with Command
  Variant 8 but are Non-Critical with extra DCC checks (BAD 7.5.3.6.2).
* DUIS Body element and default Command Variant: the XSD and the sample requests in shared/duis/samples.
* GBCS use cases: BAD process text, BAD Tables 5 and 8, and the sample file names.
* Eligible User Roles: the DCC User Interface Services Schedule (SEC Appendix E) is not in the reference
  texts, so each entry's roles come from the BAD tables or process text (cited in ``bad_ref``); where
  that is silent, the comment on the entry records the decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from pydantic import BaseModel, model_validator

from dccflow.domain.roles import ALL_USER_ROLES, SUPPLIERS, UserRole

_SRV_RE = re.compile(r"\d{1,2}\.\d{1,2}(\.\d{1,2})?")

CRITICAL_COMMAND_VARIANTS: Final = frozenset({4, 5, 6, 7})
NON_CRITICAL_COMMAND_VARIANTS: Final = frozenset({1, 2, 3})
NON_DEVICE_COMMAND_VARIANTS: Final = frozenset({8})


class SrProcessing(StrEnum):
    """The three kinds of DCC Service Request processing (BAD 4.5; SEC H4)."""

    CRITICAL = "critical"
    NON_CRITICAL = "non-critical"
    NON_DEVICE = "non-device"


class ServiceRequestDef(BaseModel, frozen=True):
    """The fixed facts about one Service Reference Variant."""

    srv: str
    service_reference: str
    name: str
    processing: SrProcessing
    eligible_roles: frozenset[UserRole]
    body_element: str
    gbcs_use_cases: tuple[str, ...] = ()
    command_variant: int
    allowed_command_variants: frozenset[int]
    bad_ref: str
    #: SEC H3.10: eligibility depends on the User Role alone, not on being the Eligible User for an SMS.
    role_based: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ServiceRequestDef:
        if not _SRV_RE.fullmatch(self.srv):
            raise ValueError(f"SRV {self.srv!r} is not of the form 'n.n' or 'n.n.n'")
        if self.srv != self.service_reference and not self.srv.startswith(self.service_reference + "."):
            raise ValueError(f"SRV {self.srv} does not belong to Service Reference {self.service_reference}")
        if self.command_variant not in self.allowed_command_variants:
            raise ValueError(
                f"SRV {self.srv}: default Command Variant {self.command_variant} is not one of "
                f"{sorted(self.allowed_command_variants)}"
            )
        expected = {
            SrProcessing.CRITICAL: CRITICAL_COMMAND_VARIANTS,
            SrProcessing.NON_CRITICAL: NON_CRITICAL_COMMAND_VARIANTS | NON_DEVICE_COMMAND_VARIANTS,
            SrProcessing.NON_DEVICE: NON_DEVICE_COMMAND_VARIANTS,
        }[self.processing]
        if not self.allowed_command_variants <= expected:
            raise ValueError(
                f"SRV {self.srv}: Command Variants {sorted(self.allowed_command_variants)} do not fit "
                f"{self.processing.value} processing"
            )
        if not self.eligible_roles:
            raise ValueError(f"SRV {self.srv}: no eligible User Role")
        return self

    @property
    def is_critical(self) -> bool:
        return self.processing is SrProcessing.CRITICAL

    @property
    def is_non_device(self) -> bool:
        return self.processing is SrProcessing.NON_DEVICE

    def is_eligible_role(self, role: UserRole) -> bool:
        """True if ``role`` is an Eligible User Role for this SRV (the SMS-specific checks are separate)."""
        return role in self.eligible_roles


_C = SrProcessing.CRITICAL
_NC = SrProcessing.NON_CRITICAL
_ND = SrProcessing.NON_DEVICE
_IS, _ES, _GS = UserRole.IMPORT_SUPPLIER, UserRole.EXPORT_SUPPLIER, UserRole.GAS_SUPPLIER
_ED, _GT, _OU = UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.GAS_TRANSPORTER, UserRole.OTHER_USER
_SUPPLIERS_AND_OU = SUPPLIERS | {_OU}
_SCHEDULERS = frozenset({_IS, _GS, _ES, _ED, _GT, _OU})  # BAD 7.8.3.4 actors and Table 9 (5.2)

_DEFAULT_CV = {_C: 4, _NC: 1, _ND: 8}
_ALLOWED_CV = {
    _C: CRITICAL_COMMAND_VARIANTS,
    _NC: NON_CRITICAL_COMMAND_VARIANTS,
    _ND: NON_DEVICE_COMMAND_VARIANTS,
}


def _sr(
    srv: str,
    name: str,
    processing: SrProcessing,
    roles: Iterable[UserRole],
    body: str,
    gbcs: tuple[str, ...],
    bad_ref: str,
    *,
    cv: int | None = None,
    allowed: Iterable[int] | None = None,
    role_based: bool = False,
) -> ServiceRequestDef:
    parts = srv.split(".")
    return ServiceRequestDef(
        srv=srv,
        service_reference=".".join(parts[:2]),
        name=name,
        processing=processing,
        eligible_roles=frozenset(roles),
        body_element=body,
        gbcs_use_cases=gbcs,
        command_variant=_DEFAULT_CV[processing] if cv is None else cv,
        allowed_command_variants=_ALLOWED_CV[processing] if allowed is None else frozenset(allowed),
        bad_ref=bad_ref,
        role_based=role_based,
    )


_ENTRIES: tuple[ServiceRequestDef, ...] = (
    # --- Configure / read (BAD 7.3-7.5; roles from BAD Tables 6-9 as collected in spec digest 03) ---
    _sr("3.2", "Restrict Access for Change of Tenancy", _NC, SUPPLIERS, "RestrictAccessForChangeOfTenancy",
        ("ECS12", "GCS09"), "BAD 7.5.2.5.1; SEC H3.17 (the Responsible Supplier)"),
    # 1.1.1: Critical, IS / GS (digest 03 SRV table); the Gaining Supplier's tariff after a CoS (BAD 7.7.1.5.6)
    _sr("1.1.1", "Update Import Tariff (Primary Element)", _C, {_IS, _GS}, "UpdateImportTariffPrimaryElement",
        ("ECS01a", "GCS01a"), "BAD 7.3.1.6.3, 7.7.1.5.6"),
    # 3.4: "the Supplier" (BAD 7.5.1.5.2); the Gaining Supplier after a CoS (BAD 7.7.1.5.5)
    _sr("3.4", "Update Supplier Name", _NC, SUPPLIERS, "UpdateSupplierName", ("ECS16", "GCS44"),
        "BAD 7.5.1.5.2, 7.7.1.5.5"),
    _sr("4.1.1", "Read Instantaneous Import Registers", _NC, {_IS, _GS, _ED, _GT},
        "ReadInstantaneousImportRegisters", ("ECS17b", "GCS13a"), "BAD 7.4.1.6.2 (Table 8)"),
    _sr("6.20.1", "Set Device Configuration (Import MPxN)", _NC, SUPPLIERS,
        "SetDeviceConfigurationImportMPxN", ("ECS39a", "GCS41"),
        "BAD 7.2.1.6.11, 7.3.1.6.3 (Table 6); SEC Appendix AC 4.14"),
    # --- Schedules (BAD 7.8.3); 5.1/5.3 roles: the BAD 7.8.3.4 actors (no per-role table in the texts) ---
    _sr("5.1", "Create Schedule", _ND, _SCHEDULERS, "CreateSchedule", (), "BAD 7.8.3.5.1"),
    _sr("5.2", "Read Schedule", _ND, _SCHEDULERS, "ReadSchedule", (),
        "BAD 7.8.3.5.2; BAD 7.4.1.6.3 (Table 9)"),
    _sr("5.3", "Delete Schedule", _ND, _SCHEDULERS, "DeleteSchedule", (), "BAD 7.8.3.5.3"),
    # --- Security credentials (BAD 7.7) ---
    # 6.15.1: "the Supplier / Network Operator" (BAD 7.7.2.5.6), so IS, GS, ED, GT.
    _sr("6.15.1", "Update Security Credentials (KRP)", _C, SUPPLIERS | {_ED, _GT},
        "UpdateSecurityCredentialsKRP", ("CS02b",), "BAD 7.7.2.5.6"),
    _sr("6.15.2", "Update Security Credentials (Device)", _C, SUPPLIERS, "UpdateSecurityCredentialsDevice",
        ("CS02d",), "BAD 7.7.2.5.8"),
    _sr("6.17", "Issue Security Credentials", _C, SUPPLIERS, "IssueSecurityCredentials", ("CS02c",),
        "BAD 7.7.2.5.7"),
    _sr("6.21", "Request Handover of DCC Controlled Device", _NC, SUPPLIERS,
        "RequestHandoverOfDCCControlledDevice", ("CS02b",), "BAD 7.7.2.5.5, 7.2.1.6.8"),
    # 6.23 is sent by the Gaining Supplier; the DCC (CoS Party) signs the Command (BAD 7.7.1.5.4).
    _sr("6.23", "Update Security Credentials (CoS)", _NC, SUPPLIERS, "UpdateSecurityCredentialsCoS",
        ("CS02b",), "BAD 7.7.1.5.4"),
    # 6.24.x: BAD 7.7.2.5.10, the process in 7.4.1.6.2 (Table 8): 6.24.1 → CS02a for IS, GS, ED, GT; 6.24.2 →
    # CS02e for IS, GS (digest 05 §C.10), Critical as the DUIS XSD's Command Variants (4-7) have it. Also the
    # Supplier's own interrogation of SEC Appendix AC 5.13(b).
    _sr("6.24.1", "Retrieve Device Security Credentials (KRP)", _NC, SUPPLIERS | {_ED, _GT},
        "RetrieveDeviceSecurityCredentialsKRP", ("CS02a",), "BAD 7.7.2.5.10, 7.4.1.6.2 (Table 8)"),
    _sr("6.24.2", "Retrieve Device Security Credentials (Device)", _C, SUPPLIERS,
        "RetrieveDeviceSecurityCredentialsDevice", ("CS02e",), "BAD 7.7.2.5.10, 7.4.1.6.2 (Table 8)"),
    # --- Install, commission, join (BAD 7.2) ---
    _sr("8.1.1", "Commission Device", _C, SUPPLIERS, "CommissionDeviceSynchroniseClock", ("ECS70", "GCS28"),
        "BAD 7.2.1.6.10; SEC Appendix AC 4.11-4.13", allowed=(4, 5)),
    # 8.7.x: Suppliers join Devices (BAD 7.2.1.6.12, Table 5); an Other User may join a CAD with the
    # Non-Critical variant only (BAD 7.2.1.6.14; SEC I1.3).
    _sr("8.7.1", "Join Service (Critical)", _C, SUPPLIERS, "JoinServiceCritical",
        ("CS03A1", "CS03A2", "CS03C"), "BAD 7.2.1.6.12 (Table 5); SEC Appendix AC 4.5-4.10"),
    _sr("8.7.2", "Join Service (Non-Critical)", _NC, _SUPPLIERS_AND_OU, "JoinServiceNonCritical",
        ("CS03A2", "CS03B", "CS03C"), "BAD 7.2.1.6.12 (Table 5), 7.2.1.6.14; SEC Appendix AC 4.8"),
    _sr("8.8.1", "Unjoin Service (Critical)", _C, SUPPLIERS, "UnjoinServiceCritical", ("CS04AC",),
        "BAD 7.6.2.5.3"),
    _sr("8.8.2", "Unjoin Service (Non-Critical)", _NC, _SUPPLIERS_AND_OU, "UnjoinServiceNonCritical",
        ("CS04B",), "BAD 7.6.2.5.3, 7.6.2.5.7"),
    _sr("8.9", "Read Device Log", _NC, _SUPPLIERS_AND_OU, "ReadDeviceLog", ("CCS05", "CCS04", "CS07"),
        "BAD 7.4.1.6.2 (Table 8)"),
    # 8.11: Suppliers add / remove Devices; an Other User adds a CAD (BAD 7.2.1.6.14).
    _sr("8.11", "Update HAN Device Log", _NC, _SUPPLIERS_AND_OU, "UpdateHANDeviceLog", ("CCS01", "CCS02"),
        "BAD 7.2.1.6.7, 7.2.1.6.14, 7.6.2.5.4"),
    _sr("8.12.1", "Restore HAN Device Log", _NC, SUPPLIERS, "RestoreHANDeviceLog", ("CCS03",),
        "BAD 7.6.1.6.5; SEC Appendix AB 10.1(a)"),
    _sr("8.12.2", "Restore GPF Device Log", _NC, SUPPLIERS, "RestoreGPFDeviceLog", ("GCS59",),
        "BAD 7.6.1.6.6; SEC Appendix AB 10.1(b), 6.2(b)"),
    _sr("8.13", "Return Local Command Response", _ND, SUPPLIERS, "ReturnLocalCommandResponse", (),
        "BAD 7.2.2.6.4"),
    # --- Inventory (BAD 7.1.1, 7.6.2) ---
    _sr("8.2", "Read Inventory", _ND, ALL_USER_ROLES, "ReadInventory", (),
        "BAD 7.4.1.6.3 (Table 9); SEC H3.10(c)", role_based=True),
    # 8.3: only the Responsible Supplier may Decommission (SEC H6.2), so IS and GS.
    _sr("8.3", "Decommission Device", _ND, SUPPLIERS, "DecommissionDevice", (),
        "BAD 7.6.2.5.5; SEC H6.2-H6.4"),
    # 8.4: "available to all the Eligible User Roles" for details of a Device the User pre-notified
    # (AD 3.8.101.4.1a), so the same roles as 12.2; status and MPxN changes are IS/GS only (4.3a, 4.4a).
    _sr("8.4", "Update Inventory", _ND, ALL_USER_ROLES, "UpdateInventory", (),
        "BAD 7.1.1.6.3; SEC Appendix AD 3.8.101.4"),
    # 12.2: "Any User may send a Service Request requesting that the DCC adds a Device" (AC 2.6, 2.9).
    _sr("12.2", "Device Pre-notification", _ND, ALL_USER_ROLES, "DevicePrenotification", (),
        "BAD 7.1.1.6.2; SEC Appendix AC 2.6, 2.9; SEC H3.10(b)", role_based=True),
    _sr("12.1", "Request WAN Matrix", _ND, ALL_USER_ROLES, "RequestWANMatrix", (),
        "BAD 7.2.1.6.2, 7.4.1.6.3 (Table 9); SEC H3.10(a)", role_based=True),
    # 8.14.x: role-based (SEC H3.10(d)-(g)); the Schedule's role list is not in the texts. Suppliers
    # install, remove and return Communications Hubs (BAD 7.2.1.6.6, 7.2.2.6.1, 7.9.1.6.2; SEC F8).
    _sr("8.14.1", "Communications Hub Status Update - Install Success", _ND, SUPPLIERS,
        "CHFInstallSuccessSMWAN", (), "BAD 7.2.1.6.6; SEC H3.10(d)", role_based=True),
    _sr("8.14.2", "Communications Hub Status Update - Install No SM WAN", _ND, SUPPLIERS,
        "CHFInstallSuccessNoSMWAN", (), "BAD 7.2.2.6.1; SEC H3.10(e)", role_based=True),
    _sr("8.14.3", "Communications Hub Status Update - Fault Return", _ND, SUPPLIERS, "CHFFaultReturn", (),
        "BAD 7.9.1.6.2; SEC H3.10(f)", role_based=True),
    _sr("8.14.4", "Communications Hub Status Update - No Fault Return", _ND, SUPPLIERS,
        "CHFNoFaultReturn", (), "BAD 7.9.1.6.2; SEC H3.10(g)", role_based=True),
    # --- Firmware (BAD 7.5.3) ---
    # 11.1 is sent with Command Variant 8 but processed as Non-Critical plus extra checks; only the
    # Responsible Supplier of each listed Smart Meter (BAD 7.5.3.6.2).
    _sr("11.1", "Update Firmware", _NC, SUPPLIERS, "UpdateFirmware", (), "BAD 7.5.3.6.2", cv=8, allowed=(8,)),
    # 11.2: "Users in other User Roles are also eligible" (BAD 7.5.3.6.6); RSA per SEC H2.2(d).
    _sr("11.2", "Read Firmware Version", _NC, ALL_USER_ROLES, "ReadFirmwareVersion",
        ("ECS52", "GCS38", "CS08"), "BAD 7.5.3.6.6; SEC H2.2(d)"),
    _sr("11.3", "Activate Firmware", _C, SUPPLIERS, "ActivateFirmware", ("CS06",), "BAD 7.5.3.6.3"),
    # 11.4 is in DUIS 5.4 only (not in BAD v2.0). Decision: treated like 11.1 (Responsible Supplier;
    # Command Variant 8; Non-Critical).
    _sr("11.4", "Update PPMID Firmware", _NC, SUPPLIERS, "UpdatePPMIDFirmware", (),
        "not in BAD v2.0; DUIS 5.4 only (treated like 11.1, BAD 7.5.3.6.2)", cv=8, allowed=(8,)),
)

#: The catalogue, keyed by SRV.
CATALOGUE: Mapping[str, ServiceRequestDef] = MappingProxyType({e.srv: e for e in _ENTRIES})
if len(CATALOGUE) != len(_ENTRIES):  # pragma: no cover - guards against a duplicated entry
    raise RuntimeError("duplicate SRV in the Service Request catalogue")

_BY_BODY: Mapping[str, ServiceRequestDef] = MappingProxyType({e.body_element: e for e in _ENTRIES})


class UnknownServiceRequest(KeyError):
    """An SRV (or DUIS Body element) that is not in the catalogue."""

    def __init__(self, key: str, what: str = "Service Reference Variant") -> None:
        super().__init__(key)
        self.key = key
        known = ", ".join(CATALOGUE)
        self.message = f"unknown {what} {key!r}; the catalogue has {len(CATALOGUE)} SRVs: {known}"

    def __str__(self) -> str:
        return self.message


def lookup_srv(srv: str) -> ServiceRequestDef:
    """The catalogue entry for ``srv`` (e.g. '8.11'); raise :class:`UnknownServiceRequest`."""
    try:
        return CATALOGUE[srv.strip()]
    except KeyError:
        raise UnknownServiceRequest(srv) from None


def lookup_body_element(body_element: str) -> ServiceRequestDef:
    """The catalogue entry whose DUIS Body element is ``body_element`` (e.g. 'UpdateHANDeviceLog')."""
    try:
        return _BY_BODY[body_element.strip()]
    except KeyError:
        raise UnknownServiceRequest(body_element, "DUIS Body element") from None


def srvs_for_role(role: UserRole) -> tuple[ServiceRequestDef, ...]:
    """The catalogue entries for which ``role`` is an Eligible User Role."""
    return tuple(e for e in _ENTRIES if role in e.eligible_roles)
