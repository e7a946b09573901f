"""Replace Communications Hub — BAD 7.6.1 (SEC Appendix AB 10.1-10.5, AC 8.1-8.3; digest 04 §B).

The Supplier's process over one old CH and its replacement (its workflow id from the business key: the old CHF). An
Import or a Gas Supplier of the SMS may run it (digest 04 §K 1; AB 10.2 lets an Import Supplier do the gas steps).

1. the installer removes the old CH and fits and powers the new one (``activities.ch_replacement``); the DCC
   commissions the new CHF when it reaches the SM WAN (AC 4.1). A new CH that never does: no Device Log can be
   restored, the process ends at ``end_new_ch_not_on_wan`` (the old one is off, its SMS unreachable);
2. AB 10.1(a): 'Restore HAN Device Log' (SRV 8.12.1, CCS03) to the new CHF, naming the old one: the DCC restores the
   log it recorded (the latest CS14, AC 8.1-8.2), N30 to the other Responsible Supplier; the meters re-join the new
   HAN and each says so with 'Device joined SMHAN' (0x8183), awaited as signals with a timeout (a meter that does
   not is recorded, the process goes on);
   the DCC's record can be stale (a Device joined after the CS14 it kept, §B.7 item 5): when the Supplier's own
   inventory has other HAN Devices (PPMID, IHD, HCALCS, CAD), it reads the SMI of the new CHF ('Read Inventory',
   SRV 8.2: the DCC Associated the restored Devices with it) and adds each one missing ('Update HAN Device Log' Add,
   SRV 8.11, N24 / N25) — the BAD's slow path for Devices the restore missed (an N25 is recorded, not fatal);
3. AB 10.1(b): 'Restore GPF Device Log' (SRV 8.12.2, GCS59) to the new GPF from the DCC's GCS62 record (also on an
   electricity-only CH: AB 10.1(b) read literally, digest 04 §B.7; N31 to the Gas Supplier when it did not send it);
4. AB 10.1(c), gas SMS only: the GSME unjoined from the old GPF (8.8.2, CS04B) and joined to the new one (8.7.2),
   which commissions the new GPF (AC 4.10) — after (a) and (b), as the workflow's order enforces (§B.4 1-3);
5. AB 10.1(d): 'Decommission Device' (SRV 8.3) of the old CHF — after (c) — its GPF with it (AD 3.8.100.5(c));
6. BAD 7.6.1.6.9: the old CH returned (8.14.3 Fault Return, or 8.14.4);
7. BAD 7.6.1.6.10, AC 8.3: the new CHF and GPF are "newly Commissioned", so AC 5.2 binds the GPF's Responsible
   Supplier — the Gas Supplier (digest 04 §B.3 step 6: "the GS (the Responsible Supplier for that GPF)") — within 7
   days of the GPF's commissioning (the 8.7.2 of step 4): the Post Commissioning Obligations process (BAD 7.2.3,
   ``workflows.post_commissioning``) runs for the new GPF as a child workflow — its Supplier cell handed over, its
   keys regenerated, its Network Operator cell handed to the Gas Transporter (AC 5.2(a), (b)). Only on a gas SMS:
   on an electricity-only CH the new GPF is never commissioned (AC 4.10), so AC 5.2 never applies to it. The new
   CHF's duties (AC 5.1, 5.3) are the DCC's (``dccsim.post_commissioning_duties``).

Each Service Request's refusal or silence ends the process at ``end_service_request_failed`` (business rejections
are not retried). TOM commands and SRV 3.2 re-sends (BAD 7.6.1.6.7) are not simulated (digest 04 §K 19).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.ch_replacement import ChReplacement, ChReplacementActivities
    from activities.duis_client import ServiceRequestSpec
    from dccflow.parties import DCC_ID
    from dccflow.search import device_search_attributes
    from workflows.base import ProcessResult, ProcessWorkflow, ServiceRequestFailed
    from workflows.decommission import decommission
    from workflows.han_device_join import HanDevice
    from workflows.post_commissioning import (
        PostCommissioningInput,
        PostCommissioningResult,
        PostCommissioningWorkflow,
        post_commissioning_workflow_id,
    )
    from workflows.replace_communications_hub_steps import REPLACE_CH_STEPS

INSTALLER_TIMEOUT = timedelta(minutes=10)
#: the Join Time Period of an 8.11 Add for a Device the restore missed (seconds; as Install and Commission's)
JOIN_TIME_PERIOD = 300
#: 'Device joined SMHAN' (BAD 7.6.1.6.5)
DEVICE_JOINED_SMHAN = 0x8183
#: workflow.patched id: Post Commissioning Obligations for the new GPF (BAD 7.6.1.6.10; histories before it end
#: with the old CH's return)
PATCH_NEW_GPF_POST_COMMISSIONING = "replace-ch-new-gpf-post-commissioning"


class ReplaceChInput(BaseModel):
    premises_id: str
    old_chf_id: str
    old_gpf_id: str
    new_chf_id: str
    new_gpf_id: str
    #: the Supplier replacing the CH (the sender of 8.12.1, 8.12.2, 8.3, 8.14.x)
    supplier_id: str
    #: the Gas Supplier, for the GSME's unjoin and join (BAD 7.6.1.6.7); None: electricity only
    gas_supplier_id: str | None = None
    #: the registered Gas Transporter, whose certificate goes into the new GPF's Network Operator cell (AC 5.2(a))
    gas_transporter_id: str | None = None
    esme_id: str | None = None
    gsme_id: str | None = None
    #: the Supplier's own inventory of the premises' other HAN Devices (checked against the restore, §B.7 item 5)
    han_devices: list[HanDevice] = Field(default_factory=list)
    new_ch_faults: list[str] = Field(default_factory=list)
    ch_return: Literal["fault", "no_fault"] = "fault"
    response_timeout: timedelta = timedelta(hours=2)
    #: how long the Supplier waits for each meter's 0x8183 after the restore (the re-join is not timed, §J13)
    rejoin_timeout: timedelta = timedelta(minutes=30)


class ReplaceChResult(ProcessResult):
    outcome: Literal["completed", "failed"]
    #: the Devices this process added to the premises (their final SMI status is in the scenario report)
    new_devices: list[str] = Field(default_factory=list)
    not_rejoined: list[str] = Field(default_factory=list)
    #: BAD 7.6.1.6.10: the Post Commissioning Obligations run for the new GPF (gas SMS)
    post_commissioning: list[PostCommissioningResult] = Field(default_factory=list)


def replace_communications_hub_workflow_id(inp: ReplaceChInput) -> str:
    return f"replace-communications-hub-{inp.old_chf_id}"


@workflow.defn(name="ReplaceCommunicationsHub")
class ReplaceCommunicationsHubWorkflow(ProcessWorkflow):
    steps = REPLACE_CH_STEPS

    @workflow.run
    async def run(self, inp: ReplaceChInput) -> ReplaceChResult:
        self.inp = inp
        self.not_rejoined: list[str] = []
        self.post_commissioning: list[PostCommissioningResult] = []
        #: when the new GPF became 'commissioned' (the GSME's join to it, AC 4.10): AC 5.2's 7 days run from there
        self.gpf_commissioned_at: datetime | None = None
        self.record("start_replace_ch", device_id=inp.old_chf_id,
                    detail=f"CHF {inp.old_chf_id} → {inp.new_chf_id}")
        report = await workflow.execute_activity_method(
            ChReplacementActivities.installer_replace_communications_hub,
            ChReplacement(premises_id=inp.premises_id, old_chf_id=inp.old_chf_id, new_chf_id=inp.new_chf_id,
                          new_gpf_id=inp.new_gpf_id, new_ch_faults=inp.new_ch_faults),
            start_to_close_timeout=INSTALLER_TIMEOUT)
        self.record("install_replacement_ch", device_id=inp.new_chf_id,
                    detail="SM WAN indicator " + ("on" if report.sm_wan_connected else "off"))
        if not report.sm_wan_connected:
            return self._end("failed", "end_new_ch_not_on_wan",
                             "the new CH did not connect to the SM WAN: nothing restored", inp.new_chf_id)
        self.record("new_chf_commissioned_by_dcc", device_id=inp.new_chf_id)
        try:
            await self._replace(inp)
        except ServiceRequestFailed as exc:
            return self._end("failed", "end_service_request_failed", str(exc))
        rejoined = "" if not self.not_rejoined else f"; not re-joined: {', '.join(self.not_rejoined)}"
        await self._post_commission_new_gpf(inp)
        post = "".join(f"; Post Commissioning of GPF {inp.new_gpf_id}: {pc.outcome}" for pc in self.post_commissioning)
        return self._end("completed", "end_ch_replaced", f"CHF {inp.new_chf_id} serves the SMS{rejoined}{post}",
                         inp.new_chf_id)

    def _end(self, outcome: str, end: str, reason: str, device_id: str | None = None) -> ReplaceChResult:
        self.record(end, device_id=device_id, detail=reason)
        return ReplaceChResult(outcome=outcome, end=end, reason=reason, events=self.events,
                               obligations=self.obligations, not_rejoined=self.not_rejoined,
                               post_commissioning=self.post_commissioning,
                               new_devices=[self.inp.new_chf_id, self.inp.new_gpf_id])

    def _spec(self, step: str, srv: str, target: str, params: dict, route: list[str], *,
              user_id: str | None = None, device_alerts: bool = False) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step, user_id=user_id or self.inp.supplier_id, srv=srv, target=target,
                                  params=params, route_devices=route, route_device_alerts=device_alerts)

    async def _replace(self, inp: ReplaceChInput) -> None:
        timeout = inp.response_timeout
        # the 0x8183 goes to the holder of the meter's Supplier cell (BAD 7.6.1.6.5): the sender awaits its own
        # meter's; the other Supplier's meter shows it re-joined by answering that Supplier's requests
        gas_sender = inp.gas_supplier_id == inp.supplier_id or inp.esme_id is None
        meters = [m for m in ((inp.gsme_id,) if gas_sender else (inp.esme_id,)) if m]
        # AB 10.1(a) — the CHF Device Log from the DCC's record; the meters re-join the new HAN
        await self.service_request(self._spec(
            "restore_han_device_log", "8.12.1", inp.new_chf_id, {"old_chf_id": inp.old_chf_id},
            [inp.new_chf_id, *meters], device_alerts=True), timeout)
        self.record("restore_han_device_log", device_id=inp.new_chf_id, detail=f"from CHF {inp.old_chf_id}'s record")
        for meter in meters:
            joined = await self.wait_for(lambda m, d=meter: m.kind == "device_alert" and m.device_id == d
                                         and m.device_alert_code == DEVICE_JOINED_SMHAN, inp.rejoin_timeout)
            if joined is None:
                self.not_rejoined.append(meter)
                self.record("han_device_not_rejoined", device_id=meter, detail=f"no 0x8183 in {inp.rejoin_timeout}")
            else:
                self.record("han_device_rejoined", device_id=meter, detail=f"0x8183 on CHF {inp.new_chf_id}")
        await self._recover_missing(inp)
        # AB 10.1(b) — the GPF Device Log from the DCC's record
        await self.service_request(self._spec(
            "restore_gpf_device_log", "8.12.2", inp.new_gpf_id, {"old_gpf_id": inp.old_gpf_id}, [inp.new_gpf_id]),
            timeout)
        self.record("restore_gpf_device_log", device_id=inp.new_gpf_id, detail=f"from GPF {inp.old_gpf_id}'s record")
        # AB 10.1(c) — the GSME leaves the old GPF, joins the new one (gas SMS only)
        if inp.gsme_id is not None:
            gas = inp.gas_supplier_id or inp.supplier_id
            await self.service_request(self._spec(
                "unjoin_gsme_from_old_gpf", "8.8.2", inp.gsme_id, {"other_device_id": inp.old_gpf_id},
                [inp.gsme_id], user_id=gas), timeout)
            self.record("unjoin_gsme_from_old_gpf", device_id=inp.gsme_id, detail=f"GPF {inp.old_gpf_id}")
            await self.service_request(self._spec(
                "join_gsme_to_new_gpf", "8.7.2", inp.gsme_id, {"other_device_id": inp.new_gpf_id},
                [inp.gsme_id, inp.new_gpf_id], user_id=gas), timeout)
            self.record("join_gsme_to_new_gpf", device_id=inp.new_gpf_id, detail=f"GSME {inp.gsme_id}")
            self.gpf_commissioned_at = workflow.now()
        # AB 10.1(d) — the old CHF decommissioned, its GPF with it
        await decommission(self, sender_id=inp.supplier_id, device_id=inp.old_chf_id, device_type="CHF",
                           timeout=timeout, step="decommission_old_ch", gpf_id=inp.old_gpf_id)
        # BAD 7.6.1.6.9 — the old CH back to the DCC
        if inp.ch_return == "fault":
            srv, params = "8.14.3", {"chf_id": inp.old_chf_id, "fault_return_type": "Fault identified post "
                                                                                   "installation",
                                     "other_device_id": inp.esme_id or inp.gsme_id or inp.old_gpf_id,
                                     "connection_method": "ESME" if inp.esme_id else "Hot-shoe",
                                     "fault_reason": "SM WAN Fault"}
        else:
            srv, params = "8.14.4", {"chf_id": inp.old_chf_id}
        await self.service_request(self._spec("return_old_ch", srv, DCC_ID, params, []), timeout)
        self.record("return_old_ch", device_id=inp.old_chf_id, detail=f"SRV {srv}")

    async def _recover_missing(self, inp: ReplaceChInput) -> None:
        """Digest 04 §B.7 item 5: the SMI of the new CHF (8.2) against the Supplier's own inventory; each HAN Device
        the restore missed is added to the new CHF Device Log (8.11 Add, BAD 7.2.1.6.7) and joins it (N24)."""
        if not inp.han_devices:
            return
        reply = await self.service_request(self._spec("read_inventory_new_ch", "8.2", DCC_ID,
                                                      {"device_id": inp.new_chf_id}, []), inp.response_timeout)
        found = reply.body.get("DSPInventory", {}).get("Device", [])
        on_new = {str(d["DeviceID"]) for d in (found if isinstance(found, list) else [found])}
        missing = [d for d in inp.han_devices if d.device_id not in on_new]
        self.record("read_inventory_new_ch", device_id=inp.new_chf_id,
                    detail="missing from the restore: " + (", ".join(f"{d.device_type} {d.device_id}"
                                                                    for d in missing) or "none"))
        for dev in missing:
            added = await self.service_request(self._spec(
                f"add_missing_han_device/{dev.device_id}", "8.11", inp.new_chf_id,
                {"device_id": dev.device_id, "install_code": dev.install_code,
                 "join_time_period": JOIN_TIME_PERIOD}, [dev.device_id]), inp.response_timeout)
            alert = await self.join_outcome(added.request_id, JOIN_TIME_PERIOD, inp.rejoin_timeout)
            joined = alert is not None and alert.dcc_alert_code == "N24"
            if not joined:
                self.not_rejoined.append(dev.device_id)
            self.record("add_missing_han_device", device_id=dev.device_id,
                        detail=f"{dev.device_type} added to CHF {inp.new_chf_id}: "
                               + ("N24, joined" if joined else alert.dcc_alert_code if alert else "no N24 / N25"))

    async def _post_commission_new_gpf(self, inp: ReplaceChInput) -> None:
        """BAD 7.6.1.6.10, AC 8.3 → AC 5.2: the Gas Supplier's Post Commissioning Obligations for the new GPF, the
        BAD 7.2.3 process itself (a child workflow, as Install and Commission starts it). Its 7-day Deadline joins
        this process's obligations."""
        if self.gpf_commissioned_at is None or not workflow.patched(PATCH_NEW_GPF_POST_COMMISSIONING):
            return
        result = await workflow.execute_child_workflow(
            PostCommissioningWorkflow.run,
            PostCommissioningInput(device_id=inp.new_gpf_id, device_type="GPF",
                                   supplier_id=inp.gas_supplier_id or inp.supplier_id,
                                   network_operator_id=inp.gas_transporter_id,
                                   commissioned_at=self.gpf_commissioned_at, response_timeout=inp.response_timeout),
            id=post_commissioning_workflow_id(inp.new_gpf_id),
            search_attributes=device_search_attributes("post_commissioning", [inp.new_gpf_id, inp.new_chf_id]))
        self.post_commissioning.append(result)
        self.record("post_commissioning_new_gpf", device_id=inp.new_gpf_id, detail=f"{result.outcome}: {result.reason}")
        self.obligations.extend(result.obligations)
