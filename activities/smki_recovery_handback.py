"""The Responsible Suppliers' handback in a recovery (SEC Appendix L 4.2.2.8, 5.3.2 as the BAD quotes them; BAD
7.7.3.4.3, 7.7.2.5.5): SRV 6.21 'Request Handover of DCC Controlled Device' for many Devices in one activity.

Each Device still gets its own Service Request, composed, signed with its Responsible Supplier's key and sent to the
DCC through the User's DUIS client (``activities.duis_client.DuisClient.send``) exactly as the per-Device
``RequestHandover`` process sends it: the DCC checks it (signature, Confirm Validity, anti-replay…), logs it before it
answers, processes it and delivers its Service Response to the Supplier's inbox, which routes it by RequestID to the
recovery workflow. What the batch saves is a workflow per Device (``workflows.smki_recovery_handback``).

Idempotent: each request's outbox entry is keyed by the recovery workflow and the Device
(``handback_step``), so a retried activity — a worker restarted mid-batch — re-sends the very same signed bytes,
which the DCC recognises as a retransmission (the same I99, no second processing). A DCC refusal is that Device's
answer (``HandbackSent.refused``), not the batch's failure; a transport fault fails the activity and Temporal retries
it.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.duis_client import ServiceRequestSpec

#: the SRV of the handback, and the step id its outbox entries carry (one per Device)
HANDBACK_SRV = "6.21"
HANDBACK_STEP = "request_handover"
#: requests of one batch in flight at once (each a DCC submission; the DCC's own processing follows asynchronously)
IN_FLIGHT = 20


def handback_step(device_id: str) -> str:
    """The outbox step of a Device's 6.21 within the recovery workflow (unique per Device)."""
    return f"{HANDBACK_STEP}/{device_id}"


class Handback(BaseModel):
    device_id: str
    #: the Responsible Supplier sending it (its certificate goes into the cell)
    sender_id: str
    #: ``Supplier`` / ``NetworkOperator`` (``workflows.credentials.CellName``)
    cell: str
    #: whose certificate goes into the cell when not the sender's (a Network Operator's, L 5.3.2(b);
    #: ``workflows.smki_recovery_network``)
    certificate_of: str | None = None


class HandbackBatch(BaseModel):
    handbacks: list[Handback]


class HandbackSent(BaseModel):
    device_id: str
    request_id: str | None = None
    ack_code: str | None = None
    #: the DCC refused the request (or was silent): the activity error's message, as ``ProcessWorkflow.send`` reads it
    refused: str | None = None
    #: ... and its response code (None: silently rejected)
    code: str | None = None


def handback_spec(h: Handback) -> ServiceRequestSpec:
    """The 6.21 placing the sender's Organisation Certificate in the Device's cell: the spec ``RequestHandover``
    sends (``workflows.credentials.cell_request``), its step made unique per Device."""
    step = handback_step(h.device_id) + (f"/{h.cell}/{h.certificate_of}" if h.certificate_of else "")
    return ServiceRequestSpec(step=step, user_id=h.sender_id, srv=HANDBACK_SRV, target=h.device_id,
                              params={"remote_party_role": h.cell, "certificate_of": h.certificate_of or h.sender_id},
                              route_devices=[h.device_id])


class RecoveryHandbackActivities:
    def __init__(self, runtime):
        self.rt = runtime

    @activity.defn
    async def recovery_send_handbacks(self, batch: HandbackBatch) -> list[HandbackSent]:
        """Send each Device's 6.21 (``IN_FLIGHT`` at a time); each Device's acknowledgement or refusal."""
        client = self.rt.duis_client
        workflow_id = activity.info().workflow_id
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(h: Handback) -> HandbackSent:
            async with gate:
                try:
                    sent = await client.send(handback_spec(h), workflow_id)
                except ApplicationError as exc:  # a business refusal (non-retryable): this Device's answer
                    if not exc.non_retryable:
                        raise
                    return HandbackSent(device_id=h.device_id, refused=exc.message,
                                        code=exc.details[0] if exc.details else None)
                activity.heartbeat(h.device_id)
                return HandbackSent(device_id=h.device_id, request_id=sent.request_id, ack_code=sent.ack_code)

        return list(await asyncio.gather(*(one(h) for h in batch.handbacks)))


def recovery_handback_activities(runtime) -> list:
    return [RecoveryHandbackActivities(runtime).recovery_send_handbacks]
