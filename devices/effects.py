"""What device behaviour causes beyond its own state: Device Alerts to carry to the DCC over the SM WAN, timed
behaviour to run on durable timers (``devices.workflows``), and CH power events the DCC's WAN side hears of.

The fleet's operations are synchronous state changes that return :class:`FleetEffects`; ``devices.wan.SmWan``
carries them out. So the fleet itself has no clock and does no I/O beyond its own tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import Session

from dccflow.messages import DeviceAlertEvent, GbcsCommand, GbcsResponse
from devices.models import DeviceState


class DeviceTimer(BaseModel):
    """Timed device behaviour: ``kind`` fires for ``device_id`` after ``delay_seconds`` (a durable timer).

    Kinds: ``han-join`` (a whitelisted device completes its join; data ``chf_id``), ``firmware-download``
    (the OTA download from the CH completes), ``firmware-activation`` (a future-dated CS06 falls due),
    ``power-loss`` / ``power-restore`` (the CH's mains go and come back). ``data['token']`` ties a timer to
    the job that started it, so a timer whose job was cancelled or replaced does nothing when it fires."""

    kind: str
    device_id: str
    delay_seconds: int
    workflow_id: str
    data: dict = Field(default_factory=dict)


class HanJoinStart(BaseModel):
    """Input of the original ``DeviceHanJoin`` workflow (kept so that workflows already running finish)."""

    chf_id: str
    device_id: str
    delay_seconds: int


class PowerEvent(BaseModel):
    """The CH's mains were lost or came back (BAD 7.5.6.5.2: the DCC raises AD1 for outages of 3 minutes or
    more). Carried to the DCC by the WAN Provider, not as a GBCS Device Alert."""

    chf_id: str
    state: Literal["lost", "restored"]
    at: datetime
    outage_started_at: datetime


class WanConnection(BaseModel):
    """A CH reached the SM WAN after being installed without it (BAD 7.2.2.6.6)."""

    chf_id: str
    at: datetime


class FleetEffects(BaseModel):
    alerts: list[DeviceAlertEvent] = Field(default_factory=list)
    timers: list[DeviceTimer] = Field(default_factory=list)
    power_events: list[PowerEvent] = Field(default_factory=list)
    wan_connections: list[WanConnection] = Field(default_factory=list)

    def extend(self, other: FleetEffects) -> FleetEffects:
        self.alerts.extend(other.alerts)
        self.timers.extend(other.timers)
        self.power_events.extend(other.power_events)
        self.wan_connections.extend(other.wan_connections)
        return self

    @property
    def empty(self) -> bool:
        return not (self.alerts or self.timers or self.power_events or self.wan_connections)

    @property
    def joins(self) -> list[DeviceTimer]:
        return [t for t in self.timers if t.kind == "han-join"]


@dataclass
class CommandCtx:
    """One command being executed on one device, inside one transaction."""

    session: Session
    device: DeviceState
    command: GbcsCommand
    at: datetime
    effects: FleetEffects = field(default_factory=FleetEffects)

    @property
    def params(self) -> dict:
        return self.command.params

    def ok(self, **params) -> GbcsResponse:
        return GbcsResponse(use_case=self.command.use_case, device_id=self.device.device_id, success=True,
                            params=params)

    def fail(self, reason: str, **params) -> GbcsResponse:
        return GbcsResponse(use_case=self.command.use_case, device_id=self.device.device_id, success=False,
                            reason=reason, params=params)

    def alert(self, code: int, *, device_id: str | None = None, **detail) -> None:
        self.effects.alerts.append(DeviceAlertEvent(device_id=device_id or self.device.device_id,
                                                    alert_code=int(code), at=self.at, detail=detail))

    def other(self, device_id: str) -> DeviceState | None:
        return self.session.get(DeviceState, device_id)

    def save(self, *devices: DeviceState) -> None:
        for dev in devices or (self.device,):
            self.session.add(dev)
