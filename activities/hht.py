"""The installer's Hand Held Terminal in Install and Leave (BAD 7.2.2.6.3): out-of-band steps at the premises.

* ``installer_hht_send_commands``: the Commands the Supplier obtained for local delivery (the DCC's
  ``LocalCommand`` payloads, downloaded to the HHT) are sent to their Devices over the inter-PAN / SM HAN, in the
  order given (the HHT's own CCS01 first, BAD 7.2.2.6.3); the Devices' Responses are kept on the HHT.
* ``installer_hht_collect_alerts``: the Device Alerts the CHF sent to the HHT (the CHF holds them while it is off
  the SM WAN), downloaded to the Supplier's systems (BAD 7.2.2.6.4).

Simplification: the HHT's inter-PAN session with the CHF (opened for 60 minutes after power-on, CBKE over
inter-PAN) is not modelled separately; the HHT's own CCS01 and HAN join (with CBKE) are.
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from dccflow.clock import activity_now
from dccflow.gbcs import alert_payload, parse_local_command, response_payload
from dccflow.messages import GbcsCommand
from devices.wan import SmWan


class LocalCommand(BaseModel):
    """A Command for Local Delivery as the DCC returned it (``LocalCommand/GBCSPayload``, base64)."""

    request_id: str
    gbcs_payload: str


class LocalResponse(BaseModel):
    """A Device's Response to a locally delivered Command, as the HHT stores it."""

    request_id: str
    device_id: str
    use_case: str
    success: bool
    reason: str = ""
    #: the Response as SRV 8.13 returns it (``DeviceGBCSResponse``, base64)
    gbcs_response: str


class CollectedAlert(BaseModel):
    device_id: str
    alert_code: int
    #: the Alert as SRV 8.13 returns it (``DeviceGBCSResponse``, base64)
    gbcs_payload: str


class HhtActivities:
    def __init__(self, wan: SmWan):
        self.wan = wan

    @activity.defn
    async def installer_hht_send_commands(self, commands: list[LocalCommand]) -> list[LocalResponse]:
        at = activity_now()
        responses = []
        for local in commands:
            command = GbcsCommand(**parse_local_command(local.gbcs_payload))
            response = await self.wan.deliver_locally(command, at)
            responses.append(LocalResponse(
                request_id=local.request_id, device_id=response.device_id, use_case=response.use_case,
                success=response.success, reason=response.reason,
                gbcs_response=response_payload(response.use_case, response.device_id, response.success,
                                               response.params)))
        return responses

    @activity.defn
    async def installer_hht_collect_alerts(self, chf_id: str) -> list[CollectedAlert]:
        return [CollectedAlert(device_id=alert.device_id, alert_code=alert.alert_code,
                               gbcs_payload=alert_payload(alert))
                for _row, alert in self.wan.fleet.buffered_alerts(chf_id)]


def hht_activities(wan: SmWan) -> list:
    hht = HhtActivities(wan)
    return [hht.installer_hht_send_commands, hht.installer_hht_collect_alerts]
