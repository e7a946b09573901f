"""Replace Communications Hub on the devices' side (BAD 7.6.1.6.5-6): the new CHF takes the replaced CH's Device
Log (CCS03 'Restore CHF Device Log'), the new GPF its GPF Device Log (GCS59 'Restore GPF Device Log'), as the DCC
recorded them (the Command carries the entries).

After CCS03 the new CHF takes the old CH's HAN identity (BAD l.3331: it "configures its HAN identifier to match the
replaced Communications Hub"), so each Device of the restored log that is fitted at the same premises finds it and
asks to join; the CHF authenticates it "using the credentials from the previous network" — modelled as the Device's
install-code credentials — and the two complete CBKE (``devices.han.complete_join``: the CHF's CS14, a meter's
0x8183 'Device joined SMHAN'). The re-join is timed behaviour: one durable ``han-rejoin`` timer per restore, which
joins every Device of the log at once — they hear the same HAN come back and have the same join delay, so one
Supplier seeing its meter's 0x8183 knows the other Supplier's meter is on the new HAN as well (a timer per Device
let the gas Supplier's 8.8.2 reach a GSME whose timer had not yet run). A Device not in the restored log stays off
the new HAN (its Supplier adds it with 8.11, §B.7 item 5).

GCS59 replaces the new GPF's Device Log. DECISION (BAD l.3349: "the restored new GPF is now joined to the PPMID or
IHD"): the restored entries count as joined, the GSME's included; the GSME itself still holds the old GPF until it
is unjoined (CS04B) and joined to the new one (CS03B). The GPF then sends its log (GCS62), which the DCC keeps.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from dccflow.domain.devices import DeviceType
from devices import keys
from devices.catalogue import DEFAULT_JOIN_DELAY_SECONDS, LOG_CAPACITY
from devices.effects import CommandCtx, DeviceTimer, FleetEffects
from devices.han import complete_join, cs14, gcs62, hub_up
from devices.models import DeviceState

REJOIN = "han-rejoin"


def _entries(ctx: CommandCtx, joined: bool) -> list[dict] | None:
    entries = [{"device_id": e["device_id"], "device_type": e.get("device_type", ""), "joined": joined}
               for e in ctx.params.get("device_log") or []]
    capacity = LOG_CAPACITY[DeviceType(ctx.device.device_type)]
    return entries if len(entries) <= capacity else None


def ccs03_restore_chf_log(ctx: CommandCtx):
    """CCS03: the new CHF's Device Log becomes the restored one (none joined yet); the Devices re-join."""
    chf = ctx.device
    entries = _entries(ctx, joined=False)
    if entries is None:
        return ctx.fail(f"restored Device Log exceeds the CHF's capacity ({LOG_CAPACITY[DeviceType.CHF]})")
    chf.device_log = entries
    ctx.save()
    ctx.effects.alerts.append(cs14(chf, ctx.at))
    fitted = [dev.device_id for dev in map(ctx.other, (e["device_id"] for e in entries))
              if dev is not None and dev.installed and dev.premises_id == chf.premises_id]
    if fitted:
        ctx.effects.timers.append(DeviceTimer(
            kind=REJOIN, device_id=chf.device_id, delay_seconds=DEFAULT_JOIN_DELAY_SECONDS,
            workflow_id=f"han-rejoin-{chf.device_id}-{int(ctx.at.timestamp())}",
            data={"chf_id": chf.device_id, "device_ids": fitted}))
    return ctx.ok(restored=[e["device_id"] for e in entries])


def gcs59_restore_gpf_log(ctx: CommandCtx):
    """GCS59: the new GPF's Device Log becomes the restored one; GCS62 with it."""
    gpf = ctx.device
    entries = _entries(ctx, joined=True)
    if entries is None:
        return ctx.fail(f"restored Device Log exceeds the GPF's capacity ({LOG_CAPACITY[DeviceType.GPF]})")
    gpf.device_log = entries
    ctx.save()
    ctx.effects.alerts.append(gcs62(gpf, ctx.at))
    return ctx.ok(restored=[e["device_id"] for e in entries])


def rejoin(s: Session, chf_id: str, device_id: str, at: datetime) -> FleetEffects:
    """A Device of the restored log joins the new CHF with its previous network's credentials."""
    chf, dev = s.get(DeviceState, chf_id), s.get(DeviceState, device_id)
    if chf is None or dev is None or not hub_up(chf) or not dev.installed:
        return FleetEffects()
    if not any(e["device_id"] == device_id for e in chf.device_log):
        return FleetEffects()  # removed from the new log meanwhile
    link = keys.link_key(dev.install_code or "").hex()
    chf.device_log = [{**e, "link_key": link} if e["device_id"] == device_id else e for e in chf.device_log]
    dev.chf_id, dev.han_joined = chf_id, False
    s.add(chf)
    s.add(dev)
    return complete_join(s, chf_id, device_id, at)


def _fire_rejoin(s: Session, timer: DeviceTimer, at: datetime) -> FleetEffects:
    effects = FleetEffects()
    # a timer started before one timer served the whole log names its one Device
    for device_id in timer.data.get("device_ids") or [timer.device_id]:
        effects.extend(rejoin(s, timer.data["chf_id"], device_id, at))
    return effects


HANDLERS = {
    "CCS03": (frozenset({DeviceType.CHF}), ccs03_restore_chf_log),
    "GCS59": (frozenset({DeviceType.GPF}), gcs59_restore_gpf_log),
}
TIMERS = {REJOIN: _fire_rejoin}
