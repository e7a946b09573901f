"""The DCC's side of SMKI Recovery (BAD 7.7.3; SEC Appendix L as the BAD quotes it; digest 05 §D): what it does on
its own records and over the SM WAN, as idempotent activities the recovery workflow (``workflows.smki_recovery``)
calls on the DCC's task queue.

* ``recovery_raise_incident`` — L 3.2: an Incident for the notified compromise, the SMKI PMA told (RCV-06);
* ``recovery_responsible_suppliers`` — L 3.2: the affected Responsible Suppliers, from the SMI and Registration Data;
* ``recovery_revoke`` — the OCA revokes the compromised certificate(s) on the Subscriber's CRR (L 4.x.1.1;
  BAD 7.7.2.5.4), by serial: the Subscriber's replacement certificates stay valid;
* ``recovery_set_status`` — L 4.2.1.3, 4.3.1.3: the affected Devices to SMI 'recovery' (User traffic refused,
  ``dccsim.eligibility``); ``recovery_restore`` — L 4.2.2.1 (the PMA declines), 4.2.2.8, 4.3.2.7: back to the
  status each held immediately before;
* ``recovery_replace_cell`` — L 4.2.2.4, 4.3.2.5: a CS02b signed with the DCC's Recovery Private Key (the Device
  verifies it against its Recovery cell, ``devices.catalogue.ENTITLED_TO_REPLACE``) placing the DCC's ACB
  certificate (Method 2) or the Subscriber's notified replacement (Method 3) in a cell; a Device off the SM WAN
  is 'unreachable' and retried by the workflow until the recovery deadline (L 3.1(c));
* ``recovery_device_done`` — per Device: Method 2 'recovered' and N44 'Recovery complete (ACB Credentials)'
  (L 4.2.2.5-6); Method 3 the previous status and N45 'Recovery Complete' (L 4.3.2.6-7); to the Responsible
  Supplier and, when another, the Subscriber (digest 05 §D.11 item 5);
* ``recovery_restore`` again — L 4.2.2.8: once the Responsible Supplier's 6.21 has replaced the ACB certificate of
  a 'recovered' Device, the status it held before the Compromise.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel, Field
from sqlalchemy import bindparam
from sqlmodel import select
from temporalio import activity

from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.ids import eui64_key
from dccflow.domain.roles import RemotePartyRole
from dccflow.domain.smi import RESTORATION, SmiStatus, check_restore
from dccflow.messages import GbcsCommand
from dccflow.parties import DCC_ID
from dccflow.prepared import Prepared
from dccsim.handlers.base import status_of
from dccsim.handlers.decommission import supply_mpxns
from dccsim.inventory import Inventory, Registration
from dccsim.models import LatestCs14, SmiDevice, SmiStatusChange, SmkiCertificate
from dccsim.smki_records import SmkiRevocationRequest
from dccsim.smki_recovery_keys import OnDcc

_R = RemotePartyRole
_DER = serialization.Encoding.DER
#: Devices per query of ``preload``
_CHUNK = 500
#: the SMI history's reason for a recovery status change (RCV-16, RCV-21, RCV-27, RCV-30)
RECOVERY_REASON = "SMKI Recovery (BAD 7.7.3; SEC Appendix L)"


class IncidentRef(BaseModel):
    incident_id: str
    subscriber_id: str
    compromised: str
    detail: str = ""


class DeviceSet(BaseModel):
    incident_id: str
    device_ids: list[str]


class Revocation(BaseModel):
    incident_id: str
    user_id: str
    serials: list[str]
    requested_at: datetime


class CellReplacement(BaseModel):
    """One Recovery-signed Command: ``certificate`` (base64 DER) into ``cell`` of ``device_id``."""

    incident_id: str
    device_id: str
    cell: str
    certificate: str | None = None  # None: the DCC's ACB certificate (Method 2)
    attempt: int = 1
    #: the Contingency method: every cell reset by a Contingency-signed Command (``smki_recovery_keys``)
    contingency: bool = False


class CellBatch(BaseModel):
    replacements: list[CellReplacement]


class Replaced(BaseModel):
    device_id: str
    outcome: str  # replaced / unreachable / refused
    reason: str = ""


class DeviceDone(BaseModel):
    incident_id: str
    device_id: str
    method: str
    subscriber_id: str


class DoneBatch(BaseModel):
    done: list[DeviceDone]


class StatusChanged(BaseModel):
    changed: list[str] = Field(default_factory=list)
    #: Device → the status it held before (for the report)
    prior: dict[str, str] = Field(default_factory=dict)
    skipped: dict[str, str] = Field(default_factory=dict)


def prior_status(s, device_id: str, left: SmiStatus = SmiStatus.RECOVERY) -> SmiStatus:
    """The status the Device held immediately before it (last) went to 'recovery' (L 4.2.2.8, 4.3.2.7)."""
    # the history's rows are inserted at once (``Inventory.set_status``): this transaction's are read too
    change = _ENTERED.first(s.connection(), {"device_id": device_id, "status": left.value})
    if change is None or change[0] is None:
        raise LookupError(f"{device_id} has never been in '{left.value}'")
    return SmiStatus(change[0])


#: the status a Device left when it last entered one (``prior_status``)
_ENTERED = Prepared(select(SmiStatusChange.from_status).where(
    SmiStatusChange.device_id == bindparam("device_id"), SmiStatusChange.to_status == bindparam("status"))
    .order_by(SmiStatusChange.id.desc()).limit(1))


def responsible_suppliers(s, device_id: str, at: datetime) -> list[str]:
    """The Device's Responsible Supplier(s): the Import / Gas Supplier registered for its MPxNs now."""
    inv, reg = Inventory(s), Registration(s)
    dev = inv.find(device_id)
    if dev is None:
        return []
    return list(dict.fromkeys(row.supplier_id for m in sorted(supply_mpxns(inv, dev))
                              if (row := reg.at(m, at)) is not None))


