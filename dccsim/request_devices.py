"""The Devices each Non-Device Service Request names, indexed: a Device's requests are found without reading every
request the DCC ever took.

A Non-Device request is addressed to the DCC (its target is the DCC's id), and the Devices it concerns are in its
body: the CHF of a Communications Hub Status Update (SRV 8.14.x), the Device of an Update Inventory (8.4) or a
Decommission (8.3)… (the elements ``dccflow.search.devices_named`` reads, as for the workflows' search
attributes). Reading a Device's history (the audit: ``dccflow_app.scenarios.audit``) used to mean reading the body
of every Non-Device request in the log. The intake writes one row per Device the request names, in the transaction
that logs it (``Intake._non_device``); ``requests_naming`` reads them.

Requests logged before this index existed have no rows: the first reader fills them in once from the log
(``ensure_indexed``) and records that it did, so no later reader scans the log again.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from dccflow.parties import DCC_ID
from dccflow.search import devices_named_in
from dccsim.index_backfill import index_missing
from dccsim.models import RequestDeviceIndexComplete, RequestLogEntry, RequestNamedDevice, insert_values


def record(session: Session, request_id: str, names: Iterable[str]) -> None:
    """The Devices ``request_id`` names, in the caller's transaction (the one logging the request)."""
    for device_id in dict.fromkeys(names):
        insert_values(session, RequestNamedDevice, {"request_id": request_id, "device_id": device_id})


def requests_naming(session: Session, device_ids: Iterable[str]):
    """A SELECT of the RequestIDs of the Non-Device requests naming any of ``device_ids`` (``ensure_indexed``
    first)."""
    return select(RequestNamedDevice.request_id).where(RequestNamedDevice.device_id.in_(list(device_ids)))


def ensure_indexed(engine: Engine) -> int:
    """Give every Non-Device request logged before the index existed its rows, once, in a transaction of its own;
    the number of requests read (0 once done, or when another reader did it meanwhile)."""
    return index_missing(engine, RequestDeviceIndexComplete, "requests_read",
                         indexed=select(RequestNamedDevice.request_id).distinct(),
                         source=select(RequestLogEntry.request_id, RequestLogEntry.xml)
                         .where(RequestLogEntry.target == DCC_ID),
                         record=lambda s, row: record(s, row[0], devices_named_in(row[1])),
                         what="Non-Device requests")
