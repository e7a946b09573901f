"""The simulated fleet: devices' own behaviour, as synchronous state changes plus the effects they cause.

Every operation returns :class:`FleetEffects`: the Device Alerts the devices raise (to be carried to the DCC
over the SM WAN) and the timed behaviour they start (a HAN join that completes after a delay). The Temporal
side (``devices.activities`` / ``devices.workflows``) carries those out, so the fleet itself has no clock and
no I/O beyond its own table.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.messages import DeviceAlertEvent, DeviceLogEntry, GbcsCommand, GbcsResponse
from devices.faults import check_fault
from devices.models import DeviceState

#: GBCS Device Alert codes raised by this module (names as the BAD gives them, BAD 7.2.1.6.7).
CHF_DEVICE_LOG_CHANGED = 0x8F12
DEVICE_JOINED_SMHAN = 0x8183

#: How long a powered device takes to find the SM HAN, authenticate with its install code and finish CBKE.
DEFAULT_JOIN_DELAY_SECONDS = 20


class UnknownDevice(LookupError):
    pass


class DeviceSpec(BaseModel):
    device_id: str
    device_type: str
    premises_id: str | None = None
    chf_id: str | None = None
    install_code: str | None = None


class HanJoinStart(BaseModel):
    chf_id: str
    device_id: str
    delay_seconds: int


class FleetEffects(BaseModel):
    alerts: list[DeviceAlertEvent] = Field(default_factory=list)
    joins: list[HanJoinStart] = Field(default_factory=list)

    def extend(self, other: FleetEffects) -> FleetEffects:
        self.alerts.extend(other.alerts)
        self.joins.extend(other.joins)
        return self


class Fleet:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- set-up ---------------------------------------------------------------------------------------
    def provision(self, specs: list[DeviceSpec]) -> None:
        with session_scope(self.engine) as s:
            for spec in specs:
                s.add(DeviceState(**spec.model_dump()))

    def set_fault(self, device_id: str, fault: str, param: object = True) -> None:
        spec = check_fault(fault)
        with session_scope(self.engine) as s:
            dev = self._get(s, device_id)
            if dev.device_type not in spec.applies_to:
                raise ValueError(f"fault {fault!r} does not apply to a {dev.device_type} ({device_id})")
            dev.faults = {**dev.faults, fault: param}
            s.add(dev)

    def get(self, device_id: str) -> DeviceState:
        with session_scope(self.engine) as s:
            return self._get(s, device_id)

    def premises_devices(self, premises_id: str) -> list[DeviceState]:
        with session_scope(self.engine) as s:
            return list(s.exec(select(DeviceState).where(DeviceState.premises_id == premises_id)))

    @staticmethod
    def _get(s, device_id: str) -> DeviceState:
        dev = s.get(DeviceState, device_id)
        if dev is None:
            raise UnknownDevice(f"no simulated device {device_id}")
        return dev

    # -- installer actions ----------------------------------------------------------------------------
    def power_up_ch(self, chf_id: str, at: datetime) -> bool:
        """The installer powers the CH (BAD 7.2.1.6.4). It connects to the SM WAN by itself and syncs to
        network time, unless the site has no WAN. Returns the SM WAN indicator the installer sees."""
        with session_scope(self.engine) as s:
            chf = self._get(s, chf_id)
            chf.installed = True
            if "no-wan" in chf.faults:
                chf.wan_connected = False
            else:
                chf.wan_connected = True
                chf.network_time_synced = True
                chf.clock = at
            s.add(chf)
            return chf.wan_connected

    def install_device(self, device_id: str) -> FleetEffects:
        """The installer fits and powers a device (BAD 7.2.1.6.5); if its CHF already whitelists it, it
        starts to join the SM HAN."""
        with session_scope(self.engine) as s:
            dev = self._get(s, device_id)
            dev.installed = True
            s.add(dev)
            effects = FleetEffects()
            if dev.chf_id:
                chf = s.get(DeviceState, dev.chf_id)
                if chf is not None and any(e["device_id"] == device_id for e in chf.device_log):
                    effects.joins.extend(self._join_attempt(dev, chf.device_id))
            return effects

    # -- commands from the DCC ------------------------------------------------------------------------
    def execute(self, command: GbcsCommand, at: datetime) -> tuple[GbcsResponse, FleetEffects]:
        handler = _HANDLERS.get(command.use_case)
        if handler is None:
            return (
                GbcsResponse(use_case=command.use_case, device_id=command.target, success=False,
                             reason=f"use case {command.use_case} not simulated"),
                FleetEffects(),
            )
        with session_scope(self.engine) as s:
            dev = self._get(s, command.target)
            return handler(self, s, dev, command, at)

    def _ccs01_add_device(self, s, chf: DeviceState, cmd: GbcsCommand, at: datetime):
        """CCS01 'Add Device to CHF Device Log' (BAD 7.2.1.6.7): whitelist the device, raise CS14."""
        device_id = cmd.params["device_id"]
        entry = DeviceLogEntry(device_id=device_id, device_type=cmd.params.get("device_type", ""),
                               joined=False)
        log = [e for e in chf.device_log if e["device_id"] != device_id] + [entry.model_dump()]
        chf.device_log = log
        chf.faults = dict(chf.faults)
        s.add(chf)
        effects = FleetEffects(alerts=[self._cs14(chf, at)])
        joiner = s.get(DeviceState, device_id)
        if joiner is not None and joiner.installed:
            # the install code the CHF holds must be the device's own for the join to authenticate
            if joiner.install_code == cmd.params.get("install_code"):
                effects.joins.extend(self._join_attempt(joiner, chf.device_id))
        return GbcsResponse(use_case=cmd.use_case, device_id=chf.device_id, success=True), effects

    def _set_clock(self, s, meter: DeviceState, cmd: GbcsCommand, at: datetime):
        """ECS70 / GCS28 'Set Clock', sent for 'Commission Device' (BAD 7.2.1.6.10)."""
        if not meter.han_joined:
            return GbcsResponse(use_case=cmd.use_case, device_id=meter.device_id, success=False,
                                reason="device not on the SM HAN"), FleetEffects()
        meter.clock = at
        s.add(meter)
        return GbcsResponse(use_case=cmd.use_case, device_id=meter.device_id, success=True,
                            params={"clock": at.isoformat()}), FleetEffects()

    @staticmethod
    def _join_attempt(dev: DeviceState, chf_id: str) -> list[HanJoinStart]:
        if "join-timeout" in dev.faults:
            return []
        return [HanJoinStart(chf_id=chf_id, device_id=dev.device_id, delay_seconds=DEFAULT_JOIN_DELAY_SECONDS)]

    # -- timed behaviour --------------------------------------------------------------------------------
    def complete_han_join(self, chf_id: str, device_id: str, at: datetime) -> FleetEffects:
        """The device authenticates with its install code and completes CBKE with the CHF; the CHF updates
        its Device Log and raises the second CS14; meters may raise 'Device joined SMHAN' (BAD 7.2.1.6.7)."""
        with session_scope(self.engine) as s:
            chf = self._get(s, chf_id)
            dev = self._get(s, device_id)
            entry = next((e for e in chf.device_log if e["device_id"] == device_id), None)
            if entry is None or dev.han_joined:
                return FleetEffects()
            chf.device_log = [
                {**e, "joined": True} if e["device_id"] == device_id else e for e in chf.device_log
            ]
            dev.han_joined = True
            s.add(chf)
            s.add(dev)
            effects = FleetEffects(alerts=[self._cs14(chf, at)])
            if dev.device_type in ("ESME", "GSME"):
                effects.alerts.append(DeviceAlertEvent(device_id=device_id, alert_code=DEVICE_JOINED_SMHAN, at=at))
            return effects

    @staticmethod
    def _cs14(chf: DeviceState, at: datetime) -> DeviceAlertEvent:
        return DeviceAlertEvent(
            device_id=chf.device_id,
            alert_code=CHF_DEVICE_LOG_CHANGED,
            at=at,
            device_log=[DeviceLogEntry(**e) for e in chf.device_log],
        )


_HANDLERS = {
    "CCS01": Fleet._ccs01_add_device,
    "ECS70": Fleet._set_clock,
    "GCS28": Fleet._set_clock,
}
