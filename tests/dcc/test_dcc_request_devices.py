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


async def test_the_dcc_indexes_a_rejection_under_the_devices_the_audit_matches_it_with(stack) -> None:
    """A refused request is recorded with the Device IDs the audit matches rejections by (its reason's, then its
    RequestID's target), in the rejection's own transaction: the audit reads those rejections, not every one."""
    from dcc_support import ESME, rejections

    from dccsim import rejection_devices

    rt = stack.runtime
    premises(rt)
    rejection_devices.ensure_indexed(rt.engine)  # the index is complete from here on
    # 8.14.1 naming an ESME, not a CHF: refused by the handler's check, the reason naming the ESME (E11)
    reply = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "8.14.1", DCC_ID, 1, chf_id=ESME, mpxn=MPAN), now())
    assert (reply.outcome, reply.code) == ("rejected", "E11")
    [row] = rejections(rt)
    assert ESME in row.reason
    with session_scope(rt.engine) as s:
        assert list(s.exec(rejection_devices.rejections_naming([ESME]))) == [row.id]
        assert list(s.exec(rejection_devices.rejections_naming([CHF]))) == []
    refused = [r for r in read_dcc_records(rt.engine, [ESME]).requests if r.rejected]
    assert [(r.request_id, r.target, r.response_code) for r in refused] == [(row.request_id, ESME, "E11")]
    assert not [r for r in read_dcc_records(rt.engine, [CHF]).requests if r.rejected]


def test_a_rejection_is_named_by_its_targets_and_every_device_id_in_its_reason() -> None:
    from dccsim.rejection_devices import named_in

    supplier, esme, chf = "90-B3-D5-1F-30-01-00-00", "00-DB-12-34-56-78-90-A1", "00-DB-12-34-56-78-90-C1"
    assert named_in(f"{supplier}:{esme}:7", f"{chf} is not the CHF of {esme}") == [esme, chf]
    assert named_in(None, "unreadable") == []
    # the audit matches a Device ID anywhere in a reason: an ID inside a longer run of hex pairs is one too
    assert named_in(None, f"{esme}-FF") == [esme, esme[3:] + "-FF"]
    assert named_in(f"{supplier}:{DCC_ID}:3", "role") == [DCC_ID]
