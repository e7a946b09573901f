"""Suspension of Devices whose Device Model is removed from the Certified Products List (SEC H6.10-H6.12; BAD
7.1.2.4.3-7.1.2.4.4; AC 7.3; digest 04 §G).

* ``cpl_change`` is the Panel's CPL extract reaching the DCC (BAD 7.1.2.4.1: "sends a copy to the DCC"): it records
  the Models removed and (re-)added, and starts the DCC's durable workflow for it
  (``dccsim.life_workflows.CplSuspensionWorkflow``): the sweep ``cpl_processing_delay`` after receipt, then the
  24-hour deadline (``suspension_deadline``, a durable timer), at which any Device of a removed Model still not
  suspended is suspended and counted late (a DCC non-compliance with BAD 7.1.2.4.3).
* Suspending a Device: its status before is kept in the SMI history (AC 7.3 needs it), 'suspended', its held
  future-dated requests cancelled with N41 to each sender and its DCC Schedules with N40 to each owner
  (``dccsim.pending_work``), N28 to its Responsible Supplier(s) and Network Operator(s) (AC 9.1, 9.2). A CH Model:
  the CHF and its GPF (H6.11).
* Restoring (AC 7.3): when the Model is back on the CPL (an extract adding it), or when new firmware makes the
  Device's Model one that is on it (``firmware_activated``, the hook for the firmware handler; BAD 7.5.3.6.3), the
  status it held immediately before, and N29 to the same parties.

A Device Model here is manufacturer + model + firmware version (a CPL entry without a version covers them all): the
firmware remediation route of BAD 7.1.2.4.4 changes the version. Which statuses are suspended: those of
``dccflow.domain.smi`` decision 5 (pending, whitelisted, installed not commissioned, commissioned).
While suspended, Non-Critical requests are refused by check C (AB 6.1(c); ``dccsim.eligibility``) except 11.1 and
6.23, and no Command reaches a Device behind a suspended CHF (``RELAY_THROUGH_SUSPENDED_CHF`` false, digest 04 §G.7:
the DCC delivers only through a 'commissioned' CHF, else N12).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, select

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import RESTORATION, SmiStatus, check_restore
from dccsim.handlers.base import Notice, status_of
from dccsim.handlers.decommission import supply_mpxns
from dccsim.inventory import Inventory, Registration
from dccsim.life_records import CplEntry, CplExtract
from dccsim.models import SmiDevice, SmiStatusChange
from dccsim.pending_work import cancel_future_dated, cancel_schedules

#: ``dccsim.life_workflows.CplSuspensionWorkflow``, started by type name
CPL_SUSPENSION_WORKFLOW = "DccCplSuspension"
#: SMI statuses a Device is suspended from (``dccflow.domain.smi`` decision 5)
SUSPENDABLE = frozenset({SmiStatus.PENDING, SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED,
                         SmiStatus.COMMISSIONED})


class DeviceModel(BaseModel, frozen=True):
    """A CPL entry's Device Model; ``firmware_version=None``: every firmware version of the model."""

    manufacturer: str
    model: str
    firmware_version: str | None = None
    #: the Hash of the Manufacturer Image of that version (BAD 7.5.3.5: on the CPL with the new Device Model)
    image_hash: str | None = None

    def covers(self, dev: SmiDevice) -> bool:
        return (dev.manufacturer, dev.model) == (self.manufacturer, self.model) and (
            self.firmware_version is None or self.firmware_version == dev.firmware_version)


class CplSweepInput(BaseModel):
    extract_id: int
    received_at: datetime
    delay_seconds: int
    deadline_seconds: int


#: the simulator's Device Model of each Device Type (decision: one Model per type; the fleet builder records none)
SIMULATED_MANUFACTURER = "DCCSIM"


def model_of(s: Session, dev: SmiDevice) -> DeviceModel:
    """The Device's Model as the SMI names it; where it names none, every Device of its type without one is given
    the simulator's (``SIMULATED_MANUFACTURER``, the Device Type), so that "every Device of the Model" is the
    fleet's Devices of that type."""
    if dev.manufacturer is None or dev.model is None:
        for row in s.exec(select(SmiDevice).where(SmiDevice.device_type == dev.device_type)):
            if row.manufacturer is None and row.model is None:
                row.manufacturer, row.model = SIMULATED_MANUFACTURER, dev.device_type
                s.add(row)
    return DeviceModel(manufacturer=dev.manufacturer or SIMULATED_MANUFACTURER, model=dev.model or dev.device_type,
                       firmware_version=dev.firmware_version)


def cpl_workflow_id(extract_id: int) -> str:
    return f"dcc-cpl-extract-{extract_id}"


def _entries(s: Session, status: str) -> list[DeviceModel]:
    return [DeviceModel(manufacturer=e.manufacturer, model=e.model, firmware_version=e.firmware_version)
            for e in s.exec(select(CplEntry).where(CplEntry.status == status))]


