"""The DCC's asynchronous processing of an accepted Device request, called by the DCC workflow's activities
(BAD 7.8.4.4.1–2, 7.8.5; SEC Appendix AB 13): re-check a future-dated request at its execution time, send the
Command, apply the Device's Response, answer the User, raise the DCC Alerts.

Every step is idempotent (a retried activity finds what an earlier attempt did) and a fault inside a
handler becomes a signed error Service Response rather than a stuck request.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session

from dccflow.db import HeldConnection, session_scope, update_row
from dccflow.domain.devices import DeviceType
from dccflow.domain.service_requests import lookup_srv
from dccflow.domain.smi import SmiStatus
from dccflow.duis.messages import request_from_element
from dccflow.duis.schema import secure_parse
from dccflow.gbcs import der_signature, parse_pre_command, split_signed
from dccflow.messages import CommandSignature, GbcsCommand, GbcsResponse
from dccflow.moments import as_utc
from dccflow.parties import USERS
from dccflow.security.xmldsig import signer_identity
from dccsim import servicelevels
from dccsim.config import FUTURE_DATED, ON_DEMAND
from dccsim.eligibility import check_eligible_user, check_smi_status
from dccsim.handler_registry import HANDLERS, Ctx, Notice, Outcome, UpdateHanDeviceLog
from dccsim.inventory import FOLLOW_UPS
from dccsim.models import DeliveredMessage, LatestCs14, PendingJoin, RequestLogEntry
from dccsim.rejections import PROCESSING_CODES, ServiceRequestRejected

log = logging.getLogger(__name__)


def dcc_workflow_id(request_id: str) -> str:
    return f"dcc-sr-{request_id}"


class CommandResult(BaseModel):
    response: GbcsResponse | None
    #: False: not sent, the Device has no Commissioned CHF (AB 13.2(a)) → N12
    delivered: bool = True
    #: the Command is on a slow SM WAN: the Response will come later, as a ``gbcs_response`` signal
    in_transit: bool = False


class CompletionResult(BaseModel):
    response_code: str | None
    join_watch_seconds: int | None = None
    already_joined: bool = False


class Processing:
    """Mixed into ``DccService`` (which provides ``engine``, ``outbound``, ``config``, ``wan``, ``transactions``, its
    serializable transactions, and ``_follow_ups``, the workflows due to start after what was committed)."""

    _follow_ups: set[str]
    transactions: HeldConnection

    def _ctx(self, s: Session, request_id: str, at: datetime) -> tuple[RequestLogEntry, Ctx]:
        entry = s.get(RequestLogEntry, request_id)
        request = request_from_element(secure_parse(entry.xml))
        definition = lookup_srv(entry.srv)
        user = USERS.get(entry.originator)
        return entry, Ctx(session=s, request=request, at=at, definition=definition, role=user.role if user else None)

    def _notices(self, s: Session, request_id: str, notices: list[Notice], at: datetime) -> list[DeliveredMessage]:
        return [self.outbound.dcc_alert(s, key=n.key(request_id), recipient=n.recipient,
                                        alert_code=n.alert_code, device_id=n.device_id, at=at,
                                        request_id=request_id if n.names_request else None, data=n.data)
                for n in notices]

    # -- future-dated requests held by the DCC (BAD 7.8.5.4.1; digest 06 §F.2) ---------------------------
    async def recheck_at_execution(self, request_id: str, at: datetime) -> bool:
        """At execution time the User must still be eligible and the Device's status allow the request; if
        not, N7 to the User and the Command is not sent. Serializable, as the intake (``DccService._take``): a
        conflict with a concurrent change fails the activity, and Temporal runs it again."""
        with self.transactions.session() as s:
            entry, ctx = self._ctx(s, request_id, at)
            if entry.stage != "accepted":  # 'cancelled': by a decommissioning or a suspension (dccsim.pending_work)
                return entry.stage not in ("failed", "cancelled")
            handler = HANDLERS[entry.srv]
            try:
                check_eligible_user(ctx, handler, self.config)
                check_smi_status(ctx, handler)
                entry.stage = "waiting_execution"
                s.add(entry)
                return True
            except ServiceRequestRejected as exc:
                log.info("N7 for %s: %s", request_id, exc)
                entry.stage, entry.completed_at = "failed", at
                s.add(entry)
                rows = self._notices(s, request_id, [Notice("N7", entry.originator, entry.target)], at)
        await self.outbound.deliver(rows)
        return False

    # -- 'CoS Update Security Credentials': the CoS Party (AB 8; dccsim.handlers.cos) ------------------------
    async def cos_party_step(self, request_id: str, at: datetime) -> str | None:
        """Forward the SR to the CoS Party, check its Signed Pre-Command. ``None``: send the Command; else what
        ended the request: N26 to the sender (AB 8.3), or a rejection Service Response (AB 8.6(c))."""
        from dccsim.handlers.cos import run_cos_party

        with session_scope(self.engine) as s:
            entry, ctx = self._ctx(s, request_id, at)
            if entry.stage == "cancelled":
                return "cancelled"
            outcome = run_cos_party(ctx, entry.xml, self.smki, self.cos_party)  # a retry finds what was decided
            if outcome.stopped is None:
                return None
            first = entry.stage not in ("completed", "failed")
            entry.stage, entry.completed_at = "failed", entry.completed_at if not first else at
            rows = self._notices(s, request_id, outcome.notices or [], at)
            if outcome.response_code is not None:
                entry.response_code = outcome.response_code
                rows.append(self._service_response(s, entry, outcome.response_code, at, new=first))
            s.add(entry)
        await self.outbound.deliver(rows)
        return outcome.stopped

    # -- the Command (AB 13) -------------------------------------------------------------------------------
    async def send_command(self, request_id: str, at: datetime) -> CommandResult:
        with session_scope(self.engine) as s:
            entry, ctx = self._ctx(s, request_id, at)
            if entry.device_response is not None or entry.stage in ("completed", "failed"):
                stored = entry.device_response or {}
                return CommandResult(response=GbcsResponse(**stored["response"]) if stored.get("response") else None,
                                     delivered=stored.get("delivered", True))
            # 11.1: one Command per listed Device (dccsim.handlers.firmware)
            distribution = HANDLERS[entry.srv].distributor(ctx)
            if distribution is None and not self._deliverable(ctx):  # AB 13.2(a)
                entry.device_response = {"response": None, "delivered": False}
                s.add(entry)
                return CommandResult(response=None, delivered=False)
            if distribution is None:
                command = self._signed_command(entry, s) if entry.spc_xml else HANDLERS[entry.srv].command(ctx)
            # Core: one column of a row this session does not change otherwise (no unit-of-work flush for it)
            update_row(s, RequestLogEntry, request_id, stage="command_sent")
        if distribution is not None:
            return CommandResult(response=await distribution.send(self, request_id, at))
        assert self.wan is not None
        from devices.wan import ReplyTo

        delivery = await self.wan.dispatch_command(command, at,
                                                   reply_to=ReplyTo(workflow_id=dcc_workflow_id(request_id)))
        if delivery.status == "in-transit":
            return CommandResult(response=None, in_transit=True)
        response = delivery.response
        with session_scope(self.engine) as s:  # kept: a retried step does not send the Command again
            update_row(s, RequestLogEntry, request_id, stage="responded", device_response={
                "response": response.model_dump(mode="json") if response else None, "delivered": True})
        return CommandResult(response=response)

    @staticmethod
    def _deliverable(ctx: Ctx) -> bool:
        dev = ctx.inventory.find(ctx.target)
        if dev is None:
            return False
        chf = dev if dev.device_type == DeviceType.CHF else ctx.inventory.find(dev.chf_id) if dev.chf_id else None
        return chf is not None and chf.smi_status == SmiStatus.COMMISSIONED

    @staticmethod
    def _signed_command(entry: RequestLogEntry, session: Session | None = None) -> GbcsCommand:
        """The Command of a Critical request: exactly the Pre-Command the User signed, with its signature (AB 7.2,
        13.2; the MAC is not modelled). The signer is the XML signer or, where the User signed the Command with
        another MPID's key of its Party (BAD 7.2.1.6.9), that MPID (``pipeline.command_signer_identity``)."""
        root = secure_parse(entry.spc_xml)
        spc = request_from_element(root)
        signed = base64.b64decode(spc.body["GBCSPayload"])
        payload, rs = split_signed(signed)
        fields = parse_pre_command(payload)
        issuer, serial = signer_identity(root)
        if session is not None:
            from dccsim.pipeline import command_signer_identity

            issuer, serial = command_signer_identity(signed, issuer, serial, session)
        signature = CommandSignature(signer_issuer=issuer, signer_serial=str(serial),
                                     value_b64=base64.b64encode(der_signature(rs)).decode())
        return GbcsCommand(**fields, signature=signature)

    # -- the Response, the Service Response, the alerts -------------------------------------------------
    async def complete(self, request_id: str, result: CommandResult, at: datetime) -> CompletionResult:
        # serializable: the Device's SMI changes as if no other request's ran meanwhile (a conflict fails the
        # activity, and Temporal runs it again: a retried step finds what it did)
        with self.transactions.session() as s:
            entry, ctx = self._ctx(s, request_id, at)
            if result.response is None:  # BAD Table 14: N12 not delivered, N13 no Response
                code = "N13" if result.delivered else "N12"
                if entry.stage != "failed":
                    entry.stage, entry.completed_at = "failed", at
                    s.add(entry)
                rows = self._notices(s, request_id, [Notice(code, entry.originator, entry.target)], at)
                outcome = None
            else:
                first = entry.stage not in ("completed", "failed")  # else a retried step: answered already
                outcome = self._apply(s, entry, ctx, result.response, at)
                rows = [self._service_response(s, entry, outcome.response_code, at, outcome.payload, new=first)]
                rows += self._notices(s, request_id, outcome.notices, at)
            completion = CompletionResult(response_code=outcome.response_code if outcome else None)
            if outcome is not None and outcome.join_watch is not None:
                chf_id, device_id, seconds = outcome.join_watch
                if s.get(PendingJoin, request_id) is None:
                    s.add(PendingJoin(request_id=request_id, chf_id=chf_id, device_id=device_id,
                                      supplier_id=entry.originator))
                completion.join_watch_seconds = seconds
                completion.already_joined = self._log_confirms(s, chf_id, device_id)
        self._follow_ups |= s.info.get(FOLLOW_UPS, set())  # committed: a Device commissioned, a CHF decommissioned
        await self.outbound.deliver(rows)
        return completion

    def _apply(self, s: Session, entry: RequestLogEntry, ctx: Ctx, response: GbcsResponse, at: datetime) -> Outcome:
        if entry.stage in ("completed", "failed"):  # a retried step: the effects are already applied
            return Outcome(response_code=entry.response_code or PROCESSING_CODES["success"])
        savepoint = s.begin_nested()
        try:
            outcome = HANDLERS[entry.srv].apply(ctx, response)
            savepoint.commit()
        except Exception as exc:  # noqa: BLE001 - a DCC fault becomes a signed error response
            savepoint.rollback()
            log.exception("applying the Response to %s failed", entry.request_id)
            outcome = Outcome(response_code=PROCESSING_CODES["internal"], detail=f"{type(exc).__name__}: {exc}")
        success = not outcome.response_code.startswith("E")
        entry.stage, entry.response_code, entry.completed_at = ("completed" if success else "failed",
                                                                outcome.response_code, at)
        s.add(entry)
        return outcome

    def _service_response(self, s: Session, entry: RequestLogEntry, code: str, at: datetime,
                          payload: tuple[str, dict] | None = None, *, new: bool = False) -> DeliveredMessage:
        """The Service Response, measured against its Target Response Time (H3.14(b), (c), (e); H3.15(b)).
        ``new``: the request was not completed before (its completion, response and measure are written in one
        transaction), so neither exists yet."""
        if entry.execution_at is not None:
            measure, started = FUTURE_DATED, as_utc(entry.execution_at)
        else:
            measure, started = ON_DEMAND, as_utc(entry.spc_received_at or entry.received_at)
        servicelevels.record(s, measure, entry.request_id, started_at=started, stopped_at=at, srv=entry.srv,
                             user_id=entry.originator, excluded_seconds=entry.quarantined_seconds, new=new)
        return self.outbound.service_response(s, recipient=entry.originator, request_id=entry.request_id,
                                              srv=entry.srv, code=code, at=at, device_id=entry.target,
                                              payload=payload, new=new)

    async def fail(self, request_id: str, reason: str, at: datetime) -> str:
        """The DCC could not finish (a step kept failing): tell the User with a signed error Service Response
        rather than leave the request unanswered."""
        code = PROCESSING_CODES["internal"]
        with session_scope(self.engine) as s:
            entry = s.get(RequestLogEntry, request_id)
            log.error("request %s failed: %s", request_id, reason)
            if entry.stage not in ("completed", "failed"):
                entry.stage, entry.response_code, entry.completed_at = "failed", code, at
                s.add(entry)
            rows = [self._service_response(s, entry, entry.response_code or code, at)]
        await self.outbound.deliver(rows)
        return code

    # -- 8.11: the join watch (AD 3.8.109.4) -----------------------------------------------------------
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
            rows = self._notices(s, request_id, outcome.notices, at)
        await self.outbound.deliver(rows)
        return outcome.notices[0].alert_code

    @staticmethod
    def _log_confirms(s: Session, chf_id: str, device_id: str) -> bool:
        row = s.get(LatestCs14, chf_id)
        return bool(row) and any(e["device_id"] == device_id and e.get("joined") for e in row.device_log)
