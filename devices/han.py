"""The SM HAN: the CHF Device Log (CCS01/CCS02 and the CS14 alert), devices joining with their install code and
CBKE, the GSME's mirror on the GPF, and the application-level joins between devices (CS03A1/A2/B/C, CS04AC/B,
CS07). BAD 7.2.1.6.7, 7.2.1.6.12, 7.6.2."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from dccflow.domain.alerts import DeviceAlert
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole, SmkiRoleCode
from dccflow.messages import DeviceAlertEvent, DeviceLogEntry
from devices import keys
from devices.anchors import RESOLVER
from devices.catalogue import DEFAULT_JOIN_DELAY_SECONDS, LOG_CAPACITY
from devices.effects import CommandCtx, DeviceTimer, FleetEffects
from devices.faults import use_counted
from devices.models import DeviceState

_D = DeviceType


def join_workflow_id(chf_id: str, device_id: str, at: datetime) -> str:
    return f"han-join-{chf_id}-{device_id}-{int(at.timestamp())}"


def public_log(log: list[dict]) -> list[DeviceLogEntry]:
    return [DeviceLogEntry(device_id=e["device_id"], device_type=e["device_type"], joined=e["joined"]) for e in log]


def cs14(chf: DeviceState, at: datetime) -> DeviceAlertEvent:
    """CS14 'CHF Device Log Changed' (0x8F12) with the whole Device Log (BAD 7.2.1.6.7)."""
    return DeviceAlertEvent(device_id=chf.device_id, alert_code=DeviceAlert.CHF_DEVICE_LOG_CHANGED, at=at,
                            device_log=public_log(chf.device_log))


def cs14_about(chf: DeviceState, dev: DeviceState | None, at: datetime) -> list[DeviceAlertEvent]:
    """The CS14 the CHF raises when ``dev``'s entry changes — none if the ``cs14-lost`` fault of ``dev`` loses it on
    the SM WAN (counted down; the caller saves ``dev``): the DCC's record of the log then misses the change."""
    if dev is not None:
        dev.faults, lost = use_counted(dev.faults, "cs14-lost")
        if lost:
            return []
    return [cs14(chf, at)]


def gcs62(gpf: DeviceState, at: datetime) -> DeviceAlertEvent:
    """GCS62: the GPF sends its Device Log after a join (BAD 7.2.1.6.12); GBCS code 0x8071."""
    return DeviceAlertEvent(device_id=gpf.device_id, alert_code=DeviceAlert.GPF_DEVICE_LOG_CHANGED, at=at,
                            device_log=public_log(gpf.device_log))


def hub_up(chf: DeviceState | None) -> bool:
    return bool(chf and chf.installed and chf.power_lost_at is None and "ch-fault" not in chf.faults)


def join_attempt(dev: DeviceState, chf_id: str, at: datetime) -> list[DeviceTimer]:
    """The device finds the SM HAN the CHF opened for it and starts to join (BAD 7.2.1.6.7)."""
    if "join-timeout" in dev.faults:
        return []
    delay = DEFAULT_JOIN_DELAY_SECONDS + int(float(dev.faults.get("join-delay", 0)) * 60)
    return [DeviceTimer(kind="han-join", device_id=dev.device_id, delay_seconds=delay,
                        workflow_id=join_workflow_id(chf_id, dev.device_id, at), data={"chf_id": chf_id})]


def _capacity_left(dev: DeviceState, other_id: str) -> bool:
    others = [e for e in dev.device_log if e["device_id"] != other_id]
    return len(others) < LOG_CAPACITY.get(DeviceType(dev.device_type), 0)


def _with_entry(log: list[dict], entry: dict) -> list[dict]:
    return [e for e in log if e["device_id"] != entry["device_id"]] + [entry]


def _without(log: list[dict], device_id: str) -> list[dict]:
    return [e for e in log if e["device_id"] != device_id]


