"""The DCC's watch of an 'Update Firmware' image on its way to one Device (BAD 7.5.3.6.2; digest 03 §F.3, F.11,
F.12): the durable DCC workflow ``DccFirmwareDistribution`` (digest 03 §F's ``dcc_firmware_distribution``), one per
SRV 11.1 and Device that passed the DCC's checks, started when the DCC first sends the image
(``dccsim.handlers.firmware.Distribution.send``).

1. **The CH's acknowledgment.** "The DCC receives an acknowledgment that the CH has received the Firmware Image. If
   the DCC has not received such acknowledgment, it sends ... N22". A CH that is not on the SM WAN acknowledges
   nothing. DECISION (the Code states no period, digest 03 §F.11 "not stated (configurable)"): the DCC sends the
   image again every ``DccConfig.firmware_redelivery_period`` (2 hours), at most
   ``firmware_redelivery_attempts`` (6) more times, each on a durable timer; then N22 to the Supplier.
2. **The download-complete Response.** "When the download is complete, the CH sends a Response to the DCC. If the DCC
   does not receive the Response, it sends ... N23". In the simulation that Response is the meter's Firmware
   Distribution Receipt (0x8F72 / 0x8F1C) reaching the DCC through the CH (``download_completed``, called by
   ``DccService.receive_device_alert``). DECISION (not stated; "must allow for OTA over the HAN", digest 03 §F.11):
   the DCC waits ``firmware_download_watch`` (6 hours; a 750 kB image takes about 50 minutes over the HAN) from the
   acknowledgment, then N23 to the Supplier.

Both alerts name the 11.1's RequestID (DUIS ``FirmwareDistributionFailure``), so they reach the Supplier's process.
The DCC keeps each distribution in ``dccsim.firmware_records.FirmwareDistribution`` (the obligations audit reads it).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from dccflow.clock import activity_now

#: the use case the simulation carries a distributed image in (``devices.firmware``)
DISTRIBUTION_USE_CASE = "UpdateFirmware"
FIRMWARE_DISTRIBUTION_WORKFLOW = "DccFirmwareDistribution"
DOWNLOAD_COMPLETE_SIGNAL = "download_complete"
_ACT = dict(start_to_close_timeout=timedelta(minutes=2), retry_policy=RetryPolicy(maximum_attempts=10))


class DistributionWatch(BaseModel):
    request_id: str
    device_id: str
    delivered: bool
    redelivery_period: timedelta
    redelivery_attempts: int
    download_watch: timedelta


class DistributionStep(BaseModel):
    request_id: str
    device_id: str
    alert: str | None = None


def distribution_workflow_id(request_id: str, device_id: str) -> str:
    return f"dcc-firmware-distribution-{request_id}-{device_id}"


def firmware_image(ctx) -> bytes:
    """The 11.1's Firmware Image (``dccsim.handlers.base.Ctx``); empty if it is not base64."""
    try:
        return base64.b64decode(ctx.body["FirmwareImage"], validate=True)
    except (KeyError, binascii.Error, ValueError):
        return b""


def distribution_command(ctx, device_id: str, image: bytes | None = None):
    """The simulation's 'UpdateFirmware' Command carrying the 11.1's image to ``device_id`` through its CH."""
    from dccflow.firmware_image import manufacturer_hash
    from dccflow.messages import GbcsCommand

    image = firmware_image(ctx) if image is None else image
    return GbcsCommand(use_case=DISTRIBUTION_USE_CASE, target=device_id, originator=ctx.originator,
                       request_id=ctx.request_id, counter=ctx.request.header.counter,
                       params={"image_b64": base64.b64encode(image).decode(),
                               "firmware_version": str(ctx.body.get("FirmwareVersion", "")),
                               "image_hash": manufacturer_hash(image)})


def reachable(ctx, device_id: str) -> bool:
    """The DCC can send to the Device's CH: its CHF is 'commissioned' on the SMI."""
    from dccflow.domain.smi import SmiStatus

    dev = ctx.inventory.get(device_id)
    chf = ctx.inventory.find(dev.chf_id) if dev.chf_id else None
    return chf is not None and chf.smi_status == SmiStatus.COMMISSIONED


def acknowledged(delivery) -> bool:
    """The CH took the image (``devices.wan.WanDelivery``): not refused, not unreachable."""
    return delivery.status != "undeliverable" and (delivery.response is None or delivery.response.success)


async def watch_distributions(dcc, request_id: str, supplier_id: str, sent: list[str], undelivered: list[str],
                              at: datetime) -> None:
    """Record each Device's distribution and start its watch (idempotent: a retried step starts nothing twice)."""
    from temporalio.exceptions import WorkflowAlreadyStartedError

    from dccflow.config import DCC_TASK_QUEUE
    from dccflow.db import session_scope
    from dccsim.firmware_records import FirmwareDistribution

    devices = list(dict.fromkeys([*sent, *undelivered]))
    with session_scope(dcc.engine) as s:
        for device_id in devices:
            if s.get(FirmwareDistribution, (request_id, device_id)) is None:
                s.add(FirmwareDistribution(request_id=request_id, device_id=device_id, supplier_id=supplier_id,
                                           started_at=at, attempts=1 if device_id in sent else 0,
                                           delivered_at=None if device_id in undelivered else at))
    config = dcc.config
    for device_id in devices:
        try:
            await dcc.client.start_workflow(FIRMWARE_DISTRIBUTION_WORKFLOW, DistributionWatch(
                request_id=request_id, device_id=device_id, delivered=device_id not in undelivered,
                redelivery_period=config.firmware_redelivery_period,
                redelivery_attempts=config.firmware_redelivery_attempts,
                download_watch=config.firmware_download_watch),
                id=distribution_workflow_id(request_id, device_id), task_queue=DCC_TASK_QUEUE)
        except WorkflowAlreadyStartedError:
            pass


