"""The User's side of the DCC User Interface: compose, sign and send a DUIS Service Request, and deal with the
DCC's synchronous reply.

* Non-Critical: the reply is the Acknowledgement (I99); the Service Response comes later to the inbox.
* Non-Device: the reply is the Service Response itself (CommandVariant 8 is synchronous); the User's own inbox
  (``activities.inbox``) verifies and keeps it, and it goes back to the sending workflow as this activity's
  result (``SentRequest.reply``), not as a signal.
* Critical: the reply is a Pre-Command. The User checks the DCC's signature and certificate, Correlates the
  Pre-Command with its own request and, only if they are substantively identical, Digitally Signs its GBCS
  Payload and sends the Signed Pre-Command (SEC Appendix AB 3.1, 3.2; BAD 7.8.4.4.2).

Idempotent by construction: the outbox is keyed by the workflow step that sends the request, so a retried
activity re-sends the very same signed bytes (same RequestID), which the DCC recognises as a retransmission
and answers as before; the Signed Pre-Command is kept too, so a retry re-sends the same one. A business
rejection (an E-code, the DCC's silence after a bad signature, a Pre-Command that does not correlate) is a
non-retryable error; a transport fault raises and is retried by Temporal.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from cryptography import x509
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.compose import CertificateResolver, compose_request
from activities.credentials import UserKeyStore
from activities.inbox import UserInbox
from activities.store import UserCounter, UserOutboxEntry, UserSignedPreCommand
from dccflow.clock import activity_now
from dccflow.db import session_scope, update_row
from dccflow.domain.service_requests import lookup_srv
from dccflow.duis.messages import build_request, request_from_element, to_bytes
from dccflow.duis.responses import DuisResponse, response_from_element
from dccflow.duis.schema import DuisError, secure_parse, validate
from dccflow.gbcs import correlate, sign_payload
from dccflow.messages import InboundMessage
from dccflow.parties import DCC_ID, party_of
from dccflow.security.pki import CertificateError, Credential, entity_id_of
from dccflow.security.xmldsig import SignatureError, sign, verify
from dccsim.service import SubmitReply

REJECTED = "ServiceRequestRejected"
SILENTLY_REJECTED = "ServiceRequestSilentlyRejected"
PRE_COMMAND_NOT_SIGNED = "PreCommandNotSigned"
ACKNOWLEDGEMENT = "I99"
#: the Signed Pre-Command's CommandVariant for each Critical request's (DUIS CommandVariant table: 4 → 5)
SIGNED_PRE_COMMAND_VARIANT = {4: 5}
#: ... and when the Command is for local delivery only (CV 6: 'Signed Pre-Command → Command for Local Delivery')
LOCAL_SIGNED_PRE_COMMAND_VARIANT = 6
#: a Non-Critical request whose Command is for local delivery only (CV 2)
LOCAL_COMMAND_VARIANT = 2

#: (signer's User ID, target Device) → the credential whose certificate the Device's cell holds, when not current
CommandKey = Callable[[str, str], Credential | None]
#: (certificate, at) → None, raising CertificateError: the SMKI 'Confirm Validity' (AB 3.1(b))
ConfirmValidity = Callable[[x509.Certificate, datetime], None]


class ServiceRequestSpec(BaseModel):
    step: str  # unique within the workflow: the BPMN id, plus the device where one step repeats
    user_id: str
    srv: str
    target: str
    params: dict = Field(default_factory=dict)
    #: devices whose alerts (those carrying no RequestID of this workflow's) are routed to this workflow
    route_devices: list[str] = Field(default_factory=list)
    #: ... including their Device Alerts: only a workflow that waits for them asks (each is a signal, a workflow
    #: task and history); otherwise they stay in the User's inbox (``activities.inbox``)
    route_device_alerts: bool = False
    #: the Command is for local delivery (BAD 7.2.2.6.2): CommandVariant 2, or 6 for the Signed Pre-Command; the
    #: DCC returns it in its reply (``LocalCommand``), which goes to the inbox like a Service Response
    local_delivery: bool = False
    #: Critical requests: the User ID whose key signs the Command (the GBCS Payload of the Signed Pre-Command),
    #: when not the sender's: another MPID of the same Party whose certificate the Device holds (BAD 7.2.1.6.9)
    command_signer: str | None = None


class SentRequest(BaseModel):
    request_id: str
    ack_code: str | None = None
    #: a Critical request: the Pre-Command was checked, correlated and signed (AB 3.1, 3.2)
    pre_command_signed: bool = False
    #: the DCC's synchronous answer that goes to the inbox (a Non-Device Service Response, a Command for Local
    #: Delivery): kept there and handed to the sending workflow here rather than by a signal
    reply: InboundMessage | None = None


class DccTransport(Protocol):
    async def submit(self, xml: bytes, at) -> SubmitReply: ...


class InProcessTransport:
    """The embedded default: the DCC runs in the same process; the bytes are all that cross."""

    def __init__(self, dcc):
        self.dcc = dcc

    async def submit(self, xml: bytes, at) -> SubmitReply:
        return await self.dcc.submit(xml, at)


class PreCommandRefused(ValueError):
    """The Pre-Command fails the User's checks (AB 3.1): it is not signed."""


