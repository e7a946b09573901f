"""What every User-side process workflow shares: the process-event log (BPMN ids, actor, SEC/BAD refs), the
inbox of DUIS messages routed to it by signal, sending a Service Request and awaiting its Service Response,
and deadline watches that record whether an obligation of the Code was met.

Deterministic only: time is ``workflow.now()``, waiting is ``workflow.wait_condition`` / ``workflow.sleep``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import DuisClient, SentRequest, ServiceRequestSpec
    from dccflow.events import ObligationOutcome, ProcessEvent, ProcessStep, StepRegistry
    from dccflow.messages import InboundMessage
    from dccflow.parties import DCC_ID

SEND_TIMEOUT = timedelta(seconds=60)
#: Sending a Service Request is retried only for transport faults (the DCC unreachable, HTTP 503): 10 attempts,
#: 1 s doubling to 30 s between them — about 2.5 minutes of waiting (plus up to SEND_TIMEOUT per attempt), five
#: times the 30 s Target Response Time of an on-demand Service Request (SEC H3.14(b)). A DCC User Interface that
#: accepts nothing for that long is down: the process ends in its failure branch (``ServiceRequestFailed``) for
#: the User to raise an Incident (BAD 7.9.1, SEC H9), rather than resending forever. Business rejections and
#: configuration or programming errors are never retried (``dccflow_app.activity_errors``).
SEND_MAX_ATTEMPTS = 10
SEND_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                         maximum_attempts=SEND_MAX_ATTEMPTS,
                         non_retryable_error_types=["ServiceRequestRejected", "ServiceRequestSilentlyRejected"])


#: DCC Alerts that end a request without a Service Response (BAD 7.8.5, Table 14)
COMMAND_FAILURES = frozenset({"N7", "N10", "N11", "N12", "N13"})
#: DCC Alerts that answer an 'Update HAN Device Log' add: joined (N24) or not (N25) (SEC Appendix AD 3.8.109.4)
JOIN_OUTCOMES = frozenset({"N24", "N25"})


class SupplierCellReplacement(BaseModel):
    """How the Supplier gets its own Organisation Certificate into a meter's Supplier cell (BAD 7.2.1.6.8-9,
    7.2.2.6.2): ``step`` is the BPMN id stem, ``signer`` the User ID whose key signs the Command (None: the
    sender's)."""

    step: str
    srv: str
    signer: str | None
    params: dict


def supplier_cell_replacement(holder: str | None, supplier_id: str) -> SupplierCellReplacement | None:
    """None when the cell already holds ``supplier_id``'s certificate (or nothing is recorded); the DCC's
    certificate → 'Request Handover of DCC Controlled Device' (6.21, BAD 7.7.2.5.5); another MPID's → 'Update
    Security Credentials (KRP)' (6.15.1) signed with that MPID's key (BAD 7.7.2.5.6)."""
    if holder is None or holder == supplier_id:
        return None
    params = {"remote_party_role": "Supplier", "certificate_of": supplier_id}
    if holder == DCC_ID:
        return SupplierCellReplacement(step="request_handover", srv="6.21", signer=None, params=params)
    return SupplierCellReplacement(step="update_security_credentials_krp", srv="6.15.1", signer=holder, params=params)


def commission_device_params() -> dict:
    """SRV 8.1.1: the DCC sets the meter's clock from the CHF's time within the tolerance (BAD 7.2.1.6.10)."""
    return {"current_datetime": workflow.now().isoformat(), "tolerance_period": 60}


def import_mpxn_params(mpxn: str, gas: bool) -> dict:
    """SRV 6.20.1 Set Device Configuration (Import MPxN): the MPAN on an ESME, the MPRN on a GSME (BAD 7.2.1.6.11)."""
    return {"import_mprn" if gas else "import_mpan": mpxn}


class ProcessResult(BaseModel):
    """What every process workflow returns: the end event reached, why, its events and obligation outcomes."""

    end: str
    reason: str = ""
    events: list[ProcessEvent] = Field(default_factory=list)
    obligations: list[ObligationOutcome] = Field(default_factory=list)


class ServiceRequestFailed(Exception):
    def __init__(self, srv: str, reason: str, code: str | None = None):
        self.srv, self.reason, self.code = srv, reason, code
        super().__init__(f"SRV {srv}: {reason}")


class Deadline:
    """A durable timer for an obligation: if ``met()`` is not called before ``due``, the breach is recorded
    when the timer fires; either way the outcome is kept for the audit."""

    def __init__(self, process: ProcessWorkflow, obligation: str, actor: str, refs: tuple[str, ...],
                 due: datetime):
        self.process, self.obligation, self.actor, self.refs, self.due = process, obligation, actor, refs, due
        self.outcome: ObligationOutcome | None = None
        delay = max((due - workflow.now()).total_seconds(), 0)
        self._timer = asyncio.ensure_future(workflow.sleep(timedelta(seconds=delay)))
        self._timer.add_done_callback(self._fired)

    def _fired(self, fut: asyncio.Future) -> None:
        if fut.cancelled() or self.outcome is not None:
            return
        self._close(None, False)

    def met(self) -> ObligationOutcome:
        """The obligation was fulfilled now: on time, or late (then the breach recorded when the deadline
        passed gets its actual time)."""
        now = workflow.now()
        if self.outcome is None:
            self._timer.cancel()
            self._close(now, now <= self.due)
        elif self.outcome.actual is None:
            self.outcome.actual = now
        return self.outcome

    def _close(self, actual: datetime | None, met: bool) -> None:
        self.outcome = ObligationOutcome(obligation=self.obligation, actor=self.actor, refs=list(self.refs),
                                         due=self.due, actual=actual, met=met)
        self.process.obligations.append(self.outcome)


class ProcessWorkflow:
    steps: StepRegistry

    def __init__(self) -> None:
        self.events: list[ProcessEvent] = []
        self.obligations: list[ObligationOutcome] = []
        self.inbox: list[InboundMessage] = []

    # -- what every process workflow exposes -----------------------------------------------------------------
    @workflow.signal(name="duis_message")
    def duis_message(self, message: InboundMessage) -> None:
        """A verified DUIS Response or Alert routed here by the User's inbox (activities.inbox)."""
        self._receive(message)

    @workflow.query
    def process_events(self) -> list[ProcessEvent]:
        return self.events

    def _receive(self, message: InboundMessage) -> None:
        key = (message.kind, message.request_id, message.response_code, message.dcc_alert_code,
               message.device_alert_code, message.device_id)
        if all((m.kind, m.request_id, m.response_code, m.dcc_alert_code, m.device_alert_code, m.device_id)
               != key for m in self.inbox):
            self.inbox.append(message)

    # -- process events -----------------------------------------------------------------------------------
    def record(self, bpmn_id: str, *, detail: str = "", device_id: str | None = None) -> ProcessStep:
        step = self.steps[bpmn_id]
        self.events.append(ProcessEvent(bpmn_id=step.bpmn_id, actor=step.actor, at=workflow.now(),
                                        refs=list(step.refs), detail=detail, device_id=device_id))
        return step

    # -- DCC traffic --------------------------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[InboundMessage], bool],
                       timeout: timedelta) -> InboundMessage | None:
        def found() -> InboundMessage | None:
            return next((m for m in self.inbox if predicate(m)), None)

        try:
            await workflow.wait_condition(lambda: found() is not None, timeout=timeout)
        except TimeoutError:
            return None
        return found()

    async def join_outcome(self, request_id: str, join_time_period: int,
                           margin: timedelta) -> InboundMessage | None:
        """The DCC's verdict on an 'Update HAN Device Log' (SRV 8.11): N24 when the device joined the SM HAN,
        N25 when it did not within the Join Time Period plus the network allowance (SEC Appendix AD 3.8.109.4);
        None when neither arrived before the Join Time Period plus ``margin``."""
        return await self.wait_for(
            lambda m: m.kind == "dcc_alert" and m.dcc_alert_code in JOIN_OUTCOMES and m.request_id == request_id,
            timedelta(seconds=join_time_period) + margin)

    async def send(self, spec: ServiceRequestSpec) -> SentRequest:
        """Send a Service Request; the DCC's synchronous answer that goes to the inbox comes back with it."""
        try:
            sent = await workflow.execute_activity_method(
                DuisClient.send_service_request, spec, start_to_close_timeout=SEND_TIMEOUT,
                retry_policy=SEND_RETRY)
            if sent.reply is not None:  # (histories recorded before: it came as a signal)
                self._receive(sent.reply)
            return sent
        except ActivityError as exc:
            cause = exc.cause
            gave_up = exc.retry_state in (RetryState.MAXIMUM_ATTEMPTS_REACHED, RetryState.TIMEOUT)
            if isinstance(cause, ApplicationError):
                code = cause.details[0] if cause.details else None
                reason = f"not accepted after {SEND_MAX_ATTEMPTS} attempts: {cause.message}" if gave_up \
                    else cause.message
                raise ServiceRequestFailed(spec.srv, reason, code) from exc
            if gave_up:  # the last attempt timed out
                raise ServiceRequestFailed(spec.srv, f"not accepted after {SEND_MAX_ATTEMPTS} attempts: "
                                                     f"{cause or exc}") from exc
            raise

    async def service_request(self, spec: ServiceRequestSpec, timeout: timedelta) -> InboundMessage:
        """Send, then await the Service Response; a non-I0 response, a DCC Alert saying the Command failed
        (N7, N10–N13, BAD 7.8.5 Table 14) or nothing in time is a failure."""
        sent = await self.send(spec)
        response = await self.wait_for(
            lambda m: m.request_id == sent.request_id and (
                m.kind == "service_response" or (m.kind == "dcc_alert" and m.dcc_alert_code in COMMAND_FAILURES)),
            timeout)
        if response is None:
            raise ServiceRequestFailed(spec.srv, f"no Service Response to {sent.request_id} within {timeout}")
        if response.kind == "dcc_alert":
            raise ServiceRequestFailed(spec.srv, f"DCC Alert {response.dcc_alert_code} for {sent.request_id}",
                                       response.dcc_alert_code)
        if not response.success:
            raise ServiceRequestFailed(spec.srv, f"Service Response {response.response_code} to {sent.request_id}",
                                       response.response_code)
        return response