#: where ``preload`` keeps the rows it read, for the session's lifetime
_PRELOADED = "dcc_preloaded_rows"


def preload(s, device_ids: list[str]) -> None:
    """What ``responsible_suppliers`` and the status changes read for many Devices, in a few queries rather than
    several per Device: the Devices and those on their CHFs (into the session, where ``Inventory.find`` finds them),
    the CHFs' latest CS14 and the Metering Points' Registration Data (``Registration.read_many``). The same rows, in
    the same transaction: the look-ups' answers are unchanged."""
    keys = list(dict.fromkeys(eui64_key(d) for d in device_ids))
    devs: list[SmiDevice] = []
    for start in range(0, len(keys), _CHUNK):
        devs += s.exec(select(SmiDevice).where(SmiDevice.device_id.in_(keys[start:start + _CHUNK]))).all()
    chfs = sorted({d.device_id if d.device_type == DeviceType.CHF.value else d.chf_id for d in devs} - {None})
    logs: list[LatestCs14] = []
    for start in range(0, len(chfs), _CHUNK):
        chunk = chfs[start:start + _CHUNK]
        devs += s.exec(select(SmiDevice).where(SmiDevice.chf_id.in_(chunk))).all()
        logs += s.exec(select(LatestCs14).where(LatestCs14.chf_id.in_(chunk))).all()
    Registration(s).read_many({d.mpxn for d in devs if d.mpxn})
    # the session's identity map holds its objects weakly: without a reference the rows just read are dropped at
    # once, and each look-up reads its row again
    s.info.setdefault(_PRELOADED, []).extend([*devs, *logs])


def root_cell_serial(engine, device_id: str) -> str | None:
    """The serial of the Root in a Device's Root cell, as the DCC would read it back (SRV 6.24.2): an activity
    retried after its Command was accepted finds the Device holding the new Root already (the new Root's Contingency
    key, or its own key for the rollover's link signature, no longer match the Command sent again)."""
    from devices.anchors import RESOLVER
    from devices.models import DeviceState

    with session_scope(engine) as s:
        dev = s.get(DeviceState, device_id)
        cert = RESOLVER.cert(s, (dev.anchors or {}).get(_R.ROOT.value)) if dev is not None else None
    return str(cert.serial_number) if cert is not None else None


def _statuses(inv: Inventory, device_ids: list[str]):
    """Each Device's id, row and SMI status."""
    for device_id in device_ids:
        dev = inv.get(device_id)
        yield device_id, dev, status_of(dev)


