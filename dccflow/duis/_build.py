"""Shared plumbing for the typed Service Request builders (private)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from lxml import etree

import dccflow.duis._ids as _ids
from dccflow.duis.messages import build_request
from dccflow.duis.schema import DuisError, validate
from dccflow.duis.srv import srv_spec

# Enumerations used in typed builder signatures (values exactly as in duis-5.4.xsd).
CHFInstallType = Literal["New CHF Install", "Replacement CHF Install", "CHF Install - no SM WAN"]
CHFLocation = Literal["Outside Premises", "Indoors on external wall", "Deep indoors", "Basement or Cellar"]
PremiseType = Literal[
    "Detached / Semi Detached",
    "Terraced",
    "Low Rise Apartment (MDU <= 5 floors)",
    "High Rise Apartment (MDU > 5 floors)",
]
CHFFaultReturnType = Literal["Fault identified prior to installation", "Fault identified post installation"]
CHFNoFaultReturnType = Literal[
    "No Fault Return (general)",
    "No Fault Return (non-dom opt out)",
    "No Fault Return (dual supplier HAN variant replacement)",
    "No Fault Return (SM WAN variant replacement requested by DCC)",
    "Lost or Stolen Hub",
]
CHFConnectionMethod = Literal["Hot-shoe", "Cradle", "ESME"]
CHFFaultReason = Literal[
    "Damaged case",
    "Damaged Connector",
    "Illegal interference or missing seals",
    "Environmental conditions exceeded",
    "SM WAN Fault",
    "SMHAN Interface Fault",
    "LED Fault",
    "Aerial fault",
    "Manufacturing defect",
]
DeviceType = Literal["ESME", "GSME", "GPF", "CHF", "HCALCS", "PPMID", "IHD", "CAD"]
RemotePartyRole = Literal[
    "ACB", "NetworkOperator", "Recovery", "Root", "Supplier", "TransCoS", "LoadController"
]
CredentialType = Literal["Digital Signature", "Key Agreement"]


def eui(value: str, what: str) -> str:
    """Canonical EUI-64 or a DuisError naming the argument."""
    try:
        return _ids.eui64(value)
    except ValueError as exc:
        raise DuisError(f"{what}: {exc}") from None


def b64(value: str | bytes, what: str) -> str:
    try:
        return _ids.base64_text(value, what=what)
    except ValueError as exc:
        raise DuisError(str(exc)) from None


def hexstr(value: str, what: str, *, min_octets: int = 0, max_octets: int | None = None) -> str:
    try:
        return _ids.hex_string(value, what=what, min_octets=min_octets, max_octets=max_octets)
    except ValueError as exc:
        raise DuisError(str(exc)) from None


def aware(value: datetime | None, what: str) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise DuisError(f"{what} must be a timezone-aware datetime")
    return value


def exactly_one(what: str, **options: Any) -> str:
    """Name of the single option that is set (not None / False); DuisError otherwise."""
    chosen = [name for name, value in options.items() if value is not None and value is not False]
    if len(chosen) != 1:
        names = ", ".join(options)
        raise DuisError(f"{what}: give exactly one of {names} (got {len(chosen)})")
    return chosen[0]


def build_srv(
    srv: str,
    *,
    request_id: str,
    body: Mapping[str, Any] | None,
    command_variant: int | None,
) -> etree._Element:
    """Build the unsigned request for ``srv`` from the SRV table and validate it against the schema.

    Typed builders therefore only ever return schema-valid messages; an out-of-range value raises
    :class:`~dccflow.duis.schema.DuisSchemaError` naming the element (e.g. ``JoinTimePeriod``).
    """
    spec = srv_spec(srv)
    root = build_request(
        request_id=request_id,
        service_reference_variant=srv,
        body_element=spec.body_element,
        body=body,
        command_variant=spec.default_command_variant if command_variant is None else command_variant,
    )
    validate(root)
    return root
