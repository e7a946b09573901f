"""The User side's own records: its signing credentials, the Service Requests it has sent (its outbox, which
makes sending idempotent), its RequestID counters, what it received, and where to route what arrives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class UserCredentialRow(SQLModel, table=True):
    __tablename__ = "user_credential"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    role_code: str
    key_pem: bytes
    cert_pem: bytes


class UserCounter(SQLModel, table=True):
    """The last RequestID counter used by an originator: counters only go up (anti-replay)."""

    __tablename__ = "user_counter"

    originator: str = Field(primary_key=True)
    last: int = Field(default=0, sa_type=BigInteger)  # an Originator Counter: 64 bits


class UserOutboxEntry(SQLModel, table=True):
    """A Service Request as built, signed and (maybe) sent. Keyed by the workflow step that sends it, so a
    retried activity finds and re-sends the very same bytes instead of composing a new request."""

    __tablename__ = "user_outbox"

    step_key: str = Field(primary_key=True)
    request_id: str = Field(index=True, unique=True)
    workflow_id: str = Field(index=True)
    srv: str
    xml: bytes
    created_at: datetime
    reply_code: str | None = None


class UserInboxEntry(SQLModel, table=True):
    """Everything the DCC delivered to a User, routed or not."""

    __tablename__ = "user_inbox"

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(index=True)
    kind: str
    request_id: str | None = Field(default=None, index=True)
    device_id: str | None = Field(default=None, index=True)
    code: str | None = None
    routed_to: str | None = None
    received_at: datetime
    xml: bytes


class AlertRoute(SQLModel, table=True):
    """Which workflow waits for alerts about a device (the latest process that asked)."""

    __tablename__ = "user_alert_route"

    recipient: str = Field(primary_key=True)
    device_id: str = Field(primary_key=True)
    workflow_id: str
    #: whether that workflow waits for the device's Device Alerts; if not, they are kept in the inbox, unsignalled
    #: (rows from before this column: True, as they were routed then)
    device_alerts: bool = True


class UserSignedPreCommand(SQLModel, table=True):
    """A Pre-Command the User received for one of its Critical Service Requests and the Signed Pre-Command it
    made of it (SEC Appendix AB 3.1–3.2). Kept so that a retried send re-sends the very same bytes."""

    __tablename__ = "user_signed_pre_command"

    request_id: str = Field(primary_key=True)
    pre_command: bytes
    signed_pre_command: bytes
    signed_at: datetime
    reply_code: str | None = None