def on_cpl(s: Session, dev: SmiDevice) -> bool:
    return any(m.covers(dev) for m in _entries(s, "current"))


def _set_entry(s: Session, model: DeviceModel, status: str, at: datetime) -> None:
    version = CplEntry.firmware_version
    row = s.exec(select(CplEntry).where(
        CplEntry.manufacturer == model.manufacturer, CplEntry.model == model.model,
        version.is_(None) if model.firmware_version is None else version == model.firmware_version)).first()
    row = row or CplEntry(manufacturer=model.manufacturer, model=model.model,
                          firmware_version=model.firmware_version, changed_at=at)
    row.status, row.changed_at = status, at
    if model.image_hash is not None:
        row.image_hash = model.image_hash.upper()
    s.add(row)


def _parties(s: Session, dev: SmiDevice, at: datetime) -> list[str]:
    """The Responsible Supplier(s) and Network Operator(s) of the Device's SMSs (BAD l.847; AC 9.1, 9.2)."""
    reg, found = Registration(s), []
    for mpxn in sorted(supply_mpxns(Inventory(s), dev)):
        row = reg.at(mpxn, at)
        if row is not None:
            found += [row.supplier_id, row.network_operator_id]
    return list(dict.fromkeys(found))


def _suspend(s: Session, dev: SmiDevice, at: datetime, why: str) -> list[Notice]:
    parties = _parties(s, dev, at)  # before anything changes
    Inventory(s).set_status(dev.device_id, SmiStatus.SUSPENDED, at, why)
    notices = cancel_future_dated(s, [dev.device_id], "N41", at) + cancel_schedules(s, [dev.device_id], "N40", at,
                                                                                     "suspended")
    return notices + [Notice("N28", p, dev.device_id, tag=p) for p in parties]


def prior_status(s: Session, device_id: str) -> SmiStatus:
    """The status the Device held immediately before its (latest) suspension (AC 7.3)."""
    change = s.exec(select(SmiStatusChange).where(SmiStatusChange.device_id == device_id,
                                                  SmiStatusChange.to_status == SmiStatus.SUSPENDED.value)
                    .order_by(SmiStatusChange.id.desc())).first()
    if change is None or change.from_status is None:
        raise LookupError(f"{device_id} has no recorded suspension")
    return SmiStatus(change.from_status)


def restore(s: Session, dev: SmiDevice, at: datetime, why: str) -> list[Notice]:
    """AC 7.3: back to the status held immediately before the suspension; N29 (BAD 7.1.2.4.4)."""
    prior = prior_status(s, dev.device_id)
    check_restore(DeviceType(dev.device_type), SmiStatus.SUSPENDED, prior)
    Inventory(s).set_status(dev.device_id, prior, at, f"{RESTORATION}: {why}")
    return [Notice("N29", p, dev.device_id, tag=p) for p in _parties(s, dev, at)]


def _with_gpf(s: Session, devices: list[SmiDevice]) -> list[SmiDevice]:
    """H6.11: a CH Model's suspension (and restoration) is the CHF's and its GPF's."""
    inv, out = Inventory(s), {d.device_id: d for d in devices}
    for dev in devices:
        if dev.device_type == DeviceType.CHF and (gpf := inv.gpf_of(dev.device_id)) is not None:
            out.setdefault(gpf.device_id, gpf)
    return list(out.values())


def suspend_removed(s: Session, extract: CplExtract, at: datetime) -> tuple[list[str], list[Notice]]:
    """Suspend every Device of a Model the CPL marks 'removed' that is no longer on it (H6.10, H6.11)."""
    current = _entries(s, "current")
    found: dict[str, SmiDevice] = {}
    for model in _entries(s, "removed"):  # the Devices of each removed Model, found by index-friendly equality
        q = select(SmiDevice).where(SmiDevice.manufacturer == model.manufacturer, SmiDevice.model == model.model)
        if model.firmware_version is not None:
            q = q.where(SmiDevice.firmware_version == model.firmware_version)
        for dev in s.exec(q).all():
            if not any(m.covers(dev) for m in current):
                found.setdefault(dev.device_id, dev)
    candidates = list(found.values())
    done, notices = [], []
    for dev in _with_gpf(s, candidates):
        if status_of(dev) in SUSPENDABLE:
            notices += _suspend(s, dev, at, f"Device Model removed from the CPL (extract {extract.id}; SEC H6.10, "
                                            "H6.11; BAD 7.1.2.4.3)")
            done.append(dev.device_id)
    return done, notices