# -- CHF Device Log -----------------------------------------------------------------------------------------
def ccs01_add_device(ctx: CommandCtx):
    """CCS01 'Add Device to CHF Device Log' (BAD 7.2.1.6.7): whitelist the device with the link key from its
    install code, raise CS14; if the device is already fitted it starts to join."""
    chf = ctx.device
    device_id = ctx.params["device_id"]
    if not _capacity_left(chf, device_id):
        return ctx.fail(f"CHF Device Log full ({LOG_CAPACITY[_D.CHF]} Devices)")
    present = next((e for e in chf.device_log if e["device_id"] == device_id), None)
    # DECISION: re-adding a device that is already joined keeps its join (its CBKE link stands); only the
    # install code's link key is updated. The CS14 then already shows it joined (N24 at once).
    entry = {"device_id": device_id, "device_type": ctx.params.get("device_type", ""),
             "joined": bool(present and present["joined"]),
             "link_key": keys.link_key(ctx.params.get("install_code") or "").hex()}
    chf.device_log = _with_entry(chf.device_log, entry)
    ctx.save()
    joiner = ctx.other(device_id)
    if joiner is not None and _han_gone(ctx, joiner, chf):
        # its CH was replaced (BAD 7.6.1, §B.7 item 5): the device looks for a SM HAN again and finds this one
        joiner.chf_id, joiner.han_joined = chf.device_id, False
    ctx.effects.alerts.extend(cs14_about(chf, joiner, ctx.at))
    if joiner is not None:
        ctx.save(joiner)
    if joiner is not None and joiner.installed and not joiner.han_joined:
        ctx.effects.timers.extend(join_attempt(joiner, chf.device_id, ctx.at))
    return ctx.ok()


def _han_gone(ctx: CommandCtx, dev: DeviceState, chf: DeviceState) -> bool:
    """``dev`` is fitted at ``chf``'s premises but the CH whose HAN it was on is no longer up."""
    return (dev.installed and dev.premises_id == chf.premises_id and dev.chf_id not in (None, chf.device_id)
            and not hub_up(ctx.other(dev.chf_id)))


def ccs02_remove_device(ctx: CommandCtx):
    """CCS02 'Remove Device from CHF Device Log' (BAD 7.6.2): the device leaves the SM HAN; CS14."""
    chf = ctx.device
    device_id = ctx.params["device_id"]
    if not any(e["device_id"] == device_id for e in chf.device_log):
        return ctx.fail(f"{device_id} is not in the CHF Device Log")
    chf.device_log = _without(chf.device_log, device_id)
    chf.links = {k: v for k, v in chf.links.items() if k != device_id}
    leaver = ctx.other(device_id)
    if leaver is not None:
        leaver.han_joined = False
        leaver.links = {k: v for k, v in leaver.links.items() if k != chf.device_id}
        ctx.save(leaver)
    ctx.save(chf)
    ctx.effects.alerts.append(cs14(chf, ctx.at))
    return ctx.ok()


def complete_join(s: Session, chf_id: str, device_id: str, at: datetime) -> FleetEffects:
    """The device authenticates with its install code and completes CBKE with the CHF; the CHF updates its
    Device Log and raises the second CS14; a GSME has the GPF create its mirror; a meter raises 0x8183 and,
    if a Supplier cell holds a Supplier's Organisation Certificate, 0x8F69 (BAD 7.2.1.6.7)."""
    effects = FleetEffects()
    chf, dev = s.get(DeviceState, chf_id), s.get(DeviceState, device_id)
    if chf is None or dev is None or not hub_up(chf) or dev.han_joined or not dev.installed:
        return effects
    entry = next((e for e in chf.device_log if e["device_id"] == device_id), None)
    if entry is None or not keys.authenticate_join(dev.install_code, entry.get("link_key"), device_id, chf_id):
        return effects  # not whitelisted, or the install code does not authenticate: the join fails
    chf_key, dev_key = keys.cbke(s, chf_id, device_id, at)
    chf.device_log = [{**e, "joined": True} if e["device_id"] == device_id else e for e in chf.device_log]
    chf.links = {**chf.links, device_id: {"key_id": chf_key, "at": at.isoformat()}}
    dev.links = {**dev.links, chf_id: {"key_id": dev_key, "at": at.isoformat()}}
    dev.han_joined = True
    effects.alerts.extend(cs14_about(chf, dev, at))
    s.add(chf)
    s.add(dev)
    dtype = DeviceType(dev.device_type)
    if dtype == _D.GSME:
        _create_mirror(s, chf_id, dev, at)
    if dtype.is_meter:
        effects.alerts.append(DeviceAlertEvent(device_id=device_id, alert_code=DeviceAlert.DEVICE_JOINED_SMHAN,
                                               at=at))
        if supplier_holds_supplier_cert(s, dev):
            effects.alerts.append(DeviceAlertEvent(device_id=device_id, alert_code=DeviceAlert.DEVICE_COMMISSIONED,
                                                   at=at))
    return effects


