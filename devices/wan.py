"""The SM WAN and SM HAN as the simulation carries them: commands from the DCC to devices, alerts from
devices to the DCC, and the start of timed device behaviour (a HAN join completing later) as durable
device workflows."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from dccflow.config import DEVICE_TASK_QUEUE
from dccflow.messages import DeviceAlertEvent, GbcsCommand, GbcsResponse
from devices.fleet import Fleet, FleetEffects


class DccWanInterface(Protocol):
    """What the DCC exposes towards devices."""

    def on_chf_connected(self, chf_id: str, at: datetime) -> bool: ...

    async def receive_device_alert(self, alert: DeviceAlertEvent) -> None: ...


def han_join_workflow_id(chf_id: str, device_id: str) -> str:
    return f"han-join-{chf_id}-{device_id}"


class SmWan:
    def __init__(self, fleet: Fleet, dcc: DccWanInterface, client: Client):
        self.fleet = fleet
        self.dcc = dcc
        self.client = client

    async def deliver_command(self, command: GbcsCommand, at: datetime) -> GbcsResponse | None:
        dev = self.fleet.get(command.target)
        hub = dev if dev.device_type == "CHF" else (self.fleet.get(dev.chf_id) if dev.chf_id else None)
        if hub is None or not hub.wan_connected:
            return None  # nothing reaches a device whose CH is off the SM WAN
        response, effects = self.fleet.execute(command, at)
        await self.carry(effects)
        return response

    async def power_up_ch(self, chf_id: str, at: datetime) -> bool:
        connected = self.fleet.power_up_ch(chf_id, at)
        if connected:
            self.dcc.on_chf_connected(chf_id, at)
        return connected

    async def install_device(self, device_id: str) -> None:
        await self.carry(self.fleet.install_device(device_id))

    async def carry(self, effects: FleetEffects) -> None:
        for alert in effects.alerts:
            await self.dcc.receive_device_alert(alert)
        from devices.workflows import HanJoinWorkflow

        for join in effects.joins:
            try:
                await self.client.start_workflow(
                    HanJoinWorkflow.run, join, id=han_join_workflow_id(join.chf_id, join.device_id),
                    task_queue=DEVICE_TASK_QUEUE, id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY)
            except WorkflowAlreadyStartedError:
                pass