class RecoveryActivities(OnDcc):
    """The DCC as SMKI service and operator of the SM WAN, in a recovery."""

    @activity.defn
    async def recovery_raise_incident(self, ref: IncidentRef) -> str:
        """L 3.2: the Incident (IMP 2.1, 2.2) and the notice to the SMKI PMA; its reference number."""
        return f"INC-SMKI-{ref.incident_id}"

    @activity.defn
    async def recovery_responsible_suppliers(self, devices: DeviceSet) -> dict[str, list[str]]:
        at = activity_now()
        with session_scope(self.engine) as s:
            preload(s, devices.device_ids)
            return {d: responsible_suppliers(s, d, at) for d in devices.device_ids}

    @activity.defn
    async def recovery_revoke(self, req: Revocation) -> list[str]:
        """The OCA revokes the named certificates of ``user_id`` (BAD 7.7.2.5.4; SEC Appendix B 4.9.1(A)(i)); logged
        as a Certificate Revocation Request (REV-03, REV-08). Idempotent: revoking again keeps the first time."""
        at = activity_now()
        with session_scope(self.engine) as s:
            rows = s.exec(select(SmkiCertificate).where(SmkiCertificate.serial.in_(req.serials),
                                                        SmkiCertificate.subject_entity_id == req.user_id,
                                                        SmkiCertificate.revoked_at == None)).all()  # noqa: E711
            for row in rows:
                row.revoked_at = at
                s.add(row)
            if rows:
                s.add(SmkiRevocationRequest(user_id=req.user_id, reason="key compromise (SEC Appendix B "
                                            f"4.9.1(A)(i)); SMKI Recovery {req.incident_id}",
                                            requested_at=min(req.requested_at, at), revoked_at=at,
                                            serials=[r.serial for r in rows]))
            return [r.serial for r in rows]

    @activity.defn
    async def recovery_set_status(self, devices: DeviceSet) -> StatusChanged:
        """L 4.2.1.3, 4.3.1.3: 'recovery' for each affected Device that can hold it (BAD Table 2: Smart Meters,
        HCALCS, CHF, GPF); a Device already in 'recovery' (a retry) is left as it is."""
        at, out = activity_now(), StatusChanged()
        with session_scope(self.engine) as s:
            preload(s, devices.device_ids)
            inv = Inventory(s)
            for device_id, dev, status in _statuses(inv, devices.device_ids):
                if status == SmiStatus.RECOVERY:
                    out.prior[device_id] = prior_status(s, dev.device_id).value
                    continue
                try:
                    inv.set_status(device_id, SmiStatus.RECOVERY, at, f"{RECOVERY_REASON}: {devices.incident_id}")
                except ValueError as exc:
                    out.skipped[device_id] = str(exc)
                    continue
                out.changed.append(device_id)
                out.prior[device_id] = status.value if status else ""
        return out

    @activity.defn
    async def recovery_restore(self, devices: DeviceSet) -> StatusChanged:
        """Back to the status held immediately before 'recovery' (or 'recovered'), as the SMI history shows."""
        at, out = activity_now(), StatusChanged()
        with session_scope(self.engine) as s:
            preload(s, devices.device_ids)
            inv = Inventory(s)
            for device_id, dev, status in _statuses(inv, devices.device_ids):
                if status not in (SmiStatus.RECOVERY, SmiStatus.RECOVERED):
                    continue  # restored already (a retry)
                prior = prior_status(s, dev.device_id)
                check_restore(DeviceType(dev.device_type), status, prior)
                inv.set_status(device_id, prior, at, f"{RESTORATION}: {RECOVERY_REASON}: {devices.incident_id}")
                out.changed.append(device_id)
                out.prior[device_id] = prior.value
        return out

    @activity.defn
    async def recovery_replace_cell(self, req: CellReplacement) -> Replaced:
        """A Recovery-signed CS02b to the Device over the SM WAN (L 4.2.2.4 / 4.3.2.5). The Device checks the
        signature against its Recovery cell and the certificate's path to its Root cell."""
        return (await self.recovery_replace_cells(CellBatch(replacements=[req])))[0]

    @activity.defn
    async def recovery_replace_cells(self, batch: CellBatch) -> list[Replaced]:
        """``recovery_replace_cell`` for many Devices in one activity (a whole fleet in few activities): the DCC's
        key, certificates and (the Contingency method) its Contingency Command's content read once; the Commands
        sent concurrently; a Device's cells in order, stopping at the first not replaced."""
        from devices.anchors import dcc_anchor_credential

        at = activity_now()
        if self.dcc.wan is None:
            raise RuntimeError("the DCC has no SM WAN connection")
        acb = base64.b64encode(dcc_anchor_credential(self.engine, _R.ACCESS_CONTROL_BROKER).cert.public_bytes(_DER))
        path = [base64.b64encode(c.public_bytes(_DER)).decode() for c in self.dcc.smki.certification_path()]
        recovery = dcc_anchor_credential(self.engine, _R.RECOVERY)
        contingency = None
        if any(r.contingency for r in batch.replacements):
            from dccsim.smki_recovery_keys import ContingencySigner

            contingency = ContingencySigner(self.engine, batch.replacements[0].incident_id)
        by_device: dict[str, list[CellReplacement]] = {}
        for req in batch.replacements:
            by_device.setdefault(req.device_id, []).append(req)

        async def one(reqs: list[CellReplacement]) -> Replaced:
            outcome = Replaced(device_id=reqs[0].device_id, outcome="replaced")
            for req in reqs:
                outcome = await self._send(req, self._command(req, at, acb.decode(), path, recovery, contingency), at)
                if (outcome.outcome == "refused" and req.contingency
                        and root_cell_serial(self.engine, req.device_id) == contingency.new.root_serial):
                    outcome = Replaced(device_id=req.device_id, outcome="replaced")  # a retry: reset already
                if outcome.outcome != "replaced":
                    break
            return outcome

        return list(await asyncio.gather(*(one(reqs) for reqs in by_device.values())))

    @staticmethod
    def _command(req: CellReplacement, at: datetime, acb: str, path: list[str], recovery, contingency) -> GbcsCommand:
        from devices.signing import sign_command

        counter = int(at.timestamp() * 1000) * 100 + req.attempt % 100  # the DCC's rising counter (anti-replay)
        if req.contingency:
            return contingency.sign(GbcsCommand(
                use_case="ContingencyRecovery", target=req.device_id, originator=DCC_ID, counter=counter,
                request_id=f"{DCC_ID}:contingency:{req.incident_id}:{req.device_id}:{req.attempt}"))
        return sign_command(GbcsCommand(
            use_case="CS02b", target=req.device_id, originator=DCC_ID, counter=counter,
            request_id=f"{DCC_ID}:recovery:{req.incident_id}:{req.device_id}:{req.cell}:{req.attempt}",
            params={"remote_party_role": req.cell, "certificate": req.certificate or acb,
                    "certification_path": path}), recovery)

    async def _send(self, req: CellReplacement, command: GbcsCommand, at: datetime) -> Replaced:
        try:
            delivery = await self.dcc.wan.dispatch_command(command, at)
        except LookupError as exc:
            return Replaced(device_id=req.device_id, outcome="unreachable", reason=str(exc))
        if delivery.status != "responded" or delivery.response is None:
            return Replaced(device_id=req.device_id, outcome="unreachable", reason=f"SM WAN: {delivery.status}")
        if not delivery.response.success:
            return Replaced(device_id=req.device_id, outcome="refused", reason=delivery.response.reason or "")
        return Replaced(device_id=req.device_id, outcome="replaced")

    @activity.defn
    async def recovery_device_done(self, done: DeviceDone) -> list[str]:
        """Method 2: 'recovered' + N44 (L 4.2.2.5-6; BAD 7.7.3.4.3). Method 3: the previous status + N45 (L 4.3.2.6-7;
        BAD 7.7.3.4.4). The alerts go to the Responsible Supplier(s) and the Subscriber (§D.11 item 5). Returns the
        recipients."""
        return (await self.recovery_devices_done(DoneBatch(done=[done])))[done.device_id]

    @activity.defn
    async def recovery_devices_done(self, batch: DoneBatch) -> dict[str, list[str]]:
        """``recovery_device_done`` for many Devices in one transaction and one delivery: Device → recipients.
        Idempotent (a Device no longer in 'recovery' keeps its status; the alerts are keyed)."""
        at = activity_now()
        out: dict[str, list[str]] = {}
        rows = []
        with session_scope(self.engine) as s:
            preload(s, [done.device_id for done in batch.done])
            inv = Inventory(s)
            for done in batch.done:
                method2 = done.method in ("method-2", "contingency")  # 'recovered' + N44 (L 4.2.2.5-6, 5.2.9-11)
                code = "N44" if method2 else "N45"
                dev = inv.get(done.device_id)
                recipients = [r for r in dict.fromkeys([*responsible_suppliers(s, dev.device_id, at),
                                                        done.subscriber_id])
                              if r != DCC_ID]  # a DCC key's recovery: the Responsible Suppliers only
                if status_of(dev) == SmiStatus.RECOVERY:
                    if method2:
                        inv.set_status(done.device_id, SmiStatus.RECOVERED, at,
                                       f"{RECOVERY_REASON}: {done.incident_id}")
                    else:
                        prior = prior_status(s, dev.device_id)
                        inv.set_status(done.device_id, prior, at,
                                       f"{RESTORATION}: {RECOVERY_REASON}: {done.incident_id}")
                data = {"device_type": dev.device_type} if method2 else {}
                rows += [self.dcc.outbound.dcc_alert(
                    s, key=f"recovery-{done.incident_id}-{code}-{done.device_id}-{r}", recipient=r, alert_code=code,
                    device_id=done.device_id, at=at, data=data) for r in recipients]
                out[done.device_id] = recipients
        await self.dcc.outbound.deliver(rows)
        return out

def recovery_activities(dcc) -> list:
    from dccsim.smki_contingency_rollover import contingency_rollover_activities
    from dccsim.smki_recovery_keys import recovery_key_activities
    from dccsim.smki_recovery_oca import issuing_oca_activities

    acts = RecoveryActivities(dcc)
    return [acts.recovery_raise_incident, acts.recovery_responsible_suppliers, acts.recovery_revoke,
            acts.recovery_set_status, acts.recovery_restore, acts.recovery_replace_cell, acts.recovery_device_done,
            acts.recovery_replace_cells, acts.recovery_devices_done,
            *recovery_key_activities(dcc), *issuing_oca_activities(dcc), *contingency_rollover_activities(dcc)]
