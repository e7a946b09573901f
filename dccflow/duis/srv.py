"""Service Reference Variants: the one table mapping each SRV this project builds to its DUIS body.

``SRV_TABLE`` is the single place that says which ``Body`` child element an SRV uses and which
``CommandVariant`` it is sent with by default. The default is the lowest CommandVariant the DUIS
schema allows for that SRV (the schema annotates each ``ServiceReferenceVariant`` enumeration value
with e.g. ``CV = 1, 2, 3``), which is what the reference samples use: 1 for non-critical SRs sent
for the DCC to deliver, 4 for critical SRs (Transform, Pre-Command returned) and 8 for DCC-only SRs.

ServiceReference derivation: the DUIS ServiceReference is the SRV's first two dot-separated parts
(``8.14.1`` -> ``8.14``, ``8.11`` -> ``8.11``, ``8.1.1`` -> ``8.1``). The schema carries no explicit
rule; this one is checked against both enumerations (every ServiceReferenceVariant maps to an
enumerated ServiceReference and every ServiceReference is reached) and matches every sample.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from dccflow.duis.schema import DuisError, in_schema_enumeration, schema_document

__all__ = [
    "SRV_TABLE",
    "SrvSpec",
    "allowed_command_variants",
    "service_reference_for",
    "srv_spec",
]


@dataclass(frozen=True)
class SrvSpec:
    """What a typed builder needs to know about one Service Reference Variant."""

    srv: str
    name: str  # the Service Request name as the SEC / DUIS give it
    body_element: str  # local name of the sr:Body child
    default_command_variant: int


def _table(*rows: tuple[str, str, str, int]) -> dict[str, SrvSpec]:
    return {srv: SrvSpec(srv, name, body, cv) for srv, name, body, cv in rows}


SRV_TABLE: dict[str, SrvSpec] = _table(
    # --- install & commission (BAD 7.2)
    ("8.14.1", "Communications Hub Status Update - Install Success", "CHFInstallSuccessSMWAN", 8),
    ("8.14.2", "Communications Hub Status Update - Install No SM WAN", "CHFInstallSuccessNoSMWAN", 8),
    ("8.14.3", "Communications Hub Status Update - Fault Return", "CHFFaultReturn", 8),
    ("8.14.4", "Communications Hub Status Update - No Fault Return", "CHFNoFaultReturn", 8),
    ("8.11", "Update HAN Device Log", "UpdateHANDeviceLog", 1),
    ("8.1.1", "Commission Device", "CommissionDeviceSynchroniseClock", 4),
    ("12.1", "Request WAN Matrix", "RequestWANMatrix", 8),
    ("12.2", "Device Pre-notification", "DevicePrenotification", 8),
    ("8.2", "Read Inventory", "ReadInventory", 8),
    ("8.7.1", "Join Service (Critical)", "JoinServiceCritical", 4),
    ("8.7.2", "Join Service (Non-Critical)", "JoinServiceNonCritical", 1),
    ("8.8.1", "Unjoin Service (Critical)", "UnjoinServiceCritical", 4),
    ("8.8.2", "Unjoin Service (Non-Critical)", "UnjoinServiceNonCritical", 1),
    ("8.9", "Read Device Log", "ReadDeviceLog", 1),
    ("6.20.1", "Set Device Configuration (Import MPxN)", "SetDeviceConfigurationImportMPxN", 1),
    ("3.4", "Update Supplier Name", "UpdateSupplierName", 1),
    ("1.1.1", "Update Import Tariff (Primary Element)", "UpdateImportTariffPrimaryElement", 4),
    # --- security credentials
    ("6.21", "Request Handover of DCC Controlled Device", "RequestHandoverOfDCCControlledDevice", 1),
    ("6.15.1", "Update Security Credentials (KRP)", "UpdateSecurityCredentialsKRP", 4),
    ("6.15.2", "Update Security Credentials (Device)", "UpdateSecurityCredentialsDevice", 4),
    ("6.17", "Issue Security Credentials", "IssueSecurityCredentials", 4),
    ("6.23", "Update Security Credentials (CoS)", "UpdateSecurityCredentialsCoS", 1),
    ("6.24.1", "Retrieve Device Security Credentials (KRP)", "RetrieveDeviceSecurityCredentialsKRP", 1),
    ("6.24.2", "Retrieve Device Security Credentials (Device)", "RetrieveDeviceSecurityCredentialsDevice", 4),
    # --- inventory, replacement, local delivery
    ("8.3", "Decommission Device", "DecommissionDevice", 8),
    ("8.4", "Update Inventory", "UpdateInventory", 8),
    ("8.13", "Return Local Command Response", "ReturnLocalCommandResponse", 8),
    ("8.12.1", "Restore HAN Device Log", "RestoreHANDeviceLog", 1),
    ("8.12.2", "Restore GPF Device Log", "RestoreGPFDeviceLog", 1),
    # --- firmware
    ("11.1", "Update Firmware", "UpdateFirmware", 8),
    ("11.2", "Read Firmware Version", "ReadFirmwareVersion", 1),
    ("11.3", "Activate Firmware", "ActivateFirmware", 4),
)


def srv_spec(srv: str) -> SrvSpec:
    """The table row for ``srv`` (KeyError-free: raises DuisError for an SRV without a builder)."""
    try:
        return SRV_TABLE[srv]
    except KeyError:
        raise DuisError(f"no typed builder is defined for Service Reference Variant {srv!r}") from None


def service_reference_for(service_reference_variant: str) -> str:
    """DUIS ServiceReference for an SRV (first two dot-separated parts), checked against the schema."""
    srv = service_reference_variant
    if not in_schema_enumeration("ServiceReferenceVariant", srv):
        raise DuisError(f"{srv!r} is not a DUIS 5.4 ServiceReferenceVariant")
    reference = ".".join(srv.split(".")[:2])
    if not in_schema_enumeration("ServiceReference", reference):  # pragma: no cover - checked by tests
        raise DuisError(f"derived ServiceReference {reference!r} for {srv!r} is not in the DUIS schema")
    return reference


_XS = "{http://www.w3.org/2001/XMLSchema}"
_CV_RE = re.compile(r"CV\s*=\s*([0-9,\s]+)")
_ALLOWED_CV: dict[str, tuple[int, ...]] = {}


def allowed_command_variants(service_reference_variant: str) -> tuple[int, ...]:
    """CommandVariants the DUIS schema's annotations allow for an SRV (empty if not annotated)."""
    if not _ALLOWED_CV:
        doc = schema_document().getroot()
        simple = doc.find(f"{_XS}simpleType[@name='ServiceReferenceVariant']")
        current: str | None = None
        table: dict[str, tuple[int, ...]] = {}
        for node in simple.iter():
            if node.tag == f"{_XS}enumeration":
                current = node.get("value")
            elif isinstance(node, etree._Comment) and current and current not in table:
                match = _CV_RE.search(node.text or "")
                if match:
                    table[current] = tuple(int(v) for v in re.findall(r"\d+", match.group(1)))
        _ALLOWED_CV.update(table)
    return _ALLOWED_CV.get(service_reference_variant, ())
