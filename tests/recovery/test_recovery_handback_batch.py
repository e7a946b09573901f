"""The Responsible Suppliers' handback after a Root recovery (SEC Appendix L 5.3.2; BAD 7.7.3.4.5) sent as batches
of SRV 6.21s (``workflows.smki_recovery_handback``): each Device still gets its own signed Service Request, which the
DCC checks, logs and processes once — also when the batch's activity is retried after it sent them (a worker lost
mid-batch): the retry re-sends the same signed bytes, which the DCC answers as retransmissions."""

from __future__ import annotations

from datetime import UTC, datetime

from recovery_support import status_history
from sqlmodel import select

from dccflow.config import USER_TASK_QUEUE
from dccflow.db import session_scope
from dccflow.domain.recovery import CompromisedKey
from dccflow.parties import DCC_ID
from dccflow_app.campaigns import build_in_service_fleet
from dccsim.models import DeliveredMessage, RequestLogEntry
from workflows.smki_recovery import SmkiRecoveryWorkflow, smki_recovery_workflow_id
from workflows.smki_recovery_model import SmkiRecoveryInput


async def test_a_handback_batch_retried_after_sending_hands_each_device_back_once(stack, tmp_path) -> None:
    rt = stack.runtime
    build_in_service_fleet(rt.engine, 3, datetime.now(UTC))
    real_send, sent_to, lost = rt.duis_client.send, [], []

    async def send_then_lose_the_worker(spec, workflow_id):
        reply = await real_send(spec, workflow_id)  # the DCC has logged and acknowledged it
        sent_to.append(spec.step)
        if not lost:
            lost.append(spec.step)
            raise ConnectionError("the worker went away before the batch reported")
        return reply

    rt.duis_client.send = send_then_lose_the_worker
    inp = SmkiRecoveryInput(incident_id="BATCH-1", compromised=CompromisedKey.ROOT_OCA, subscriber_id=DCC_ID)
    result = await stack.client.execute_workflow(SmkiRecoveryWorkflow.run, inp, task_queue=USER_TASK_QUEUE,
                                                 id=smki_recovery_workflow_id(inp.incident_id))

    assert result.end == "end_recovered", result.reason
    handovers = [e for e in result.events if e.bpmn_id == "handover_requested"]
    handed = {e.device_id: e.detail for e in handovers if e.detail.startswith("by ")}  # the Supplier cells
    assert len(handed) == 3 and all(": end_handover_done: the Supplier cell holds " in d for d in handed.values())
    assert all(": end_handover_done: " in e.detail for e in handovers)
    assert lost and sent_to.count(lost[0]) == 2  # sent, then sent again by the retried activity
    restored = {e.device_id for e in result.events if e.bpmn_id == "previous_status_restored"}
    assert set(handed) <= restored
    with session_scope(rt.engine) as s:
        logged = s.exec(select(RequestLogEntry).where(RequestLogEntry.srv == "6.21")).all()
        responses = s.exec(select(DeliveredMessage).where(DeliveredMessage.kind == "service_response",
                                                          DeliveredMessage.request_id.in_(
                                                              [r.request_id for r in logged]))).all()
    # one request per handover (a Device's Supplier cell, and its Network Operator cell), the resent one included
    assert sorted(r.target for r in logged) == sorted(e.device_id for e in handovers)
    assert {r.stage for r in logged} == {"completed"} and {m.response_code for m in responses} == {"I0"}
    assert len(responses) == len(logged)  # each processed once: one Service Response each
    for device_id in handed:  # 'recovery' → 'recovered' → the status before, once each
        history = status_history(tmp_path, device_id)
        assert history.count("recovered") == 1 and history[-1] == history[history.index("recovery") - 1]
