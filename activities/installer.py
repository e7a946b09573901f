"""Out-of-band installer steps (BAD 7.2.1.6.4–7.2.1.6.5): physical acts at the premises, reported to the
Supplier outside the DCC User Interface."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from dccflow.clock import activity_now
from devices.wan import SmWan


class ChInstallReport(BaseModel):
    chf_id: str
    sm_wan_connected: bool


class InstallerActivities:
    def __init__(self, wan: SmWan):
        self.wan = wan

    @activity.defn
    async def installer_install_communications_hub(self, chf_id: str) -> ChInstallReport:
        """Fit and power the CH; read its SM WAN indicator."""
        connected = await self.wan.power_up_ch(chf_id, activity_now())
        return ChInstallReport(chf_id=chf_id, sm_wan_connected=connected)

    @activity.defn
    async def installer_install_device(self, device_id: str) -> None:
        """Fit and power a meter or other device."""
        await self.wan.install_device(device_id)