class DuisClient:
    def __init__(self, engine: Engine, keys: UserKeyStore, inbox: UserInbox, transport: DccTransport, *,
                 confirm_validity: ConfirmValidity | None = None,
                 certificate_resolver: CertificateResolver | None = None,
                 command_key: CommandKey | None = None):
        self.engine = engine
        #: the key a Command to a Device must be signed with when the Device still holds a previous Organisation
        #: Certificate of the signer (``activities.org_cert_rollover``); None: the signer's current key
        self.command_key = command_key
        #: resolves ``certificate_of`` in SRV 6.15.1 / 6.21 parameters (``activities.compose``)
        self.certificate_resolver = certificate_resolver
        self.keys = keys
        self.inbox = inbox
        self.transport = transport
        self.confirm_validity = confirm_validity

    def _next_counter(self, s, originator: str) -> int:
        row = s.get(UserCounter, originator) or UserCounter(originator=originator, last=0)
        row.last += 1
        s.add(row)
        return row.last

    def prepare(self, spec: ServiceRequestSpec, workflow_id: str) -> UserOutboxEntry:
        """The outbox entry of this step (made and signed once), its alert routes registered in the same
        transaction."""
        step_key = f"{workflow_id}/{spec.step}"
        with session_scope(self.engine) as s:
            if spec.route_devices:
                self.inbox.register_routes(spec.user_id, spec.route_devices, workflow_id,
                                           device_alerts=spec.route_device_alerts, session=s)
            entry = s.get(UserOutboxEntry, step_key)
            if entry is not None:
                return entry
            counter = self._next_counter(s, spec.user_id)
            request_id = f"{spec.user_id}:{spec.target}:{counter}"
            params = spec.params
            if spec.local_delivery and not lookup_srv(spec.srv).is_critical:
                params = {**params, "command_variant": LOCAL_COMMAND_VARIANT}
            element = compose_request(spec.srv, request_id, params, self.certificate_resolver)
            cred = self.keys.get(spec.user_id)
            xml = to_bytes(sign(element, cred.key, cred.cert))
            entry = UserOutboxEntry(step_key=step_key, request_id=request_id, workflow_id=workflow_id,
                                    srv=spec.srv, xml=xml, created_at=activity_now())
            s.add(entry)
            return entry

    @activity.defn
    async def send_service_request(self, spec: ServiceRequestSpec) -> SentRequest:
        return await self.send(spec, activity.info().workflow_id)

    async def send(self, spec: ServiceRequestSpec, workflow_id: str) -> SentRequest:
        """``send_service_request`` for ``workflow_id``'s step ``spec.step``: also the body of an activity that sends
        many (``activities.smki_recovery_handback``)."""
        entry = self.prepare(spec, workflow_id)
        reply = await self.transport.submit(entry.xml, activity_now())
        with session_scope(self.engine) as s:
            update_row(s, UserOutboxEntry, entry.step_key, reply_code=reply.code or reply.outcome)
        _raise_if_refused(spec.srv, entry.request_id, reply)
        if reply.xml is None:
            return SentRequest(request_id=entry.request_id, ack_code=reply.code)
        if _is_pre_command(reply.xml):
            try:
                spc = self.signed_pre_command(entry, reply.xml, activity_now(), local_delivery=spec.local_delivery,
                                              command_signer=spec.command_signer)
            except PreCommandRefused as exc:
                raise ApplicationError(f"SRV {spec.srv} {entry.request_id}: Pre-Command not signed: {exc}",
                                       type=PRE_COMMAND_NOT_SIGNED, non_retryable=True) from None
            spc_reply = await self.transport.submit(spc, activity_now())
            with session_scope(self.engine) as s:
                update_row(s, UserSignedPreCommand, entry.request_id, reply_code=spc_reply.code or spc_reply.outcome)
            _raise_if_refused(spec.srv, entry.request_id, spc_reply, what="Signed Pre-Command")
            local = None
            if spc_reply.xml is not None and spc_reply.code != ACKNOWLEDGEMENT:  # the Command for Local Delivery
                local = self.inbox.for_sender(spec.user_id, spc_reply.xml, workflow_id)
            return SentRequest(request_id=entry.request_id, ack_code=spc_reply.code, pre_command_signed=True,
                               reply=local)
        if reply.code != ACKNOWLEDGEMENT:  # a Non-Device request's Service Response: to the inbox
            return SentRequest(request_id=entry.request_id, ack_code=reply.code,
                               reply=self.inbox.for_sender(spec.user_id, reply.xml, workflow_id))
        return SentRequest(request_id=entry.request_id, ack_code=reply.code)

    # -- the Critical round trip (AB 3.1, 3.2) -----------------------------------------------------------
    def check_pre_command(self, entry: UserOutboxEntry, xml: bytes, at: datetime) -> tuple[DuisResponse, bytes]:
        """Check Cryptographic Protection (a), Confirm Validity (b), then Correlate (c); return the parsed
        Pre-Command and its GBCS Payload."""
        try:
            root = secure_parse(xml)
            validate(root)
            cert = verify(root, self.inbox.find_certificate)
            if entity_id_of(cert) != DCC_ID:
                raise PreCommandRefused(f"signed by {entity_id_of(cert)}, not by the DCC")
            if self.confirm_validity is not None:
                self.confirm_validity(cert, at)
            parsed = response_from_element(root)
            payload = base64.b64decode(parsed.body["PreCommand"]["GBCSPayload"], validate=True)
        except (DuisError, SignatureError, CertificateError, KeyError, ValueError) as exc:
            if isinstance(exc, PreCommandRefused):
                raise
            raise PreCommandRefused(f"{type(exc).__name__}: {exc}") from exc
        own = request_from_element(secure_parse(entry.xml))
        header = own.header
        problems = [] if parsed.request_id == header.request_id else [f"answers {parsed.request_id}"]
        if parsed.service_reference_variant != header.service_reference_variant:
            problems.append(f"is for SRV {parsed.service_reference_variant}")
        problems += correlate(payload, request_id=header.request_id, originator=header.originator,
                              target=header.target, counter=header.counter,
                              use_cases=lookup_srv(header.service_reference_variant).gbcs_use_cases, body=own.body)
        if problems:
            raise PreCommandRefused("not substantively identical to the Service Request: " + "; ".join(problems))
        return parsed, payload

    def signed_pre_command(self, entry: UserOutboxEntry, xml: bytes, at: datetime, *,
                           local_delivery: bool = False, command_signer: str | None = None) -> bytes:
        """The Signed Pre-Command for ``entry``'s Pre-Command, made once and kept (AB 3.2). The GBCS Payload is
        signed with the sender's key or with ``command_signer``'s: another User ID of the same Party whose
        Organisation Certificate the Device holds (a Supplier with several MPIDs, BAD 7.2.1.6.9)."""
        with session_scope(self.engine) as s:
            kept = s.get(UserSignedPreCommand, entry.request_id)
            if kept is not None and kept.pre_command == xml:
                return kept.signed_pre_command
        _, payload = self.check_pre_command(entry, xml, at)
        own = request_from_element(secure_parse(entry.xml))
        header = own.header
        cred = self.keys.get(header.originator)
        signer = cred
        if command_signer is not None and command_signer != header.originator:
            if party_of(command_signer) is None or party_of(command_signer) != party_of(header.originator):
                raise PreCommandRefused(f"{command_signer} is not a User ID of {header.originator}'s Party")
            signer = self.keys.get(command_signer)
        if self.command_key is not None:
            signer = self.command_key(command_signer or header.originator, header.target) or signer
        signed = sign_payload(payload, signer.key)
        element = build_request(
            request_id=header.request_id, service_reference_variant=header.service_reference_variant,
            body_element="SignedPreCommand",
            body={"ExecutionDateTime": own.body.get("ExecutionDateTime"),
                  "GBCSPayload": base64.b64encode(signed).decode()},
            command_variant=LOCAL_SIGNED_PRE_COMMAND_VARIANT if local_delivery
            else SIGNED_PRE_COMMAND_VARIANT.get(header.command_variant, 5))
        validate(element)
        spc = to_bytes(sign(element, cred.key, cred.cert))
        with session_scope(self.engine) as s:
            kept = s.get(UserSignedPreCommand, entry.request_id) or UserSignedPreCommand(
                request_id=entry.request_id, pre_command=xml, signed_pre_command=spc, signed_at=at)
            kept.pre_command, kept.signed_pre_command, kept.signed_at = xml, spc, at
            s.add(kept)
        return spc

    def sent_requests(self, workflow_id: str) -> list[UserOutboxEntry]:
        with session_scope(self.engine) as s:
            return list(s.exec(select(UserOutboxEntry).where(UserOutboxEntry.workflow_id == workflow_id)))


def _is_pre_command(xml: bytes) -> bool:
    try:
        return "PreCommand" in response_from_element(secure_parse(xml)).body
    except DuisError:
        return False


def _raise_if_refused(srv: str, request_id: str, reply: SubmitReply, what: str = "") -> None:
    label = f"SRV {srv} {request_id}" + (f" ({what})" if what else "")
    if reply.outcome == "silent":
        raise ApplicationError(f"{label}: no reply from the DCC (rejected silently: SEC AB 6.3 / 7.3(b))",
                               type=SILENTLY_REJECTED, non_retryable=True)
    if reply.outcome == "rejected":
        raise ApplicationError(f"{label} rejected: {reply.reason}", reply.code, type=REJECTED, non_retryable=True)
