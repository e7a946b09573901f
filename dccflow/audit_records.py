"""A snapshot of the DCC's own records that the obligations audit (:mod:`dccflow.audit`) judges: SMI devices
and status history, DCC Alerts sent, Service Requests accepted and refused, service-level measurements, CH
asset records, Post Commissioning Information and Device Log records. Filled by the audit activity
(``dccflow_app.scenarios.audit``) from the DCC's database; plain data here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from dccflow.audit_firmware_records import FirmwareRecords
from dccflow.audit_smki_records import SmkiRecords
from dccflow.domain.devices import DeviceType

#: Device Type → the fuel of its Metering Points (a GPF: gas, SEC H5.1(b))
_FUEL = {t.value: t.fuel.value for t in DeviceType if t.fuel is not None}


class DeviceRec(BaseModel):
    device_id: str
    device_type: str
    smi_status: str | None = None
    chf_id: str | None = None
    associated_with: str | None = None
    mpxn: str | None = None
    #: the Responsible Supplier's User ID at the end of the run (Smart Meters; a GPF by its GSME's MPRN); an
    #: obligation that arose earlier asks :meth:`DccRecords.responsible_supplier_at` instead
    responsible_supplier: str | None = None


class LinkChangeRec(BaseModel):
    """A change of one of a Device's SMI links (``chf_id``, ``associated_with``, ``mpxn``; dccsim SmiLinkChange)."""

    device_id: str
    field: str
    from_value: str | None
    to_value: str | None
    at: datetime


class RegistrationRec(BaseModel):
    """Registration Data of a Metering Point for a period (``effective_to`` exclusive; BAD 7.8.1, SEC E2)."""

    mpxn: str
    fuel: str
    supplier_id: str
    effective_from: datetime
    effective_to: datetime | None = None


class SmiChangeRec(BaseModel):
    device_id: str
    from_status: str | None
    to_status: str
    at: datetime
    #: why the DCC changed it (``dccflow.domain.smi.RESTORATION`` for a return from 'suspended')
    reason: str = ""


class AlertRec(BaseModel):
    code: str
    device_id: str | None
    recipient: str
    at: datetime
    request_id: str | None = None


class RequestRec(BaseModel):
    """A Service Request the DCC accepted (request log) or refused (rejection log)."""

    request_id: str | None
    originator: str | None
    target: str | None
    srv: str | None
    at: datetime
    completed_at: datetime | None = None
    response_code: str | None = None
    join_time_period: int | None = None
    rejected: bool = False
    #: SRV 6.21 / 6.15.1: the User ID whose Organisation Certificate the request places (N42, BAD 7.7.2.5.5-6)
    placed_for: str | None = None


class ServiceLevelRec(BaseModel):
    measure: str
    clause: str
    ref: str
    srv: str | None
    started_at: datetime
    stopped_at: datetime
    target_seconds: float
    elapsed_seconds: float


class ChAssetRec(BaseModel):
    chf_id: str
    srv: str
    at: datetime
    incident_ref: str | None = None
    #: the MPxN the Supplier named reporting the CH installed (SRV 8.14.1)
    mpxn: str | None = None
    details: dict = Field(default_factory=dict)


class PcInfoRec(BaseModel):
    device_id: str
    keys_regenerated_at: datetime | None = None
    device_certificate_stored_at: datetime | None = None
    network_operator_cell_at: datetime | None = None
    organisation_certificate_replaced_at: datetime | None = None


class DutyRec(BaseModel):
    """One of the DCC's own post-commissioning duties (AC 5.1 'chf-credentials', AC 5.3 'recovery-interrogation')."""

    device_id: str
    duty: str
    commissioned_at: datetime
    due: datetime
    done_at: datetime | None = None
    outcome: str | None = None
    recovery_certificate: bool | None = None
    attempts: int = 0
    detail: str = ""


class IncidentRec(BaseModel):
    ref: str
    device_id: str | None
    clause: str
    raised_at: datetime
    summary: str


class PcReportRec(BaseModel):
    """A Post Commissioning report or daily information the DCC compiled (AC 5.5, 5.8, 5.9, 5.11)."""

    kind: str
    period: str
    recipient: str
    compiled_at: datetime
    available_until: datetime | None = None
    marking: str
    device_ids: list[str] = Field(default_factory=list)


class CosRec(BaseModel):
    """What the DCC and the CoS Party did with one SRV 6.23 'Update Security Credentials (CoS)' (SEC Appendix AB 8;
    AD 3.8.75.4; ``dccsim.cos_party.CosRecord``), with the request's outcome from the request log."""

    request_id: str
    sender: str
    device_id: str
    received_at: datetime | None = None
    execution_at: datetime | None = None
    forwarded_at: datetime | None = None
    forward_signer: str | None = None
    cos_checked_at: datetime | None = None
    cos_outcome: str | None = None
    cos_reason: str = ""
    spc_signer: str | None = None
    spc_checked_at: datetime | None = None
    spc_outcome: str | None = None
    spc_failed_check: str | None = None
    cos_party_notified: bool | None = None
    command_sent_at: datetime | None = None
    losing_supplier: str | None = None
    n27_at: datetime | None = None
    cancelled_schedules: list[int] = Field(default_factory=list)
    cancelled_requests: list[str] = Field(default_factory=list)
    #: the Losing Supplier's DCC Schedules on the Device created before the CoS and still active, and its
    #: future-dated requests for the Device received before the CoS, due after it, and not cancelled
    uncancelled_schedules: list[int] = Field(default_factory=list)
    uncancelled_requests: list[str] = Field(default_factory=list)
    response_code: str | None = None
    completed_at: datetime | None = None


