"""The DCC's own durable processing of one accepted Device request (BAD 7.8.4.4.1–2, 7.8.5).

A future-dated request held by the DCC waits (a durable timer) until its execution time and is re-checked
then (N7 if the User is no longer eligible). A 'CoS Update Security Credentials' request (SRV 6.23) goes to the
CoS Party instead, at once or at its execution time (AB 8, 14.2; ``dccsim.handlers.cos``). Then: send the
Command over the SM WAN, apply the Device's Response, answer the User; for 'Update HAN Device Log' adds, wait
for the CHF's confirming CS14 for the Join Time Period plus the network allowance, then send N24 or N25 (SEC AD
3.8.109.4).

A step that keeps failing does not leave the request hanging: after its retries the User gets a signed error
Service Response (``dcc_fail_request``).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from dccflow.messages import GbcsResponse
    from dccsim.activities import DccActivities, FailureInput, JoinOutcomeInput, RequestStep
    from dccsim.intake import DccWorkItem
    from dccsim.processing import CommandResult
    from dccsim.workflow_starts import CS14_RECEIVED_SIGNAL, DCC_SERVICE_REQUEST_WORKFLOW


def _step(item: DccWorkItem) -> dict:
    return dict(start_to_close_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10), maximum_attempts=item.attempts))


_LAST_RESORT = dict(start_to_close_timeout=timedelta(seconds=60),
                    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=60)))


@workflow.defn(name=DCC_SERVICE_REQUEST_WORKFLOW)
class DccServiceRequestWorkflow:
    def __init__(self) -> None:
        self._cs14_confirmed = False
        self._late_response: GbcsResponse | None = None

    @workflow.signal(name=CS14_RECEIVED_SIGNAL)
    def cs14_received(self) -> None:
        self._cs14_confirmed = True

    @workflow.signal
    def gbcs_response(self, response: GbcsResponse) -> None:
        """The Device's Response to a Command that travelled a slow SM WAN."""
        self._late_response = response

    @workflow.run
    async def run(self, item: DccWorkItem) -> str:
        try:
            return await self._process(item)
        except ActivityError as exc:
            return await workflow.execute_activity_method(
                DccActivities.dcc_fail_request, FailureInput(request_id=item.request_id, reason=str(exc.cause or exc)),
                **_LAST_RESORT)

    async def _process(self, item: DccWorkItem) -> str:
        step = RequestStep(request_id=item.request_id)
        if item.execute_at is not None:
            delay = (item.execute_at - workflow.now()).total_seconds()
            if delay > 0:
                await workflow.sleep(timedelta(seconds=delay))
            # a CoS request's access control at execution is the CoS Party's (AB 8.1(b); dccsim.handlers.cos)
            if not item.cos_party and not await workflow.execute_activity_method(
                    DccActivities.dcc_recheck_at_execution, step, **_step(item)):
                return "N7"
        if item.cos_party:  # AB 8.1-8.6: N26 or a rejected Signed Pre-Command end it here
            stopped = await workflow.execute_activity_method(DccActivities.dcc_cos_party, step, **_step(item))
            if stopped is not None:
                return stopped
        sent = await workflow.execute_activity_method(DccActivities.dcc_send_command, step, **_step(item))
        if sent.in_transit:  # wait for the Response up to the final retry boundary, then N13 (BAD Table 13)
            try:
                await workflow.wait_condition(lambda: self._late_response is not None,
                                              timeout=item.device_response_wait)
            except TimeoutError:
                pass
            sent = CommandResult(response=self._late_response, delivered=True)
        completion = await workflow.execute_activity_method(
            DccActivities.dcc_complete_request, RequestStep(request_id=item.request_id, result=sent), **_step(item))
        if completion.join_watch_seconds is None:
            return completion.response_code or ("N13" if sent.delivered else "N12")
        if completion.already_joined:
            self._cs14_confirmed = True
        try:
            await workflow.wait_condition(lambda: self._cs14_confirmed,
                                          timeout=timedelta(seconds=completion.join_watch_seconds))
        except TimeoutError:
            pass
        return await workflow.execute_activity_method(
            DccActivities.dcc_join_outcome,
            JoinOutcomeInput(request_id=item.request_id, joined=self._cs14_confirmed), **_step(item))
