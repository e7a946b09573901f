"""Meter exchange — BAD 7.6 ("replacing a Device other than a CH follows the ordinary install processes", 004
l.3245): BAD 7.6.2 Remove and Decommission Device for the old meter, BAD 7.2.1 Install and Commission for the new
one on the same CH. Its steps are those two processes' (``meter_exchange_steps``); the Service Requests are built by
the same helpers (``workflows.decommission.decommission``; ``workflows.base`` for Commission Device and the MPxN).

One workflow per exchange (its id from the business key: the old meter). The order (the BAD prescribes none,
digest 04 §C.0): the old meter off the CHF Device Log (8.11 Remove: space for the new one, BAD 7.6.2.1) and
decommissioned (8.3: its MPxN link ended, AD 3.8.100.5(b)) before the new one is added with the same MPxN — a
decision, so that the Metering Point never has two Smart Meters on the SMI. Then the installer swaps them, the new
meter is added to the CHF Device Log (8.11 Add; N24 / N25, BAD 7.2.1.6.7), commissioned (8.1.1, 7.2.1.6.10) and
shows its MPxN (6.20.1, 7.2.1.6.11). An 8.3 refusal ends at ``end_decommission_refused`` with nothing installed; a
new meter that does not join ends at ``end_join_unsuccessful``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.ch_replacement import ChReplacementActivities, MeterExchange
    from activities.duis_client import ServiceRequestSpec
    from devices.premises import install_code
    from workflows.base import (
        COMMAND_FAILURES,
        ProcessResult,
        ProcessWorkflow,
        ServiceRequestFailed,
        commission_device_params,
        import_mpxn_params,
    )
    from workflows.decommission import decommission
    from workflows.meter_exchange_steps import METER_EXCHANGE_STEPS

INSTALLER_TIMEOUT = timedelta(minutes=10)


class MeterExchangeInput(BaseModel):
    premises_id: str
    chf_id: str
    device_type: Literal["ESME", "GSME"] = "ESME"
    old_meter_id: str
    new_meter_id: str
    mpxn: str
    supplier_id: str
    network_operator_id: str | None = None
    join_time_period: int = 300
    response_timeout: timedelta = timedelta(hours=2)
    alert_margin: timedelta = timedelta(minutes=10)


class MeterExchangeResult(ProcessResult):
    outcome: Literal["completed", "failed"]
    new_devices: list[str] = Field(default_factory=list)


def meter_exchange_workflow_id(inp: MeterExchangeInput) -> str:
    return f"meter-exchange-{inp.old_meter_id}"


@workflow.defn(name="MeterExchange")
class MeterExchangeWorkflow(ProcessWorkflow):
    steps = METER_EXCHANGE_STEPS

    @workflow.run
    async def run(self, inp: MeterExchangeInput) -> MeterExchangeResult:
        self.inp = inp
        self.record("start_meter_exchange", device_id=inp.old_meter_id,
                    detail=f"{inp.device_type} {inp.old_meter_id} → {inp.new_meter_id}")
        try:
            await self._remove_old(inp)
        except ServiceRequestFailed as exc:
            if exc.code is not None and exc.code not in COMMAND_FAILURES:
                self.record("decommission_rejected", device_id=inp.old_meter_id, detail=f"{exc.code}: {exc.reason}")
                return self._end("failed", "end_decommission_refused", f"8.3 refused: {exc.code}")
            return self._end("failed", "end_service_request_failed", str(exc))
        await workflow.execute_activity_method(
            ChReplacementActivities.installer_exchange_meter,
            MeterExchange(premises_id=inp.premises_id, chf_id=inp.chf_id, device_type=inp.device_type,
                          old_meter_id=inp.old_meter_id, new_meter_id=inp.new_meter_id, supplier_id=inp.supplier_id,
                          network_operator_id=inp.network_operator_id),
            start_to_close_timeout=INSTALLER_TIMEOUT)
        self.record("install_devices", device_id=inp.new_meter_id, detail=f"in place of {inp.old_meter_id}")
        try:
            return await self._install_new(inp)
        except ServiceRequestFailed as exc:
            return self._end("failed", "end_service_request_failed", str(exc))

    def _end(self, outcome: str, end: str, reason: str) -> MeterExchangeResult:
        self.record(end, device_id=self.inp.new_meter_id, detail=reason)
        return MeterExchangeResult(outcome=outcome, end=end, reason=reason, events=self.events,
                                   obligations=self.obligations, new_devices=[self.inp.new_meter_id])

    def _spec(self, step: str, srv: str, target: str, params: dict, route: list[str]) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step, user_id=self.inp.supplier_id, srv=srv, target=target, params=params,
                                  route_devices=route)

    async def _remove_old(self, inp: MeterExchangeInput) -> None:
        """BAD 7.6.2.5.4-5: off the CHF Device Log (a failure is recorded: optional), then decommissioned."""
        try:
            await self.service_request(self._spec(
                "remove_from_chf_device_log", "8.11", inp.chf_id,
                {"request_type": "Remove", "device_id": inp.old_meter_id}, [inp.chf_id, inp.old_meter_id]),
                inp.response_timeout)
            self.record("remove_from_chf_device_log", device_id=inp.old_meter_id, detail=f"off CHF {inp.chf_id}")
        except ServiceRequestFailed as exc:
            self.record("remove_not_done", device_id=inp.old_meter_id, detail=str(exc))
        await decommission(self, sender_id=inp.supplier_id, device_id=inp.old_meter_id,
                           device_type=inp.device_type, timeout=inp.response_timeout)

    async def _install_new(self, inp: MeterExchangeInput) -> MeterExchangeResult:
        failed = await add_and_commission_meter(self, supplier_id=inp.supplier_id, chf_id=inp.chf_id,
                                                meter_id=inp.new_meter_id, device_type=inp.device_type, mpxn=inp.mpxn,
                                                join_time_period=inp.join_time_period,
                                                timeout=inp.response_timeout, margin=inp.alert_margin)
        if failed is not None:
            return self._end("failed", "end_join_unsuccessful", failed)
        return self._end("completed", "end_meter_exchanged",
                         f"{inp.device_type} {inp.new_meter_id} commissioned in place of {inp.old_meter_id}")


async def add_and_commission_meter(process: ProcessWorkflow, *, supplier_id: str, chf_id: str, meter_id: str,
                                   device_type: str, mpxn: str, join_time_period: int, timeout: timedelta,
                                   margin: timedelta) -> str | None:
    """BAD 7.2.1.6.7, 7.2.1.6.10-11 for one meter on an installed CH, as Install and Commission does them: 8.11 Add
    (N24 / N25), Commission Device (8.1.1), the MPxN (6.20.1). None when commissioned, else why it did not join
    (the caller's end); a refused or unanswered request raises ``ServiceRequestFailed``."""
    def spec(step: str, srv: str, target: str, params: dict, route: list[str]) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step, user_id=supplier_id, srv=srv, target=target, params=params,
                                  route_devices=route)

    added = await process.service_request(spec(
        "update_han_device_log", "8.11", chf_id, {"device_id": meter_id, "install_code": install_code(meter_id),
                                                   "join_time_period": join_time_period, "import_mpxn": mpxn},
        [meter_id, chf_id]), timeout)
    process.record("update_han_device_log", device_id=meter_id, detail=f"{device_type} whitelisted on the CHF")
    alert = await process.join_outcome(added.request_id, join_time_period, margin)
    if alert is None or alert.dcc_alert_code == "N25":
        if alert is not None:
            process.record("n25_whitelist_update_unsuccessful", device_id=meter_id)
        return f"the {device_type} did not join the SM HAN"
    process.record("n24_whitelist_update_successful", device_id=meter_id)
    await process.service_request(spec("commission_device", "8.1.1", meter_id, commission_device_params(), [meter_id]),
                                  timeout)
    process.record("commission_device", device_id=meter_id)
    await process.service_request(spec("set_import_mpxn", "6.20.1", meter_id,
                                       import_mpxn_params(mpxn, gas=device_type == "GSME"), [meter_id]), timeout)
    process.record("set_import_mpxn", device_id=meter_id, detail=mpxn)
    return None
