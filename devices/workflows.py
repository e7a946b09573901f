"""Timed device behaviour as durable workflows: a device that finds the SM HAN and completes its join after a
delay. Under the time-skipping test server the delay passes in milliseconds."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from devices.activities import DeviceActivities
    from devices.fleet import HanJoinStart


@workflow.defn(name="DeviceHanJoin")
class HanJoinWorkflow:
    @workflow.run
    async def run(self, join: HanJoinStart) -> None:
        await workflow.sleep(timedelta(seconds=join.delay_seconds))
        await workflow.execute_activity_method(
            DeviceActivities.device_complete_han_join, join, start_to_close_timeout=timedelta(seconds=60))
