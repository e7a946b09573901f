"""The DCC's durable workflows for the end of a Device's life, with their activities:

* ``ChfOrphanWatchWorkflow``: SEC H6.6 — the reasonable period after a CHF's decommissioning, then the Devices it
  served kept or decommissioned (``dccsim.orphans``);
* ``CplSuspensionWorkflow``: BAD 7.1.2.4.3 — a CPL extract worked through, and its 24-hour deadline
  (``dccsim.suspension``).

Both timers are Temporal timers (the time-skipping test server passes them at once); the activities act at the
workflow's time (``dccflow.clock.activity_now``) and are idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from dccflow.clock import activity_now
    from dccsim import orphans, suspension
    from dccsim.orphans import ORPHAN_WATCH_WORKFLOW, OrphanWatchInput
    from dccsim.suspension import CPL_SUSPENSION_WORKFLOW, CplSweepInput

_ACT = dict(start_to_close_timeout=timedelta(minutes=2))


class ExtractStep(BaseModel):
    extract_id: int


class DccLifeActivities:
    def __init__(self, dcc):
        self.dcc = dcc

    @activity.defn
    async def dcc_close_orphan_watch(self, inp: OrphanWatchInput) -> str:
        return await orphans.close_orphan_watch(self.dcc, inp.chf_id, activity_now())

    @activity.defn
    async def dcc_cpl_sweep(self, step: ExtractStep) -> str:
        return await suspension.sweep(self.dcc, step.extract_id, activity_now())

    @activity.defn
    async def dcc_cpl_deadline(self, step: ExtractStep) -> str:
        return await suspension.deadline_check(self.dcc, step.extract_id, activity_now())


@workflow.defn(name=ORPHAN_WATCH_WORKFLOW)
class ChfOrphanWatchWorkflow:
    @workflow.run
    async def run(self, inp: OrphanWatchInput) -> str:
        remaining = inp.decommissioned_at + timedelta(seconds=inp.period_seconds) - workflow.now()
        if remaining > timedelta(0):
            await workflow.sleep(remaining)
        return await workflow.execute_activity_method(DccLifeActivities.dcc_close_orphan_watch, inp, **_ACT)


@workflow.defn(name=CPL_SUSPENSION_WORKFLOW)
class CplSuspensionWorkflow:
    @workflow.run
    async def run(self, inp: CplSweepInput) -> str:
        """The sweep at ``received_at + delay``; at ``received_at + deadline`` the Devices still not suspended are
        suspended and counted late (with a delay beyond the deadline, all of them)."""
        step = ExtractStep(extract_id=inp.extract_id)
        start = inp.received_at + timedelta(seconds=inp.delay_seconds)
        deadline = inp.received_at + timedelta(seconds=inp.deadline_seconds)
        swept = ""
        if start < deadline:
            await self._until(start)
            swept = await workflow.execute_activity_method(DccLifeActivities.dcc_cpl_sweep, step, **_ACT)
        await self._until(deadline)
        judged = await workflow.execute_activity_method(DccLifeActivities.dcc_cpl_deadline, step, **_ACT)
        if start >= deadline:
            await self._until(start)
            swept = await workflow.execute_activity_method(DccLifeActivities.dcc_cpl_sweep, step, **_ACT)
        return f"{swept}; {judged}"

    @staticmethod
    async def _until(moment) -> None:
        if moment > workflow.now():
            await workflow.sleep(moment - workflow.now())


LIFE_WORKFLOWS = (ChfOrphanWatchWorkflow, CplSuspensionWorkflow)
