"""The obligations audit as an activity: reads the DCC's own records about a run's Devices (SMI and its status
history, DCC Alerts, request and rejection logs, service-level measurements, CH asset records, Post
Commissioning Information, Device Log records) and judges the run against the obligation register
(:func:`dccflow.audit.evaluate`). Workflows never read the DCC's tables; this activity does, after the process."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlmodel import or_, select
from temporalio import activity

from dccflow.audit import Verdict, evaluate
from dccflow.audit_records import (
    AlertRec,
    ChAssetRec,
    CosRec,
    DccRecords,
    DeviceRec,
    DutyRec,
    IncidentRec,
    LinkChangeRec,
    PcInfoRec,
    PcReportRec,
    RegistrationRec,
    RequestRec,
    ServiceLevelRec,
    SmiChangeRec,
)
from dccflow.domain.obligations import AUDIT_REGISTER
from dccflow.events import ObligationOutcome, ProcessEvent
from dccflow.moments import as_utc
from dccflow_app.scenarios.audit_firmware import firmware_records
from dccflow_app.scenarios.audit_smki import placed_for, smki_records


class AuditRequest(BaseModel):
    events: list[ProcessEvent]
    outcomes: list[ObligationOutcome] = Field(default_factory=list)
    device_ids: list[str]


_JTP = re.compile(rb"JoinTimePeriod>\s*(\d+)\s*<")


def read_dcc_records(engine, device_ids: list[str]) -> DccRecords:
    """What the DCC holds about these Devices (and the Non-Device requests that name them)."""
    from dccflow.db import session_scope
    from dccflow.domain.devices import DeviceType
    from dccsim import pc_report_devices, rejection_devices, request_devices
    from dccsim.config import TARGETS
    from dccsim.handlers.device import UpdateHanDeviceLog
    from dccsim.inventory import Inventory, Registration
    from dccsim.models import (
        DeliveredMessage,
        GpfDeviceLogBackup,
        LatestCs14,
        RegistrationData,
        RequestLogEntry,
        SmiDevice,
        SmiLinkChange,
        SmiStatusChange,
    )
    from dccsim.post_commissioning import (
        ALLOWED_WHILE_INCOMPLETE,
        OBLIGATION_PERIOD,
        RESTRICTING_STEPS,
        RESTRICTION_AFTER,
        PostCommissioningInfo,
    )
    from dccsim.records import (
        ChAssetRecord,
        DccIncident,
        DccPcReport,
        DccPostCommissioningDuty,
        RejectedRequest,
        ServiceLevelRecord,
    )

    ids = set(device_ids)
    request_devices.ensure_indexed(engine)  # once for a database from before the index
    rejection_devices.ensure_indexed(engine)  # likewise
    pc_report_devices.ensure_indexed(engine)  # likewise
    with session_scope(engine) as s:
        inventory, registration = Inventory(s), Registration(s)
        devices = []
        for d in s.exec(select(SmiDevice).where(SmiDevice.device_id.in_(ids))):
            # the latest registration of each MPxN of the Device's fuel it is linked to (a GPF: the gas one, AC 5.7(d))
            fuel = DeviceType(d.device_type).fuel if d.device_type in ("ESME", "GSME", "GPF") else None
            regs = [r for m in sorted(inventory.linked_mpxns(d)) if (r := (registration.rows(m) or [None])[-1])
                    and r.fuel == fuel] if fuel else []
            devices.append(DeviceRec(device_id=d.device_id, device_type=d.device_type, smi_status=d.smi_status,
                                     chf_id=d.chf_id, associated_with=d.associated_with, mpxn=d.mpxn,
                                     responsible_supplier=next((r.supplier_id for r in regs if r), None)))
        changes = [SmiChangeRec(device_id=c.device_id, from_status=c.from_status, to_status=c.to_status,
                                at=as_utc(c.at), reason=c.reason)
                   for c in s.exec(select(SmiStatusChange).where(SmiStatusChange.device_id.in_(ids))
                                   .order_by(SmiStatusChange.id))]
        links = [LinkChangeRec(device_id=c.device_id, field=c.field, from_value=c.from_value, to_value=c.to_value,
                               at=as_utc(c.at))
                 for c in s.exec(select(SmiLinkChange).where(SmiLinkChange.device_id.in_(ids))
                                 .order_by(SmiLinkChange.id))]
        delivered = list(s.exec(select(DeliveredMessage).where(DeliveredMessage.device_id.in_(ids))
                                .order_by(DeliveredMessage.id)))
        alerts = [AlertRec(code=m.dcc_alert_code, device_id=m.device_id, recipient=m.recipient, at=as_utc(m.at),
                           request_id=m.request_id) for m in delivered if m.kind == "dcc_alert"]
        # the Devices' own requests and the Non-Device ones whose body names them (``dccsim.request_devices``: an
        # index, not the body of every Non-Device request the DCC ever took), in the log's order
        entries = list(s.exec(select(RequestLogEntry).where(or_(
            RequestLogEntry.target.in_(ids), RequestLogEntry.request_id.in_(request_devices.requests_naming(s, ids))))
            .order_by(RequestLogEntry.received_at, RequestLogEntry.request_id)))
        requests = []
        for e in entries:
            # a Command for Local Delivery (Install and Leave, BAD 7.2.2) has no join watch: no N24/N25 is due
            jtp = _JTP.search(e.xml) if e.srv == "8.11" and not (e.stage or "").startswith("local_") else None
            requests.append(RequestRec(request_id=e.request_id, originator=e.originator, target=e.target, srv=e.srv,
                                       at=as_utc(e.received_at), completed_at=as_utc(e.completed_at),
                                       response_code=e.response_code,
                                       join_time_period=int(jtp.group(1)) if jtp else None,
                                       placed_for=placed_for(e.srv, e.xml)))
        # the rejections naming a Device (id -> the Device): those the index finds (``dccsim.rejection_devices``),
        # then the rule itself on their reason and RequestID
        refused: dict[int, str] = {}
        for rejection_id, reason, rejected_id in s.exec(select(RejectedRequest.id, RejectedRequest.reason,
                                                               RejectedRequest.request_id)
                                                        .where(RejectedRequest.id.in_(
                                                            rejection_devices.rejections_naming(ids)))):
            target = next((d for d in sorted(ids) if d in (reason or "")), None)
            if target is None:  # the RequestID names it (originator:target:counter), e.g. an E1 refusal (AB 6.1(e))
                target = next((d for d in (rejected_id or "").split(":")[1:2] if d in ids), None)
            if target is not None:
                refused[rejection_id] = target
        for r in s.exec(select(RejectedRequest).where(RejectedRequest.id.in_(refused)).order_by(RejectedRequest.id)):
            requests.append(RequestRec(request_id=r.request_id, originator=r.originator, target=refused[r.id],
                                       srv=r.srv, at=as_utc(r.at), response_code=r.code, rejected=True))
        refs = {e.request_id for e in entries} | {m.delivery_key for m in delivered}
        levels = [ServiceLevelRec(measure=r.measure, clause=TARGETS[r.measure].clause, ref=r.ref, srv=r.srv,
                                  started_at=as_utc(r.started_at), stopped_at=as_utc(r.stopped_at),
                                  target_seconds=r.target_seconds, elapsed_seconds=r.elapsed_seconds)
                  for r in s.exec(select(ServiceLevelRecord).where(ServiceLevelRecord.ref.in_(refs)))]
        assets = [ChAssetRec(chf_id=a.chf_id, srv=a.srv, at=as_utc(a.at), incident_ref=a.incident_ref,
                             mpxn=a.mpxn, details=a.details or {})
                  for a in s.exec(select(ChAssetRecord).where(ChAssetRecord.chf_id.in_(ids))
                                  .order_by(ChAssetRecord.id))]
        pc = [PcInfoRec(device_id=p.device_id, keys_regenerated_at=as_utc(p.keys_regenerated_at),
                        device_certificate_stored_at=as_utc(p.device_certificate_stored_at),
                        network_operator_cell_at=as_utc(p.network_operator_cell_at),
                        organisation_certificate_replaced_at=as_utc(p.organisation_certificate_replaced_at))
              for p in s.exec(select(PostCommissioningInfo).where(PostCommissioningInfo.device_id.in_(ids)))]
        logs = {row.chf_id: as_utc(row.at) for row in s.exec(select(LatestCs14).where(LatestCs14.chf_id.in_(ids)))}
        duties = [DutyRec(device_id=d.device_id, duty=d.duty, commissioned_at=as_utc(d.commissioned_at),
                          due=as_utc(d.due),
                          done_at=as_utc(d.done_at), outcome=d.outcome, recovery_certificate=d.recovery_certificate,
                          attempts=d.attempts, detail=d.detail)
                  for d in s.exec(select(DccPostCommissioningDuty).where(DccPostCommissioningDuty.device_id.in_(ids))
                                  .order_by(DccPostCommissioningDuty.id))]
        incidents = [IncidentRec(ref=i.ref, device_id=i.device_id, clause=i.clause, raised_at=as_utc(i.raised_at),
                                 summary=i.summary)
                     for i in s.exec(select(DccIncident).where(DccIncident.device_id.in_(ids)))]
        # the reports listing these Devices (``dccsim.pc_report_devices``: an index, not every report's listing), and
        # each day's listing, to see who is missing from it; their listings are not read
        listing = pc_report_devices.reports_listing(s, ids)
        reports = [PcReportRec(kind=kind, period=period, recipient=recipient, compiled_at=as_utc(compiled_at),
                               available_until=as_utc(until), marking=marking, device_ids=listing.get(report_id, []))
                   for report_id, kind, period, recipient, compiled_at, until, marking in s.exec(
                       select(DccPcReport.id, DccPcReport.kind, DccPcReport.period, DccPcReport.recipient,
                              DccPcReport.compiled_at, DccPcReport.available_until, DccPcReport.marking)
                       .where(or_(DccPcReport.id.in_(list(listing)), DccPcReport.kind == "daily-information"))
                       .order_by(DccPcReport.id))]
        gpf_logs = {row.gpf_id: as_utc(row.at) for row in s.exec(select(GpfDeviceLogBackup)
                                                                 .where(GpfDeviceLogBackup.gpf_id.in_(ids)))}
        mpxns = ({d.mpxn for d in devices} | {a.mpxn for a in assets}
                 | {v for c in links if c.field == "mpxn" for v in (c.from_value, c.to_value)}) - {None}
        registrations = [RegistrationRec(mpxn=r.mpxn, fuel=r.fuel, supplier_id=r.supplier_id,
                                         effective_from=as_utc(r.effective_from), effective_to=as_utc(r.effective_to))
                         for r in s.exec(select(RegistrationData).where(RegistrationData.mpxn.in_(mpxns))
                                         .order_by(RegistrationData.effective_from, RegistrationData.id))]
        cos = _cos_records(s, ids)
        smki = smki_records(s, ids)
        firmware = firmware_records(s, ids)
    return DccRecords(devices=devices, smi_changes=changes, link_changes=links, registrations=registrations,
                      alerts=alerts,
                      requests=sorted(requests, key=lambda r: r.at),
                      service_levels=levels, ch_assets=assets, pc_info=pc, device_logs=logs,
                      gpf_device_logs=gpf_logs, dcc_duties=duties, incidents=incidents,
                      pc_reports=reports,
                      join_allowance_seconds=UpdateHanDeviceLog.network_allowance_seconds,
                      exempt_srvs=sorted(ALLOWED_WHILE_INCOMPLETE),
                      restriction_after_days=RESTRICTION_AFTER.days,
                      obligation_period_days=OBLIGATION_PERIOD.days,
                      restricting_steps={t.value: list(steps) for t, steps in RESTRICTING_STEPS.items()}, cos=cos,
                      smki=smki, firmware=firmware)


def _cos_records(s, ids: set[str]) -> list[CosRec]:
    """The DCC's and the CoS Party's record of each SRV 6.23 for these Devices (BAD 7.7.1.5.4; dccsim.cos_party)."""
    from dccflow.domain.ids import eui64_key
    from dccsim.cos_party import CosRecord
    from dccsim.models import RequestLogEntry
    from dccsim.schedules import DccSchedule

    out = []
    for r in s.exec(select(CosRecord).where(CosRecord.device_id.in_(ids))):
        entry = s.get(RequestLogEntry, r.request_id)
        loser, cos_at = r.losing_supplier, as_utc(r.n27_at)
        left_schedules, left_requests = [], []
        if loser is not None and cos_at is not None:
            left_schedules = [x.schedule_id for x in s.exec(select(DccSchedule).where(
                DccSchedule.device_id == r.device_id, DccSchedule.owner == loser, DccSchedule.status == "active"))
                if as_utc(x.created_at) < cos_at]
            left_requests = [e.request_id for e in s.exec(select(RequestLogEntry).where(
                RequestLogEntry.originator == loser, RequestLogEntry.execution_at != None))  # noqa: E711
                if eui64_key(e.target) == r.device_id and as_utc(e.received_at) < cos_at
                and as_utc(e.execution_at) > cos_at and e.stage != "cancelled"]
        times = {k: as_utc(getattr(r, k)) for k in ("execution_at", "forwarded_at", "cos_checked_at", "spc_checked_at",
                                                   "command_sent_at", "n27_at")}
        out.append(CosRec(request_id=r.request_id, sender=r.sender, device_id=r.device_id, **times,
                          forward_signer=r.forward_signer, cos_outcome=r.cos_outcome, cos_reason=r.cos_reason,
                          spc_signer=r.spc_signer, spc_outcome=r.spc_outcome, spc_failed_check=r.spc_failed_check,
                          cos_party_notified=r.cos_party_notified, losing_supplier=r.losing_supplier,
                          cancelled_schedules=list(r.cancelled_schedules or []),
                          cancelled_requests=list(r.cancelled_requests or []),
                          uncancelled_schedules=left_schedules, uncancelled_requests=left_requests,
                          received_at=as_utc(entry.received_at) if entry else None,
                          response_code=entry.response_code if entry else None,
                          completed_at=as_utc(entry.completed_at) if entry else None))
    return sorted(out, key=lambda c: c.received_at or c.forwarded_at or datetime.min.replace(tzinfo=UTC))


class AuditActivities:
    def __init__(self, runtime):
        self.rt = runtime

    @activity.defn
    async def scenario_audit(self, req: AuditRequest) -> list[Verdict]:
        """The verdicts for a finished process (BAD 7.2 governance tables; see dccflow.domain.obligations)."""
        return evaluate(req.events, req.outcomes, read_dcc_records(self.rt.engine, req.device_ids),
                        AUDIT_REGISTER)
