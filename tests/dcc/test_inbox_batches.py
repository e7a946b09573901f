"""A batch of the DCC's deliveries to the embedded Users (``Outbound.deliver`` → ``UserInbox.receive_many``): each
message verified against the DCC's certificate and kept in order, all in one transaction, and a batch holding a
message the DCC did not sign refused before anything of it is kept."""

from __future__ import annotations

import pytest
from dcc_support import ESME, GPF, SUPPLIER_A, inbox, now

from dccflow.db import session_scope
from dccflow.security.xmldsig import SignatureError


def _alerts(rt, keys: list[str], device_id: str) -> list[bytes]:
    with session_scope(rt.engine) as s:
        rows = [rt.outbound.dcc_alert(s, key=key, recipient=SUPPLIER_A, alert_code="N44", device_id=device_id,
                                      at=now(), data={"device_type": "ESME"}) for key in keys]
        return [row.xml for row in rows]


async def test_a_batch_of_deliveries_is_kept_in_order(stack):
    rt = stack.runtime
    first, second = _alerts(rt, ["batch-1", "batch-2"], ESME)
    routed = await rt.inbox.receive_many([(SUPPLIER_A, first), (SUPPLIER_A, second)])
    assert routed == [None, None]  # no process waits for these Devices' alerts: kept in the inbox only
    kept = inbox(rt, SUPPLIER_A)
    assert [(e.kind, e.code, e.device_id, e.xml) for e in kept] == [
        ("dcc_alert", "N44", ESME, first), ("dcc_alert", "N44", ESME, second)]


async def test_a_batch_with_a_message_not_signed_by_the_dcc_is_refused_whole(stack):
    rt = stack.runtime
    good, other = _alerts(rt, ["batch-3", "batch-4"], GPF)
    tampered = other.replace(b"N44", b"N45")  # the signature no longer matches what it signed
    with pytest.raises(SignatureError, match="digest mismatch"):
        await rt.inbox.receive_many([(SUPPLIER_A, good), (SUPPLIER_A, tampered)])
    assert inbox(rt, SUPPLIER_A) == []
