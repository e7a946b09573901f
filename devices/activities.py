"""Activities of the simulated fleet: thin adapters from device workflows to the fleet and the SM WAN."""

from __future__ import annotations

from temporalio import activity

from dccflow.clock import activity_now
from dccflow.messages import GbcsCommand, GbcsResponse
from devices.effects import DeviceTimer, HanJoinStart
from devices.wan import SmWan


class DeviceActivities:
    def __init__(self, wan: SmWan):
        self.wan = wan

    @activity.defn
    async def device_complete_han_join(self, join: HanJoinStart) -> None:
        effects = self.wan.fleet.complete_han_join(join.chf_id, join.device_id, activity_now())
        await self.wan.carry(effects)

    @activity.defn
    async def device_timer_fired(self, timer: DeviceTimer) -> None:
        await self.wan.fire_timer(timer, activity_now())

    @activity.defn
    async def device_deliver_command(self, command: GbcsCommand) -> GbcsResponse | None:
        return await self.wan.execute_now(command, activity_now())


def device_activities(wan: SmWan) -> list:
    acts = DeviceActivities(wan)
    return [acts.device_complete_han_join, acts.device_timer_fired, acts.device_deliver_command]
