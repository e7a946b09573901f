"""A selection of Devices from the Smart Metering Inventory (BAD 7.1.1; SEC Appendix AC) by a small query: what a
drill's ``--devices QUERY`` takes (``dccflow drill start``; BAD 7.7.3 — the Devices in scope of an SMKI Recovery).

A query is either a comma-separated list of Device IDs (EUI-64, ``00-DB-12-…``), or comma-separated ``field=value``
terms — never both:

* ``model=X`` — a Device Type (ESME, GSME, CHF, GPF, HCALCS, PPMID, …); any other value: the Device Model the SMI
  holds for it (SRV 12.2 'Device Pre-notification', 8.4 'Update Inventory');
* ``type=X`` — a Device Type only;
* ``supplier=X`` — a Supplier's User ID or a Party key (``supplier-a``: all its Supplier User IDs): the Devices linked
  through the SMI (``Inventory.linked_mpxns``) to an MPxN for which it is the registered Supplier now;
* ``chf=X`` — a Communications Hub Function's Device ID: the CHF and every Device the SMI associates with it;
* ``status=X`` — an SMI status as the SEC spells it (``commissioned``, ``installed not commissioned``, …).

Terms on different fields must all hold (AND); terms repeating a field are alternatives (OR): ``model=ESME,model=GSME,
status=commissioned`` selects the commissioned Smart Meters. A query that cannot be read raises ``DeviceQueryError``
naming what is wrong; ``select_devices`` raises it too for Device IDs the SMI does not hold and for an empty
selection (a drill over no Device is refused).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, select

from dccflow.domain.devices import DeviceType
from dccflow.domain.ids import InvalidEui64, eui64_key, normalise_eui64
from dccflow.domain.roles import UserRole
from dccflow.domain.smi import SmiStatus
from dccflow.parties import PARTIES, USERS
from dccsim.inventory import Inventory, Registration
from dccsim.models import SmiDevice

#: the fields a query may name, and what each means (the CLI's help and the errors list them)
FIELDS = {
    "model": "a Device Type, or the Device Model the SMI holds",
    "type": "a Device Type",
    "supplier": "a Supplier's User ID or Party key: the Devices of the MPxNs it is registered Supplier for now",
    "chf": "a CHF's Device ID: the CHF and the Devices associated with it",
    "status": "an SMI status",
}
_SUPPLIER_ROLES = (UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER, UserRole.EXPORT_SUPPLIER)


class DeviceQueryError(ValueError):
    """A query that cannot be read, or that selects nothing the SMI holds (the message names what is wrong)."""


class DeviceQuery(BaseModel):
    """A parsed ``--devices`` value: Device IDs, or field → the values any of which may match."""

    text: str
    device_ids: list[str] = Field(default_factory=list)
    terms: dict[str, list[str]] = Field(default_factory=dict)


def _eui64(value: str) -> str | None:
    try:
        return normalise_eui64(value)
    except InvalidEui64:
        return None


def _device_type(value: str) -> DeviceType | None:
    return next((t for t in DeviceType if t.value.upper() == value.upper()), None)


def _supplier_ids(value: str) -> list[str]:
    if value in PARTIES:
        ids = [u for r, u in PARTIES[value].user_ids.items() if r in _SUPPLIER_ROLES]
        if ids:
            return ids
    user = USERS.get(value)
    if user is not None and user.role in _SUPPLIER_ROLES:
        return [value]
    known = sorted({p.key for p in PARTIES.values() if any(r in _SUPPLIER_ROLES for r in p.user_ids)})
    raise DeviceQueryError(f"--devices: supplier={value!r} is not a Supplier's User ID or Party key "
                           f"(Suppliers: {', '.join(known)})")


def parse_device_query(text: str) -> DeviceQuery:
    """Read a query (module doc); ``DeviceQueryError`` names the first thing wrong."""
    items = [i.strip() for i in text.split(",") if i.strip()]
    if not items:
        raise DeviceQueryError("--devices is empty: give Device IDs or field=value terms "
                               f"({', '.join(FIELDS)})")
    query = DeviceQuery(text=text)
    terms = [i for i in items if "=" in i]
    if terms and len(terms) != len(items):
        plain = next(i for i in items if "=" not in i)
        raise DeviceQueryError(f"--devices mixes Device IDs ({plain!r}) and field=value terms: give one or the other")
    if not terms:
        for item in items:
            if _eui64(item) is None:
                raise DeviceQueryError(f"--devices: {item!r} is neither a Device ID (EUI-64, e.g. "
                                       f"00-DB-12-03-00-00-00-01) nor a field=value term ({', '.join(FIELDS)})")
            query.device_ids.append(_eui64(item))
        return query
    for term in terms:
        field, _, value = (p.strip() for p in term.partition("="))
        field = field.lower()
        if field not in FIELDS:
            raise DeviceQueryError(f"--devices: unknown field {field!r} in {term!r}; fields: "
                                   + "; ".join(f"{k} ({v})" for k, v in FIELDS.items()))
        if not value:
            raise DeviceQueryError(f"--devices: {term!r} gives no value for {field}")
        if field == "type" and _device_type(value) is None:
            raise DeviceQueryError(f"--devices: type={value!r} is not a Device Type (one of: "
                                   f"{', '.join(t.value for t in DeviceType)})")
        if field == "status" and value.lower() not in {s.value for s in SmiStatus}:
            raise DeviceQueryError(f"--devices: status={value!r} is not an SMI status (one of: "
                                   f"{', '.join(s.value for s in SmiStatus)})")
        if field == "chf" and _eui64(value) is None:
            raise DeviceQueryError(f"--devices: chf={value!r} is not a Device ID (EUI-64)")
        if field == "supplier":
            _supplier_ids(value)
        query.terms.setdefault(field, []).append(value)
    return query


def _matches(s: Session, dev: SmiDevice, field: str, values: list[str], at: datetime,
             inventory: Inventory, registration: Registration) -> bool:
    if field in ("model", "type"):
        wanted = {t.value for v in values if (t := _device_type(v)) is not None}
        models = {v for v in values if _device_type(v) is None} if field == "model" else set()
        return dev.device_type in wanted or (dev.model is not None and dev.model in models)
    if field == "status":
        return (dev.smi_status or "") in {v.lower() for v in values}
    if field == "chf":
        chfs = {eui64_key(v) for v in values}
        return dev.device_id in chfs or (dev.chf_id is not None and dev.chf_id in chfs)
    suppliers = {u for v in values for u in _supplier_ids(v)}
    for mpxn in inventory.linked_mpxns(dev):
        row = registration.at(mpxn, at)
        if row is not None and row.supplier_id in suppliers:
            return True
    return False


def select_devices(s: Session, query: DeviceQuery, at: datetime) -> list[str]:
    """The Device IDs the query selects from the SMI at ``at`` (sorted); ``DeviceQueryError`` when a named Device is
    not in the SMI or the selection is empty."""
    if query.device_ids:
        held = set(s.exec(select(SmiDevice.device_id).where(SmiDevice.device_id.in_(query.device_ids))))
        missing = [d for d in query.device_ids if d not in held]
        if missing:
            raise DeviceQueryError(f"--devices: not in the Smart Metering Inventory: {', '.join(missing)}")
        return list(dict.fromkeys(query.device_ids))
    inventory, registration = Inventory(s), Registration(s)
    statement = select(SmiDevice).order_by(SmiDevice.device_id)
    if "status" in query.terms:  # narrow in the database first: the rest is judged per Device
        statement = statement.where(SmiDevice.smi_status.in_([v.lower() for v in query.terms["status"]]))
    found = [dev.device_id for dev in s.exec(statement)
             if all(_matches(s, dev, f, vs, at, inventory, registration) for f, vs in query.terms.items())]
    if not found:
        raise DeviceQueryError(f"--devices {query.text!r} selects no Device in the Smart Metering Inventory")
    return found


__all__ = ["FIELDS", "DeviceQuery", "DeviceQueryError", "parse_device_query", "select_devices"]
