"""'Decommission Device' (SRV 8.3, Non-Device; BAD 7.6.2.5.5, 7.6.1.6.8; SEC H6.1-H6.6; AD 3.8.100.5 (v1.1
3.8.92.5) as quoted in the BAD governance tables, 004 l.3417-3428, 3695-3718; digest 04 §E).

The DCC sends no Command: it updates the SMI, cancels what it holds for the Device and notifies (AB 16.1(d)(i)).
In the order of digest 04 §E.10: who may (H6.2 / H6.5), the status guard (AD (a)), the SMI update (status, the
GPF with its CHF, Associations, the MPxN link), cancellations, then the notices (sent once the transaction commits,
so a recipient reading the SMI sees the new state).

Decisions where the sources are silent or disagree (digest 04 §K):

* Who: only a Responsible Supplier — an Import or Gas Supplier registered, now, for a Metering Point the Device is
  linked to through the SMI (H6.2). For a CHF either fuel's (a CHF can have two, BAD 7.6.1.6.1). A Device the SMI
  links to no Metering Point has no Responsible Supplier to show: refused (E4). SMETS1 / Lead Supplier: the
  simulated fleet is SMETS2 only. Losing Suppliers after a CoS are no longer registered: refused.
* Type 2 Devices cannot be decommissioned (BAD l.3628): refused as not applying to the Device Type (E11).
* 'pending', 'decommissioned', 'withdrawn': AD (a) only says "no update"; refused with E5 and that reason (§K 17).
* 'suspended' and 'recovered' are decommissioned like 'recovery' (AD (a) excludes only the three above; §K 9).
* Associations (H6.4(b)): the Device's own (``associated_with``, its CHF) and every Device Associated with it end.
  The GPF stays recorded with its CHF (one physical box, the CH). Type 1 / Type 2 Devices joined to a decommissioned
  meter keep their status (no cascade is stated, §K 23).
* Cancellations: AD (e)-(h) as the superset of the narrative (§K 11); for a CHF also its own future-dated requests
  (N33, H3.20), besides those of its GPF (N34).
* N1 to the ED and, "if applicable", the ES: when the meter has an Export MPAN with a registered Supplier (§K 25).
  N9 to every Responsible Supplier and Network Operator of the SMSs the CH served, except the sender (AB 10.3, the
  superset of H6.4(c); §K 12).
* H6.6: the Devices still on a decommissioned CHF are watched (``dccsim.orphans``) for the reasonable period.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccsim.handlers.base import Ctx, Notice, Outcome, reject, status_of
from dccsim.handlers.nondevice import NonDeviceHandler
from dccsim.inventory import ORPHAN_WATCH, Inventory, Registration, note_follow_up
from dccsim.life_records import ChfOrphanWatch
from dccsim.models import LatestCs14, SmiDevice
from dccsim.pending_work import cancel_future_dated, cancel_schedules
from dccsim.rejections import Check

_S = SmiStatus
_D = DeviceType
#: AD 3.8.100.5(a): 8.3 updates any status but these ("this allows for an update where the SMI Status is 'Recovery'")
NOT_DECOMMISSIONED_FROM = frozenset({_S.PENDING, _S.DECOMMISSIONED, _S.WITHDRAWN})
_FUEL_ROLE = {"electricity": "Import Supplier", "gas": "Gas Supplier"}


def supply_mpxns(inv: Inventory, dev: SmiDevice) -> set[str]:
    """The Metering Points whose Smart Metering Systems the Device forms part of, through the SMI: its own, its
    meter's, its CH's; a whitelisted Type 1 Device not yet joined to a meter, its CHF's. For a CH also those of the
    meters in the DCC's record of its CHF Device Log (AC 8.1): a CH being replaced still served them after 8.12.1
    moved its meters to the new CHF on the SMI (BAD 7.6.1.6.8; H6.2 "a Responsible Supplier for" its SMSs)."""
    mpxns = inv.linked_mpxns(dev)
    if not mpxns and dev.chf_id and dev.device_type not in (_D.CHF, _D.GPF):
        chf = inv.find(dev.chf_id)
        mpxns = inv.linked_mpxns(chf) if chf is not None else set()
    chf_id = dev.device_id if dev.device_type == _D.CHF else dev.chf_id if dev.device_type == _D.GPF else None
    if chf_id is not None:
        mpxns |= _recorded_log_mpxns(inv, chf_id)
    return mpxns


def _recorded_log_mpxns(inv: Inventory, chf_id: str) -> set[str]:
    row = inv.s.get(LatestCs14, chf_id)
    meters = (inv.find(e["device_id"]) for e in (row.device_log if row is not None else []))
    return {m.mpxn for m in meters if m is not None and m.mpxn}


def responsible_suppliers(reg: Registration, mpxns: set[str], at: datetime) -> dict[str, str]:
    """Responsible Supplier → its fuel, for the Metering Points at ``at`` (Registration Data)."""
    found = {}
    for mpxn in sorted(mpxns):
        row = reg.at(mpxn, at)
        if row is not None:
            found.setdefault(row.supplier_id, row.fuel)
    return found


class DecommissionDevice(NonDeviceHandler):
    srv = "8.3"

    def check(self, ctx: Ctx) -> None:
        dev = ctx.device(ctx.body["DeviceID"])
        dtype = DeviceType(dev.device_type)
        if dtype.is_type2:
            raise reject(Check.DEVICE_TYPE, f"{dtype.value} {dev.device_id} is a Type 2 Device: it cannot be "
                                            "Decommissioned via the DCC (BAD 7.6.2.5.5; SEC H6.1)")
        mpxns = supply_mpxns(ctx.inventory, dev)
        suppliers = responsible_suppliers(ctx.registration, mpxns, ctx.at)
        fuel = suppliers.get(ctx.originator)
        if fuel is None or ctx.role is None or ctx.role.value != _FUEL_ROLE.get(fuel):
            shown = ", ".join(sorted(suppliers)) or "none"
            raise reject(Check.ELIGIBLE_USER, f"{ctx.originator} is not a Responsible Supplier for {dtype.value} "
                                              f"{dev.device_id} (Metering Points: {', '.join(sorted(mpxns)) or 'none'}"
                                              f"; Responsible Suppliers: {shown}); only they may Decommission it "
                                              "(SEC H6.2, H6.5)")
        status = status_of(dev)
        if status in NOT_DECOMMISSIONED_FROM:
            raise reject(Check.SMI_STATUS, f"{dtype.value} {dev.device_id} is '{status}': the DCC does not update a "
                                           "'pending', 'decommissioned' or 'withdrawn' Device (AD 3.8.100.5(a))")

    def execute(self, ctx: Ctx) -> Outcome:
        dev = ctx.inventory.get(ctx.body["DeviceID"])
        notices = decommission(ctx.session, dev, ctx.at, sender=ctx.originator,
                               reason=f"SRV 8.3 {ctx.request_id} (AD 3.8.100.5(a); SEC H6.4(a))",
                               request_id=ctx.request_id)
        return Outcome(notices=notices, detail=f"{dev.device_type} {dev.device_id} decommissioned")


def decommission(s: Session, dev: SmiDevice, at: datetime, *, sender: str | None, reason: str,
                 request_id: str | None = None) -> list[Notice]:
    """The DCC's part of decommissioning ``dev`` (AD 3.8.100.5(a)-(h); H6.4): the SMI updated, the pending work
    cancelled; returns the notices to send. ``sender``: the Responsible Supplier that asked (``None``: the DCC
    itself, H6.6). For a CHF, its remaining Devices are recorded for the H6.6 watch (``request_id`` names it)."""
    inv, reg = Inventory(s), Registration(s)
    dtype = DeviceType(dev.device_type)
    mpxns = supply_mpxns(inv, dev)
    notices = _network_notices(reg, dev, mpxns, at, sender)
    inv.set_status(dev.device_id, _S.DECOMMISSIONED, at, reason)
    gone = [dev]
    if dtype == _D.CHF:
        gpf = inv.gpf_of(dev.device_id)
        if gpf is not None and status_of(gpf) not in NOT_DECOMMISSIONED_FROM:
            inv.set_status(gpf.device_id, _S.DECOMMISSIONED, at, f"its CHF {dev.device_id} decommissioned: {reason} "
                                                                 "(AD 3.8.100.5(c))")
            gone.append(gpf)
        notices += cancel_future_dated(s, [gpf.device_id] if gpf else [], "N34", at)  # AD (h)
        notices += cancel_future_dated(s, [dev.device_id], "N33", at)  # the CHF's own (H3.20; §K 11)
        notices += cancel_schedules(s, [d.device_id for d in (gpf, dev) if d], "N6", at, "decommissioned")  # AD (f)
        orphans = _end_ch_associations(inv, dev, gpf, at, reason)
        if orphans and request_id is not None and s.get(ChfOrphanWatch, dev.device_id) is None:
            s.add(ChfOrphanWatch(chf_id=dev.device_id, decommissioned_at=at, request_id=request_id,
                                 sender=sender or "", devices=orphans))
            note_follow_up(s, ORPHAN_WATCH)
    else:
        notices += cancel_future_dated(s, [dev.device_id], "N33", at)  # AD (g)
        notices += cancel_schedules(s, [dev.device_id], "N6", at, "decommissioned")  # AD (e)
    for gone_dev in gone:
        _end_associations(s, inv, gone_dev, at, reason)
    if dtype.is_meter:  # AD (b); AB 16.1(d)(vii)(B)
        inv.relink(dev, "mpxn", None, at, reason)
        dev.secondary_import_mpan = dev.export_mpan = None
    if dtype not in (_D.CHF, _D.GPF):  # off its CHF's Device Log Association (H6.4(b)); a GPF is part of its CH
        inv.relink(dev, "chf_id", None, at, reason)
    s.add(dev)
    return notices


def _end_associations(s: Session, inv: Inventory, dev: SmiDevice, at: datetime, reason: str) -> None:
    """H6.4(b): the Device's Association with a Meter / GPF, and theirs with it."""
    inv.relink(dev, "associated_with", None, at, reason)
    for other in s.exec(select(SmiDevice).where(SmiDevice.associated_with == dev.device_id)).all():
        inv.relink(other, "associated_with", None, at, reason)


