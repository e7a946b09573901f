"""Firmware wave campaign — Manage Firmware (BAD 7.5.3) over every commissioned Device of a Device Model the
Supplier serves (or a selection), on the one campaign mechanism (``workflows.campaign``; issue 15).

``FirmwareCampaign`` is an entity workflow under the business key ``firmware-campaign-<model>-<version>``, whose
whole state is ``FirmwareCampaignState``:

1. ``firmware_campaign_prepare`` lists the Devices (``activities.firmware_campaign``); the manufacturer's release is
   put on the CPL once for the campaign (``firmware_panel_lists``, BAD 7.5.3.5), not once per Device;
2. waves, the canary first (``waves``, the last size repeating), each Device a child ``FirmwareUpgrade`` workflow
   (``workflows.firmware_upgrade``, as it is: the Supplier's checks, 11.1, the receipt, 11.3, 11.2) with its id
   from its business key (the Device and the campaign), at most ``concurrency`` at a time;
3. after each wave, a failure rate above ``halt_above`` halts the campaign (paused, with the reason); ``resume``
   goes on with the next wave, ``cancel`` stops it (end ``end_campaign_halted`` after a halt);
4. the report: each Device's outcome, firmware version and alerts.

Process events (``progress``, ``process_events``) carry the ids of ``bpmn/firmware_campaign.bpmn``.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from activities.firmware import FirmwareActivities, FirmwareRelease
    from activities.firmware_campaign import FirmwareCampaignActivities, FirmwareCampaignScope
    from dccflow.events import ProcessEvent
    from dccflow.search import device_search_attributes
    from workflows.campaign import CampaignEngine
    from workflows.campaign_model import ItemFailure
    from workflows.firmware_campaign_model import (
        FIRMWARE_CAMPAIGN_STEPS,
        FirmwareCampaignProgress,
        FirmwareCampaignReport,
        FirmwareCampaignState,
        alerts_of,
        end_of,
        progress,
        report,
    )
    from workflows.firmware_upgrade import FirmwareUpgradeInput, FirmwareUpgradeWorkflow, firmware_upgrade_workflow_id

ACTIVITY = dict(start_to_close_timeout=timedelta(seconds=60), retry_policy=RetryPolicy(
    maximum_interval=timedelta(seconds=30)))
DEVICE_PROCESS = "firmware_upgrade"


@workflow.defn(name="FirmwareCampaign")
class FirmwareCampaignWorkflow(CampaignEngine):
    campaign_steps = FIRMWARE_CAMPAIGN_STEPS

    @workflow.init
    def __init__(self, state: FirmwareCampaignState) -> None:
        self._engine_init(state)
        self.st: FirmwareCampaignState = state

    @workflow.query
    def progress(self) -> FirmwareCampaignProgress:
        return progress(self.st)

    @workflow.query
    def process_events(self) -> list[ProcessEvent]:
        return self.st.events

    @workflow.update
    async def pause(self) -> FirmwareCampaignProgress:
        """No Device starts; returns once none is in flight."""
        await self._pause()
        return progress(self.st)

    @workflow.update
    async def resume(self) -> FirmwareCampaignProgress:
        """Go on after a pause, or after a halt with the next wave."""
        await self._resume()
        return progress(self.st)

    @workflow.update
    async def cancel(self) -> FirmwareCampaignProgress:
        """No more Devices start; returns once none is in flight (the rest are reported 'not started')."""
        await self._cancel()
        return progress(self.st)

    @pause.validator
    def _pause_allowed(self) -> None:
        self._steerable()

    @resume.validator
    def _resume_allowed(self) -> None:
        self._steerable()

    @cancel.validator
    def _cancel_allowed(self) -> None:
        self._steerable()

    @workflow.run
    async def run(self, state: FirmwareCampaignState) -> FirmwareCampaignReport:
        st = self.st
        if st.phase == "preparing":
            await self._prepare()
        await self.run_items()
        st.end = end_of(st)[0]
        self.note(st.end, end_of(st)[1])
        st.phase, st.finished_at = "done", workflow.now()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return report(st)

    async def _prepare(self) -> None:
        st, inp = self.st, self.st.inp
        self.note("start_firmware_campaign", f"{inp.model} to {inp.to_version}")
        plan = await workflow.execute_activity_method(
            FirmwareCampaignActivities.firmware_campaign_prepare,
            FirmwareCampaignScope(supplier_id=inp.supplier_id, model=inp.model, manufacturer=inp.manufacturer,
                                  to_version=inp.to_version, device_ids=inp.device_ids), **ACTIVITY)
        st.pending, st.manufacturer = plan.device_ids, plan.manufacturer
        st.already_at_version, st.excluded = plan.already_at_version, plan.excluded
        adt = "; the Supplier's ADT now " + ", ".join(f"{srv}: {n:,}" for srv, n in plan.thresholds.items()) \
            if plan.thresholds else ""
        self.note("select_devices", f"{len(plan.device_ids)} Devices; {len(plan.already_at_version)} already at "
                                    f"{inp.to_version}; {len(plan.excluded)} of the selection left out{adt}")
        if inp.list_on_cpl and st.pending:
            digest = await workflow.execute_activity_method(
                FirmwareActivities.firmware_panel_lists,
                FirmwareRelease(supplier_id=inp.supplier_id, device_id=st.pending[0], to_version=inp.to_version,
                                image_size=inp.image_size), **ACTIVITY)
            self.note("release_on_cpl", f"{plan.manufacturer} {inp.model} {inp.to_version}: Hash {digest}")
        st.phase, st.started_at = "upgrading", workflow.now()

    async def run_item(self, device_id: str) -> ItemFailure | None:
        inp = self.st.inp
        child = FirmwareUpgradeInput(supplier_id=inp.supplier_id, device_id=device_id, to_version=inp.to_version,
                                     image_size=inp.image_size, list_on_cpl=False, activate_after=inp.activate_after,
                                     response_timeout=inp.response_timeout, instance=self.st.campaign_id)
        try:
            result = await workflow.execute_child_workflow(
                FirmwareUpgradeWorkflow.run, child, id=firmware_upgrade_workflow_id(child),
                search_attributes=device_search_attributes(DEVICE_PROCESS, [device_id]))
        except ChildWorkflowError as exc:
            return ItemFailure(item=device_id, reason=str(exc.cause or exc), at=workflow.now())
        if result.outcome == "completed":
            return None
        return ItemFailure(item=device_id, reason=result.reason, at=workflow.now(),
                           version=result.running_version or result.from_version, alerts=alerts_of(result))


FIRMWARE_CAMPAIGN_WORKFLOWS = (FirmwareCampaignWorkflow,)
