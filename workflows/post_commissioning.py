"""Post Commissioning Obligations — BAD 7.2.3; SEC Appendix AC 5.2, 5.13.

Within 7 days of commissioning a Smart Meter or GPF the Responsible Supplier must have the Device regenerate its
private key (SRV 6.17), obtain the new Device Certificate from the SMKI from the Device's CSR and store it on the
Device (SRV 6.15.2), make the Network Operator cell hold the registered Electricity Distributor's or Gas
Transporter's certificate (ESME and GPF; SRV 6.15.1 or 6.21) and, for Meters, replace an Organisation
Certificate (SRV 6.15.1; the same one may be used). Both the 7-day deadline and the 14-day point after which
the DCC restricts the Supplier's Service Requests to the Device (BAD 7.2.3.5.7) are durable timers.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import ServiceRequestSpec
    from dccflow.domain.credentials import DIGITAL_SIGNATURE, NETWORK_OPERATOR_CELL, SUPPLIER_CELL
    from workflows.base import Deadline, ProcessResult, ProcessWorkflow, ServiceRequestFailed
    from workflows.credentials import cell_request, regenerate_device_credentials, replace_cell_certificate
    from workflows.post_commissioning_steps import POST_COMMISSIONING_STEPS

#: SEC Appendix AC 5.2 and BAD 7.2.3.5.7
OBLIGATION_PERIOD = timedelta(days=7)
RESTRICTION_AFTER = timedelta(days=14)
#: workflow.patched id: the Gas Supplier hands over the GPF's Supplier cell (it holds the DCC's ACB certificate,
#: BAD 7.2.1.5 Table 4 (b)) before the Critical 6.17 and 6.15.2, which the GPF checks against that cell
PATCH_GPF_SUPPLIER_HANDOVER = "gpf-supplier-cell-handover"


class RoutineRequest(BaseModel):
    """A Service Request the Supplier sends on some day after commissioning that is not one of the Post
    Commissioning steps — to see whether the DCC's 14-day restriction applies (scenario probe)."""

    on_day: int
    srv: str
    params: dict = Field(default_factory=dict)


class PostCommissioningInput(BaseModel):
    device_id: str
    device_type: Literal["ESME", "GSME", "GPF"]
    supplier_id: str
    #: the registered Electricity Distributor / Gas Transporter User ID for the NO cell (ESME and GPF)
    network_operator_id: str | None = None
    commissioned_at: datetime
    #: when the Supplier starts the steps, after commissioning; None: it never does
    start_after: timedelta | None = timedelta(0)
    routine_request: RoutineRequest | None = None
    response_timeout: timedelta = timedelta(hours=2)


class PostCommissioningResult(ProcessResult):
    outcome: Literal["met", "not met", "failed"]


def post_commissioning_workflow_id(device_id: str) -> str:
    return f"post-commissioning-{device_id}"


