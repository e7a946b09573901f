"""The simulated DCC's interfaces.

* Towards Users (the DCC User Interface): ``submit`` takes a signed DUIS request and gives the synchronous
  reply; everything else (Service Responses, DCC Alerts, Device Alerts) goes out later through
  ``dccsim.outbound``.
* Towards devices (the SM WAN): ``on_chf_connected`` and ``receive_device_alert``; commands go out through a
  ``WanGateway`` (``devices.wan``).
* Internally, each accepted request is carried through by a durable DCC workflow
  (``dccsim.workflows.DccServiceRequestWorkflow``) whose activities call the ``process_*`` methods here.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from dccflow.config import DCC_TASK_QUEUE
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.service_requests import SrProcessing
from dccflow.domain.smi import SmiStatus
from dccflow.duis.messages import request_from_element, to_bytes
from dccflow.duis.responses import build_service_response
from dccflow.duis.schema import secure_parse
from dccflow.messages import DeviceAlertEvent, GbcsCommand, GbcsResponse
from dccflow.security.xmldsig import sign
from dccsim.handlers import HANDLERS, Ctx, Outcome, UpdateHanDeviceLog
from dccsim.inventory import Inventory, Registration
from dccsim.models import DeliveredMessage, LatestCs14, PendingJoin, RequestLogEntry
from dccsim.outbound import Outbound
from dccsim.pipeline import check_request
from dccsim.rejections import ServiceRequestRejected, SilentlyRejected
from dccsim.smki import SmkiRepository

log = logging.getLogger(__name__)

CHF_DEVICE_LOG_CHANGED = 0x8F12


class SubmitReply(BaseModel):
    outcome: Literal["accepted", "rejected", "silent"]
    xml: bytes | None = None
    code: str | None = None
    reason: str | None = None


class DccWorkItem(BaseModel):
    request_id: str
    srv: str
    processing: SrProcessing


class CommandResult(BaseModel):
    response: GbcsResponse | None


class CompletionResult(BaseModel):
    response_code: str
    join_watch_seconds: int | None = None
    already_joined: bool = False


class WanGateway(Protocol):
    async def deliver_command(self, command: GbcsCommand, at: datetime) -> GbcsResponse | None: ...


def dcc_workflow_id(request_id: str) -> str:
    return f"dcc-sr-{request_id}"


class DccService:
    def __init__(self, engine: Engine, smki: SmkiRepository, outbound: Outbound):
        self.engine = engine
        self.smki = smki
        self.outbound = outbound
        self.client: Client | None = None
        self.wan: WanGateway | None = None

    def connect(self, *, client: Client, wan: WanGateway) -> None:
        self.client = client
        self.wan = wan

    # == DCC User Interface ===============================================================================
    async def submit(self, xml: bytes, at: datetime) -> SubmitReply:
        try:
            with session_scope(self.engine) as s:
                checked = check_request(xml, session=s, smki=self.smki, at=at)
                if checked.duplicate_of is not None:
                    entry = checked.duplicate_of
                else:
                    hdr = checked.request.header
                    entry = RequestLogEntry(
                        request_id=hdr.request_id, originator=hdr.originator, target=hdr.target,
                        counter=hdr.counter, srv=checked.definition.srv, digest=checked.digest,
                        received_at=at, xml=xml)
                    if checked.processing != SrProcessing.NON_DEVICE:
                        # the DUIS Acknowledgement (I99); Non-Device requests get none (AB 16.1(a))
                        entry.acknowledgement = self._sign(build_service_response(
                            request_id=hdr.request_id, response_code="I99", at=at,
                            service_reference_variant=checked.definition.srv))
                    s.add(entry)
                item = DccWorkItem(request_id=entry.request_id, srv=entry.srv, processing=checked.processing)
                ack = entry.acknowledgement
        except SilentlyRejected as exc:
            log.info("silently rejected: %s", exc)
            return SubmitReply(outcome="silent", reason=str(exc))
        except ServiceRequestRejected as exc:
            return SubmitReply(outcome="rejected", code=exc.code, reason=str(exc),
                               xml=self._rejection(xml, exc, at))
        await self._start(item)
        return SubmitReply(outcome="accepted", xml=ack, code="I99" if ack else None)

    def _sign(self, element) -> bytes:
        cred = self.smki.dcc_credential()
        return to_bytes(sign(element, cred.key, cred.cert))

    def _rejection(self, xml: bytes, exc: ServiceRequestRejected, at: datetime) -> bytes | None:
        srv = None
        try:
            srv = request_from_element(secure_parse(xml)).header.service_reference_variant
        except Exception:  # noqa: BLE001 - the request itself may be what is broken
            pass
        if srv is None or exc.request_id is None:
            return None
        return self._sign(build_service_response(request_id=exc.request_id, response_code=exc.code, at=at,
                                                 service_reference_variant=srv))

    async def _start(self, item: DccWorkItem) -> None:
        from dccsim.workflows import DccServiceRequestWorkflow

        assert self.client is not None, "DccService.connect() was not called"
        try:
            await self.client.start_workflow(
                DccServiceRequestWorkflow.run, item, id=dcc_workflow_id(item.request_id),
                task_queue=DCC_TASK_QUEUE, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            pass  # a retransmission of a request already being processed

    # == processing (called by the DCC workflow's activities) ============================================
    def _ctx(self, s, request_id: str, at: datetime) -> tuple[RequestLogEntry, Ctx]:
        entry = s.get(RequestLogEntry, request_id)
        request = request_from_element(secure_parse(entry.xml))
        return entry, Ctx(session=s, request=request, at=at)

    async def send_command(self, request_id: str, at: datetime) -> CommandResult:
        with session_scope(self.engine) as s:
            entry, ctx = self._ctx(s, request_id, at)
            if entry.stage in ("responded", "completed"):
                return CommandResult(response=None)
            command = HANDLERS[entry.srv].command(ctx)
        assert self.wan is not None
        response = await self.wan.deliver_command(command, at)
        with session_scope(self.engine) as s:
            entry = s.get(RequestLogEntry, request_id)
            entry.stage = "responded"
            s.add(entry)
        return CommandResult(response=response)

    async def complete(self, request_id: str, response: GbcsResponse | None, at: datetime) -> CompletionResult:
        """Apply a device response (or a Non-Device request) and answer the User."""
        with session_scope(self.engine) as s:
            entry, ctx = self._ctx(s, request_id, at)
            handler = HANDLERS[entry.srv]
            if entry.stage == "completed":
                outcome = Outcome(response_code=entry.response_code or "I0")
            else:
                outcome = handler.apply(ctx, response)
                entry.stage, entry.response_code, entry.completed_at = "completed", outcome.response_code, at
                s.add(entry)
            rows = [self.outbound.service_response(
                s, recipient=entry.originator, request_id=request_id, srv=entry.srv,
                code=outcome.response_code, at=at, device_id=entry.target)]
            rows += self._notices(s, request_id, outcome, at)
            result = CompletionResult(response_code=outcome.response_code)
            if outcome.join_watch is not None:
                chf_id, device_id, seconds = outcome.join_watch
                if s.get(PendingJoin, request_id) is None:
                    s.add(PendingJoin(request_id=request_id, chf_id=chf_id, device_id=device_id,
                                      supplier_id=entry.originator))
                result.join_watch_seconds = seconds
                result.already_joined = self._log_confirms(s, chf_id, device_id)
        await self.outbound.deliver(rows)
        return result

    def _notices(self, s, request_id: str, outcome: Outcome, at: datetime) -> list[DeliveredMessage]:
        return [
            self.outbound.dcc_alert(s, key=f"{request_id}:{n.alert_code}:{n.device_id}", recipient=n.recipient,
                                    alert_code=n.alert_code, device_id=n.device_id, at=at,
                                    request_id=request_id, data=n.data)
            for n in outcome.notices
        ]

    async def join_outcome(self, request_id: str, joined: bool, at: datetime) -> str:
        handler = HANDLERS["8.11"]
        assert isinstance(handler, UpdateHanDeviceLog)
        with session_scope(self.engine) as s:
            entry, ctx = self._ctx(s, request_id, at)
            pending = s.get(PendingJoin, request_id)
            device_id = pending.device_id if pending else ctx.body["DeviceID"]
            outcome = handler.join_result(ctx, device_id, joined)
            if pending is not None:
                s.delete(pending)
            rows = self._notices(s, request_id, outcome, at)
        await self.outbound.deliver(rows)
        return outcome.notices[0].alert_code

    # == SM WAN side =====================================================================================
    def on_chf_connected(self, chf_id: str, at: datetime) -> bool:
        """A CHF identified itself over the SM WAN: set it 'commissioned' (AC 4.1), unless AC 4.2 forbids."""
        with session_scope(self.engine) as s:
            inv = Inventory(s)
            dev = inv.find(chf_id)
            if dev is None or dev.device_type != DeviceType.CHF:
                log.warning("communication from %s, not a CHF on the SMI (AC 4.2(a))", chf_id)
                return False
            status = SmiStatus(dev.smi_status)
            if status == SmiStatus.COMMISSIONED:
                return True
            if status not in (SmiStatus.PENDING, SmiStatus.INSTALLED_NOT_COMMISSIONED):
                log.warning("CHF %s is '%s' (AC 4.2(b))", chf_id, status)
                return False
            inv.set_status(chf_id, SmiStatus.COMMISSIONED, at, "CHF connected to the SM WAN (AC 4.1)")
            return True

    async def receive_device_alert(self, alert: DeviceAlertEvent) -> None:
        if alert.alert_code == CHF_DEVICE_LOG_CHANGED:
            await self._on_cs14(alert)
            return
        # other Device Alerts go to the Responsible Supplier of the device (BAD 7.2.1.6.7)
        with session_scope(self.engine) as s:
            dev = Inventory(s).find(alert.device_id)
            reg = Registration(s).at(dev.mpxn, alert.at) if dev is not None and dev.mpxn else None
            if reg is None:
                log.info("device alert %04X from %s has no Responsible Supplier", alert.alert_code,
                         alert.device_id)
                return
            row = self.outbound.device_alert(
                s, key=f"{alert.device_id}:{alert.alert_code:04X}:{alert.at.isoformat()}",
                recipient=reg.supplier_id, device_id=alert.device_id, alert_code=alert.alert_code, at=alert.at)
        await self.outbound.deliver([row])

    async def _on_cs14(self, alert: DeviceAlertEvent) -> None:
        """Keep only the latest CS14 per CHF (BAD 7.2.1.6.7) and wake the join watches it confirms."""
        with session_scope(self.engine) as s:
            row = s.get(LatestCs14, alert.device_id) or LatestCs14(chf_id=alert.device_id, at=alert.at)
            row.at = alert.at
            row.device_log = [e.model_dump() for e in alert.device_log or []]
            s.add(row)
            joined = {e.device_id for e in alert.device_log or [] if e.joined}
            pending = s.exec(select(PendingJoin).where(PendingJoin.chf_id == alert.device_id)).all()
            to_wake = [p.request_id for p in pending if p.device_id in joined]
        assert self.client is not None
        from dccsim.workflows import DccServiceRequestWorkflow

        for request_id in to_wake:
            handle = self.client.get_workflow_handle(dcc_workflow_id(request_id))
            await handle.signal(DccServiceRequestWorkflow.cs14_received)

    @staticmethod
    def _log_confirms(s, chf_id: str, device_id: str) -> bool:
        row = s.get(LatestCs14, chf_id)
        return bool(row) and any(e["device_id"] == device_id and e.get("joined") for e in row.device_log)