def supplier_holds_supplier_cert(s: Session, dev: DeviceState) -> bool:
    from dccflow.security.pki import role_code_of

    cert = RESOLVER.cert(s, dev.anchors.get(RemotePartyRole.SUPPLIER.value))
    return cert is not None and role_code_of(cert) == SmkiRoleCode.SUPPLIER.ou


def _create_mirror(s: Session, chf_id: str, gsme: DeviceState, at: datetime) -> None:
    """BAD 7.2.1.6.7: after CBKE with the CHF the GSME asks the GPF for a Mirror and configures it."""
    gpf = s.exec(select(DeviceState).where(DeviceState.chf_id == chf_id, DeviceState.device_type == "GPF")).first()
    if gpf is not None:
        gpf.mirror = {"gsme_id": gsme.device_id, "created_at": at.isoformat(), "configured": True}
        s.add(gpf)


# -- joins between devices (BAD 7.2.1.6.12) and unjoins (BAD 7.6.2) ------------------------------------------
def _reachable_peer(ctx: CommandCtx, allowed: set[DeviceType]) -> tuple[DeviceState | None, str | None]:
    other_id = ctx.params.get("other_device_id")
    other = ctx.other(other_id) if other_id else None
    if other is None:
        return None, f"unknown Device {other_id}"
    if DeviceType(other.device_type) not in allowed:
        return None, f"{ctx.command.use_case} on a {ctx.device.device_type} cannot join a {other.device_type}"
    if other.device_type != "GPF" and not other.han_joined:
        return None, f"{other_id} is not on the SM HAN"
    if not _capacity_left(ctx.device, other_id):
        return None, f"Device Log full ({LOG_CAPACITY[DeviceType(ctx.device.device_type)]} Devices)"
    return other, None


def _record(ctx: CommandCtx, other: DeviceState, *, joined: bool, cbke: bool) -> None:
    dev = ctx.device
    dev.device_log = _with_entry(dev.device_log, {"device_id": other.device_id, "device_type": other.device_type,
                                                  "joined": joined})
    if cbke:
        mine, theirs = keys.cbke(ctx.session, dev.device_id, other.device_id, ctx.at)
        dev.links = {**dev.links, other.device_id: {"key_id": mine, "at": ctx.at.isoformat()}}
        other.links = {**other.links, dev.device_id: {"key_id": theirs, "at": ctx.at.isoformat()}}
        other.device_log = [{**e, "joined": True} if e["device_id"] == dev.device_id else e
                            for e in other.device_log]
        ctx.save(other)
    ctx.save(dev)


_METHOD_A_PARTNERS = {_D.PPMID, _D.HCALCS}


def cs03a1_join_meter(ctx: CommandCtx):
    """CS03A1 'Method A Join (Meter)': the meter adds the PPMID/HCALCS, which must already hold the meter
    (CS03A2), and undertakes CBKE with it."""
    other, error = _reachable_peer(ctx, _METHOD_A_PARTNERS)
    if other is None:
        return ctx.fail(error or "")
    if not any(e["device_id"] == ctx.device.device_id for e in other.device_log):
        return ctx.fail(f"{other.device_id} does not hold {ctx.device.device_id} in its Device Log (CS03A2 first)")
    _record(ctx, other, joined=True, cbke=True)
    return ctx.ok(other_device_id=other.device_id)


def cs03a2_join_non_meter(ctx: CommandCtx):
    """CS03A2 'Method A Join (non-Meter)': the PPMID/HCALCS adds the ESME's credentials to its Device Log."""
    other, error = _reachable_peer(ctx, {_D.ESME})
    if other is None:
        return ctx.fail(error or "")
    _record(ctx, other, joined=False, cbke=False)
    return ctx.ok(other_device_id=other.device_id)


