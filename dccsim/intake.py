"""The synchronous side of the DCC User Interface: from a signed request to the DCC's synchronous reply, in one
database transaction (so a rejection, which raises, leaves nothing behind).

What the reply is depends on the processing class (BAD 7.8.4.4; DUIS CommandVariant table):

* Non-Critical (CV 1–3): the Acknowledgement, I99 (AB 6.1); the request then passes Threshold Anomaly
  Detection (AB 12, 13.1) and is carried to the Device by a durable DCC workflow, or is quarantined.
* Critical (CV 4): the Pre-Command, a signed Service Response carrying ``PreCommand{GBCSVersion, GBCSPayload}``
  (AB 6.4(b); SEC H3.14(a): within 3 seconds of receipt). The Signed Pre-Command that answers it (CV 5–7) is
  acknowledged with I99 (AB 7.1), passes TAD and is carried to the Device.
* Non-Device (CV 8): processed at once, no Acknowledgement and no TAD (AB 16.1); the reply is the Service
  Response itself.
* Command for Local Delivery (CV 2, or a Signed Pre-Command with CV 6; BAD 7.2.2.6.2): the DCC processes the
  request as usual but returns the Command to the User in the reply (``ResponseMessage/LocalCommand``) instead
  of sending it to the Device; nothing goes over the SM WAN. Decision: such requests are not counted by Threshold
  Anomaly Detection (they reach no Device through the DCC).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session

from dccflow.domain.service_requests import SrProcessing
from dccflow.duis import schema
from dccflow.duis.messages import to_bytes
from dccflow.duis.responses import build_service_response, response_from_element
from dccflow.duis.schema import secure_parse
from dccflow.gbcs import GBCS_VERSION, local_command_payload
from dccflow.moments import as_utc
from dccflow.search import devices_named
from dccflow.security.xmldsig import sign
from dccsim import request_devices, servicelevels, tad
from dccsim.config import NON_DEVICE, PRE_COMMAND, DccConfig
from dccsim.handler_registry import HANDLERS, Ctx, Outcome
from dccsim.handlers.base import LOCAL_DELIVERY_VARIANTS
from dccsim.handlers.local_response import LOCAL_COMMAND_RETURNED
from dccsim.models import DeliveredMessage, RequestLogEntry, insert_values
from dccsim.outbound import Outbound
from dccsim.pipeline import Checked, Verified, check_request
from dccsim.processing import Processing
from dccsim.rejections import PROCESSING_CODES, Check, ServiceRequestRejected
from dccsim.smki import SmkiRepository

log = logging.getLogger(__name__)


class SubmitReply(BaseModel):
    outcome: Literal["accepted", "rejected", "silent"]
    xml: bytes | None = None
    code: str | None = None
    reason: str | None = None


class DccWorkItem(BaseModel):
    request_id: str
    srv: str
    processing: SrProcessing
    #: future-dated (DSP pattern): the DCC holds the request until then and re-checks it (BAD 7.8.5.4.1)
    execute_at: datetime | None = None
    #: attempts at each step before giving up with an error Service Response (``DccConfig.step_attempts``)
    attempts: int = 8
    #: how long to wait for a Device's Response on a slow SM WAN before N13 (``DccConfig.device_response_wait``)
    device_response_wait: timedelta = timedelta(minutes=60, seconds=30)
    #: the Command is the CoS Party's Signed Pre-Command (SRV 6.23; AB 8): the workflow's ``dcc_cos_party`` step
    #: makes it, at the execution time of a future-dated request (``dccsim.handlers.cos``)
    cos_party: bool = False


@dataclass
class Accepted:
    reply: SubmitReply
    start: DccWorkItem | None = None
    deliver: list[DeliveredMessage] = field(default_factory=list)
    #: the Devices the request's body names, for the search attributes of ``start``'s workflow (None: not read
    #: yet; ``DccService._search_attributes`` reads them from the request log)
    named: list[str] | None = None


def reply_for(xml: bytes, reason: str | None = None, *, code: str | None = None) -> SubmitReply:
    """The SubmitReply for a signed DUIS reply: an E-code is a refusal, anything else an acceptance. ``code``:
    the reply's ResponseCode when the caller has just built it (otherwise read from ``xml``)."""
    code = code or response_from_element(secure_parse(xml)).response_code
    return SubmitReply(outcome="rejected" if code.startswith("E") else "accepted", xml=xml, code=code,
                       reason=reason if code.startswith("E") else None)