async def download_completed(dcc, device_id: str, at: datetime) -> None:
    """The meter's Firmware Distribution Receipt reached the DCC: the CH's download-complete Response for the
    distributions to it still watched."""
    from sqlmodel import select
    from temporalio.service import RPCError

    from dccflow.db import session_scope
    from dccsim.firmware_records import FirmwareDistribution

    with session_scope(dcc.engine) as s:
        rows = s.exec(select(FirmwareDistribution).where(
            FirmwareDistribution.device_id == device_id, FirmwareDistribution.download_completed_at == None,  # noqa: E711
            FirmwareDistribution.alert == None)).all()  # noqa: E711
        for row in rows:
            row.download_completed_at = at
            s.add(row)
        ids = [distribution_workflow_id(r.request_id, r.device_id) for r in rows]
    for wf_id in ids:
        try:
            await dcc.client.get_workflow_handle(wf_id).signal(DOWNLOAD_COMPLETE_SIGNAL)
        except RPCError:
            pass  # the watch already ended


class FirmwareDistributionActivities:
    def __init__(self, dcc):
        self.dcc = dcc

    @activity.defn
    async def dcc_firmware_redeliver(self, step: DistributionStep) -> bool:
        """Send the image to the Device's CH again; whether the CH acknowledged it."""
        from dccflow.db import session_scope
        from dccsim.firmware_records import FirmwareDistribution

        at = activity_now()
        with session_scope(self.dcc.engine) as s:
            row = s.get(FirmwareDistribution, (step.request_id, step.device_id))
            if row.delivered_at is not None:
                return True
            _, ctx = self.dcc._ctx(s, step.request_id, at)
            command = distribution_command(ctx, step.device_id) if reachable(ctx, step.device_id) else None
            row.attempts += 1
            s.add(row)
        ok = command is not None and acknowledged(await self.dcc.wan.dispatch_command(command, at))
        if ok:
            with session_scope(self.dcc.engine) as s:
                row = s.get(FirmwareDistribution, (step.request_id, step.device_id))
                row.delivered_at = row.delivered_at or at
                s.add(row)
        return ok

    @activity.defn
    async def dcc_firmware_alert(self, step: DistributionStep) -> bool:
        """N22 or N23 to the Supplier, naming the 11.1; not N23 once the download completed after all."""
        from dccflow.db import session_scope
        from dccsim.firmware_records import FirmwareDistribution

        at = activity_now()
        with session_scope(self.dcc.engine) as s:
            row = s.get(FirmwareDistribution, (step.request_id, step.device_id))
            if step.alert == "N23" and row.download_completed_at is not None:
                return False
            row.alert, row.alert_at = step.alert, row.alert_at or at
            s.add(row)
            message = self.dcc.outbound.dcc_alert(
                s, key=f"{step.request_id}:{step.alert}:{step.device_id}", recipient=row.supplier_id,
                alert_code=step.alert, device_id=step.device_id, at=at, request_id=step.request_id,
                data={"meter_ids": step.device_id})
        await self.dcc.outbound.deliver([message])
        return True


@workflow.defn(name=FIRMWARE_DISTRIBUTION_WORKFLOW)
class DccFirmwareDistributionWorkflow:
    def __init__(self) -> None:
        self._downloaded = False

    @workflow.signal(name=DOWNLOAD_COMPLETE_SIGNAL)
    def download_complete(self) -> None:
        self._downloaded = True

    @workflow.run
    async def run(self, w: DistributionWatch) -> str:
        step = DistributionStep(request_id=w.request_id, device_id=w.device_id)
        delivered, tries = w.delivered, 0
        while not delivered and not self._downloaded and tries < w.redelivery_attempts:
            await workflow.sleep(w.redelivery_period)
            tries += 1
            delivered = await workflow.execute_activity_method(
                FirmwareDistributionActivities.dcc_firmware_redeliver, step, **_ACT)
        if not delivered and not self._downloaded:
            await workflow.execute_activity_method(FirmwareDistributionActivities.dcc_firmware_alert,
                                                   step.model_copy(update={"alert": "N22"}), **_ACT)
            return "N22"
        try:
            await workflow.wait_condition(lambda: self._downloaded, timeout=w.download_watch)
        except TimeoutError:
            if await workflow.execute_activity_method(FirmwareDistributionActivities.dcc_firmware_alert,
                                                      step.model_copy(update={"alert": "N23"}), **_ACT):
                return "N23"
        return "download complete"
