"""The User's side of the DCC User Interface: compose, sign and send a DUIS Service Request.

Idempotent by construction: the outbox is keyed by the workflow step that sends the request, so a retried
activity re-sends the very same signed bytes (same RequestID), which the DCC recognises as a retransmission.
A business rejection (an E-code, or the DCC's silence after a bad signature) is a non-retryable error; a
transport fault raises and is retried by Temporal.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.compose import compose_request
from activities.credentials import UserKeyStore
from activities.inbox import UserInbox
from activities.store import UserCounter, UserOutboxEntry
from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.duis.messages import to_bytes
from dccflow.security.xmldsig import sign
from dccsim.service import SubmitReply

REJECTED = "ServiceRequestRejected"
SILENTLY_REJECTED = "ServiceRequestSilentlyRejected"


class ServiceRequestSpec(BaseModel):
    step: str  # unique within the workflow: the BPMN id, plus the device where one step repeats
    user_id: str
    srv: str
    target: str
    params: dict = Field(default_factory=dict)
    route_devices: list[str] = Field(default_factory=list)


class SentRequest(BaseModel):
    request_id: str
    ack_code: str | None = None


class DccTransport(Protocol):
    async def submit(self, xml: bytes, at) -> SubmitReply: ...


class InProcessTransport:
    """The embedded default: the DCC runs in the same process; the bytes are all that cross."""

    def __init__(self, dcc):
        self.dcc = dcc

    async def submit(self, xml: bytes, at) -> SubmitReply:
        return await self.dcc.submit(xml, at)


class DuisClient:
    def __init__(self, engine: Engine, keys: UserKeyStore, inbox: UserInbox, transport: DccTransport):
        self.engine = engine
        self.keys = keys
        self.inbox = inbox
        self.transport = transport

    def _next_counter(self, s, originator: str) -> int:
        row = s.get(UserCounter, originator) or UserCounter(originator=originator, last=0)
        row.last += 1
        s.add(row)
        return row.last

    def prepare(self, spec: ServiceRequestSpec, workflow_id: str) -> UserOutboxEntry:
        step_key = f"{workflow_id}/{spec.step}"
        with session_scope(self.engine) as s:
            entry = s.get(UserOutboxEntry, step_key)
            if entry is not None:
                return entry
            counter = self._next_counter(s, spec.user_id)
            request_id = f"{spec.user_id}:{spec.target}:{counter}"
            element = compose_request(spec.srv, request_id, spec.params)
            cred = self.keys.get(spec.user_id)
            xml = to_bytes(sign(element, cred.key, cred.cert))
            entry = UserOutboxEntry(step_key=step_key, request_id=request_id, workflow_id=workflow_id,
                                    srv=spec.srv, xml=xml, created_at=activity_now())
            s.add(entry)
            return entry

    @activity.defn
    async def send_service_request(self, spec: ServiceRequestSpec) -> SentRequest:
        workflow_id = activity.info().workflow_id
        entry = self.prepare(spec, workflow_id)
        if spec.route_devices:
            self.inbox.register_routes(spec.user_id, spec.route_devices, workflow_id)
        reply = await self.transport.submit(entry.xml, activity_now())
        with session_scope(self.engine) as s:
            row = s.get(UserOutboxEntry, entry.step_key)
            row.reply_code = reply.code or reply.outcome
            s.add(row)
        if reply.outcome == "silent":
            raise ApplicationError(f"SRV {spec.srv} {entry.request_id}: no reply from the DCC "
                                   "(rejected silently: signature check, SEC AB 6.3)",
                                   type=SILENTLY_REJECTED, non_retryable=True)
        if reply.outcome == "rejected":
            raise ApplicationError(f"SRV {spec.srv} {entry.request_id} rejected: {reply.reason}",
                                   reply.code, type=REJECTED, non_retryable=True)
        return SentRequest(request_id=entry.request_id, ack_code=reply.code)

    def sent_requests(self, workflow_id: str) -> list[UserOutboxEntry]:
        with session_scope(self.engine) as s:
            return list(s.exec(select(UserOutboxEntry).where(UserOutboxEntry.workflow_id == workflow_id)))
