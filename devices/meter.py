"""Smart Meter behaviour: clock (ECS70/GCS28), MPxN for display (ECS39a/GCS41), Supplier contact details
(ECS16/GCS44), the tariff (ECS01a/GCS01a), supply (BAD 7.5.4: ECS42-45, GCS32/33/39) and reading the firmware
version (CS08, ECS52/GCS38)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from dccflow.domain.alerts import DeviceAlert
from dccflow.domain.devices import DeviceType
from dccflow.domain.mpxn import InvalidMpxn, validate_mpan, validate_mprn
from dccflow.moments import as_utc
from devices.catalogue import ARMED, DISABLED, ENABLED, REMOTELY_RECOVERABLE_CAUSES
from devices.effects import CommandCtx
from devices.models import DeviceState

_D = DeviceType


def device_time(dev: DeviceState, now: datetime) -> datetime | None:
    """The device's clock now: the time it was set to, run on since (no drift is simulated)."""
    if dev.clock is None or dev.clock_set_at is None:
        return dev.clock
    return dev.clock + (as_utc(now) - as_utc(dev.clock_set_at))


def set_clock(ctx: CommandCtx):
    """ECS70 / GCS28 'Set Clock', sent for 'Commission Device' (BAD 7.2.1.6.10). The DUIS CurrentDateTime
    (if given) is the time the Supplier meant; the device sets its clock to the time the Command arrives
    with its network-synchronised delivery, which is ``at``."""
    meter = ctx.device
    meter.clock = ctx.at
    meter.clock_set_at = ctx.at
    ctx.save()
    return ctx.ok(clock=ctx.at.isoformat())


def set_mpxn(ctx: CommandCtx):
    """ECS39a / GCS41 'Set Device Configuration (Import MPxN)' (SRV 6.20.1; AC 4.14): the MPAN or MPRN to
    display. The device checks the shape only (DUIS: MPAN 13 digits, MPRN up to 10)."""
    mpans = ctx.params.get("import_mpans") or []
    value = ctx.params.get("mpxn") or (mpans[0] if mpans else None)
    if not value:
        return ctx.fail("no MPxN given")
    try:
        mpxn = validate_mpan(value, check_digits=False) if ctx.device.device_type == "ESME" else \
            validate_mprn(value, check_digits=False)
    except InvalidMpxn as exc:
        return ctx.fail(str(exc))
    ctx.device.mpxn = mpxn
    ctx.save()
    return ctx.ok(mpxn=mpxn)


def write_supplier_contact(ctx: CommandCtx):
    """ECS16 / GCS44 'Write Supplier Contact Details' (SRV 3.4; BAD 7.5.1.5.2): the Supplier name and telephone
    number on the Meter's User Interface."""
    name, phone = ctx.params.get("supplier_name"), ctx.params.get("supplier_telephone_number")
    if not name or not phone:
        return ctx.fail("no Supplier name or telephone number given")
    ctx.device.supplier_name, ctx.device.supplier_telephone = str(name), str(phone)
    ctx.save()
    return ctx.ok(supplier_name=ctx.device.supplier_name, supplier_telephone_number=ctx.device.supplier_telephone)


def update_import_tariff(ctx: CommandCtx):
    """ECS01a / GCS01a 'Update Import Tariff (Primary Element)' (SRV 1.1.1, Critical: signed by the Supplier cell's
    holder, checked before this runs; BAD 7.3.1.6.3): the Meter keeps the tariff it is given."""
    tariff = ctx.params.get("tariff")
    if not isinstance(tariff, dict) or not tariff.get("prices"):
        return ctx.fail("no tariff given")
    ctx.device.tariff = {**tariff, "set_at": ctx.at.isoformat()}
    ctx.save()
    return ctx.ok(tariff=ctx.device.tariff)


def _set_supply(meter: DeviceState, state: str, *, locked: bool, cause: str | None) -> None:
    meter.supply_state, meter.supply_locked, meter.supply_cause = state, locked, cause


