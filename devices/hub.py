"""The Communications Hub as a box: powering up onto the SM WAN with network time (BAD 7.2.1.6.4), losing and
regaining mains (BAD 7.5.6.5.2), faults, and the Sub-GHz settings of a Dual Band CH (BAD 7.5.8)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from dccflow.domain.alerts import DeviceAlert
from dccflow.domain.devices import DeviceType
from dccflow.messages import DeviceAlertEvent
from dccflow.moments import as_utc
from devices.catalogue import LONG_OUTAGE_SECONDS
from devices.effects import CommandCtx, DeviceTimer, FleetEffects, PowerEvent, WanConnection
from devices.models import DeviceState

#: A 'power-loss' fault set before the CH is powered starts this long after power-up.
POWER_LOSS_START_SECONDS = 60
#: Sub-GHz settings of a new Dual Band CH (GBCS 10.6 values are not in the reference texts).
DEFAULT_SUB_GHZ = {"channel": 1, "configuration": {"channel_mask": "0x7FFFFFF", "duty_cycle_thresholds":
                                                    {"normal_limited": 80, "limited_critical": 90,
                                                     "critical_regulated": 100}}}
#: Devices powered from the premises' mains with the CH (battery devices keep running through an outage).
MAINS_POWERED = frozenset({"CHF", "GPF", "ESME", "HCALCS"})


def hub_devices(s: Session, chf_id: str) -> list[DeviceState]:
    return list(s.exec(select(DeviceState).where(DeviceState.chf_id == chf_id)))


def _power_timer(kind: str, chf: DeviceState, delay: float, at: datetime, **data) -> DeviceTimer:
    token = str(int(at.timestamp()))
    return DeviceTimer(kind=kind, device_id=chf.device_id, delay_seconds=max(0, int(delay)),
                       workflow_id=f"device-{kind}-{chf.device_id}-{token}", data={"token": token, **data})


def power_up(s: Session, chf: DeviceState, at: datetime) -> FleetEffects:
    """The installer powers the CH (BAD 7.2.1.6.4): it connects to the SM WAN by itself and takes network
    time, unless the site has no WAN or the CH is faulty. Its GPF is on the SM HAN with it."""
    effects = FleetEffects()
    chf.installed = True
    healthy = "ch-fault" not in chf.faults
    chf.wan_connected = healthy and "no-wan" not in chf.faults and "wan-after" not in chf.faults
    if healthy and "wan-after" in chf.faults:  # the SM WAN comes later (Install & Leave, BAD 7.2.2)
        effects.timers.append(_power_timer("wan-connect", chf, float(chf.faults["wan-after"]) * 86400, at))
    if chf.wan_connected:
        chf.network_time_synced, chf.clock, chf.clock_set_at = True, at, at
    s.add(chf)
    for dev in hub_devices(s, chf.device_id):
        if dev.device_type == DeviceType.GPF:
            dev.installed, dev.han_joined = True, healthy
            dev.clock, dev.clock_set_at = (at, at) if chf.wan_connected else (dev.clock, dev.clock_set_at)
            s.add(dev)
    if "power-loss" in chf.faults and chf.power_lost_at is None:
        effects.timers.append(_power_timer("power-loss", chf, POWER_LOSS_START_SECONDS, at,
                                           minutes=chf.faults["power-loss"]))
    return effects


def power_loss(s: Session, chf: DeviceState, at: datetime, minutes: float) -> FleetEffects:
    """The premises loses mains: the CH drops off the SM WAN and SM HAN with the mains-powered devices; the
    WAN Provider notices (PowerEvent 'lost'); mains return after ``minutes`` (a durable timer)."""
    effects = FleetEffects()
    if chf.power_lost_at is not None or not chf.installed:
        return effects
    chf.faults = {k: v for k, v in chf.faults.items() if k != "power-loss"}
    for dev in [chf, *hub_devices(s, chf.device_id)]:
        if dev.device_type in MAINS_POWERED and dev.installed:
            dev.power_lost_at = at
            s.add(dev)
    chf.wan_connected = False
    s.add(chf)
    effects.power_events.append(PowerEvent(chf_id=chf.device_id, state="lost", at=at, outage_started_at=at))
    effects.timers.append(_power_timer("power-restore", chf, float(minutes) * 60, at, lost_at=at.isoformat()))
    return effects


def power_restore(s: Session, chf: DeviceState, at: datetime) -> FleetEffects:
    """Mains return: the CH reconnects and resynchronises network time; the ESME reports the outage with
    0x8F35 'Supply Outage Restored' or, for 3 minutes or more, 0x8F36 (GBCS; BAD 7.5.6.5.2 uses the same
    3-minute threshold for AD1)."""
    effects = FleetEffects()
    started = chf.power_lost_at
    if started is None:
        return effects
    long_outage = (as_utc(at) - as_utc(started)).total_seconds() >= LONG_OUTAGE_SECONDS
    code = DeviceAlert.SUPPLY_OUTAGE_RESTORED_OUTAGE_3_MINUTES if long_outage else DeviceAlert.SUPPLY_OUTAGE_RESTORED
    for dev in [chf, *hub_devices(s, chf.device_id)]:
        if dev.power_lost_at is not None:
            dev.power_lost_at = None
            s.add(dev)
            if dev.device_type == DeviceType.ESME:
                effects.alerts.append(DeviceAlertEvent(device_id=dev.device_id, alert_code=code, at=at,
                                                       detail={"outage_started_at": as_utc(started).isoformat()}))
    rejoin_sm_wan(chf, at)
    s.add(chf)
    effects.power_events.append(PowerEvent(chf_id=chf.device_id, state="restored", at=at,
                                           outage_started_at=started))
    return effects


#: faults that keep a CH off the SM WAN
OFF_WAN_FAULTS = frozenset({"no-wan", "wan-after", "ch-fault"})


def rejoin_sm_wan(chf: DeviceState, at: datetime) -> None:
    """A powered CH back on the SM WAN unless a fault keeps it off; on it, it takes network time again."""
    chf.wan_connected = not OFF_WAN_FAULTS & set(chf.faults)
    if chf.wan_connected:
        chf.network_time_synced, chf.clock, chf.clock_set_at = True, at, at


def _fire_power_loss(s: Session, timer: DeviceTimer, at: datetime) -> FleetEffects:
    chf = s.get(DeviceState, timer.device_id)
    return power_loss(s, chf, at, timer.data.get("minutes", 5)) if chf is not None else FleetEffects()


def _fire_power_restore(s: Session, timer: DeviceTimer, at: datetime) -> FleetEffects:
    chf = s.get(DeviceState, timer.device_id)
    lost_at = as_utc(datetime.fromisoformat(timer.data["lost_at"]))
    if chf is None or chf.power_lost_at is None or as_utc(chf.power_lost_at) != lost_at:
        return FleetEffects()
    return power_restore(s, chf, at)


def _fire_wan_connect(s: Session, timer: DeviceTimer, at: datetime) -> FleetEffects:
    """The SM WAN reaches a CH installed without it (fault ``wan-after``; BAD 7.2.2.6.6): the CH connects and takes
    network time; ``SmWan`` then tells the DCC (which commissions the CHF) and sends the CH's buffered alerts."""
    effects = FleetEffects()
    chf = s.get(DeviceState, timer.device_id)
    if chf is None or "wan-after" not in chf.faults:
        return effects
    chf.faults = {k: v for k, v in chf.faults.items() if k != "wan-after"}
    if chf.installed and chf.power_lost_at is None and not {"no-wan", "ch-fault"} & set(chf.faults):
        chf.wan_connected, chf.network_time_synced, chf.clock, chf.clock_set_at = True, True, at, at
        for dev in hub_devices(s, chf.device_id):
            if dev.device_type == DeviceType.GPF and dev.installed:
                dev.clock, dev.clock_set_at = at, at
                s.add(dev)
        effects.wan_connections.append(WanConnection(chf_id=chf.device_id, at=at))
    s.add(chf)
    return effects


