"""Manage Firmware — BAD 7.5.3 (7.5.3.6.1 Check Firmware Image Hash, 7.5.3.6.2 Update Firmware, 7.5.3.6.3 Activate
Firmware, 7.5.3.6.6 Read Firmware Version); SEC Appendix AB 2.1-2.2; digest 03 §F.

The Supplier's process for one meter (its workflow id from the business key: the meter and the scenario step):

1. optionally the manufacturer's release reaches the CPL (``list_on_cpl``: the Panel's new entry, BAD 7.5.3.5);
2. the Supplier's checks S1-S4 on the package (``activities.firmware``); any failure stops here, no 11.1 (AB 2.2);
3. 'Update Firmware' (SRV 11.1, to the DCC): the DCC's checks (N18-N21 stop it; the meter listed as failed in the
   Service Response's warning lists ends it), then the image goes through the CH: the DCC tries a CH off the SM WAN
   again, then sends N22; N23 when the CH never reports the download complete (``dccsim.firmware_distribution``);
4. the meter's Firmware Distribution Receipt, a Device Alert awaited as a signal with a timeout: 0x8F72 (verified
   and stored) or 0x8F1C (rejected: the Supplier does not send 11.3, digest 03 §F.12); N22 / N23 end it;
5. 'Activate Firmware' (SRV 11.3, Critical: CS06 signed by the Supplier), at once or future-dated (``activate_after``:
   the meter stores the CS06 and reports with 0x00CA, awaited until the execution time plus ``alert_timeout``);
   a failure Response (no image, wrong Hash, a corrupt image) leaves the meter on its old version. A stored
   activation ends without 0x00CA when the Supplier cancels it (``cancel_after``: 11.3 with the DUIS
   ExecutionDateTime 3000-12-31, digest 03 §F.4) or a Change of Supplier does (the meter never executes it,
   ``devices.cos_effects``; the DCC's N27 tells this, the Losing, Supplier): ``end_activation_cancelled`` - after
   an 11.2 for the Supplier's own cancellation, none after a CoS (the Losing Supplier may no longer read the meter);
6. 'Read Firmware Version' (SRV 11.2): the version the meter runs decides the outcome (BAD 7.5.3.6.6: the DCC does
   not update the SMI from it; the Supplier uses it when a CS06 Response or 0x00CA does not settle it).
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import ServiceRequestSpec
    from activities.firmware import FirmwareActivities, FirmwarePackage, FirmwareRelease
    from dccflow.domain.alerts import FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE, DeviceAlert
    from dccflow.firmware_image import ACTIVATION_CANCELLATION
    from dccflow.parties import DCC_ID
    from workflows.base import ProcessResult, ProcessWorkflow, ServiceRequestFailed
    from workflows.firmware_upgrade_steps import FIRMWARE_UPGRADE_STEPS

RECEIPTS = frozenset({DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS,
                      DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE})
#: the DCC Alerts that stop an 11.1 (BAD 7.5.3.6.2)
REFUSALS = frozenset({"N18", "N19", "N20", "N21"})
#: the DCC Alerts that end a distribution (BAD 7.5.3.6.2) and the step each is recorded as
NOT_DISTRIBUTED = MappingProxyType({"N22": "image_not_delivered", "N23": "download_not_confirmed"})
#: AD 3.8.75.4(a): the DCC tells the Losing Supplier its meter changed Supplier
SUPPLIER_CHANGED = "N27"
_ACTIVITY = dict(start_to_close_timeout=timedelta(seconds=60))


class FirmwareUpgradeInput(BaseModel):
    supplier_id: str
    device_id: str
    to_version: str
    image_size: int = 4096
    list_on_cpl: bool = True
    #: None: activate at once; else the CS06's execution date-time this long after it is sent
    activate_after: timedelta | None = None
    response_timeout: timedelta = timedelta(hours=2)
    #: how long to wait for the Firmware Distribution Receipt after 11.1 (no limit is stated, digest 03 §F.11)
    receipt_timeout: timedelta = timedelta(days=1)
    alert_timeout: timedelta = timedelta(hours=2)
    instance: str | None = None
    #: with ``activate_after``: the Supplier cancels the stored activation this long after the meter stored it
    #: (SRV 11.3 with ExecutionDateTime 3000-12-31, the DUIS convention; digest 03 §F.4, F.10)
    cancel_after: timedelta | None = None


class FirmwareUpgradeResult(ProcessResult):
    #: "cancelled": a stored future-dated activation was cancelled (by the Supplier, or by a Change of Supplier)
    outcome: Literal["completed", "failed", "cancelled"]
    from_version: str | None = None
    #: the version the meter reported (11.2), None if not read
    running_version: str | None = None
    #: the Supplier's check that failed (S1-S4), a DCC Alert or response code that stopped it
    stopped_by: str | None = None


def firmware_upgrade_workflow_id(inp: FirmwareUpgradeInput) -> str:
    return f"firmware-upgrade-{inp.device_id}" + (f"-{inp.instance}" if inp.instance else "")


@workflow.defn(name="FirmwareUpgrade")
class FirmwareUpgradeWorkflow(ProcessWorkflow):
    steps = FIRMWARE_UPGRADE_STEPS

    @workflow.run
    async def run(self, inp: FirmwareUpgradeInput) -> FirmwareUpgradeResult:
        self.inp, self.from_version = inp, None
        dev = inp.device_id
        self.record("start_firmware_upgrade", device_id=dev, detail=f"to version {inp.to_version}")
        rel = FirmwareRelease(supplier_id=inp.supplier_id, device_id=dev, to_version=inp.to_version,
                              image_size=inp.image_size)
        if inp.list_on_cpl:
            digest = await workflow.execute_activity_method(FirmwareActivities.firmware_panel_lists, rel, **_ACTIVITY)
            self.record("panel_lists_release", device_id=dev, detail=f"{inp.to_version}: Hash {digest}")
        package: FirmwarePackage = await workflow.execute_activity_method(
            FirmwareActivities.firmware_prepare_package, rel, **_ACTIVITY)
        self.from_version = package.from_version
        if package.failed_check is not None:
            self.record("package_checks_failed", device_id=dev, detail=f"{package.failed_check}: {package.reason}")
            return self._end("failed", "end_package_rejected", package.reason, stopped_by=package.failed_check)
        self.record("check_firmware_package", device_id=dev, detail=f"{package.manufacturer} {package.model} "
                                                                    f"{inp.to_version}, Hash {package.image_hash}")
        try:
            return await self._distribute_and_activate(package)
        except ServiceRequestFailed as exc:
            return self._end("failed", "end_service_request_failed", str(exc), stopped_by=exc.code)

    async def _distribute_and_activate(self, package: FirmwarePackage) -> FirmwareUpgradeResult:
        inp, dev = self.inp, self.inp.device_id
        try:
            response = await self.service_request(ServiceRequestSpec(
                step="update_firmware", user_id=inp.supplier_id, srv="11.1", target=DCC_ID,
                params={"firmware_image": package.image_b64, "firmware_version": inp.to_version, "device_ids": [dev]},
                route_devices=[dev], route_device_alerts=True), inp.response_timeout)
        except ServiceRequestFailed as exc:
            alert = await self.wait_for(lambda m: m.kind == "dcc_alert" and m.dcc_alert_code in REFUSALS,
                                        timedelta(minutes=5))  # sent just after the Service Response
            why = f"{alert.dcc_alert_code} from the DCC" if alert else str(exc)
            self.record("update_firmware_refused", device_id=dev, detail=why)
            return self._end("failed", "end_not_distributed", why,
                             stopped_by=alert.dcc_alert_code if alert else exc.code)
        listed = [name for name, ids in (response.body.get("DSPUpdateFirmwareWarning") or {}).items()
                  if dev in str(ids).split(",")]
        if listed:
            self.record("update_firmware_refused", device_id=dev, detail=f"listed in {listed[0]}")
            return self._end("failed", "end_not_distributed", f"the DCC listed {dev} in {listed[0]}",
                             stopped_by=listed[0])
        self.record("update_firmware", device_id=dev, detail=f"image of {inp.image_size} octets")
        receipt = await self.wait_for(lambda m: (m.kind == "device_alert" and m.device_id == dev
                                                 and m.device_alert_code in RECEIPTS)
                                      or (m.kind == "dcc_alert" and m.dcc_alert_code in NOT_DISTRIBUTED
                                          and m.request_id == response.request_id),
                                      inp.receipt_timeout)
        if receipt is None:
            self.record("no_distribution_receipt", device_id=dev, detail=f"none within {inp.receipt_timeout}")
            return self._end("failed", "end_not_distributed", "no Firmware Distribution Receipt", stopped_by="timeout")
        if receipt.kind == "dcc_alert":
            code = receipt.dcc_alert_code
            self.record(NOT_DISTRIBUTED[code], device_id=dev, detail=f"{code} from the DCC")
            why = "not delivered to the CH" if code == "N22" else "the CH never reported the download complete"
            return self._end("failed", "end_not_distributed", f"{code}: {why}", stopped_by=code)
        if receipt.device_alert_code == DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE:
            self.record("distribution_receipt_failure", device_id=dev)
            return self._end("failed", "end_not_distributed", "0x8F1C: the meter rejected the image",
                             stopped_by="0x8F1C")
        self.record("distribution_receipt_success", device_id=dev)
        await self._activate(package)
        if self.cancelled_by == SUPPLIER_CHANGED:  # no longer this Supplier's meter: nothing more to read
            return self._end("cancelled", "end_activation_cancelled", self.cancelled, stopped_by=self.cancelled_by)
        running = await self._read_version()
        if self.cancelled is not None:
            return self._end("cancelled", "end_activation_cancelled", f"{self.cancelled}: {dev} runs {running}",
                             running=running, stopped_by=self.cancelled_by)
        if running == inp.to_version:
            return self._end("completed", "end_firmware_upgraded", f"{dev} runs {running}", running=running)
        return self._end("failed", "end_activation_failed", f"{dev} still runs {running}", running=running,
                         stopped_by=self.activation_error)

    async def _activate(self, package: FirmwarePackage) -> None:
        inp, dev = self.inp, self.inp.device_id
        self.activation_error: str | None = None
        self.cancelled: str | None = None
        self.cancelled_by: str | None = None
        params: dict = {"firmware_hash": package.image_hash}
        if inp.activate_after is not None:
            params["execution_datetime"] = (workflow.now() + inp.activate_after).isoformat()
        try:
            await self.service_request(ServiceRequestSpec(
                step="activate_firmware", user_id=inp.supplier_id, srv="11.3", target=dev, params=params,
                route_devices=[dev], route_device_alerts=True), inp.response_timeout)
        except ServiceRequestFailed as exc:
            self.activation_error = exc.code or "failed"
            self.record("activation_failed", device_id=dev, detail=str(exc))
            return
        if inp.activate_after is None:
            self.record("activate_firmware", device_id=dev)
            return
        self.record("activation_stored", device_id=dev, detail=f"at {params['execution_datetime']}")
        wait = inp.activate_after + inp.alert_timeout
        if inp.cancel_after is not None and inp.cancel_after < wait:
            wait = inp.cancel_after
        alert = await self.wait_for(lambda m: m.device_id == dev and (
            (m.kind == "device_alert" and m.device_alert_code == FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE)
            or (m.kind == "dcc_alert" and m.dcc_alert_code == SUPPLIER_CHANGED)), wait)
        if alert is None and wait == inp.cancel_after:
            await self._cancel(package)
        elif alert is not None and alert.kind == "dcc_alert":  # the CoS: the meter never executes it
            self.cancelled = "the Change of Supplier cancelled the stored activation"
            self.cancelled_by = SUPPLIER_CHANGED
            self.record("activation_cancelled_by_cos", device_id=dev, detail="N27: this Supplier lost the meter")
        elif alert is None:
            self.activation_error = "no 0x00CA"
            self.record("activation_failed", device_id=dev, detail="no 0x00CA in time (cancelled, or lost)")
        else:
            self.record("future_dated_activation_alert", device_id=dev)

    async def _cancel(self, package: FirmwarePackage) -> None:
        """SRV 11.3 with the DUIS cancellation date-time: the meter drops the stored activation, keeps the image."""
        inp, dev = self.inp, self.inp.device_id
        await self.service_request(ServiceRequestSpec(
            step="cancel_activation", user_id=inp.supplier_id, srv="11.3", target=dev,
            params={"firmware_hash": package.image_hash, "execution_datetime": ACTIVATION_CANCELLATION.isoformat()},
            route_devices=[dev], route_device_alerts=True), inp.response_timeout)
        self.cancelled, self.cancelled_by = "the Supplier cancelled the stored activation", "11.3 cancellation"
        self.record("cancel_activation", device_id=dev, detail="ExecutionDateTime 3000-12-31 (DUIS)")

    async def _read_version(self) -> str | None:
        inp, dev = self.inp, self.inp.device_id
        response = await self.service_request(ServiceRequestSpec(
            step="read_firmware_version", user_id=inp.supplier_id, srv="11.2", target=dev, route_devices=[dev]),
            inp.response_timeout)
        payload = json.loads(base64.b64decode(response.body["GBCSPayload"]))
        version = payload.get("params", {}).get("firmware_version")
        self.record("read_firmware_version", device_id=dev, detail=f"runs {version}")
        return version

    def _end(self, outcome: str, end: str, reason: str, *, stopped_by: str | None = None,
             running: str | None = None) -> FirmwareUpgradeResult:
        self.record(end, device_id=self.inp.device_id, detail=reason)
        return FirmwareUpgradeResult(outcome=outcome, end=end, reason=reason, events=self.events,
                                     obligations=self.obligations, from_version=self.from_version,
                                     running_version=running, stopped_by=stopped_by)