def _end_ch_associations(inv: Inventory, chf: SmiDevice, gpf: SmiDevice | None, at: datetime,
                         reason: str) -> list[str]:
    """H6.4(b) for a CHF: the Devices of its Device Log are no longer Associated with it. Returns those with an SMI
    Status that could still be decommissioned: what H6.6 is about."""
    orphans = []
    for other in inv.devices_of_chf(chf.device_id):
        if gpf is not None and other.device_id == gpf.device_id:
            continue
        if status_of(other) is not None and status_of(other) not in NOT_DECOMMISSIONED_FROM:
            orphans.append(other.device_id)
        inv.relink(other, "chf_id", None, at, reason)
    return orphans


def _network_notices(reg: Registration, dev: SmiDevice, mpxns: set[str], at: datetime,
                     sender: str | None) -> list[Notice]:
    """N1 / N2 / N9 (AD 3.8.100.5(d); BAD l.3623-3625; AB 10.3), recipients from Registration Data now."""
    dtype = DeviceType(dev.device_type)
    if dtype.is_meter and dev.mpxn:
        row = reg.at(dev.mpxn, at)
        type1 = [(d.device_id, d.device_type) for d in
                 reg.s.exec(select(SmiDevice).where(SmiDevice.associated_with == dev.device_id)).all()
                 if DeviceType(d.device_type).is_type1]
        data = {"mpxn": dev.mpxn, "secondary_import_mpan": dev.secondary_import_mpan,
                "export_mpan": dev.export_mpan, "type1": type1}
        code = "N1" if dtype == _D.ESME else "N2"
        recipients = [row.network_operator_id] if row is not None else []
        export = reg.at(dev.export_mpan, at) if dev.export_mpan else None
        if dtype == _D.ESME and export is not None:  # the Export Supplier, "if applicable" (§K 25)
            recipients.append(export.supplier_id)
        return [Notice(code, r, dev.device_id, data, names_request=False, tag=r) for r in dict.fromkeys(recipients)]
    if dtype == _D.CHF:
        recipients = []
        for mpxn in sorted(mpxns):
            row = reg.at(mpxn, at)
            if row is not None:
                recipients += [row.supplier_id, row.network_operator_id]
        return [Notice("N9", r, dev.device_id, names_request=False, tag=r) for r in dict.fromkeys(recipients)
                if r != sender]
    return []
