"""Re-use of a decommissioned meter — SEC Appendix AD 3.8.101.5 ("re-use … by 8.3 then 12.2, never by 8.4"), AC 7.1
('decommissioned' → 'pending'), H5.3 (never 'decommissioned' → 'commissioned'); digest 04 §E.6, scenario 16.

One workflow per re-use (its id from the business key: the Device and the step). The Supplier's attempt to commission
the Device as it is is refused by the DCC (the Device is 'decommissioned': AB 6.1(c); H5.3) — recorded, as the user
sees it; then 'Device Pre-notification' (SRV 12.2) puts it back to 'pending' (AC 7.1), the installer fits it and
the Install and Commission steps follow (``meter_exchange.add_and_commission_meter``). Decision (the sources are
silent on where): it is fitted on the CH named in the input — in the scenario the premises' own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import ServiceRequestSpec
    from activities.installer import InstallerActivities
    from dccflow.parties import DCC_ID
    from workflows.base import ProcessResult, ProcessWorkflow, ServiceRequestFailed, commission_device_params
    from workflows.device_reuse_steps import DEVICE_REUSE_STEPS
    from workflows.meter_exchange import INSTALLER_TIMEOUT, add_and_commission_meter

#: the Device Model the re-used meter is pre-notified with (the simulator's, ``world_events.SIMULATED_MANUFACTURER``)
MANUFACTURER, MODEL = "DCCSIM", "ESME"


class DeviceReuseInput(BaseModel):
    device_id: str
    device_type: Literal["ESME"] = "ESME"
    chf_id: str
    mpxn: str
    supplier_id: str
    join_time_period: int = 300
    response_timeout: timedelta = timedelta(hours=2)
    alert_margin: timedelta = timedelta(minutes=10)
    instance: str | None = None


class DeviceReuseResult(ProcessResult):
    outcome: Literal["completed", "failed"]
    refusals: list[str] = Field(default_factory=list)


def device_reuse_workflow_id(inp: DeviceReuseInput) -> str:
    return f"device-reuse-{inp.device_id}" + (f"-{inp.instance}" if inp.instance else "")


@workflow.defn(name="DeviceReuse")
class DeviceReuseWorkflow(ProcessWorkflow):
    steps = DEVICE_REUSE_STEPS

    @workflow.run
    async def run(self, inp: DeviceReuseInput) -> DeviceReuseResult:
        self.inp, self.refusals = inp, []
        self.record("start_device_reuse", device_id=inp.device_id, detail=f"{inp.device_type} {inp.device_id}")
        # H5.3: a 'decommissioned' Device is never commissioned as it is
        try:
            await self.service_request(self._spec("commission_device_as_is", "8.1.1", inp.device_id,
                                                  commission_device_params()), inp.response_timeout)
            self.record("commission_device_as_is", device_id=inp.device_id, detail="accepted (not expected, H5.3)")
        except ServiceRequestFailed as exc:
            self.refusals.append(f"8.1.1: {exc.code}")
            self.record("commission_device_as_is", device_id=inp.device_id)
            self.record("commission_refused_while_decommissioned", device_id=inp.device_id,
                        detail=f"{exc.code}: {exc.reason}")
        # AC 7.1: 12.2 puts it back to 'pending'
        try:
            await self.service_request(self._spec(
                "device_pre_notification", "12.2", DCC_ID,
                {"device_id": inp.device_id, "device_manufacturer": MANUFACTURER, "device_model": MODEL,
                 "device_type": inp.device_type}), inp.response_timeout)
        except ServiceRequestFailed as exc:
            self.record("pre_notification_refused", device_id=inp.device_id, detail=f"{exc.code}: {exc.reason}")
            return self._end("failed", "end_reuse_refused", f"12.2 refused: {exc.code}")
        self.record("device_pre_notification", device_id=inp.device_id, detail="'pending' again")
        await workflow.execute_activity_method(InstallerActivities.installer_install_device, inp.device_id,
                                               start_to_close_timeout=INSTALLER_TIMEOUT)
        self.record("install_devices", device_id=inp.device_id, detail=f"on CHF {inp.chf_id}")
        try:
            failed = await add_and_commission_meter(
                self, supplier_id=inp.supplier_id, chf_id=inp.chf_id, meter_id=inp.device_id,
                device_type=inp.device_type, mpxn=inp.mpxn, join_time_period=inp.join_time_period,
                timeout=inp.response_timeout, margin=inp.alert_margin)
        except ServiceRequestFailed as exc:
            return self._end("failed", "end_service_request_failed", str(exc))
        if failed is not None:
            return self._end("failed", "end_join_unsuccessful", failed)
        return self._end("completed", "end_device_reused", f"{inp.device_type} {inp.device_id} commissioned again")

    def _end(self, outcome: str, end: str, reason: str) -> DeviceReuseResult:
        self.record(end, device_id=self.inp.device_id, detail=reason)
        return DeviceReuseResult(outcome=outcome, end=end, reason=reason, events=self.events,
                                 obligations=self.obligations, refusals=self.refusals)

    def _spec(self, step: str, srv: str, target: str, params: dict) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step, user_id=self.inp.supplier_id, srv=srv, target=target, params=params,
                                  route_devices=[self.inp.device_id])
