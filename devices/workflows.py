"""Timed device behaviour as durable workflows on the device task queue: a timer that fires device behaviour
(a HAN join completing, a firmware download finishing, a future-dated activation, mains going and coming
back) and a command crossing a slow SM WAN. Under the time-skipping test server the delays pass in
milliseconds; nothing here sleeps on the wall clock."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from devices.activities import DeviceActivities
    from devices.effects import DeviceTimer, HanJoinStart
    from devices.wan import DEVICE_TIMER_WORKFLOW, WAN_DELIVERY_WORKFLOW, DelayedCommand

_ACTIVITY = dict(start_to_close_timeout=timedelta(seconds=60),
                 retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)))


@workflow.defn(name="DeviceHanJoin")
class HanJoinWorkflow:
    """The original join workflow; new joins use ``DeviceTimer``. Kept so that running ones complete."""

    @workflow.run
    async def run(self, join: HanJoinStart) -> None:
        await workflow.sleep(timedelta(seconds=join.delay_seconds))
        await workflow.execute_activity_method(DeviceActivities.device_complete_han_join, join, **_ACTIVITY)


@workflow.defn(name=DEVICE_TIMER_WORKFLOW)
class DeviceTimerWorkflow:
    @workflow.run
    async def run(self, timer: DeviceTimer) -> None:
        await workflow.sleep(timedelta(seconds=timer.delay_seconds))
        await workflow.execute_activity_method(DeviceActivities.device_timer_fired, timer, **_ACTIVITY)


@workflow.defn(name=WAN_DELIVERY_WORKFLOW)
class WanDeliveryWorkflow:
    """A command on a slow SM WAN: it reaches the device after the delay; the device's response is signalled
    to the workflow waiting for it, if any (``devices.wan`` module docstring)."""

    @workflow.run
    async def run(self, delivery: DelayedCommand) -> None:
        await workflow.sleep(timedelta(seconds=delivery.delay_seconds))
        response = await workflow.execute_activity_method(
            DeviceActivities.device_deliver_command, delivery.command, **_ACTIVITY)
        if delivery.reply_to is not None and response is not None:
            handle = workflow.get_external_workflow_handle(delivery.reply_to.workflow_id)
            await handle.signal(delivery.reply_to.signal, response)


DEVICE_WORKFLOWS = (HanJoinWorkflow, DeviceTimerWorkflow, WanDeliveryWorkflow)
