"""A User's receiving endpoint: what the DCC delivers arrives here as signed DUIS XML. It is verified against
the DCC's certificate, parsed, kept, and routed as a signal to the workflow that waits for it: Service
Responses by RequestID, alerts by RequestID when they carry one, otherwise by device."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.client import Client
from temporalio.service import RPCError

from activities.store import AlertRoute, UserInboxEntry, UserOutboxEntry
from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.duis.responses import parse_response
from dccflow.duis.schema import secure_parse
from dccflow.messages import InboundMessage
from dccflow.parties import DCC_ID
from dccflow.security.pki import entity_id_of
from dccflow.security.xmldsig import verify

log = logging.getLogger(__name__)

#: the signal every User workflow exposes for what the DCC sends it
DUIS_SIGNAL = "duis_message"


class InboundRejected(ValueError):
    pass


class UserInbox:
    def __init__(self, engine: Engine, client: Client, find_certificate):
        self.engine = engine
        self.client = client
        self.find_certificate = find_certificate

    async def receive(self, recipient: str, xml: bytes) -> str | None:
        root = secure_parse(xml)
        cert = verify(root, self.find_certificate)
        if entity_id_of(cert) != DCC_ID:
            raise InboundRejected(f"message signed by {entity_id_of(cert)}, not by the DCC")
        parsed = parse_response(xml)
        message = InboundMessage(
            kind=parsed.kind, request_id=parsed.request_id, response_code=parsed.response_code,
            service_reference_variant=parsed.service_reference_variant, dcc_alert_code=parsed.dcc_alert_code,
            device_alert_code=parsed.device_alert_code, device_id=parsed.device_id, at=parsed.at,
            body=parsed.body)
        with session_scope(self.engine) as s:
            workflow_id = None
            if message.request_id:
                sent = s.exec(select(UserOutboxEntry).where(UserOutboxEntry.request_id == message.request_id)).first()
                workflow_id = sent.workflow_id if sent else None
            if workflow_id is None and message.device_id and message.kind != "service_response":
                route = s.get(AlertRoute, (recipient, message.device_id))
                workflow_id = route.workflow_id if route else None
            entry = UserInboxEntry(recipient=recipient, kind=message.kind, request_id=message.request_id,
                                   device_id=message.device_id,
                                   code=message.dcc_alert_code or message.response_code,
                                   received_at=activity_now(), xml=xml)
            s.add(entry)
        if workflow_id is None:
            return None
        try:
            await self.client.get_workflow_handle(workflow_id).signal(DUIS_SIGNAL, message)
        except RPCError as exc:  # the process already ended: the message stays in the inbox
            log.info("not routed to %s: %s", workflow_id, exc)
            return None
        with session_scope(self.engine) as s:
            row = s.get(UserInboxEntry, entry.id)
            row.routed_to = workflow_id
            s.add(row)
        return workflow_id

    def register_routes(self, recipient: str, device_ids: list[str], workflow_id: str) -> None:
        with session_scope(self.engine) as s:
            for device_id in device_ids:
                route = s.get(AlertRoute, (recipient, device_id)) or AlertRoute(
                    recipient=recipient, device_id=device_id, workflow_id=workflow_id)
                route.workflow_id = workflow_id
                s.add(route)
