"""What the DCC starts after a request (``DccService.start_follow_ups``): the workflows that what was committed
calls for, found by reading the database, so that a Commissioning written by another DCC process or an earlier run is
not missed (AC 5.1, 5.3: the DCC's post-commissioning duties)."""

from __future__ import annotations

from datetime import UTC

from dcc_support import CHF, MPAN, SUPPLIER_A, now, premises, signed_request
from sqlmodel import select
from temporalio.service import RPCError

from dccflow.db import session_scope
from dccflow.parties import DCC_ID
from dccsim.models import SmiStatusChange
from dccsim.post_commissioning_duties import duty_workflow_id


async def test_a_chf_commissioned_by_another_writer_gets_its_duties_at_the_dccs_first_request(stack):
    rt = stack.runtime
    premises(rt)  # the CHF Commissioned on the SMI by another writer: nothing told this DCC process
    with session_scope(rt.engine) as s:
        commissioned = s.exec(select(SmiStatusChange.at).where(SmiStatusChange.device_id == CHF,
                                                               SmiStatusChange.to_status == "commissioned")).one()
    handle = stack.client.get_workflow_handle(duty_workflow_id(CHF, commissioned.replace(tzinfo=UTC)))
    try:
        await handle.describe()
        raise AssertionError("the duties were started before any request")
    except RPCError:
        pass  # not started yet
    # a request that Commissions nothing itself: the DCC's first look finds the CHF
    reply = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "8.14.1", DCC_ID, 1, chf_id=CHF, mpxn=MPAN), now())
    assert (reply.outcome, reply.code) == ("accepted", "I0")
    assert (await handle.describe()).status is not None  # the CHF's duty workflow runs (AC 5.1, 5.3)
