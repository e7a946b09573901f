"""Activities of the simulated DCC: thin adapters from its durable workflow to ``DccService``. The time they
act at is the workflow's (server) time, so the time-skipping test server moves the DCC's clock too."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio import activity

from dccflow.clock import activity_now
from dccsim.service import CommandResult, CompletionResult, DccService


class RequestStep(BaseModel):
    request_id: str
    result: CommandResult | None = None
    #: the workflow's time when it scheduled the step: a local activity's own scheduled time is the worker's
    #: clock, not the (possibly skipped) server clock (``dccflow.clock``)
    at: datetime | None = None


class SentAndCompleted(BaseModel):
    sent: CommandResult
    #: None: the Command is in transit on a slow SM WAN; the Response comes later (``sent.in_transit``)
    completion: CompletionResult | None = None


class JoinOutcomeInput(BaseModel):
    request_id: str
    joined: bool


class FailureInput(BaseModel):
    request_id: str
    reason: str


class PowerOutageInput(BaseModel):
    chf_id: str
    started_at: datetime


class DccActivities:
    def __init__(self, dcc: DccService):
        self.dcc = dcc

    @activity.defn
    async def dcc_recheck_at_execution(self, step: RequestStep) -> bool:
        return await self.dcc.recheck_at_execution(step.request_id, activity_now())

    @activity.defn
    async def dcc_cos_party(self, step: RequestStep) -> str | None:
        return await self.dcc.cos_party_step(step.request_id, activity_now())

    @activity.defn
    async def dcc_send_command(self, step: RequestStep) -> CommandResult:
        return await self.dcc.send_command(step.request_id, activity_now())

    @activity.defn
    async def dcc_complete_request(self, step: RequestStep) -> CompletionResult:
        assert step.result is not None
        return await self._complete(step.request_id, step.result, step.at or activity_now())

    @activity.defn
    async def dcc_send_and_complete(self, step: RequestStep) -> SentAndCompleted:
        """Send the Command and, when the Device answers at once, complete the request: the two steps above in
        one (local) activity. Each is idempotent, so a retry after the first finds the Command's Response stored."""
        at = step.at or activity_now()
        sent = await self.dcc.send_command(step.request_id, at)
        if sent.in_transit:
            return SentAndCompleted(sent=sent)
        return SentAndCompleted(sent=sent, completion=await self._complete(step.request_id, sent, at))

    async def _complete(self, request_id: str, sent: CommandResult, at: datetime) -> CompletionResult:
        completed = await self.dcc.complete(request_id, sent, at)
        # what the Response committed may call for the duties of a Device it commissioned (AC 5.1, 5.3) or the
        # H6.6 watch of a CHF it decommissioned: started now, as after a request the DCC took (``start_follow_ups``)
        await self.dcc.start_follow_ups()
        return completed

    @activity.defn
    async def dcc_join_outcome(self, step: JoinOutcomeInput) -> str:
        return await self.dcc.join_outcome(step.request_id, step.joined, activity_now())

    @activity.defn
    async def dcc_fail_request(self, step: FailureInput) -> str:
        return await self.dcc.fail(step.request_id, step.reason, activity_now())

    @activity.defn
    async def dcc_power_outage_alert(self, outage: PowerOutageInput) -> int:
        return await self.dcc.power_outage_alert(outage.chf_id, outage.started_at, activity_now())
