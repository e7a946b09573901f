"""The DCC's records for the end of a Device's life (BAD 7.6; SEC H6): the Certified Products List as the DCC
last received it (SEC H6.10; BAD 7.1.2.4.3), each CPL extract it received with its 24-hour suspension deadline,
and the H6.6 watch over the Devices a Communications Hub Function served when it was decommissioned.
Registered with the DCC's other tables by ``dccsim.models``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import JSON, Column, Field, SQLModel


class CplEntry(SQLModel, table=True):
    """A Device Model on the Certified Products List (BAD 7.1.2.4.1; SEC Appendix Z 6.4): a manufacturer, a model
    and a firmware version (``None``: every version), 'current' or 'removed'. A Device is on the CPL while a
    'current' entry matches it (firmware included: a firmware update can take it back on, BAD 7.1.2.4.4)."""

    __tablename__ = "dcc_cpl_entry"
    __table_args__ = (UniqueConstraint("manufacturer", "model", "firmware_version"),)

    id: int | None = Field(default=None, primary_key=True)
    manufacturer: str = Field(index=True)
    model: str
    firmware_version: str | None = None
    #: the Hash of the Manufacturer Image (SHA-256, upper-case hex; BAD 7.5.3.6.1-2): what 11.1 is checked against
    image_hash: str | None = Field(default=None, index=True)
    status: str = "current"
    changed_at: datetime


class CplExtract(SQLModel, table=True):
    """A CPL extract the DCC received from the Panel (BAD 7.1.2.4.1, 7.1.2.4.3): what it removed and added, when
    the DCC received it (the 24-hour clock starts), and when the DCC acted on it."""

    __tablename__ = "dcc_cpl_extract"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime
    removed: list = Field(default_factory=list, sa_column=Column(JSON))
    added: list = Field(default_factory=list, sa_column=Column(JSON))
    swept_at: datetime | None = None
    deadline_checked_at: datetime | None = None
    #: Devices suspended (and restored) by this extract, and how many only at the deadline
    suspended: list = Field(default_factory=list, sa_column=Column(JSON))
    restored: list = Field(default_factory=list, sa_column=Column(JSON))
    late: int = 0


class ChfOrphanWatch(SQLModel, table=True):
    """A CHF decommissioned (SRV 8.3) while Devices of its SMS were still on it (SEC H6.6; BAD 7.6.1.6.8): the
    Devices, and the watch's outcome once the reasonable period for a replacement CHF is over."""

    __tablename__ = "dcc_chf_orphan_watch"

    chf_id: str = Field(primary_key=True)
    decommissioned_at: datetime
    request_id: str
    sender: str
    devices: list = Field(default_factory=list, sa_column=Column(JSON))
    workflow_started: bool = Field(default=False, index=True)
    closed_at: datetime | None = None
    decommissioned: list = Field(default_factory=list, sa_column=Column(JSON))
    kept: list = Field(default_factory=list, sa_column=Column(JSON))
