"""The Devices each rejected request names, indexed: a Device's rejections are found without reading every
rejection the DCC ever recorded.

The rejection log (``dccsim.records.RejectedRequest``, AB 6.3, 7.3) has no target column: a refused request may be
unreadable, and a Non-Device one is addressed to the DCC. The audit (``dccflow_app.scenarios.audit``) takes a
rejection as concerning a Device when its reason names the Device's ID or, failing that, its RequestID's target is
the Device; it used to read the reason and RequestID of every rejection to find them. When the DCC records a
rejection (``DccService._record_rejection``) it now writes, in the same transaction, one row per Device ID the
audit could match: the RequestID's target as written, and every EUI-64 in the reason (``named_in``).
``rejections_naming`` reads them; the audit then applies its own rule to those few rejections only.

Rejections recorded before this index existed have no rows: the first reader fills them in once
(``ensure_indexed``) and records that it did, as ``dccsim.request_devices`` does for the request log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from dccsim.index_backfill import index_missing
from dccsim.models import insert_values
from dccsim.records import RejectedRequest, RejectionDeviceIndexComplete, RejectionNamedDevice

#: every EUI-64 in its one form (``dccflow.domain.ids.normalise_eui64``) in a text, overlapping ones included: the
#: audit looks for a Device ID anywhere in a reason (a substring), so each position is a candidate
_EUI64_ANYWHERE = re.compile(r"(?=([0-9A-F]{2}(?:-[0-9A-F]{2}){7}))")


def named_in(request_id: str | None, reason: str | None) -> list[str]:
    """The Device IDs the audit may match a rejection with: its RequestID's target (``originator:target:counter``,
    as written) and each EUI-64 in its reason; in that order, once each."""
    names = (request_id or "").split(":")[1:2] + _EUI64_ANYWHERE.findall(reason or "")
    return list(dict.fromkeys(n for n in names if n))


def record(session: Session, rejection_id: int, names: Iterable[str]) -> None:
    """The rows of one rejection, in the caller's transaction (the one recording it)."""
    for device_id in dict.fromkeys(names):
        insert_values(session, RejectionNamedDevice, {"rejection_id": rejection_id, "device_id": device_id})


def rejections_naming(device_ids: Iterable[str]):
    """A SELECT of the ids of the rejections naming any of ``device_ids`` (``ensure_indexed`` first)."""
    return select(RejectionNamedDevice.rejection_id).where(RejectionNamedDevice.device_id.in_(list(device_ids)))


def ensure_indexed(engine: Engine) -> int:
    """Give every rejection recorded before the index existed its rows, once, in a transaction of its own; the
    number of rejections read (0 once done, or when another reader did it meanwhile)."""
    return index_missing(engine, RejectionDeviceIndexComplete, "rejections_read",
                         indexed=select(RejectionNamedDevice.rejection_id).distinct(),
                         source=select(RejectedRequest.id, RejectedRequest.request_id, RejectedRequest.reason),
                         record=lambda s, row: record(s, row[0], named_in(row[1], row[2])),
                         what="rejections")