@workflow.defn(name="PostCommissioning")
class PostCommissioningWorkflow(ProcessWorkflow):
    steps = POST_COMMISSIONING_STEPS

    @workflow.run
    async def run(self, inp: PostCommissioningInput) -> PostCommissioningResult:
        self.inp = inp
        self.done = False
        self.record("start_post_commissioning", device_id=inp.device_id,
                    detail=f"{inp.device_type} commissioned {inp.commissioned_at:%Y-%m-%d %H:%M}")
        deadline = Deadline(self, f"Post Commissioning Obligations for the {inp.device_type} within 7 days",
                            "Supplier", ("SEC Appendix AC 5.2", "BAD 7.2.3.1"),
                            inp.commissioned_at + OBLIGATION_PERIOD)
        watch = asyncio.ensure_future(self._watch())
        probe = asyncio.ensure_future(self._routine_request()) if inp.routine_request else None
        try:
            if inp.start_after is not None:
                await self._sleep_until(inp.commissioned_at + inp.start_after)
                self.record("post_commissioning_steps_due", device_id=inp.device_id)
                await self._steps(inp)
                self.done = True
                deadline.met()
        except ServiceRequestFailed as exc:
            watch.cancel()
            return self._end("failed", "end_service_request_failed", str(exc))
        if probe is not None:
            await probe
        if not self.done:
            await watch  # the 7-day finding and the 14-day restriction are part of the record
            return self._end("not met", "end_post_commissioning_not_met",
                             "the Supplier did not complete the Post Commissioning steps (AC 5.2)")
        watch.cancel()
        met = deadline.outcome is not None and deadline.outcome.met
        return self._end("met" if met else "not met",
                         "end_post_commissioning_met" if met else "end_post_commissioning_not_met",
                         "all steps done within 7 days" if met else "steps completed late")

    def _end(self, outcome: str, end: str, reason: str) -> PostCommissioningResult:
        self.record(end, device_id=self.inp.device_id, detail=reason)
        return PostCommissioningResult(outcome=outcome, end=end, reason=reason, events=self.events,
                                       obligations=self.obligations)

    async def _sleep_until(self, when: datetime) -> None:
        delay = (when - workflow.now()).total_seconds()
        if delay > 0:
            await workflow.sleep(timedelta(seconds=delay))

    async def _watch(self) -> None:
        await self._sleep_until(self.inp.commissioned_at + OBLIGATION_PERIOD)
        if not self.done:
            self.record("post_commissioning_overdue", device_id=self.inp.device_id)
        await self._sleep_until(self.inp.commissioned_at + RESTRICTION_AFTER)
        if not self.done:
            self.record("restricted_after_14_days", device_id=self.inp.device_id)

    def _spec(self, step: str, srv: str, params: dict) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step, user_id=self.inp.supplier_id, srv=srv, target=self.inp.device_id,
                                  params=params, route_devices=[self.inp.device_id])

    async def _steps(self, inp: PostCommissioningInput) -> None:
        # the GPF comes from the DCC with its ACB certificate in the Supplier cell (BAD 7.2.1.5 Table 4 (b)): the
        # Gas Supplier takes it over (SRV 6.21, BAD 7.7.2.5.5) so that the GPF accepts its Critical Commands
        if inp.device_type == "GPF" and workflow.patched(PATCH_GPF_SUPPLIER_HANDOVER):
            await replace_cell_certificate(self, self._cell_request(
                "request_handover_supplier_cell", "6.21", SUPPLIER_CELL, inp.supplier_id), inp.response_timeout,
                detail=f"the DCC's ACB certificate replaced by {inp.supplier_id}'s")
        # 7.2.3.5.2-4 — the Device generates a new key pair and returns its CSR (6.17), the SMKI issues the Device
        # Certificate for it, the Device stores it (6.15.2): BAD 7.7.2.5.7, 7.7.2.5.3, 7.7.2.5.8
        await regenerate_device_credentials(self, user_id=inp.supplier_id, device_id=inp.device_id,
                                            timeout=inp.response_timeout, credential_type=DIGITAL_SIGNATURE)
        # 7.2.3.5.5 — the Network Operator cell must hold the registered ED's / GT's certificate. An ESME has the
        # Distributor's from manufacture (BAD Table 4 (a)); a GPF holds the DCC's ACB certificate, handed over
        # with 'Request Handover of DCC Controlled Device' (SRV 6.21, BAD 7.7.2.5.5)
        if inp.device_type == "GPF" and inp.network_operator_id:
            await replace_cell_certificate(self, self._cell_request(
                "update_network_operator_certificate", "6.21", NETWORK_OPERATOR_CELL, inp.network_operator_id),
                inp.response_timeout)
        # 7.2.3.5.6 — Meters: replace an Organisation Certificate (the same one may be used; SRV 6.15.1, BAD 7.7.2.5.6)
        if inp.device_type in ("ESME", "GSME"):
            await replace_cell_certificate(self, self._cell_request(
                "replace_organisation_certificate", "6.15.1", SUPPLIER_CELL, inp.supplier_id), inp.response_timeout)

    def _cell_request(self, step: str, srv: Literal["6.21", "6.15.1"], cell: str,
                      certificate_of: str) -> ServiceRequestSpec:
        return cell_request(step, srv, user_id=self.inp.supplier_id, device_id=self.inp.device_id, cell=cell,
                            certificate_of=certificate_of)

    async def _routine_request(self) -> None:
        rr = self.inp.routine_request
        assert rr is not None
        await self._sleep_until(self.inp.commissioned_at + timedelta(days=rr.on_day))
        self.record("routine_request_due", device_id=self.inp.device_id, detail=f"day {rr.on_day}: SRV {rr.srv}")
        try:
            await self.service_request(self._spec(f"routine_request_day_{rr.on_day}", rr.srv, rr.params),
                                       self.inp.response_timeout)
            self.record("routine_request_accepted", device_id=self.inp.device_id, detail=f"SRV {rr.srv}")
        except ServiceRequestFailed as exc:
            self.record("routine_request_refused", device_id=self.inp.device_id, detail=exc.reason)
