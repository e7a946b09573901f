"""The Post Commissioning Information the DCC keeps and reports (BAD 7.2.3.5.7; SEC Appendix AC 5.4-5.11).

Every day, after the day ends, the DCC brings the information up to date (AC 5.5) from what it holds: the SMI, the
Commands it saw Successfully Executed (``dccsim.post_commissioning``, AC 5.4) and its own duties
(``dccsim.post_commissioning_duties``, AC 5.3). A Device is listed (AC 5.6) when it is a CHF, GPF or Smart Meter,
'commissioned' for 7 days or more, and:

* (a) the DCC failed to interrogate its Recovery cell (AC 5.3), or (b) found no DCC Recovery Certificate there;
* (c) it has not Successfully Executed (i) 'Issue Security Credentials', (ii) 'Update Security Credentials
  (Device)', (iii) (CHF and Smart Meters) 'Update Security Credentials (KRP)'. DECISION: one of each counts, not
  the "at least two" of 5.6(c)(i)-(ii) (see ``dccsim.post_commissioning``); for a CHF the DCC's own AC 5.1 duty.

The listing holds what AC 5.7 names. From it the DCC compiles, marked confidential (AC 5.11): a daily report per
Supplier of its listed Devices other than CHFs, available for 30 days (AC 5.9), and after each month a report to
the Panel, the Security Sub-Committee and the Authority with the counts AC 5.8 lists. DECISION: "as soon as
reasonably practicable following the end of each day" is read as at the DCC's first daily cycle after midnight UTC
(``DccPostCommissioningReporting``, a durable timer); reports on the Panel's or the Authority's request (AC 5.10)
are not modelled (no such request is made in the simulation).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccsim import pc_report_devices
from dccsim.inventory import Inventory, Registration
from dccsim.models import RequestLogEntry, SmiDevice
from dccsim.post_commissioning import PostCommissioningInfo, commissioned_at
from dccsim.records import DccPcReport, DccPostCommissioningDuty

#: AC 5.6: "Commissioned for a period of 7 days or more"
LISTED_AFTER = timedelta(days=7)
#: AC 5.9: "for a period of at least 30 days following the day to which the report relates"
AVAILABLE_FOR = timedelta(days=30)
PANEL = "Panel, Security Sub-Committee, Authority"
_SUBJECTS = (DeviceType.CHF, DeviceType.GPF, DeviceType.ESME, DeviceType.GSME)


class Listing(BaseModel):
    """AC 5.7: one listed Device."""

    device_id: str
    device_type: str
    commissioned_on: str
    #: which of AC 5.6 (a), (b), (c)(i), (c)(ii), (c)(iii) apply
    limbs: list[str]
    #: (d) the Responsible Supplier now; (e) the Supplier Party whose request Commissioned it (not for a CHF)
    responsible_supplier: str | None = None
    commissioning_supplier: str | None = None
    #: (f) when the information was last updated
    updated_on: str


def listing(s: Session, at: datetime) -> list[Listing]:
    """The Devices listed in the Post Commissioning Information at ``at`` (AC 5.6, 5.7)."""
    out = []
    devices = s.exec(select(SmiDevice).where(SmiDevice.smi_status == SmiStatus.COMMISSIONED.value,
                                             SmiDevice.device_type.in_([t.value for t in _SUBJECTS]))).all()
    for dev in sorted(devices, key=lambda d: d.device_id):
        since = commissioned_at(s, dev.device_id)
        if since is None or at - since < LISTED_AFTER:
            continue
        limbs = _limbs(s, dev)
        if not limbs:
            continue
        chf = dev.device_type == DeviceType.CHF.value
        out.append(Listing(device_id=dev.device_id, device_type=dev.device_type,
                           commissioned_on=since.date().isoformat(), limbs=limbs,
                           responsible_supplier=None if chf else _responsible(s, dev, at),
                           commissioning_supplier=None if chf else _commissioner(s, dev),
                           updated_on=at.date().isoformat()))
    return out


def _limbs(s: Session, dev: SmiDevice) -> list[str]:
    duties = {d.duty: d for d in s.exec(select(DccPostCommissioningDuty).where(
        DccPostCommissioningDuty.device_id == dev.device_id).order_by(DccPostCommissioningDuty.id))}
    interrogation = duties.get("recovery-interrogation")
    limbs = []
    if interrogation is None or interrogation.done_at is None:
        limbs.append("5.6(a)")
    elif interrogation.recovery_certificate is False:
        limbs.append("5.6(b)")
    if dev.device_type == DeviceType.CHF.value:
        own = duties.get("chf-credentials")
        if own is None or own.done_at is None:
            limbs += ["5.6(c)(i)", "5.6(c)(ii)", "5.6(c)(iii)"]
        return limbs
    row = s.get(PostCommissioningInfo, dev.device_id)
    if row is None or row.keys_regenerated_at is None:
        limbs.append("5.6(c)(i)")
    if row is None or row.device_certificate_stored_at is None:
        limbs.append("5.6(c)(ii)")
    if DeviceType(dev.device_type).is_meter and (row is None or row.organisation_certificate_replaced_at is None):
        limbs.append("5.6(c)(iii)")
    return limbs


def _responsible(s: Session, dev: SmiDevice, at: datetime) -> str | None:
    """AC 5.7(d): the Device's Responsible Supplier at ``at`` — the Supplier registered for a Metering Point of the
    Device's own fuel: the Import Supplier for an ESME, the Gas Supplier for a GSME and for a GPF (a GPF belongs to
    a gas SMS only, SEC H5.1(b); "the GS (the Responsible Supplier for that GPF)", digest 04 §B.3 step 6, AB 10.5).
    A GPF is linked to every MPxN of its CH's meters: without the fuel, a dual-fuel CH with different Import and
    Gas Suppliers (after a Change of Supplier, a CH replacement) would report the GPF to whichever MPxN sorted
    first. DECISION: a GPF whose CH serves no gas meter any more (its GSME decommissioned) has none."""
    registration = Registration(s)
    fuel = DeviceType(dev.device_type).fuel
    for mpxn in sorted(Inventory(s).linked_mpxns(dev)):
        row = registration.at(mpxn, at)
        if row is not None and (fuel is None or row.fuel == fuel.value):
            return row.supplier_id
    return None


def _commissioner(s: Session, dev: SmiDevice) -> str | None:
    """AC 5.7(e): who sent the request that Commissioned it (8.1.1 for a Meter; the 8.7.x or 8.4 for a GPF)."""
    srvs = ("8.1.1",) if DeviceType(dev.device_type).is_meter else ("8.7.1", "8.7.2", "8.4")
    if DeviceType(dev.device_type).is_meter:
        targets = [dev.device_id]
    elif dev.chf_id:
        targets = [d.device_id for d in Inventory(s).devices_of_chf(dev.chf_id) if d.device_type == "GSME"]
        targets.append(dev.chf_id)
    else:
        return None
    row = s.exec(select(RequestLogEntry).where(RequestLogEntry.target.in_(targets), RequestLogEntry.srv.in_(srvs),
                                               RequestLogEntry.response_code == "I0")
                 .order_by(RequestLogEntry.received_at)).first()
    return row.originator if row is not None else None


def compile_day(engine: Engine, day: date) -> int:
    """After ``day`` ends: the day's Post Commissioning Information (AC 5.5), each Supplier's report (AC 5.9) and,
    on a month's last day, the month's report (AC 5.8). Returns how many Devices are listed. Idempotent."""
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    with session_scope(engine) as s:
        listed = listing(s, end)
        compiled_at = end
        _put(s, "daily-information", day.isoformat(), "DCC", compiled_at, None,
             {"devices": [x.model_dump() for x in listed]})
        suppliers = sorted({x.responsible_supplier for x in listed if x.responsible_supplier})
        for supplier in suppliers:
            mine = [{k: v for k, v in x.model_dump().items() if k in ("device_id", "device_type", "updated_on",
                                                                       "commissioned_on", "limbs")}
                    for x in listed if x.responsible_supplier == supplier and x.device_type != "CHF"]
            _put(s, "daily-supplier", day.isoformat(), supplier, compiled_at, end + AVAILABLE_FOR, {"devices": mine})
        if day.day == calendar.monthrange(day.year, day.month)[1]:
            _monthly(s, day, listed, compiled_at)
        return len(listed)


def _put(s: Session, kind: str, period: str, recipient: str, compiled_at: datetime, until: datetime | None,
         content: dict) -> None:
    row = s.exec(select(DccPcReport).where(DccPcReport.kind == kind, DccPcReport.period == period,
                                           DccPcReport.recipient == recipient)).first()
    row = row or DccPcReport(kind=kind, period=period, recipient=recipient, compiled_at=compiled_at)
    row.compiled_at, row.available_until, row.content = compiled_at, until, content
    s.add(row)
    s.flush()  # its id, for the Devices it lists (the audit's index)
    pc_report_devices.record(s, row.id, pc_report_devices.listed_in(content))


def _month(day: date, back: int) -> str:
    index = day.year * 12 + day.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _monthly(s: Session, day: date, listed: list[Listing], compiled_at: datetime) -> None:
    """AC 5.8 (b) per Responsible Supplier and Device Type, (c) for CHFs: total, added and removed since the last
    report, and still listed from 1, 3 and 6 months before."""
    def ids(month: str) -> dict[str, str]:
        row = s.exec(select(DccPcReport).where(DccPcReport.kind == "monthly", DccPcReport.period == month)).first()
        return {d["device_id"]: d["group"] for d in (row.content.get("devices", []) if row else [])}

    now = {x.device_id: (x.responsible_supplier or "CHF") + "|" + x.device_type for x in listed}
    before = [ids(_month(day, n)) for n in (1, 3, 6)]
    counts: dict[str, dict[str, int]] = {}
    for group in sorted({*now.values(), *before[0].values()}):
        members = {d for d, g in now.items() if g == group}
        previous = {d for d, g in before[0].items() if g == group}
        counts[group] = {"total": len(members), "added": len(members - previous), "removed": len(previous - members),
                         "listed 1 month ago": len(members & previous),
                         "listed 3 months ago": len(members & set(before[1])),
                         "listed 6 months ago": len(members & set(before[2]))}
    _put(s, "monthly", _month(day, 0), PANEL, compiled_at, None,
         {"counts": counts, "devices": [{"device_id": d, "group": g} for d, g in sorted(now.items())]})
