"""The DCC's index of the Devices each Non-Device Service Request names (``dccsim.request_devices``), written in the
request's own transaction: what lets the audit read a Device's requests without reading every request body."""

from __future__ import annotations

from dcc_support import CHF, MPAN, SUPPLIER_A, now, premises, signed_request

from dccflow.db import session_scope
from dccflow.parties import DCC_ID
from dccflow_app.scenarios.audit import read_dcc_records
from dccsim import request_devices


async def test_the_dcc_indexes_a_non_device_request_under_the_devices_it_names(stack) -> None:
    """SRV 8.14.1 names its CHF in the body only (its target is the DCC): the intake writes the index row in the
    request's own transaction, so the audit finds the request without reading any request body."""
    rt = stack.runtime
    premises(rt)
    request_devices.ensure_indexed(rt.engine)  # the index is complete from here on
    reply = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "8.14.1", DCC_ID, 1, chf_id=CHF, mpxn=MPAN), now())
    assert (reply.outcome, reply.code) == ("accepted", "I0")
    rid = f"{SUPPLIER_A}:{DCC_ID}:1"
    with session_scope(rt.engine) as s:
        assert list(s.exec(request_devices.requests_naming(s, [CHF]))) == [rid]
    assert [r.request_id for r in read_dcc_records(rt.engine, [CHF]).requests if r.srv == "8.14.1"] == [rid]