class Intake:
    def __init__(self, *, session: Session, smki: SmkiRepository, outbound: Outbound, config: DccConfig,
                 at: datetime, undo: Callable[[], None] | None = None):
        """``undo``: throw away what this request wrote so far and go on writing in the same transaction (a DCC
        fault while processing a Non-Device request); by default the session's rollback, which is right when the
        transaction holds this request alone. ``DccService`` taking several requests in one transaction gives the
        rollback to this request's SAVEPOINT instead (``dccsim.group_commit``)."""
        self.s, self.smki, self.outbound, self.config, self.at = session, smki, outbound, config, at
        self.undo = undo or session.rollback

    def _sign(self, element) -> bytes:
        cred = self.smki.dcc_credential(self.s)
        return to_bytes(sign(element, cred.key, cred.cert))

    def _ack(self, request_id: str, srv: str) -> bytes:
        return self._sign(build_service_response(request_id=request_id, response_code=PROCESSING_CODES[
            "acknowledgement"], at=self.at, service_reference_variant=srv))

    def take(self, xml: bytes, verified: Verified | None = None) -> Accepted:
        """``verified``: checks A and D already passed for these bytes (``pipeline.verify_and_authenticate``)."""
        checked = check_request(xml, session=self.s, smki=self.smki, at=self.at, config=self.config,
                                verified=verified)
        if checked.duplicate_of is not None:
            return self._again(checked)
        if checked.is_signed_pre_command:
            return self._signed_pre_command(checked)
        header = checked.request.header
        ctx = Ctx(session=self.s, request=checked.request, at=self.at, definition=checked.definition,
                  role=checked.role)
        values = dict(request_id=header.request_id, originator=header.originator, target=header.target,
                      counter=header.counter, srv=checked.definition.srv,
                      processing=checked.definition.processing.value, digest=checked.digest, received_at=self.at,
                      xml=xml, execution_at=None if getattr(checked.handler, "device_future_dated", False)
                      else ctx.execution_at)
        if checked.definition.processing is SrProcessing.NON_DEVICE:
            return self._non_device(checked, ctx, values)  # logged once complete: one INSERT, no ORM object
        entry = RequestLogEntry(**values)
        self.s.add(entry)
        if checked.definition.processing is SrProcessing.CRITICAL:
            return self._pre_command(checked, ctx, entry)
        if header.command_variant in LOCAL_DELIVERY_VARIANTS:
            assert checked.handler is not None
            return self._local_command(entry, checked.handler.command(ctx))
        entry.reply = self._ack(entry.request_id, entry.srv)
        accepted = self._anomaly_detection(entry, entry.reply)
        accepted.named = devices_named(checked.request.body)  # parsed already: not read again to start the workflow
        return accepted

    # -- retransmissions --------------------------------------------------------------------------------
    def _again(self, checked: Checked) -> Accepted:
        """The same signed bytes again (a retried send): the same reply, and processing (re)started if it
        is due, which is idempotent (one DCC workflow per RequestID)."""
        entry = checked.duplicate_of
        assert entry is not None
        stored = entry.spc_reply if checked.is_signed_pre_command else entry.reply
        if stored is None:  # pragma: no cover - every logged request has its reply
            raise RuntimeError(f"{entry.request_id} was logged without its reply")
        start = self._work_item(entry, self.config) if entry.stage == "accepted" else None
        return Accepted(reply=reply_for(stored), start=start)

    @staticmethod
    def _work_item(entry: RequestLogEntry, config: DccConfig) -> DccWorkItem:
        handler = HANDLERS.get(entry.srv)
        return DccWorkItem(request_id=entry.request_id, srv=entry.srv, processing=SrProcessing(entry.processing),
                           execute_at=as_utc(entry.execution_at), attempts=config.step_attempts,
                           device_response_wait=config.device_response_wait,
                           cos_party=handler is not None and handler.signed_by_cos_party)

    # -- Non-Device (AB 16.1) -----------------------------------------------------------------------------
    def _non_device(self, checked: Checked, ctx: Ctx, entry: dict) -> Accepted:
        """``entry``: the request log entry's columns, written once the request is complete (Core, one INSERT)."""
        assert checked.handler is not None
        request_id, srv, originator = entry["request_id"], entry["srv"], entry["originator"]
        # Nothing is written before the handler runs (the checks only read; the request is logged below), so a
        # DCC fault rolls the request's transaction back to where a savepoint would have (``undo``).
        try:
            outcome = checked.handler.execute(ctx)
        except ServiceRequestRejected:
            raise
        except Exception as exc:  # noqa: BLE001 - a DCC fault: the User gets a signed error, nothing changes
            self.undo()
            log.exception("SRV %s %s could not be processed", srv, request_id)
            outcome = Outcome(response_code=PROCESSING_CODES["internal"], detail=f"{type(exc).__name__}: {exc}")
        failed = outcome.response_code == PROCESSING_CODES["internal"]
        # a RequestID not in the request log (check_request) has no response nor measurement yet: nothing to
        # look up first (and the unique delivery key / (measure, ref) would refuse a second one anyway)
        reply = self.outbound.sync_service_response(self.s, recipient=originator, request_id=request_id, srv=srv,
                                                    code=outcome.response_code, at=self.at, payload=outcome.payload)
        insert_values(self.s, RequestLogEntry, {**entry, "stage": "failed" if failed else "completed",
                                                "response_code": outcome.response_code, "completed_at": self.at,
                                                "reply": reply})
        request_devices.record(self.s, request_id, devices_named(checked.request.body))
        servicelevels.record(self.s, NON_DEVICE, request_id, started_at=self.at, stopped_at=self.at, srv=srv,
                             user_id=originator, new=True)
        notices = [self.outbound.dcc_alert(self.s, key=n.key(request_id),
                                           recipient=n.recipient, alert_code=n.alert_code, device_id=n.device_id,
                                           at=self.at, request_id=request_id if n.names_request else None,
                                           data=n.data)
                   for n in outcome.notices]
        return Accepted(reply=reply_for(reply, outcome.detail, code=outcome.response_code), deliver=notices)

    # -- Critical: the Pre-Command (AB 6.4(b)) ----------------------------------------------------------
    def _pre_command(self, checked: Checked, ctx: Ctx, entry: RequestLogEntry) -> Accepted:
        assert checked.handler is not None
        payload = checked.handler.command(ctx).signed_payload()
        entry.stage, entry.pre_command_payload, entry.pre_command_at = "pre_command_sent", payload, self.at
        entry.reply = self._sign(build_service_response(
            request_id=entry.request_id, response_code=PROCESSING_CODES["success"], at=self.at,
            service_reference_variant=entry.srv,
            payload=("PreCommand", {"GBCSVersion": GBCS_VERSION, "GBCSPayload": base64.b64encode(payload).decode()})))
        limit = schema.MAX_MESSAGE_BYTES  # read now: the limit the User's side parses the Pre-Command with
        if len(entry.reply) > limit:  # the User could not read it (nor any Signed Pre-Command echo it): refused
            raise ServiceRequestRejected(Check.REPLY_TOO_LARGE, f"the Pre-Command would be {len(entry.reply)} bytes, "
                                                                f"over the {limit}-byte limit of a DUIS message")
        servicelevels.record(self.s, PRE_COMMAND, entry.request_id, started_at=self.at, stopped_at=self.at,
                             srv=entry.srv, user_id=entry.originator)
        return Accepted(reply=reply_for(entry.reply))

    def _signed_pre_command(self, checked: Checked) -> Accepted:
        entry = checked.entry
        assert entry is not None
        entry.spc_xml, entry.spc_digest, entry.spc_received_at = checked.xml, checked.digest, self.at
        if checked.request.header.command_variant in LOCAL_DELIVERY_VARIANTS:
            # with the session: a Command signed with another MPID's key names that MPID (BAD 7.2.1.6.9)
            return self._local_command(entry, Processing._signed_command(entry, self.s), signed_pre_command=True)
        entry.stage = "accepted"
        entry.spc_reply = self._ack(entry.request_id, entry.srv)  # AB 7.1
        self.s.add(entry)
        return self._anomaly_detection(entry, entry.spc_reply)

    # -- Command for Local Delivery (BAD 7.2.2.6.2) -------------------------------------------------------
    def _local_command(self, entry: RequestLogEntry, command, *, signed_pre_command: bool = False) -> Accepted:
        """Return the Command to the User (``LocalCommand``), signed by the User for a Critical request; the
        DCC does not send it to the Device. Its Response comes back, if at all, by SRV 8.13."""
        row = self.outbound.service_response(
            self.s, recipient=entry.originator, request_id=entry.request_id, srv=entry.srv,
            code=PROCESSING_CODES["success"], at=self.at, device_id=entry.target,
            payload=("LocalCommand", {"GBCSPayload": local_command_payload(command)}), kind="sync_service_response")
        entry.stage, entry.response_code, entry.completed_at = LOCAL_COMMAND_RETURNED, row.response_code, self.at
        if signed_pre_command:
            entry.spc_reply = row.xml
        else:
            entry.reply = row.xml
        self.s.add(entry)  # already in the session (take() added it; a Signed Pre-Command's is logged): not insert_new
        return Accepted(reply=reply_for(row.xml, code=row.response_code))

    # -- Threshold Anomaly Detection (AB 12, 13.1) -------------------------------------------------------
    def _anomaly_detection(self, entry: RequestLogEntry, reply: bytes) -> Accepted:
        breach = tad.count_and_check(self.s, self.config, user_id=entry.originator, srv=entry.srv,
                                     request_id=entry.request_id, at=self.at)
        if breach is None:
            return Accepted(reply=reply_for(reply), start=self._work_item(entry, self.config))
        item = tad.quarantine(self.s, request_id=entry.request_id, user_id=entry.originator, srv=entry.srv,
                              breach=breach, at=self.at)
        entry.stage = "quarantined"
        notice = self.outbound.dcc_alert(
            self.s, key=f"{entry.request_id}:quarantine:{item.quarantine_event_ref}", recipient=entry.originator,
            alert_code=self.config.quarantine_alert_code, device_id=entry.target, at=self.at,
            request_id=entry.request_id, data={"body": "QuarantinedRequest", "breach": breach.kind,
                                               "quarantine_event_ref": item.quarantine_event_ref})
        log.info("quarantined %s: %s", entry.request_id, breach.detail)
        return Accepted(reply=reply_for(reply), deliver=[notice])