def restore_listed(s: Session, extract: CplExtract, at: datetime) -> tuple[list[str], list[Notice]]:
    """Restore the suspended Devices whose Model is on the CPL again (AC 7.3, first limb)."""
    suspended = s.exec(select(SmiDevice).where(SmiDevice.smi_status == SmiStatus.SUSPENDED.value)).all()
    back = [d for d in suspended if d.model is not None and on_cpl(s, d)]
    done, notices = [], []
    for dev in _with_gpf(s, back):
        if status_of(dev) == SmiStatus.SUSPENDED:
            notices += restore(s, dev, at, f"Device Model on the CPL again (extract {extract.id}; AC 7.3; "
                                           "BAD 7.1.2.4.4)")
            done.append(dev.device_id)
    return done, notices


def firmware_activated(s: Session, device_id: str, firmware_version: str, at: datetime) -> list[Notice]:
    """The hook for the firmware handler: the DCC has the Response activating new firmware on the Device. The SMI
    records the version (BAD 7.5.3.6.3); a suspended Device whose Model is now on the CPL is restored (AC 7.3
    second limb; BAD l.2666, l.2714 for a CH: its GPF too). Returns the N29 notices to send."""
    inv = Inventory(s)
    dev = inv.get(device_id)
    dev.firmware_version = firmware_version
    s.add(dev)
    if status_of(dev) != SmiStatus.SUSPENDED or not on_cpl(s, dev):
        return []
    notices = []
    for member in _with_gpf(s, [dev]):
        if status_of(member) == SmiStatus.SUSPENDED:
            notices += restore(s, member, at, f"firmware {firmware_version} activated: the Device Model is on the "
                                              "CPL (AC 7.3; BAD 7.5.3.6.3)")
    return notices


# -- the DCC's side: the extract received, the sweep and the deadline (activities of CplSuspensionWorkflow) --------
async def cpl_change(dcc, *, removed: list[DeviceModel] = (), added: list[DeviceModel] = (),
                     at: datetime) -> str:
    """The Panel's CPL extract reaches the DCC at ``at``: Models ``removed`` marked 'removed', ``added`` 'current'
    (BAD 7.1.2.4.1, 7.1.2.4.3-4). Starts the DCC's durable workflow for it; returns its workflow id. The entry point
    for a scenario's ``cpl_change`` world event (/tmp/coord/dcc_life_hooks.md)."""
    with session_scope(dcc.engine) as s:
        for model in removed:
            _set_entry(s, model, "removed", at)
        for model in added:
            _set_entry(s, model, "current", at)
        extract = CplExtract(received_at=at, removed=[m.model_dump() for m in removed],
                             added=[m.model_dump() for m in added])
        s.add(extract)
        s.flush()
        inp = CplSweepInput(extract_id=extract.id, received_at=at,
                            delay_seconds=int(dcc.config.cpl_processing_delay.total_seconds()),
                            deadline_seconds=int(dcc.config.suspension_deadline.total_seconds()))
    wf_id = cpl_workflow_id(inp.extract_id)
    await dcc.client.start_workflow(CPL_SUSPENSION_WORKFLOW, inp, id=wf_id, task_queue=_queue())
    return wf_id


def _queue() -> str:
    from dccflow.config import DCC_TASK_QUEUE

    return DCC_TASK_QUEUE


async def _act(dcc, extract_id: int, at: datetime, *, deadline: bool) -> str:
    with session_scope(dcc.engine) as s:
        extract = s.get(CplExtract, extract_id)
        suspended, notices = suspend_removed(s, extract, at)
        restored: list[str] = []
        if deadline:
            extract.deadline_checked_at, extract.late = at, len(suspended)
        else:
            restored, more = restore_listed(s, extract, at)
            notices += more
            extract.swept_at = at
        extract.suspended = [*extract.suspended, *suspended]
        extract.restored = [*extract.restored, *restored]
        s.add(extract)
        rows = [dcc.outbound.dcc_alert(s, key=n.key(f"cpl-{extract_id}"), recipient=n.recipient,
                                       alert_code=n.alert_code, device_id=n.device_id, at=at, data=n.data)
                for n in notices]
    await dcc.outbound.deliver(rows)
    if deadline:
        return f"{len(suspended)} suspended late, at the 24-hour deadline" if suspended else "all within 24 hours"
    return f"suspended {suspended}; restored {restored}"


async def sweep(dcc, extract_id: int, at: datetime) -> str:
    return await _act(dcc, extract_id, at, deadline=False)


async def deadline_check(dcc, extract_id: int, at: datetime) -> str:
    return await _act(dcc, extract_id, at, deadline=True)


async def deliver_firmware_restore(dcc, device_id: str, firmware_version: str, at: datetime) -> list[str]:
    """``firmware_activated`` in its own transaction, its notices sent; returns the codes sent."""
    with session_scope(dcc.engine) as s:
        notices = firmware_activated(s, device_id, firmware_version, at)
        rows = [dcc.outbound.dcc_alert(s, key=n.key(f"fw-{device_id}-{firmware_version}"), recipient=n.recipient,
                                       alert_code=n.alert_code, device_id=n.device_id, at=at, data=n.data)
                for n in notices]
    await dcc.outbound.deliver(rows)
    return [n.alert_code for n in notices]
