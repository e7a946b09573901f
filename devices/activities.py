"""Activities of the simulated fleet."""

from __future__ import annotations

from temporalio import activity

from dccflow.clock import activity_now
from devices.fleet import HanJoinStart
from devices.wan import SmWan


class DeviceActivities:
    def __init__(self, wan: SmWan):
        self.wan = wan

    @activity.defn
    async def device_complete_han_join(self, join: HanJoinStart) -> None:
        effects = self.wan.fleet.complete_han_join(join.chf_id, join.device_id, activity_now())
        await self.wan.carry(effects)
