"""Where the DCC delivers to each User over HTTP: a persisted registry of receive URLs and the delivery function.

A User tells the DCC where it receives (in the real service, part of setting up its DCC Gateway Connection,
SEC H3.1); the DCC then POSTs every Service Response, DCC Alert and Device Alert meant for it there (SEC
H3.3(c)–(f)). ``HttpDelivery`` is an ``dccsim.outbound.Endpoint``: connect it with ``Outbound.connect``.

A delivery that does not end in a 2xx raises, so the DCC activity that delivers is retried by Temporal; the
outbound log makes every retry re-send the same bytes (at-least-once; receivers deduplicate).
"""

from __future__ import annotations

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, select

from dccflow.db import session_scope
from dccflow.http_client import LazyHttpClient

#: media type of DUIS messages on the wire
DUIS_MEDIA_TYPE = "application/xml"


class UserEndpoint(SQLModel, table=True):
    """A User's receive URL (one per User ID)."""

    __tablename__ = "dcc_user_endpoint"

    user_id: str = Field(primary_key=True)
    url: str


class DeliveryFailed(RuntimeError):
    """The User's endpoint is unknown, unreachable or refused the message (retried by the DCC's activity)."""


class UserEndpointRegistry:
    def __init__(self, engine: Engine):
        self.engine = engine
        # the table may be newer than the database file: create it if missing (idempotent)
        UserEndpoint.__table__.create(engine, checkfirst=True)

    def register(self, user_id: str, url: str) -> None:
        with session_scope(self.engine) as s:
            row = s.get(UserEndpoint, user_id) or UserEndpoint(user_id=user_id, url=url)
            row.url = url
            s.add(row)

    def url_for(self, user_id: str) -> str | None:
        with session_scope(self.engine) as s:
            row = s.get(UserEndpoint, user_id)
            return row.url if row else None

    def all(self) -> dict[str, str]:
        with session_scope(self.engine) as s:
            return {r.user_id: r.url for r in s.exec(select(UserEndpoint).order_by(UserEndpoint.user_id))}


class HttpDelivery(LazyHttpClient):
    """``async (recipient User ID, signed DUIS XML) -> None``: POST the message to the User's registered URL."""

    def __init__(self, registry: UserEndpointRegistry, *, timeout: float = 30.0,
                 client: httpx.AsyncClient | None = None):
        super().__init__(timeout=timeout, client=client)
        self.registry = registry

    async def __call__(self, recipient: str, xml: bytes) -> None:
        url = self.registry.url_for(recipient)
        if url is None:
            raise DeliveryFailed(f"User {recipient} has registered no receive URL with the DCC")
        try:
            reply = await self._http().post(url, content=xml, headers={"Content-Type": DUIS_MEDIA_TYPE})
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"delivery to {recipient} at {url} failed: {exc!r}") from exc
        if not reply.is_success:
            raise DeliveryFailed(f"delivery to {recipient} at {url}: HTTP {reply.status_code} "
                                 f"{reply.text[:300]!r}")

            self._client = None
