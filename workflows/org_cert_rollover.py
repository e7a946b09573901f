"""Organisation Certificate rollover campaign — BAD 7.7.2 (7.7.2.5.6 'Update Security Credentials (KRP)'); SEC
Appendix L; digest 05 §C.2, §C.6. A Supplier replaces its Digital Signing Organisation Certificate in the Supplier
cell of every Device it serves.

* ``OrgCertRolloverKey``: the campaign's business key from the Supplier's current certificate,
  ``org-cert-rollover-<User ID>-<serial being replaced>``; the client starts the campaign under it, and finds the
  one already running for that certificate rather than starting a second (``dccflow_app.campaigns``).
* ``OrgCertRollover``, the campaign: an entity workflow on the one campaign mechanism (``workflows.campaign``)
  whose whole state is one model (``workflows.org_cert_rollover_model.CampaignState``). The SMKI first issues the
  new Organisation Certificate (activity); then a bounded number of ``OrgCertReplacement`` children at a time, one
  per Device, each the KRP round trip; a query ``progress``; updates ``pause`` (returns once nothing is in flight
  and nothing new starts), ``resume`` and ``cancel``; continue-as-new when the server suggests it (or past
  ``history_threshold`` events), after the round trips in flight and every handler have finished; then the
  Supplier signs with its new key (a Device left on the retired certificate is recorded, and its Commands signed
  with the retired key, so a later campaign reaches it), and the result is the report of every Device's outcome.
* ``OrgCertReplacement``, one Device: SRV 6.15.1 (Critical): the Service Request, the DCC's Pre-Command, the
  Supplier's Signed Pre-Command signed with the key of the certificate the cell holds (AB 3.1, 3.2; the request as
  ``workflows.credentials.cell_request`` makes it, the round trip of ``activities.duis_client``), then the Service
  Response — awaited here rather than by ``replace_cell_certificate``, because a quarantine notice may come first.

Threshold Anomaly Detection (BAD 7.8.2; SEC G6; AB 12-13; ``dccsim.tad``). DECISION: the campaign paces itself
under the Supplier's own ADT for SRV 6.15.1 (the User sets it, G6.3): no more round trips start than the threshold's
limit within its rolling window, counting each one in flight and each one finished in the window. A Signed
Pre-Command quarantined all the same (the DCC's aggregate ADT, or the Supplier's other 6.15.1 traffic) is released
by the Supplier (AB 12.3(a): the DCC's notice names it; the campaign is the Supplier's own planned work), and
the Device's outcome says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from activities.org_cert_rollover import Activation, CampaignRef, Release, RolloverActivities
    from dccflow.domain.credentials import SUPPLIER_CELL
    from dccflow.events import ProcessStep, StepRegistry
    from dccflow.messages import InboundMessage
    from dccflow.search import device_search_attributes
    from workflows.base import COMMAND_FAILURES, ProcessWorkflow, ServiceRequestFailed
    from workflows.campaign import CampaignEngine
    from workflows.campaign_model import ItemFailure
    from workflows.credentials import cell_request
    from workflows.org_cert_rollover_model import (
        CampaignReport,
        CampaignState,
        DeviceOutcome,
        Progress,
        budget,
        campaign_workflow_id,
        device_workflow_id,
        outcome_of,
        progress,
        report,
    )

PROCESS = "org_cert_rollover"
ACTIVITY_TIMEOUT = timedelta(seconds=60)
ACTIVITY_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))

ROLLOVER_STEPS = StepRegistry(PROCESS, [
    ProcessStep(bpmn_id="replace_organisation_certificate",
                name="Update Security Credentials (KRP) (SRV 6.15.1): the new Organisation Certificate",
                actor="Supplier", refs=("BAD 7.7.2.5.6", "SRV 6.15.1", "SEC Appendix AB 3.1", "SEC Appendix AB 3.2")),
    ProcessStep(bpmn_id="quarantined", name="Signed Pre-Command quarantined (Threshold Anomaly Detection)",
                actor="DCC", refs=("BAD 7.8.2", "SEC Appendix AB 12.2")),
    ProcessStep(bpmn_id="release_quarantined", name="The Supplier releases the quarantined item", actor="Supplier",
                refs=("BAD 7.8.2", "SEC Appendix AB 12.3(a)", "SEC Appendix AA 4.9")),
    ProcessStep(bpmn_id="end_replaced", name="Supplier cell holds the new certificate", actor="Supplier",
                refs=("BAD 7.7.2.5.6",)),
    ProcessStep(bpmn_id="end_failed", name="The Device's certificate was not replaced", actor="Supplier",
                refs=("BAD 7.7.2.5.6",)),
])


class DeviceReplacementInput(BaseModel):
    supplier_id: str
    device_id: str
    response_timeout: timedelta = timedelta(hours=2)
    quarantine_alert_code: str = "N999"


def _event_ref(body: object) -> str | None:
    if isinstance(body, dict):
        if isinstance(body.get("QuarantineEventRef"), str):
            return body["QuarantineEventRef"]
        body = list(body.values())
    if isinstance(body, list):
        return next((ref for item in body if (ref := _event_ref(item)) is not None), None)
    return None


@workflow.defn(name="OrgCertReplacement")
class OrgCertReplacementWorkflow(ProcessWorkflow):
    steps = ROLLOVER_STEPS

    @workflow.run
    async def run(self, inp: DeviceReplacementInput) -> DeviceOutcome:
        spec = cell_request("replace_organisation_certificate", "6.15.1", user_id=inp.supplier_id,
                            device_id=inp.device_id, cell=SUPPLIER_CELL, certificate_of=inp.supplier_id)
        released = False
        try:
            sent = await self.send(spec)
            while True:
                message = await self.wait_for(
                    lambda m, held=released: m.request_id == sent.request_id and self._answer(
                        m, inp.quarantine_alert_code, held), inp.response_timeout)
                if message is None:
                    return self._end(inp, f"no Service Response to {sent.request_id} within {inp.response_timeout}",
                                     released)
                if message.kind == "dcc_alert" and message.dcc_alert_code == inp.quarantine_alert_code:
                    released = await self._release(inp, message)
                    continue
                if message.kind == "dcc_alert":
                    return self._end(inp, f"DCC Alert {message.dcc_alert_code}", released)
                if not message.success:
                    return self._end(inp, f"Service Response {message.response_code}", released)
                self.record("replace_organisation_certificate", device_id=inp.device_id)
                return self._end(inp, "", released)
        except ServiceRequestFailed as exc:
            return self._end(inp, str(exc), released)

    @staticmethod
    def _answer(m: InboundMessage, quarantine_code: str, released: bool) -> bool:
        return m.kind == "service_response" or m.kind == "dcc_alert" and (
            m.dcc_alert_code in COMMAND_FAILURES or (m.dcc_alert_code == quarantine_code and not released))

    async def _release(self, inp: DeviceReplacementInput, notice: InboundMessage) -> bool:
        ref = _event_ref(notice.body)
        self.record("quarantined", device_id=inp.device_id, detail=ref or "")
        if ref is None:
            raise ServiceRequestFailed("6.15.1", "quarantined; the DCC's notice names no QuarantineEventRef")
        try:
            await workflow.execute_activity_method(RolloverActivities.rollover_release_quarantined,
                                                   Release(quarantine_event_ref=ref),
                                                   start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY)
        except ActivityError as exc:  # e.g. archived after the release window (AA 4.5)
            raise ServiceRequestFailed("6.15.1", f"quarantined item {ref} not released: {exc.cause or exc}") from exc
        self.record("release_quarantined", device_id=inp.device_id, detail=ref)
        return True

    def _end(self, inp: DeviceReplacementInput, reason: str, released: bool) -> DeviceOutcome:
        self.record("end_failed" if reason else "end_replaced", device_id=inp.device_id, detail=reason)
        return DeviceOutcome(device_id=inp.device_id, outcome="failed" if reason else "replaced", reason=reason,
                             at=workflow.now(), released_from_quarantine=released)


@workflow.defn(name="OrgCertRollover")
class OrgCertRolloverWorkflow(CampaignEngine):
    """The rollover on the generic campaign engine (``workflows.campaign``): one wave of every Device, never
    halting, paced by ``room`` under the Supplier's ADT; each item one ``OrgCertReplacement`` child."""

    @workflow.init
    def __init__(self, state: CampaignState) -> None:
        self._engine_init(state)
        self.st: CampaignState = state

    @workflow.query
    def progress(self) -> Progress:
        return progress(self.st)

    @workflow.update
    async def pause(self) -> Progress:
        """Nothing new starts; returns once no round trip is in flight."""
        await self._pause()
        return progress(self.st)

    @workflow.update
    async def resume(self) -> Progress:
        await self._resume()
        return progress(self.st)

    @workflow.update
    async def cancel(self) -> Progress:
        """No more round trips start; returns once none is in flight. The certificate is still activated for the
        Devices replaced (the others are recorded as holding the retired one)."""
        await self._cancel()
        return progress(self.st)

    @pause.validator
    def _pause_allowed(self) -> None:
        self._steerable()

    @cancel.validator
    def _cancel_allowed(self) -> None:
        self._steerable()

    @workflow.run
    async def run(self, state: CampaignState) -> CampaignReport:
        st = self.st
        if st.phase == "preparing":
            await self._prepare()
        await self.run_items()
        st.phase = "activating"
        if st.succeeded:
            await workflow.execute_activity_method(
                RolloverActivities.rollover_activate_certificate,
                Activation(campaign_id=st.campaign_id, supplier_id=st.inp.supplier_id, replaced=st.succeeded),
                start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY)
            st.activated = True
        st.phase, st.finished_at = "done", workflow.now()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return report(st)

    async def _prepare(self) -> None:
        st = self.st
        plan = await workflow.execute_activity_method(
            RolloverActivities.rollover_prepare, st.inp.supplier_id, start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY)
        issued = await workflow.execute_activity_method(
            RolloverActivities.rollover_issue_certificate,
            CampaignRef(campaign_id=st.campaign_id, supplier_id=st.inp.supplier_id),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY)
        st.pending = list(st.inp.device_ids) if st.inp.device_ids is not None else plan.device_ids
        st.threshold, st.quarantine_alert_code = plan.threshold, plan.quarantine_alert_code
        st.new_serial, st.previous_serial = issued.serial, issued.previous_serial
        st.phase, st.started_at = "rolling", workflow.now()

    def room(self, now: datetime) -> tuple[int, datetime | None]:
        room, until = budget(self.st, now)
        return min(room, self.st.inp.concurrency - len(self.st.in_flight)), until

    async def run_item(self, device_id: str) -> ItemFailure | None:
        st = self.st
        try:
            outcome = await workflow.execute_child_workflow(
                OrgCertReplacementWorkflow.run,
                DeviceReplacementInput(supplier_id=st.inp.supplier_id, device_id=device_id,
                                       response_timeout=st.inp.response_timeout,
                                       quarantine_alert_code=st.quarantine_alert_code),
                id=device_workflow_id(st.campaign_id, device_id),
                search_attributes=device_search_attributes(PROCESS, [device_id]))
        except ChildWorkflowError as exc:
            outcome = DeviceOutcome(device_id=device_id, outcome="failed", reason=str(exc.cause or exc),
                                    at=workflow.now())
        return outcome_of(st, outcome)


@workflow.defn(name="OrgCertRolloverKey")
class OrgCertRolloverKeyWorkflow:
    """The campaign's business key for the Supplier's current certificate: the id a client starts the campaign
    under (a campaign already running under it is found, not started twice: ``dccflow_app.campaigns``)."""

    @workflow.run
    async def run(self, supplier_id: str) -> str:
        serial = await workflow.execute_activity_method(
            RolloverActivities.rollover_current_serial, supplier_id, start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY)
        return campaign_workflow_id(supplier_id, serial)


ROLLOVER_WORKFLOWS = (OrgCertRolloverKeyWorkflow, OrgCertRolloverWorkflow, OrgCertReplacementWorkflow)
