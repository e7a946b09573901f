"""The Responsible Suppliers' handback of recovered Devices (SEC Appendix L 4.2.2.8, 5.3.2 as the BAD quotes them;
BAD 7.7.3.4.3, 7.7.2.5.5) as workflow code of the recovery workflow: each Device's SRV 6.21 'Request Handover of DCC
Controlled Device' sent by its Responsible Supplier, its Service Response awaited, the outcome recorded.

The 6.21s go out in batches of ``BATCH`` Devices, one activity each (``activities.smki_recovery_handback``), all
batches at once; each Device's Service Response (or the DCC Alert ending its request, BAD 7.8.5 Table 14) comes back
to the recovery workflow through the Supplier's inbox by RequestID (``SmkiRecoveryWorkflow.answers``). Each Device's
outcome is the one the per-Device ``RequestHandover`` process (``workflows.credentials``, run by histories made
before ``BATCHED_HANDBACK``) ends with: done, refused (the DCC's rejection code or the Device's failure response) or
failed (a Command failure alert, the DCC's silence, no answer within ``response_timeout``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.smki_recovery_handback import (
        HANDBACK_SRV,
        Handback,
        HandbackBatch,
        HandbackSent,
        RecoveryHandbackActivities,
    )
    from workflows.base import COMMAND_FAILURES, ServiceRequestFailed
    from workflows.smki_recovery_model import ACT, SmkiRecoveryInput

#: ``workflow.patched`` id: the handback as batched 6.21s in the recovery workflow, not a child workflow per Device
BATCHED_HANDBACK = "smki-recovery-batched-handback"
#: Devices per handback activity
BATCH = 100
#: the ends of ``RequestHandoverWorkflow`` (``workflows.credentials``) a Device's handback reaches
DONE, REFUSED, FAILED = "end_handover_done", "end_handover_refused", "end_service_request_failed"


@dataclass(frozen=True)
class HandbackOutcome:
    end: str
    reason: str

    @property
    def completed(self) -> bool:
        return self.end == DONE


def cell_name(cell: str) -> str:
    """The OCNF's cell as the 6.21's RemotePartyRole names it."""
    return "NetworkOperator" if cell == "Network Operator" else cell


async def send_handbacks(wf, inp: SmkiRecoveryInput, due: list[str], cells: dict[str, str],
                         senders: dict[str, str], certificate_of: dict[str, str] | None = None
                         ) -> dict[str, HandbackOutcome]:
    """Each Device of ``due``'s 6.21 from ``senders[device]`` for ``cells[device]``; Device → outcome. ``wf``: the
    recovery workflow (its ``answers`` and ``awaiting``). ``certificate_of``: Device → whose certificate goes into the
    cell when not the sender's (``workflows.smki_recovery_network``)."""
    handbacks = [Handback(device_id=d, sender_id=senders[d], cell=cell_name(cells[d]),
                          certificate_of=(certificate_of or {}).get(d)) for d in due]
    chunks = [handbacks[start:start + BATCH] for start in range(0, len(handbacks), BATCH)]
    batches = [workflow.execute_activity_method(RecoveryHandbackActivities.recovery_send_handbacks,
                                                HandbackBatch(handbacks=chunk), **ACT) for chunk in chunks]
    sent: list[HandbackSent] = [s for done in await asyncio.gather(*batches) for s in done]
    pending = {s.request_id for s in sent if s.request_id is not None} - set(wf.answers)
    wf.awaiting |= pending  # another batch of handbacks may be awaited beside this one
    try:
        await workflow.wait_condition(lambda: wf.awaiting.isdisjoint(pending), timeout=inp.response_timeout)
    except TimeoutError:
        pass
    wf.awaiting -= pending
    by_device = {h.device_id: h for h in handbacks}
    return {s.device_id: _outcome(s, by_device[s.device_id], wf.answers, inp) for s in sent}


def _outcome(sent: HandbackSent, h: Handback, answers: dict, inp: SmkiRecoveryInput) -> HandbackOutcome:
    """What ``RequestHandoverWorkflow`` ends with for the same answer (``ProcessWorkflow.service_request``, then
    ``_CredentialProcess._failed``)."""
    rid = sent.request_id
    if sent.refused is not None:
        failure = ServiceRequestFailed(HANDBACK_SRV, sent.refused, sent.code)
    else:
        answer = answers.get(rid)
        if answer is None:
            failure = ServiceRequestFailed(HANDBACK_SRV, f"no Service Response to {rid} within {inp.response_timeout}")
        elif answer.kind == "dcc_alert":
            failure = ServiceRequestFailed(HANDBACK_SRV, f"DCC Alert {answer.dcc_alert_code} for {rid}",
                                           answer.dcc_alert_code)
        elif not answer.success:
            failure = ServiceRequestFailed(HANDBACK_SRV, f"Service Response {answer.response_code} to {rid}",
                                           answer.response_code)
        else:
            return HandbackOutcome(DONE, f"the {h.cell} cell holds {h.certificate_of or h.sender_id}'s certificate")
    if failure.code is not None and failure.code not in COMMAND_FAILURES:
        return HandbackOutcome(REFUSED, str(failure))
    return HandbackOutcome(FAILED, str(failure))


def is_answer(message) -> bool:
    """A message that answers a Service Request: its Service Response, or a DCC Alert ending it (BAD 7.8.5)."""
    return bool(message.request_id) and (message.kind == "service_response" or (
        message.kind == "dcc_alert" and message.dcc_alert_code in COMMAND_FAILURES))
