"""Remove and Decommission Device — BAD 7.6.2 (7.6.2.5.3 Unjoin Service, 7.6.2.5.4 Update HAN Device Log - Remove
Device, 7.6.2.5.5 Decommission Device); SEC H6.1-H6.6; digest 04 §C-§E.

The Responsible Supplier's process for one Device (its workflow id from the business key: the Device, and the step
that starts it). Every step but the last is optional (BAD 7.6.2.1: "no SEC obligation to unjoin"):

1. the unjoins it chooses (digest 04 §C.3 table: 8.8.1 Critical — the Pre-Command signed by the sender — or
   8.8.2 Non-Critical, each to the Device whose Device Log is edited). A failed unjoin is recorded and the process
   goes on (§C.6: a failed unjoin does not block decommissioning);
2. optionally 'Update HAN Device Log' Remove (SRV 8.11, CCS02) taking the Device off the CHF Device Log (a PPMID
   joined to both meters: N43 to the other Responsible Supplier, §D);
3. 'Decommission Device' (SRV 8.3, Non-Device: the Service Response is the DCC's synchronous reply). The DCC
   rejects it from a User that is not the Responsible Supplier (H6.5), for a Type 2 Device, and for one 'pending',
   'decommissioned' or 'withdrawn' (AD 3.8.100.5(a); digest 04 §K 17): a business outcome, never retried — the
   process ends at ``end_decommission_refused`` with the response code. After the 8.3 of a CHF, the Supplier reads
   its GPF's SMI status (SRV 8.2): decommissioned with it, or left 'pending' (AD 3.8.100.5(a), (c));
4. a CHF decommissioned without a replacement: the SMS's other Devices are the DCC's to decommission after a
   reasonable period (H6.6; ``dccsim.orphans``). With ``h6_6_period`` the process waits that long on a durable timer
   and records the period's end (the DCC's watch has acted by then).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import ServiceRequestSpec
    from dccflow.domain.smi import SmiStatus
    from dccflow.parties import DCC_ID
    from workflows.base import COMMAND_FAILURES, ProcessResult, ProcessWorkflow, ServiceRequestFailed
    from workflows.decommission_steps import DECOMMISSION_STEPS

#: Smart Meters: their MPxN link ends on decommissioning (AD 3.8.100.5(b))
METERS = frozenset({"ESME", "GSME"})
#: ``workflow.patched``: a CHF's 8.3 is followed by an 8.2 of its GPF (histories of the earlier code have none)
READ_GPF_PATCH = "decommission-chf-reads-gpf-status"


class Unjoin(BaseModel):
    """One unjoin of digest 04 §C.3: ``target`` removes ``other`` from its Device Log."""

    srv: Literal["8.8.1", "8.8.2"]
    target: str
    other: str
    #: the sender when not the process's Supplier (e.g. the Gas Supplier for U5, U7-U9)
    sender_id: str | None = None


class DecommissionInput(BaseModel):
    device_id: str
    device_type: str
    #: the User sending the requests (the Responsible Supplier; anyone else is refused, H6.5)
    supplier_id: str
    #: the CHF whose Device Log holds the Device (for the 8.11 Remove)
    chf_id: str | None = None
    #: a CHF: its GPF, decommissioned with it (AD 3.8.100.5(c))
    gpf_id: str | None = None
    unjoins: list[Unjoin] = Field(default_factory=list)
    remove_from_chf: bool = False
    #: a CHF: watch this long for the H6.6 decommissioning of the SMS's other Devices (None: do not wait)
    h6_6_period: timedelta | None = None
    response_timeout: timedelta = timedelta(hours=2)
    #: tells apart two runs on one Device (the scenario step's id)
    instance: str | None = None


class DecommissionResult(ProcessResult):
    outcome: Literal["completed", "failed"]
    #: the DUIS response code of a refusal of the 8.3
    refusal_code: str | None = None
    #: steps that were tried and did not work (optional steps: recorded, the process went on)
    not_done: list[str] = Field(default_factory=list)


def decommission_workflow_id(inp: DecommissionInput) -> str:
    return f"decommission-{inp.device_id}" + (f"-{inp.instance}" if inp.instance else "")


@workflow.defn(name="RemoveAndDecommission")
class RemoveAndDecommissionWorkflow(ProcessWorkflow):
    steps = DECOMMISSION_STEPS

    @workflow.run
    async def run(self, inp: DecommissionInput) -> DecommissionResult:
        self.inp = inp
        self.not_done: list[str] = []
        self.record("start_decommission", device_id=inp.device_id, detail=f"{inp.device_type} {inp.device_id}")
        for unjoin in inp.unjoins:
            await self._unjoin(unjoin)
        if inp.remove_from_chf and inp.chf_id:
            await self._remove()
        try:
            await decommission(self, sender_id=inp.supplier_id, device_id=inp.device_id,
                               device_type=inp.device_type, timeout=inp.response_timeout, gpf_id=inp.gpf_id)
        except ServiceRequestFailed as exc:
            if exc.code is not None and exc.code not in COMMAND_FAILURES:
                self.record("decommission_rejected", device_id=inp.device_id, detail=f"{exc.code}: {exc.reason}")
                return self._end("failed", "end_decommission_refused", f"8.3 refused: {exc.code}", code=exc.code)
            return self._end("failed", "end_service_request_failed", str(exc), code=exc.code)
        if inp.device_type == "CHF" and inp.h6_6_period is not None:
            await workflow.sleep(inp.h6_6_period)
            self.record("h6_6_period_elapsed", device_id=inp.device_id,
                        detail=f"{inp.h6_6_period} without a replacement CHF commissioned")
        return self._end("completed", "end_device_decommissioned", f"{inp.device_type} {inp.device_id} decommissioned")

    def _end(self, outcome: str, end: str, reason: str, code: str | None = None) -> DecommissionResult:
        self.record(end, device_id=self.inp.device_id, detail=reason)
        return DecommissionResult(outcome=outcome, end=end, reason=reason, events=self.events,
                                  obligations=self.obligations, refusal_code=code, not_done=self.not_done)

    async def _unjoin(self, u: Unjoin) -> None:
        step = "unjoin_critical" if u.srv == "8.8.1" else "unjoin_non_critical"
        try:
            await self.service_request(ServiceRequestSpec(
                step=f"{step}/{u.target}/{u.other}", user_id=u.sender_id or self.inp.supplier_id, srv=u.srv,
                target=u.target, params={"other_device_id": u.other}, route_devices=[u.target]),
                self.inp.response_timeout)
        except ServiceRequestFailed as exc:
            self.not_done.append(f"{u.srv} {u.target} / {u.other}")
            self.record("unjoin_not_done", device_id=u.target, detail=f"{u.other}: {exc}")
            return
        self.record(step, device_id=u.target, detail=f"{u.other} removed from its Device Log")

    async def _remove(self) -> None:
        inp = self.inp
        try:
            await self.service_request(ServiceRequestSpec(
                step="remove_from_chf_device_log", user_id=inp.supplier_id, srv="8.11", target=inp.chf_id,
                params={"request_type": "Remove", "device_id": inp.device_id},
                route_devices=[inp.chf_id, inp.device_id]), inp.response_timeout)
        except ServiceRequestFailed as exc:
            self.not_done.append(f"8.11 Remove {inp.device_id}")
            self.record("remove_not_done", device_id=inp.device_id, detail=str(exc))
            return
        self.record("remove_from_chf_device_log", device_id=inp.device_id, detail=f"off CHF {inp.chf_id}'s log")


async def decommission(process: ProcessWorkflow, *, sender_id: str, device_id: str, device_type: str,
                       timeout: timedelta, step: str = "decommission_device", gpf_id: str | None = None) -> None:
    """SRV 8.3 (Non-Device: the DCC's reply is the Service Response) and what the DCC did, as process events: the
    Device 'decommissioned' (H6.4(a)-(b)), a Smart Meter's MPxN link ended (AD 3.8.100.5(b)), a CHF's GPF with it
    (AD 3.8.100.5(c)) or left as it was (:func:`_gpf_of_chf`). Raises ``ServiceRequestFailed`` with the DCC's
    response code when the 8.3 is refused (H6.5)."""
    await process.service_request(ServiceRequestSpec(
        step=f"{step}/{device_id}", user_id=sender_id, srv="8.3", target=DCC_ID, params={"device_id": device_id},
        route_devices=[device_id]), timeout)
    process.record(step, device_id=device_id, detail=f"{device_type} {device_id}")
    process.record("device_decommissioned_by_dcc", device_id=device_id)
    if device_type in METERS:
        process.record("mpxn_link_ended", device_id=device_id)
    if device_type == "CHF":
        await _gpf_of_chf(process, sender_id=sender_id, chf_id=device_id, gpf_id=gpf_id, timeout=timeout, step=step)


async def _gpf_of_chf(process: ProcessWorkflow, *, sender_id: str, chf_id: str, gpf_id: str | None,
                      timeout: timedelta, step: str) -> None:
    """What the 8.3 of a CHF did to its GPF. AD 3.8.100.5(c) sets the GPF 'decommissioned' with its CHF, but (a)
    updates no Device 'pending', 'decommissioned' or 'withdrawn': the GPF of an electricity-only CH, never
    commissioned, stays 'pending' (``dccsim.handlers.decommission``). The 8.3's Service Response does not say which,
    so the Supplier reads the GPF's SMI status (SRV 8.2 Read Inventory, BAD 7.6.2.5.5) and records what it finds:
    ``gpf_decommissioned_with_chf`` or ``gpf_not_decommissioned`` (with the status). DECISION: a failed read is
    recorded as neither (``gpf_status_not_read``): the process does not claim what it did not see."""
    if gpf_id is None:  # no GPF known to the Supplier: nothing to say about one
        return
    if not workflow.patched(READ_GPF_PATCH):  # a history of the earlier code: it recorded the GPF unread
        process.record("gpf_decommissioned_with_chf", device_id=gpf_id, detail=f"CHF {chf_id}")
        return
    try:
        reply = await process.service_request(ServiceRequestSpec(
            step=f"{step}/gpf_status/{gpf_id}", user_id=sender_id, srv="8.2", target=DCC_ID,
            params={"device_id": gpf_id}, route_devices=[]), timeout)
    except ServiceRequestFailed as exc:
        process.record("gpf_status_not_read", device_id=gpf_id, detail=f"CHF {chf_id}: {exc}")
        return
    found = reply.body.get("DSPInventory", {}).get("Device", [])
    status = next((str(d.get("DeviceStatus")) for d in (found if isinstance(found, list) else [found])
                   if d.get("DeviceID") == gpf_id), "not on the SMI")
    if status == SmiStatus.DECOMMISSIONED.duis_name:
        process.record("gpf_decommissioned_with_chf", device_id=gpf_id, detail=f"CHF {chf_id}")
    else:
        process.record("gpf_not_decommissioned", device_id=gpf_id, detail=f"CHF {chf_id}; the GPF '{status}'")
