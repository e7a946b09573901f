"""A User's receiving endpoint: what the DCC delivers arrives here as signed DUIS XML. It is verified against
the DCC's certificate, parsed, kept, and routed as a signal to the workflow that waits for it: Service
Responses by RequestID, alerts by RequestID when they carry one, otherwise by device — Device Alerts only to a
workflow that said it waits for them (``AlertRoute.device_alerts``); every message is kept in the inbox."""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import bindparam, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.service import RPCError

from activities.store import AlertRoute, UserInboxEntry, UserOutboxEntry
from dccflow.clock import activity_now
from dccflow.db import session_scope, upsert
from dccflow.duis.responses import parse_response
from dccflow.duis.schema import secure_parse
from dccflow.messages import InboundMessage
from dccflow.parties import DCC_ID
from dccflow.prepared import Prepared
from dccflow.security.pki import entity_id_of
from dccflow.security.xmldsig import verify

log = logging.getLogger(__name__)

#: the signal every User workflow exposes for what the DCC sends it
DUIS_SIGNAL = "duis_message"

_INSERT_ENTRY = UserInboxEntry.__table__.insert()
_ENTRIES = UserInboxEntry.__table__
#: the workflow that sent a request (its replies and alerts go to it)
_SENDER = Prepared(select(UserOutboxEntry.workflow_id).where(UserOutboxEntry.request_id == bindparam("request_id")))
#: an entry signalled to its workflow: executed with many (entry, workflow) pairs at once
_MARK_ROUTED = _ENTRIES.update().where(_ENTRIES.c.id == bindparam("entry")).values(routed_to=bindparam("workflow"))


class InboundRejected(ValueError):
    pass


class UserInbox:
    def __init__(self, engine: Engine, client: Client, find_certificate):
        self.engine = engine
        self.client = client
        self.find_certificate = find_certificate
        _add_device_alerts_column(engine)

    async def receive(self, recipient: str, xml: bytes) -> str | None:
        return (await self.receive_many([(recipient, xml)]))[0]

    async def receive_many(self, messages: list[tuple[str, bytes]]) -> list[str | None]:
        """``receive`` for several (recipient, signed XML) at once, in order: each verified and parsed, all kept
        in one transaction, each signalled to its workflow, then the routed entries marked in one more. A message
        that fails verification refuses the delivery before anything is kept. The workflow each went to."""
        checked = [(recipient, xml, self._check(xml)) for recipient, xml in messages]
        with session_scope(self.engine) as s:
            kept = [self._store(s, recipient, xml, message) for recipient, xml, message in checked]
        routed: list[str | None] = []
        for (_, _, message), (_entry, workflow_id) in zip(checked, kept, strict=True):
            if workflow_id is not None:
                try:
                    await self.client.get_workflow_handle(workflow_id).signal(DUIS_SIGNAL, message)
                except RPCError as exc:  # the process already ended: the message stays in the inbox
                    log.info("not routed to %s: %s", workflow_id, exc)
                    workflow_id = None
            routed.append(workflow_id)
        marks = [dict(entry=entry_id, workflow=wf) for (entry_id, _), wf in zip(kept, routed, strict=True) if wf]
        if marks:
            with session_scope(self.engine) as s:
                s.connection().execute(_MARK_ROUTED, marks)
        return routed

    def for_sender(self, recipient: str, xml: bytes, workflow_id: str) -> InboundMessage:
        """A reply the sending activity hands to its own workflow as its result (a Non-Device Service Response, a
        Command for Local Delivery): verified and kept like any other message, ``routed_to`` that workflow; no
        signal (the activity's result is the delivery, and a retried activity hands it again)."""
        return self._keep(recipient, xml, routed_to=workflow_id)[0]

    def _keep(self, recipient: str, xml: bytes, *,
              routed_to: str | None = None) -> tuple[InboundMessage, int | None, str | None]:
        """Verify, parse and keep a message: it, its inbox entry and the workflow to signal (if any)."""
        message = self._check(xml)
        with session_scope(self.engine) as s:
            entry_id, workflow_id = self._store(s, recipient, xml, message, routed_to=routed_to)
        return message, entry_id, workflow_id

    def _check(self, xml: bytes) -> InboundMessage:
        """Verify the DCC's signature and parse the message."""
        root = secure_parse(xml)
        cert = verify(root, self.find_certificate)
        if entity_id_of(cert) != DCC_ID:
            raise InboundRejected(f"message signed by {entity_id_of(cert)}, not by the DCC")
        parsed = parse_response(xml)
        return InboundMessage(
            kind=parsed.kind, request_id=parsed.request_id, response_code=parsed.response_code,
            service_reference_variant=parsed.service_reference_variant, dcc_alert_code=parsed.dcc_alert_code,
            device_alert_code=parsed.device_alert_code, device_id=parsed.device_id, at=parsed.at,
            body=parsed.body)

    @staticmethod
    def _store(s: Session, recipient: str, xml: bytes, message: InboundMessage, *,
               routed_to: str | None = None) -> tuple[int, str | None]:
        """Keep a checked message in ``s``'s transaction: its inbox entry and the workflow to signal (if any)."""
        workflow_id = None
        if message.request_id and routed_to is None:
            sent = _SENDER.first(s.connection(), {"request_id": message.request_id})  # the column only: not the XML
            workflow_id = sent[0] if sent is not None else None
        if workflow_id is None and routed_to is None and message.device_id and message.kind != "service_response":
            route = s.get(AlertRoute, (recipient, message.device_id))
            wanted = route is not None and (route.device_alerts or message.kind != "device_alert")
            workflow_id = route.workflow_id if wanted else None
        kept = s.connection().execute(_INSERT_ENTRY, dict(  # Core: written once here, no object needed
            recipient=recipient, kind=message.kind, request_id=message.request_id, device_id=message.device_id,
            code=message.dcc_alert_code or message.response_code, routed_to=routed_to,
            received_at=activity_now(), xml=xml))
        return kept.inserted_primary_key[0], workflow_id

    def register_routes(self, recipient: str, device_ids: list[str], workflow_id: str, *,
                        device_alerts: bool = True, session: Session | None = None) -> None:
        """Route the devices' alerts to ``workflow_id`` (the latest process that asked); their Device Alerts too
        only with ``device_alerts`` (the workflow waits for them). In ``session``'s transaction if given."""
        with contextlib.nullcontext(session) if session is not None else session_scope(self.engine) as s:
            upsert(s, AlertRoute, [dict(recipient=recipient, device_id=device_id, workflow_id=workflow_id,
                                        device_alerts=device_alerts) for device_id in dict.fromkeys(device_ids)],
                   update=["workflow_id", "device_alerts"])


def _add_device_alerts_column(engine: Engine) -> None:
    """``AlertRoute.device_alerts`` was added since: a database created before lacks the column."""
    table = AlertRoute.__tablename__
    if "device_alerts" in {c["name"] for c in inspect(engine).get_columns(table)}:
        return
    try:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN device_alerts BOOLEAN NOT NULL DEFAULT 1"))
    except OperationalError:  # another process added it meanwhile
        if "device_alerts" not in {c["name"] for c in inspect(engine).get_columns(table)}:
            raise