# -- Dual Band CH (BAD 7.5.8) --------------------------------------------------------------------------------
def _dual_band_only(ctx: CommandCtx):
    if not ctx.device.dual_band:
        return ctx.fail("not a Dual Band Communications Hub (BAD 7.5.8)")
    return None


def set_sub_ghz_configuration(ctx: CommandCtx):
    """DBCH04 'Set CHF Sub-GHz Configuration' (SRV 6.28): the CHF raises 'Sub GHz Configuration Changed'
    (0x8F2A), which the DCC reports as N54 (BAD 7.5.8)."""
    if (refused := _dual_band_only(ctx)) is not None:
        return refused
    config = {**ctx.device.sub_ghz.get("configuration", {}), **(ctx.params.get("configuration") or {})}
    ctx.device.sub_ghz = {**ctx.device.sub_ghz, "configuration": config}
    ctx.save()
    ctx.alert(DeviceAlert.SUB_GHZ_CONFIGURATION_CHANGED, configuration=config)
    return ctx.ok(configuration=config)


def read_sub_ghz_configuration(ctx: CommandCtx):
    """DBCH03 'Read CHF Sub-GHz Configuration' (SRV 6.30)."""
    return _dual_band_only(ctx) or ctx.ok(configuration=ctx.device.sub_ghz.get("configuration", {}))


def read_sub_ghz_channel(ctx: CommandCtx):
    """DBCH01 'Read CHF Sub-GHz Channel' (SRV 6.31)."""
    return _dual_band_only(ctx) or ctx.ok(channel=ctx.device.sub_ghz.get("channel"))


_CHF = frozenset({DeviceType.CHF})
HANDLERS = {
    "DBCH04": (_CHF, set_sub_ghz_configuration),
    "DBCH03": (_CHF, read_sub_ghz_configuration),
    "DBCH01": (_CHF, read_sub_ghz_channel),
}
TIMERS = {"power-loss": _fire_power_loss, "power-restore": _fire_power_restore, "wan-connect": _fire_wan_connect}
