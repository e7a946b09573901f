"""Typed payloads that cross process boundaries inside dccflow (signal arguments, device traffic).

DUIS XML is what crosses the DCC boundary; these models are what a User's receiving endpoint hands to a
waiting workflow after it has verified and parsed that XML, and what the DCC and the simulated devices
exchange over the (simulated) SM WAN as GBCS use cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class InboundMessage(BaseModel):
    """A verified DUIS Response, DCC Alert or Device Alert, routed to the workflow that waits for it."""

    kind: Literal["service_response", "dcc_alert", "device_alert", "acknowledgement"]
    request_id: str | None = None
    response_code: str
    service_reference_variant: str | None = None
    dcc_alert_code: str | None = None
    device_alert_code: int | None = None
    device_id: str | None = None
    at: datetime
    body: dict = Field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.response_code == "I0"


class DeviceLogEntry(BaseModel):
    device_id: str
    device_type: str
    joined: bool = False


class GbcsCommand(BaseModel):
    """A command the DCC sends to a device over the SM WAN, named by its GBCS use case (CCS01, ECS70…)."""

    use_case: str
    target: str
    originator: str
    request_id: str
    params: dict = Field(default_factory=dict)


class GbcsResponse(BaseModel):
    use_case: str
    device_id: str
    success: bool
    reason: str = ""
    params: dict = Field(default_factory=dict)


class DeviceAlertEvent(BaseModel):
    """A Device Alert raised by a device (GBCS alert code, e.g. 0x8F12), sent to the DCC over the SM WAN."""

    device_id: str
    alert_code: int
    at: datetime
    device_log: list[DeviceLogEntry] | None = None
    detail: dict = Field(default_factory=dict)
