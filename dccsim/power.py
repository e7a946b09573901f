"""Power outages at a Communications Hub (BAD 7.5.6.5.2; SEC F4.9).

The WAN Provider tells the DCC when a CH loses and regains mains power. If the outage lasts 3 minutes or more
the DCC sends DCC Alert AD1 'Power Outage Event'; if power returns first, nothing is sent. The 3 minutes are a
durable timer in a DCC workflow per outage.

Recipients (a decision where the sources differ, digest 03 ambiguity 9): the BAD's list — the Responsible
Supplier of each Meter associated with the CH, plus the Electricity Distributor where an ESME is associated
and the Gas Transporter where a GSME is. SEC F4.9 names only the Import Supplier and the ED.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dccsim.activities import DccActivities, PowerOutageInput
    from dccsim.workflow_starts import (
        DCC_POWER_OUTAGE_WORKFLOW,
        POWER_RESTORED_SIGNAL,
        PowerOutage,
        power_outage_workflow_id,
    )

__all__ = ["OUTAGE_ALERT_AFTER", "PowerOutage", "PowerOutageWorkflow", "power_outage_workflow_id"]

#: BAD 7.5.6.5.2: an outage shorter than this raises no alert
OUTAGE_ALERT_AFTER = timedelta(minutes=3)


@workflow.defn(name=DCC_POWER_OUTAGE_WORKFLOW)
class PowerOutageWorkflow:
    def __init__(self) -> None:
        self._restored = False

    @workflow.signal(name=POWER_RESTORED_SIGNAL)
    def restored(self) -> None:
        self._restored = True

    @workflow.run
    async def run(self, outage: PowerOutage) -> str:
        remaining = outage.started_at + OUTAGE_ALERT_AFTER - workflow.now()
        try:
            await workflow.wait_condition(lambda: self._restored, timeout=max(remaining, timedelta(0)))
            return "restored before the alert threshold"
        except TimeoutError:
            pass
        await workflow.execute_activity_method(
            DccActivities.dcc_power_outage_alert,
            PowerOutageInput(chf_id=outage.chf_id, started_at=outage.started_at),
            start_to_close_timeout=timedelta(seconds=60))
        return "AD1"