class DccRecords(BaseModel):
    devices: list[DeviceRec] = Field(default_factory=list)
    smi_changes: list[SmiChangeRec] = Field(default_factory=list)
    #: the SMI link history, in the order the DCC made the changes, and the Registration Data of the MPxNs
    #: the Devices were ever linked to: what held at a past moment (:meth:`link_at`, :meth:`responsible_supplier_at`)
    link_changes: list[LinkChangeRec] = Field(default_factory=list)
    registrations: list[RegistrationRec] = Field(default_factory=list)
    alerts: list[AlertRec] = Field(default_factory=list)
    requests: list[RequestRec] = Field(default_factory=list)
    service_levels: list[ServiceLevelRec] = Field(default_factory=list)
    ch_assets: list[ChAssetRec] = Field(default_factory=list)
    pc_info: list[PcInfoRec] = Field(default_factory=list)
    #: the DCC's own post-commissioning duties and the Incidents it raised (AC 5.1, 5.3, 5.12)
    dcc_duties: list[DutyRec] = Field(default_factory=list)
    incidents: list[IncidentRec] = Field(default_factory=list)
    pc_reports: list[PcReportRec] = Field(default_factory=list)
    #: CHF id → when the DCC last recorded its Device Log (AC 8.1)
    device_logs: dict[str, datetime] = Field(default_factory=dict)
    #: GPF id → when the DCC last stored its Device Log from a GCS62 (AC 8.1; BAD 7.2.1.6.12)
    gpf_device_logs: dict[str, datetime] = Field(default_factory=dict)
    join_allowance_seconds: int = 0
    #: SRVs a Supplier may still send to a Device whose post-commissioning steps are overdue (AC 5.13)
    exempt_srvs: list[str] = Field(default_factory=list)
    restriction_after_days: int = 14
    #: AC 5.2's 7 days; AC 5.13(a) restricts from then while the steps below are missing
    obligation_period_days: int = 7
    #: Device Type → the Post Commissioning Information steps whose absence restricts the Supplier (AC 5.13(a))
    restricting_steps: dict[str, list[str]] = Field(default_factory=dict)
    #: the DCC's and the CoS Party's record of each SRV 6.23 (Transitional CoS, BAD 7.7.1.5.4)
    cos: list[CosRec] = Field(default_factory=list)
    #: the SMKI Repository, Device CSRs and Certificate Revocation Requests (BAD 7.7.2, ``dccflow.audit_msc``)
    smki: SmkiRecords = Field(default_factory=SmkiRecords)
    #: 11.1 distributions, the DCC's CH upgrades, the SMI's Firmware Versions (BAD 7.5.3, ``dccflow.audit_firmware``)
    firmware: FirmwareRecords = Field(default_factory=FirmwareRecords)

    def type_of(self, device_id: str | None) -> str | None:
        return next((d.device_type for d in self.devices if d.device_id == device_id), None)

    def device(self, device_id: str | None) -> DeviceRec | None:
        return next((d for d in self.devices if d.device_id == device_id), None)

    def status_at(self, device_id: str, at: datetime) -> str | None:
        status = None
        for c in self.smi_changes:
            if c.device_id == device_id and c.at <= at:
                status = c.to_status
        return status

    def link_at(self, device_id: str | None, field: str, at: datetime) -> str | None:
        """What the SMI held for the Device's ``field`` at ``at``: the value the first later change replaced, else
        the value now. DECISION: links made before the history was kept (or by a request that does not record
        them, e.g. 8.4) count from the Device's addition; the history records every change that ends or moves one."""
        later = next((c for c in self.link_changes if c.device_id == device_id and c.field == field and c.at > at),
                     None)
        if later is not None:
            return later.from_value
        dev = self.device(device_id)
        return getattr(dev, field) if dev is not None else None

    def linked_mpxns_at(self, device_id: str, at: datetime) -> set[str]:
        """``dccsim.inventory.Inventory.linked_mpxns`` at ``at`` (AB 6.1(f)): a meter's own MPxN; a Type 1 Device's
        meter's; a CHF's or GPF's: those of the meters on the CHF then, else the MPxN named by 8.14.1."""
        dev = self.device(device_id)
        if dev is None:
            return set()
        if own := self.link_at(device_id, "mpxn", at):
            return {own}
        if other := self.link_at(device_id, "associated_with", at):
            return {m} if (m := self.link_at(other, "mpxn", at)) else set()
        chf = device_id if dev.device_type == "CHF" else (
            self.link_at(device_id, "chf_id", at) if dev.device_type == "GPF" else None)
        if chf is None:
            return set()
        found = {m for d in self.devices if self.link_at(d.device_id, "chf_id", at) == chf
                 and (m := self.link_at(d.device_id, "mpxn", at))}
        reported = [a.mpxn for a in self.ch_assets if a.chf_id == chf and a.mpxn and a.at <= at]
        return found or set(reported[-1:])

    def responsible_supplier_at(self, device_id: str, at: datetime) -> str | None:
        """AC 5.7(d): the Device's Responsible Supplier at ``at`` — the Supplier registered then for an MPxN of the
        Device's own fuel it was linked to then (a GPF: the gas one; ``dccsim.post_commissioning_reports``)."""
        fuel = _FUEL.get(self.type_of(device_id) or "")
        for mpxn in sorted(self.linked_mpxns_at(device_id, at)):
            rows = [r for r in self.registrations if r.mpxn == mpxn and r.effective_from <= at
                    and (r.effective_to is None or at < r.effective_to)]
            if rows and (fuel is None or rows[-1].fuel == fuel):
                return rows[-1].supplier_id
        return None

    def first_change(self, device_id: str, to: Iterable[str]) -> SmiChangeRec | None:
        to = set(to)
        return next((c for c in self.smi_changes if c.device_id == device_id and c.to_status in to), None)
