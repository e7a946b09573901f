"""The DCC's post-commissioning duties for one Device as a durable workflow (``dccsim.post_commissioning_duties``;
SEC Appendix AC 5.1, 5.3, 5.12): done at once if the Device can be reached, else retried daily; the 7-day deadline
is a durable timer. And the DCC's daily Post Commissioning reporting cycle (``dccsim.post_commissioning_reports``;
AC 5.5, 5.8, 5.9)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dccsim.post_commissioning_duties import (
        DUTY_PERIOD,
        RETRY_EVERY,
        CloseResult,
        DutyInput,
        DutyProgress,
        PostCommissioningDutyActivities,
    )

_ACT = dict(start_to_close_timeout=timedelta(minutes=2))


@workflow.defn(name="DccPostCommissioning")
class DccPostCommissioningWorkflow:
    @workflow.run
    async def run(self, inp: DutyInput) -> str:
        due = inp.commissioned_at + DUTY_PERIOD
        progress: DutyProgress = await workflow.execute_activity_method(
            PostCommissioningDutyActivities.dcc_pc_open, inp, **_ACT)
        while progress.pending and workflow.now() < due:
            progress = await workflow.execute_activity_method(
                PostCommissioningDutyActivities.dcc_pc_attempt, inp, **_ACT)
            if progress.pending:
                await workflow.sleep(min(RETRY_EVERY, max(due - workflow.now(), timedelta(seconds=1))))
        # judged when the 7 days are over: open duties, a CHF's Incident (AC 5.12), and whether the Device is then
        # listed in the Post Commissioning Information (AC 5.6: "Commissioned for a period of 7 days or more")
        remaining = due - workflow.now()
        if remaining > timedelta(0):
            await workflow.sleep(remaining)
        closed: CloseResult = await workflow.execute_activity_method(
            PostCommissioningDutyActivities.dcc_pc_close, inp, **_ACT)
        outcome = "Incident " + ", ".join(closed.incidents) if closed.incidents else (
            "overdue" if progress.pending else "done")
        return outcome + ("; listed (AC 5.6)" if closed.listed else "")


#: the daily cycles one run of the reporting workflow makes before continuing as new (bounded history)
CYCLES_PER_RUN = 62


@workflow.defn(name="DccPostCommissioningReporting")
class DccPostCommissioningReportingWorkflow:
    """AC 5.5, 5.8, 5.9: after each day ends (midnight UTC), the day's Post Commissioning Information and reports;
    after a month's last day, the monthly report. Runs while some Device is listed; started again when one is."""

    @workflow.run
    async def run(self, cycles: int = 0) -> str:
        while True:
            now = workflow.now()
            midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)
            await workflow.sleep(midnight - now)
            listed = await workflow.execute_activity_method(
                PostCommissioningDutyActivities.dcc_pc_daily, midnight.date() - timedelta(days=1), **_ACT)
            if listed == 0:
                return f"no Device listed on {midnight.date() - timedelta(days=1)}"
            cycles += 1
            if cycles >= CYCLES_PER_RUN:
                workflow.continue_as_new(0)