_METHOD_B = {_D.ESME: {_D.IHD, _D.CAD}, _D.GSME: {_D.GPF}, _D.GPF: {_D.PPMID, _D.IHD, _D.CAD}}


def cs03b_join(ctx: CommandCtx):
    """CS03B 'Method B Join': the device adds the other's credentials and effects the join (ESME: IHD/CAD;
    GSME: its GPF; GPF: PPMID/IHD/CAD, after which the GPF sends its Device Log, GCS62)."""
    other, error = _reachable_peer(ctx, _METHOD_B[DeviceType(ctx.device.device_type)])
    if other is None:
        return ctx.fail(error or "")
    _record(ctx, other, joined=True, cbke=True)
    if ctx.device.device_type == "GPF":
        ctx.effects.alerts.append(gcs62(ctx.device, ctx.at))
    return ctx.ok(other_device_id=other.device_id)


def cs03c_join(ctx: CommandCtx):
    """CS03C 'Method C Join': the PPMID adds the GSME (record only); then the GSME adds the PPMID and joins."""
    if ctx.device.device_type == "PPMID":
        other, error = _reachable_peer(ctx, {_D.GSME})
        if other is None:
            return ctx.fail(error or "")
        _record(ctx, other, joined=False, cbke=False)
        return ctx.ok(other_device_id=other.device_id)
    other, error = _reachable_peer(ctx, {_D.PPMID})
    if other is None:
        return ctx.fail(error or "")
    if not any(e["device_id"] == ctx.device.device_id for e in other.device_log):
        return ctx.fail(f"{other.device_id} does not hold {ctx.device.device_id} in its Device Log (CS03C first)")
    _record(ctx, other, joined=True, cbke=True)
    return ctx.ok(other_device_id=other.device_id)


def cs04_unjoin(ctx: CommandCtx):
    """CS04AC 'Method A or C Unjoin' / CS04B 'Method B Unjoin' (BAD 7.6.2): remove the other device."""
    dev = ctx.device
    other_id = ctx.params.get("other_device_id")
    if not any(e["device_id"] == other_id for e in dev.device_log):
        return ctx.fail(f"{other_id} is not in the Device Log of {dev.device_id}")
    dev.device_log = _without(dev.device_log, other_id)
    dev.links = {k: v for k, v in dev.links.items() if k != other_id}
    ctx.save()
    if dev.device_type == "GPF":
        ctx.effects.alerts.append(gcs62(dev, ctx.at))
    return ctx.ok(other_device_id=other_id)


def cs07_read_device_log(ctx: CommandCtx):
    """CS07 'Read Device Log' (SRV 8.9)."""
    return ctx.ok(device_log=[e.model_dump() for e in public_log(ctx.device.device_log)])


_LOG_HOLDERS = frozenset({_D.CHF, _D.GPF, _D.ESME, _D.GSME, _D.PPMID, _D.HCALCS})
HANDLERS = {
    "CCS01": (frozenset({_D.CHF}), ccs01_add_device),
    "CCS02": (frozenset({_D.CHF}), ccs02_remove_device),
    "CS03A1": (frozenset({_D.ESME}), cs03a1_join_meter),
    "CS03A2": (frozenset({_D.PPMID, _D.HCALCS}), cs03a2_join_non_meter),
    "CS03B": (frozenset(_METHOD_B), cs03b_join),
    "CS03C": (frozenset({_D.PPMID, _D.GSME}), cs03c_join),
    "CS04AC": (frozenset({_D.ESME, _D.GSME, _D.HCALCS, _D.PPMID}), cs04_unjoin),
    "CS04B": (frozenset({_D.ESME, _D.GSME, _D.GPF}), cs04_unjoin),
    "CS07": (_LOG_HOLDERS, cs07_read_device_log),
}


def fire_join(s: Session, timer: DeviceTimer, at: datetime) -> FleetEffects:
    return complete_join(s, timer.data["chf_id"], timer.device_id, at)


TIMERS = {"han-join": fire_join}