def arm_supply(ctx: CommandCtx):
    """ECS44 / GCS39 'Arm Supply' (SRV 7.3, BAD 7.5.4.6.1): Enabled or Armed → Armed (0x8F32); Disabled by a
    Disable Command, tamper or GSME power loss → Armed and unlocked; otherwise (credit, load limit) no change."""
    meter = ctx.device
    state, cause = meter.supply_state or ENABLED, meter.supply_cause
    if state == DISABLED and cause not in REMOTELY_RECOVERABLE_CAUSES:
        return ctx.fail(f"supply disabled ({cause}): not armed", supply_state=state)
    _set_supply(meter, ARMED, locked=False, cause=None)
    ctx.save()
    ctx.alert(DeviceAlert.SUPPLY_ARMED)
    return ctx.ok(supply_state=ARMED)


def enable_supply(ctx: CommandCtx):
    """ECS42 'Enable Supply' (SRV 7.1, ESME only; BAD 7.5.4.6.2): Armed, or Disabled by a Disable Command or
    tamper → Enabled, load switch closed, unlocked; otherwise no change."""
    meter = ctx.device
    state, cause = meter.supply_state or ENABLED, meter.supply_cause
    if state == DISABLED and cause not in ("disable-command", "tamper"):
        return ctx.fail(f"supply disabled ({cause}): not enabled", supply_state=state)
    _set_supply(meter, ENABLED, locked=False, cause=None)
    ctx.save()
    return ctx.ok(supply_state=ENABLED)


def disable_supply(ctx: CommandCtx):
    """ECS43 / GCS32 'Disable Supply' (SRV 7.2, BAD 7.5.4.6.3): open the switch / close the valve; Locked."""
    _set_supply(ctx.device, DISABLED, locked=True, cause="disable-command")
    ctx.save()
    return ctx.ok(supply_state=DISABLED)


def read_supply(ctx: CommandCtx):
    """ECS45 / GCS33 'Read Supply Status' (SRV 7.4)."""
    m = ctx.device
    return ctx.ok(supply_state=m.supply_state or ENABLED, locked=m.supply_locked, cause=m.supply_cause)


def local_enable(s: Session, meter: DeviceState) -> bool:
    """The consumer enables an Armed, unlocked supply at the meter (or its PPMID) (BAD 7.5.4.6.1 step 7)."""
    if meter.supply_state != ARMED or meter.supply_locked:
        return False
    _set_supply(meter, ENABLED, locked=False, cause=None)
    s.add(meter)
    return True


def gas_power_loss(s: Session, gsme: DeviceState, at: datetime) -> list:
    """BAD 7.5.4.6.4: loss of GSME power closes the valve (Disabled, Locked) and raises 0x8F1D."""
    from dccflow.messages import DeviceAlertEvent

    _set_supply(gsme, DISABLED, locked=True, cause="supply-depletion")
    s.add(gsme)
    return [DeviceAlertEvent(device_id=gsme.device_id, alert_code=DeviceAlert.GAS_SMART_METER_POWER_SUPPLY_LOSS,
                             at=at)]


def read_firmware_version(ctx: CommandCtx):
    """CS08 / ECS52 / GCS38 'Read Firmware Version' (SRV 11.2; BAD 7.5.3.6.6)."""
    return ctx.ok(firmware_version=ctx.device.firmware_version)


_METERS = frozenset({_D.ESME, _D.GSME})
HANDLERS = {
    "ECS70": (frozenset({_D.ESME}), set_clock),
    "GCS28": (frozenset({_D.GSME}), set_clock),
    "ECS01a": (frozenset({_D.ESME}), update_import_tariff),
    "GCS01a": (frozenset({_D.GSME}), update_import_tariff),
    "ECS16": (frozenset({_D.ESME}), write_supplier_contact),
    "GCS44": (frozenset({_D.GSME}), write_supplier_contact),
    "ECS39a": (frozenset({_D.ESME}), set_mpxn),
    "GCS41": (frozenset({_D.GSME}), set_mpxn),
    "ECS44": (frozenset({_D.ESME}), arm_supply),
    "GCS39": (frozenset({_D.GSME}), arm_supply),
    "ECS42": (frozenset({_D.ESME}), enable_supply),
    "ECS43": (frozenset({_D.ESME}), disable_supply),
    "GCS32": (frozenset({_D.GSME}), disable_supply),
    "ECS45": (frozenset({_D.ESME}), read_supply),
    "GCS33": (frozenset({_D.GSME}), read_supply),
    "CS08": (frozenset(DeviceType), read_firmware_version),
    "ECS52": (frozenset({_D.ESME}), read_firmware_version),
    "GCS38": (frozenset({_D.GSME}), read_firmware_version),
}
TIMERS: dict = {}
