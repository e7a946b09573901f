"""The simulated DCC towards devices, the SM WAN side of ``dccsim.service.DccService``: a CHF that identifies itself
(AC 4.1, 4.2), a CH's mains lost and restored (BAD 7.5.6.5.2), and the Device Alerts the fleet raises — the CHF's and
the GPF's Device Logs kept (CS14, GCS62; BAD 7.2.1.6.7, 7.2.1.6.12), firmware receipts and future-dated activations
handed on, every other alert to the Responsible Supplier (BAD 7.2.1.6.7)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from dccflow.config import DCC_TASK_QUEUE
from dccflow.db import session_scope
from dccflow.domain.alerts import FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE, DeviceAlert
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.messages import DeviceAlertEvent
from dccsim.chf_device_log import keep_cs14
from dccsim.gpf_device_log import keep_gcs62
from dccsim.inventory import Inventory, Registration
from dccsim.models import PendingJoin
from dccsim.outbound import Outbound
from dccsim.processing import dcc_workflow_id
from dccsim.workflow_starts import (
    CS14_RECEIVED_SIGNAL,
    DCC_POWER_OUTAGE_WORKFLOW,
    POWER_RESTORED_SIGNAL,
    PowerOutage,
    power_outage_workflow_id,
)

log = logging.getLogger(__name__)


class SmWanSide:
    """What reaches the DCC over the SM WAN. Mixed into ``DccService`` (as ``dccsim.processing.Processing`` is), which
    provides its database (``engine``), its Temporal client, its ``outbound`` and ``_start_duties_soon`` (the Post
    Commissioning duties of a Device just commissioned)."""

    engine: Engine
    client: Client | None
    outbound: Outbound
    _start_duties_soon: Callable[[], None]

    def on_chf_connected(self, chf_id: str, at: datetime) -> bool:
        """A CHF identified itself over the SM WAN: set it 'commissioned' (AC 4.1), unless AC 4.2 forbids."""
        with session_scope(self.engine) as s:
            inv = Inventory(s)
            dev = inv.find(chf_id)
            if dev is None or dev.device_type != DeviceType.CHF:
                log.warning("communication from %s, not a CHF on the SMI (AC 4.2(a))", chf_id)
                return False
            status = SmiStatus(dev.smi_status)
            if status == SmiStatus.COMMISSIONED:
                return True
            if status not in (SmiStatus.PENDING, SmiStatus.INSTALLED_NOT_COMMISSIONED):
                log.warning("CHF %s is '%s' (AC 4.2(b))", chf_id, status)
                return False
            inv.set_status(chf_id, SmiStatus.COMMISSIONED, at, "CHF connected to the SM WAN (AC 4.1)")
        self._start_duties_soon()  # AC 5.1, 5.3: within 7 days of the CHF's Commissioning
        return True

    # -- CH mains power (BAD 7.5.6.5.2) --------------------------------------------------------------------
    async def on_chf_power_event(self, event) -> None:
        """The WAN Provider reports a CH's mains lost or restored: a durable 3-minute watch per outage."""
        from temporalio.service import RPCError

        from dccflow.search import DCC_POWER_OUTAGE, device_search_attributes

        assert self.client is not None
        wf_id = power_outage_workflow_id(event.chf_id, event.outage_started_at)
        if event.state == "lost":
            try:
                await self.client.start_workflow(DCC_POWER_OUTAGE_WORKFLOW, PowerOutage(
                    chf_id=event.chf_id, started_at=event.outage_started_at), id=wf_id, task_queue=DCC_TASK_QUEUE,
                    search_attributes=device_search_attributes(DCC_POWER_OUTAGE, [event.chf_id]))
            except WorkflowAlreadyStartedError:
                pass
            return
        try:
            await self.client.get_workflow_handle(wf_id).signal(POWER_RESTORED_SIGNAL)
        except RPCError:
            pass  # the watch already ended (AD1 sent): nothing more to say on restoration

    async def power_outage_alert(self, chf_id: str, started_at: datetime, at: datetime) -> int:
        """AD1 'Power Outage Event' to each recipient, per associated Meter's MPxN (see dccsim.power)."""
        rows = []
        with session_scope(self.engine) as s:
            inv, reg = Inventory(s), Registration(s)
            for meter in inv.devices_of_chf(chf_id):
                dtype = DeviceType(meter.device_type)
                if not dtype.is_meter or not meter.mpxn:
                    continue
                registered = reg.at(meter.mpxn, at)
                if registered is None:
                    continue
                for recipient in dict.fromkeys((registered.supplier_id, registered.network_operator_id)):
                    rows.append(self.outbound.dcc_alert(
                        s, key=f"AD1:{chf_id}:{started_at.isoformat()}:{meter.mpxn}:{recipient}", recipient=recipient,
                        alert_code="AD1", device_id=chf_id, at=at, event_at=started_at + timedelta(minutes=3),
                        data={"mpxn": meter.mpxn, "start": started_at.isoformat()}))
        await self.outbound.deliver(rows)
        return len(rows)

    async def receive_device_alert(self, alert: DeviceAlertEvent) -> None:
        if alert.alert_code == DeviceAlert.CHF_DEVICE_LOG_CHANGED:
            await self._on_cs14(alert)
            return
        if alert.alert_code == DeviceAlert.GPF_DEVICE_LOG_CHANGED:
            # GCS62: stored for Replace Communications Hub (BAD 7.2.1.6.12; dccsim.gpf_device_log), not forwarded
            with session_scope(self.engine) as s:
                keep_gcs62(s, alert.device_id, alert.at, [e.model_dump() for e in alert.device_log or []])
            return
        if alert.alert_code in (DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS,
                                DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE):
            # the CH's download-complete Response (BAD 7.5.3.6.2; dccsim.firmware_distribution)
            from dccsim.firmware_distribution import download_completed

            await download_completed(self, alert.device_id, alert.at)
        if alert.alert_code == FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE and alert.detail.get("success"):
            # the meter activated a future-dated CS06: the SMI records the version, N29 if that restores it
            # (BAD 7.5.3.6.3; dccsim.suspension.firmware_activated)
            from dccsim.suspension import deliver_firmware_restore

            await deliver_firmware_restore(self, alert.device_id, str(alert.detail["firmware_version"]), alert.at)
        # other Device Alerts go to the Responsible Supplier of the device (BAD 7.2.1.6.7)
        with session_scope(self.engine) as s:
            dev = Inventory(s).find(alert.device_id)
            reg = Registration(s).at(dev.mpxn, alert.at) if dev is not None and dev.mpxn else None
            if reg is None:
                log.info("device alert %04X from %s has no Responsible Supplier", alert.alert_code,
                         alert.device_id)
                return
            row = self.outbound.device_alert(
                s, key=f"{alert.device_id}:{alert.alert_code:04X}:{alert.at.isoformat()}",
                recipient=reg.supplier_id, device_id=alert.device_id, alert_code=alert.alert_code, at=alert.at,
                raised_at=alert.at)
        await self.outbound.deliver([row])

    async def _on_cs14(self, alert: DeviceAlertEvent) -> None:
        """Keep only the latest CS14 per CHF (BAD 7.2.1.6.7) and wake the join watches it confirms."""
        with session_scope(self.engine) as s:
            keep_cs14(s, alert.device_id, alert.at, [e.model_dump() for e in alert.device_log or []])
            joined = {e.device_id for e in alert.device_log or [] if e.joined}
            pending = s.exec(select(PendingJoin).where(PendingJoin.chf_id == alert.device_id)).all()
            to_wake = [p.request_id for p in pending if p.device_id in joined]
        assert self.client is not None
        for request_id in to_wake:
            handle = self.client.get_workflow_handle(dcc_workflow_id(request_id))
            await handle.signal(CS14_RECEIVED_SIGNAL)
