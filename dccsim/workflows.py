"""The DCC's own durable processing of one accepted Service Request (BAD 7.8.4).

Non-Device: process and respond. Device requests: send the GBCS command over the SM WAN, apply the device's
response, answer the User; for 'Update HAN Device Log' adds, wait (a durable timer) for the CHF's confirming
CS14 for the Join Time Period plus the network allowance, then send N24 or N25 (SEC AD 3.8.109.4).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from dccflow.domain.service_requests import SrProcessing
    from dccsim.activities import DccActivities, JoinOutcomeInput, RequestStep
    from dccsim.service import DccWorkItem

_ACTIVITY = dict(start_to_close_timeout=timedelta(seconds=60),
                 retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)))


@workflow.defn(name="DccServiceRequest")
class DccServiceRequestWorkflow:
    def __init__(self) -> None:
        self._cs14_confirmed = False

    @workflow.signal
    def cs14_received(self) -> None:
        self._cs14_confirmed = True

    @workflow.run
    async def run(self, item: DccWorkItem) -> str:
        response = None
        if item.processing != SrProcessing.NON_DEVICE:
            sent = await workflow.execute_activity_method(
                DccActivities.dcc_send_command, RequestStep(request_id=item.request_id), **_ACTIVITY)
            response = sent.response
        completion = await workflow.execute_activity_method(
            DccActivities.dcc_complete_request, RequestStep(request_id=item.request_id, response=response),
            **_ACTIVITY)
        if completion.join_watch_seconds is None:
            return completion.response_code
        if completion.already_joined:
            self._cs14_confirmed = True
        try:
            await workflow.wait_condition(lambda: self._cs14_confirmed,
                                          timeout=timedelta(seconds=completion.join_watch_seconds))
        except TimeoutError:
            pass
        return await workflow.execute_activity_method(
            DccActivities.dcc_join_outcome,
            JoinOutcomeInput(request_id=item.request_id, joined=self._cs14_confirmed), **_ACTIVITY)
