"""The DCC's own durable processing of one accepted Device request (BAD 7.8.4.4.1–2, 7.8.5).

A future-dated request held by the DCC waits (a durable timer) until its execution time and is re-checked
then (N7 if the User is no longer eligible). A 'CoS Update Security Credentials' request (SRV 6.23) goes to the
CoS Party instead, at once or at its execution time (AB 8, 14.2; ``dccsim.handlers.cos``). Then: send the
Command over the SM WAN, apply the Device's Response, answer the User; for 'Update HAN Device Log' adds, wait
for the CHF's confirming CS14 for the Join Time Period plus the network allowance, then send N24 or N25 (SEC AD
3.8.109.4).

A step that keeps failing does not leave the request hanging: after its retries the User gets a signed error
Service Response (``dcc_fail_request``).

Sending the Command and answering the User are local activities, one for both when the Device answers at once
(``dcc_send_and_complete``): each is a few milliseconds of the DCC's own database work, idempotent, and needs no
task queue round trip of its own, so a request costs one workflow task instead of three and two activity tasks
fewer (issue #16: a whole-fleet recovery sends thousands of them). Their time is the workflow's (``RequestStep.at``):
a local activity's scheduled time is the worker's clock, not the time-skipping server's. Histories recorded before
(``LOCAL_STEPS``) replay with the two activities.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dccflow.messages import GbcsResponse
    from dccsim.activities import DccActivities, FailureInput, JoinOutcomeInput, RequestStep
    from dccsim.intake import DccWorkItem
    from dccsim.processing import CommandResult
    from dccsim.workflow_starts import CS14_RECEIVED_SIGNAL, DCC_SERVICE_REQUEST_WORKFLOW


def _step(item: DccWorkItem) -> dict:
    return dict(start_to_close_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10), maximum_attempts=item.attempts))


#: the Command and the Service Response as local activities (see the module docstring), with ``_step``'s options
LOCAL_STEPS = "dcc-local-steps"


_LAST_RESORT = dict(start_to_close_timeout=timedelta(seconds=60),
                    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=60)))


# Outside the workflow sandbox: the DCC runs one of these per Device request (thousands in a recovery drill or a
# campaign), and the sandbox's set-up per run was about a fifth of the CPU of a 100-SMS Root recovery
# (bench/smki_drill.py: 13.3 s against 10.5 s, one A/B pair on a loaded machine).
# What the sandbox would catch at run time is checked on the source instead (no clock, randomness, I/O nor mutable
# module state: tests/platform/test_workflow_modules_deterministic.py) and by the replay tests.
@workflow.defn(name=DCC_SERVICE_REQUEST_WORKFLOW, sandboxed=False)
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
        except (ActivityError, ApplicationError) as exc:  # a local activity's failure comes unwrapped
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
        if workflow.patched(LOCAL_STEPS):
            done = await workflow.execute_local_activity_method(
                DccActivities.dcc_send_and_complete, RequestStep(request_id=item.request_id, at=workflow.now()),
                **_step(item))
            sent, completion = done.sent, done.completion
            if completion is None:  # on a slow SM WAN
                sent = await self._late(item)
                completion = await workflow.execute_local_activity_method(
                    DccActivities.dcc_complete_request,
                    RequestStep(request_id=item.request_id, result=sent, at=workflow.now()), **_step(item))
        else:
            sent = await workflow.execute_activity_method(DccActivities.dcc_send_command, step, **_step(item))
            if sent.in_transit:
                sent = await self._late(item)
            completion = await workflow.execute_activity_method(
                DccActivities.dcc_complete_request, RequestStep(request_id=item.request_id, result=sent),
                **_step(item))
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

    async def _late(self, item: DccWorkItem) -> CommandResult:
        """Wait for the Response up to the final retry boundary; none then: N13 (BAD Table 13)."""
        try:
            await workflow.wait_condition(lambda: self._late_response is not None, timeout=item.device_response_wait)
        except TimeoutError:
            pass
        return CommandResult(response=self._late_response, delivered=True)
