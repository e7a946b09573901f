"""What the DCC sends to Users: DUIS Service Responses, DCC Alerts and forwarded Device Alerts, each signed
with the DCC's key, logged once under a delivery key, then handed to the User's receiving endpoint.

Delivery is at-least-once: a retried activity re-delivers the logged bytes, never a second, different
message; receivers deduplicate. Each alert is measured against the 60-second Target Response Time when it is
logged (SEC H3.14(g); ``dccsim.servicelevels``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from lxml import etree
from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from dccflow.db import session_scope
from dccflow.duis.messages import to_bytes
from dccflow.duis.responses import build_device_alert, build_service_response
from dccflow.prepared import Prepared
from dccflow.security.xmldsig import sign
from dccsim import servicelevels
from dccsim.alert_bodies import dcc_alert_element
from dccsim.config import ALERTS
from dccsim.models import DeliveredMessage, insert_new, insert_values
from dccsim.smki import SmkiRepository

#: the id of the message logged under a delivery key (the row itself is read only when there is one)
_LOGGED = Prepared(select(DeliveredMessage.id).where(DeliveredMessage.delivery_key == bindparam("key")))

#: A User's receiving endpoint: (recipient User ID, signed DUIS XML) → None
Endpoint = Callable[[str, bytes], Awaitable[object]]
#: ... and one taking [(recipient User ID, signed DUIS XML), ...], delivered in order
ManyEndpoint = Callable[[list[tuple[str, bytes]]], Awaitable[object]]


class Outbound:
    def __init__(self, engine: Engine, smki: SmkiRepository):
        self.engine = engine
        self.smki = smki
        self._endpoint: Endpoint | None = None
        self._many: ManyEndpoint | None = None

    def connect(self, endpoint: Endpoint, *, many: ManyEndpoint | None = None) -> None:
        """``many``: the same endpoint taking several messages in one call, where it can (the embedded Users'
        inboxes keep a batch in one transaction); ``deliver`` then hands it each batch, in order."""
        self._endpoint = endpoint
        self._many = many

    def _signed(self, element: etree._Element, s: Session | None = None) -> bytes:
        cred = self.smki.dcc_credential(s)
        return to_bytes(sign(element, cred.key, cred.cert))

    def _log(self, s: Session, key: str, make: Callable[[], DeliveredMessage], *,
             new: bool = False) -> DeliveredMessage:
        """The message logged under ``key``, made and logged if there is none. ``new``: the caller knows there
        is none (the unique delivery key would refuse a second one)."""
        if new:
            row = make()
            insert_new(s, row)
            return row
        logged = _LOGGED.first(s.connection(), {"key": key})  # messages are inserted at once: this one's too
        if logged is not None:
            return s.get(DeliveredMessage, logged[0])
        row = make()
        insert_new(s, row)
        return row

    # -- message kinds ----------------------------------------------------------------------------------
    def service_response(self, s: Session, *, recipient: str, request_id: str, srv: str, code: str,
                         at: datetime, device_id: str | None = None, payload=None,
                         kind: str = "service_response", new: bool = False) -> DeliveredMessage:
        """A Service Response. ``kind="sync_service_response"``: returned synchronously (Non-Device requests,
        CommandVariant 8), logged here for the audit but not delivered to the User's endpoint."""
        def make() -> DeliveredMessage:
            el = build_service_response(request_id=request_id, response_code=code, at=at,
                                        service_reference_variant=srv, payload=payload)
            return DeliveredMessage(delivery_key=f"{request_id}:response", recipient=recipient,
                                    kind=kind, request_id=request_id, response_code=code,
                                    device_id=device_id, at=at, xml=self._signed(el, s))

        return self._log(s, f"{request_id}:response", make, new=new)

    def sync_service_response(self, s: Session, *, recipient: str, request_id: str, srv: str, code: str,
                              at: datetime, payload=None) -> bytes:
        """``service_response(kind="sync_service_response", new=True)`` logged from a dict with one INSERT, no
        row object built (the DCC's intake: ``docs/performance.md``); returns the signed XML."""
        xml = self._signed(build_service_response(request_id=request_id, response_code=code, at=at,
                                                  service_reference_variant=srv, payload=payload), s)
        insert_values(s, DeliveredMessage, dict(delivery_key=f"{request_id}:response", recipient=recipient,
                                                kind="sync_service_response", request_id=request_id,
                                                response_code=code, at=at, xml=xml))
        return xml

    def dcc_alert(self, s: Session, *, key: str, recipient: str, alert_code: str, device_id: str,
                  at: datetime, request_id: str | None = None, data: dict | None = None,
                  event_at: datetime | None = None) -> DeliveredMessage:
        """A DCC Alert; ``event_at`` is the DCC event that caused it (the start of its response time)."""
        def make() -> DeliveredMessage:
            el = dcc_alert_element(alert_code=alert_code, device_id=device_id, at=at, request_id=request_id,
                                   data=data or {})
            servicelevels.record(s, ALERTS, key, started_at=event_at or at, stopped_at=at, user_id=recipient,
                                 new=True)  # made only when no message is logged under key, nor measured
            return DeliveredMessage(delivery_key=key, recipient=recipient, kind="dcc_alert",
                                    request_id=request_id, dcc_alert_code=alert_code, device_id=device_id,
                                    at=at, xml=self._signed(el, s))

        return self._log(s, key, make)

    def device_alert(self, s: Session, *, key: str, recipient: str, device_id: str, alert_code: int,
                     at: datetime, raised_at: datetime | None = None) -> DeliveredMessage:
        """A Device Alert forwarded to a User; ``raised_at``: when it reached the CHF (H3.14(g))."""
        def make() -> DeliveredMessage:
            # one more than any message logged so far: the highest id (the primary key's index), not a count of
            # every row, which grew with the outbound log (a whole-fleet drill forwards thousands of alerts)
            counter = (s.exec(select(func.max(DeliveredMessage.id))).one() or 0) + 1
            el = build_device_alert(device_id=device_id, alert_code=alert_code, at=at, recipient_id=recipient,
                                    counter=counter)
            servicelevels.record(s, ALERTS, key, started_at=raised_at or at, stopped_at=at, user_id=recipient,
                                 new=True)  # as for dcc_alert
            return DeliveredMessage(delivery_key=key, recipient=recipient, kind="device_alert",
                                    device_alert_code=alert_code, device_id=device_id, at=at,
                                    xml=self._signed(el, s))

        return self._log(s, key, make)

    # -- delivery ---------------------------------------------------------------------------------------
    async def deliver(self, rows: list[DeliveredMessage]) -> None:
        if self._endpoint is None:
            raise RuntimeError("no User endpoint connected to the DCC's outbound interface")
        due = [(row.recipient, row.xml) for row in rows
               if row.kind != "sync_service_response"]  # a synchronous one was returned to the sender already
        if self._many is not None and len(due) > 1:
            await self._many(due)
            return
        for recipient, xml in due:
            await self._endpoint(recipient, xml)

    def sent(self, *, device_ids: list[str] | None = None) -> list[DeliveredMessage]:
        with session_scope(self.engine) as s:
            q = select(DeliveredMessage).order_by(DeliveredMessage.id)
            if device_ids is not None:
                q = q.where(DeliveredMessage.device_id.in_(device_ids))
            return list(s.exec(q))
