"""Firmware on devices (BAD 7.5.3.6.2-7.5.3.6.6; digest 03 §F.10): the image reaching the device through its
CH, the hash and signature check on download (0x8F72 / 0x8F1C), CS06 activation (immediate, or future-dated on
a durable timer with the 0x00CA alert), and reading the version.

The 'UpdateFirmware' command is not a GBCS use case: it is how the simulation carries the image the DCC
distributes to the CH for SRV 11.1 (and 11.4 for PPMIDs; DCC-initiated for CHs). Params: ``image_b64``,
``firmware_version``, ``image_hash`` (SHA-256 hex of the image, as the sender computed it), and the signature
of the Supplier (meters; GBCS 11.2.5) or of the WAN Provider (CHs; BAD 7.5.3.6.5) over the command. PPMID
images carry no signature (DUIS 11.4 sample), so a PPMID checks the hash only and, having no activation SR,
activates on download (DECISION, inferred from DUIS; BAD v2.0 is silent on PPMID firmware).
"""

from __future__ import annotations

import base64
import math
from datetime import datetime

from sqlmodel import Session

from dccflow.domain.alerts import FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE, DeviceAlert
from dccflow.domain.devices import DeviceType
from dccflow.firmware_image import manufacturer_hash
from dccflow.firmware_image import parse as parse_image
from dccflow.firmware_image import verify as verify_image
from dccflow.messages import DeviceAlertEvent
from dccflow.moments import as_utc
from devices.anchors import RESOLVER
from devices.catalogue import (
    FIRMWARE_CANCEL_YEAR,
    FW_DOWNLOADING,
    FW_IDLE,
    FW_SCHEDULED,
    FW_STORED,
    OTA_BYTES_PER_SECOND,
    OTA_DOWNLOAD_SECONDS,
    SIGNED_BY,
)
from devices.effects import CommandCtx, DeviceTimer, FleetEffects
from devices.models import DeviceFirmwareImage, DeviceState
from devices.signing import SignatureCheck, check_signature

_D = DeviceType


def image_hash(image: bytes) -> str:
    """The Hash of the Manufacturer Image part (BAD 7.5.3.6.2-3; ``dccflow.firmware_image``)."""
    return manufacturer_hash(image)


def ota_download_seconds(size: int) -> int:
    """How long the Zigbee OTA pull of ``size`` octets from the CH takes (never less than the fixed minimum)."""
    return max(OTA_DOWNLOAD_SECONDS, math.ceil(size / OTA_BYTES_PER_SECOND))


def _supplier_signature_ok(ctx: CommandCtx, image: bytes, cert) -> bool:
    """GBCS 11.2.5: the Supplier's signature inside the Firmware Image (the DCC distributing an 11.1 image) or,
    for a Command the signer signed itself (tests, the DCC's own CH upgrade), the Command's signature."""
    parsed = parse_image(image)
    if ctx.command.signature is None and parsed is not None and parsed.signature is not None:
        return cert is not None and verify_image(parsed.signed_part, parsed.signature, cert.public_key())
    outcome, _ = check_signature(ctx.command, [cert] if cert else [])
    return outcome is SignatureCheck.OK


def _flip(image: bytes) -> bytes:
    return bytes([image[0] ^ 0x01]) + image[1:] if image else b"\x01"


def _timer(kind: str, dev: DeviceState, delay: float, token: str) -> DeviceTimer:
    return DeviceTimer(kind=kind, device_id=dev.device_id, delay_seconds=max(0, int(delay)),
                       workflow_id=f"device-{kind}-{dev.device_id}-{token}", data={"token": token})


def update_firmware(ctx: CommandCtx):
    """The CH buffers the image and tells the device, which downloads it over the HAN (BAD 7.5.3.6.2). The
    Response is the CH's acknowledgement; the device's verdict follows as 0x8F72 or 0x8F1C."""
    dev = ctx.device
    try:
        image = base64.b64decode(ctx.params["image_b64"], validate=True)
        version = str(ctx.params["firmware_version"])
    except (KeyError, ValueError) as exc:
        return ctx.fail(f"no readable firmware image: {exc}")
    declared = str(ctx.params.get("image_hash") or image_hash(image)).upper()
    cell = SIGNED_BY.get(DeviceType(dev.device_type), {}).get("UpdateFirmware")
    signature_ok = True
    if cell is not None:
        cert = RESOLVER.cert(ctx.session, dev.anchors.get(cell.value))
        signature_ok = _supplier_signature_ok(ctx, image, cert) and "refuse-signature" not in dev.faults
    old = ctx.session.get(DeviceFirmwareImage, dev.device_id)
    if old is not None:
        ctx.session.delete(old)
        ctx.session.flush()
    ctx.session.add(DeviceFirmwareImage(device_id=dev.device_id, firmware_version=version, image=image,
                                        image_hash=declared, received_at=ctx.at))
    token = f"{ctx.command.originator_counter() or int(ctx.at.timestamp())}"
    dev.firmware_state = FW_DOWNLOADING
    dev.firmware_job = {"token": token, "version": version, "signature_ok": signature_ok}
    ctx.save()
    ctx.effects.timers.append(_timer("firmware-download", dev, ota_download_seconds(len(image)), token))
    return ctx.ok(stage="image buffered at the CH", firmware_version=version, image_hash=declared)


def _alert(dev: DeviceState, code: int, at: datetime, **detail) -> DeviceAlertEvent:
    return DeviceAlertEvent(device_id=dev.device_id, alert_code=code, at=at, detail=detail)


def download_complete(s: Session, timer: DeviceTimer, at: datetime) -> FleetEffects:
    """The device has the whole image: it checks the signature and the hash over the image (SHA-256), then
    stores it (0x8F72) or discards it (0x8F1C)."""
    from devices.han import hub_up

    effects = FleetEffects()
    dev = s.get(DeviceState, timer.device_id)
    if dev is None or dev.firmware_state != FW_DOWNLOADING or dev.firmware_job.get("token") != timer.data["token"]:
        return effects
    img = s.get(DeviceFirmwareImage, dev.device_id)
    hub = dev if dev.device_type == "CHF" else s.get(DeviceState, dev.chf_id) if dev.chf_id else None
    if img is None or not hub_up(hub):
        dev.firmware_state, dev.firmware_job = FW_IDLE, {}  # download aborted: the DCC's N23 covers it
        s.add(dev)
        return effects
    corrupt = dev.faults.get("firmware-corrupt")
    received = _flip(img.image) if corrupt == "download" else img.image
    if not dev.firmware_job.get("signature_ok"):
        reason = "signature check failed"
    elif image_hash(received) != img.image_hash:
        reason = "image hash does not match"
    else:
        reason = ""
    if reason:
        s.delete(img)
        dev.firmware_state, dev.firmware_job = FW_IDLE, {}
        s.add(dev)
        effects.alerts.append(_alert(dev, DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE, at, reason=reason,
                                     firmware_version=img.firmware_version))
        return effects
    if corrupt == "storage":
        img.image = _flip(img.image)  # damaged after it was verified: CS06's hash check will catch it
        s.add(img)
    dev.firmware_state, dev.firmware_job = FW_STORED, {"version": img.firmware_version}
    s.add(dev)
    detail: dict = {"firmware_version": img.firmware_version, "image_hash": img.image_hash}
    if dev.device_type == "PPMID":
        ok, why = activate_stored(s, dev, img.image_hash)
        detail.update(activated=ok, reason=why, running_version=dev.firmware_version)
    effects.alerts.append(_alert(dev, DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS, at, **detail))
    return effects


def activate_stored(s: Session, dev: DeviceState, wanted_hash: str) -> tuple[bool, str]:
    """Steps 3.2-3.4 of digest 03 §F.4: hold an image; the hash in the command equals the hash the device
    computes over the stored image; activate. On failure the Firmware Version is unchanged."""
    img = s.get(DeviceFirmwareImage, dev.device_id)
    if img is None:
        dev.firmware_state, dev.firmware_job = FW_IDLE, {}
        s.add(dev)
        return False, "no Firmware Image held"
    computed = image_hash(img.image)
    if computed != img.image_hash:  # the stored image is damaged: discard it
        s.delete(img)
        dev.firmware_state, dev.firmware_job = FW_IDLE, {}
        s.add(dev)
        return False, "stored image fails its hash check (corrupt): activation refused"
    if computed != wanted_hash.strip().upper():
        dev.firmware_state, dev.firmware_job = FW_STORED, {"version": img.firmware_version}
        s.add(dev)
        return False, "the hash in the Command does not match the stored image"
    dev.firmware_version = img.firmware_version
    dev.firmware_state, dev.firmware_job = FW_IDLE, {}
    s.delete(img)
    s.add(dev)
    return True, ""


def _when(value) -> datetime | None:
    if value in (None, ""):
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return as_utc(moment)


def cs06_activate_firmware(ctx: CommandCtx):
    """CS06 'Activate Firmware' (SRV 11.3; BAD 7.5.3.6.3). Params ``firmware_hash`` (hex) and optionally
    ``execution_datetime``: later than now stores the activation (durable timer; 0x00CA when done); the
    year 3000 cancels a stored one (DUIS convention)."""
    dev = ctx.device
    wanted = str(ctx.params.get("firmware_hash", ""))
    try:
        when = _when(ctx.params.get("execution_datetime"))
    except ValueError as exc:
        return ctx.fail(f"bad execution date-time: {exc}")
    if when is not None and when.year >= FIRMWARE_CANCEL_YEAR:
        if dev.firmware_state == FW_SCHEDULED:
            cancel_scheduled(dev, "cancelled by CS06")
            ctx.save()
        return ctx.ok(stage="future dated activation cancelled", firmware_version=dev.firmware_version)
    if dev.firmware_state not in (FW_STORED, FW_SCHEDULED):
        return ctx.fail("no Firmware Image held", firmware_version=dev.firmware_version)
    now = as_utc(ctx.at)
    if when is not None and when > now:
        token = f"{ctx.command.originator_counter() or int(now.timestamp())}"
        dev.firmware_state = FW_SCHEDULED
        dev.firmware_job = {**dev.firmware_job, "token": token, "due": when.isoformat(), "hash": wanted}
        ctx.save()
        ctx.effects.timers.append(_timer("firmware-activation", dev, (when - now).total_seconds(), token))
        return ctx.ok(stage="validated and stored for activation", execution_datetime=when.isoformat())
    ok, why = activate_stored(ctx.session, dev, wanted)
    if not ok:
        if "corrupt" in why:
            ctx.alert(DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE, reason=why)
        return ctx.fail(why, firmware_version=dev.firmware_version)
    return ctx.ok(firmware_version=dev.firmware_version)


def cancel_scheduled(dev: DeviceState, reason: str) -> None:
    if dev.firmware_state == FW_SCHEDULED:
        dev.firmware_state = FW_STORED
        dev.firmware_job = {"version": dev.firmware_job.get("version"), "cancelled": reason}


def activation_due(s: Session, timer: DeviceTimer, at: datetime) -> FleetEffects:
    """A stored future-dated activation falls due: activate and report with 0x00CA (BAD 7.5.3.6.3)."""
    dev = s.get(DeviceState, timer.device_id)
    effects = FleetEffects()
    if dev is None or dev.firmware_state != FW_SCHEDULED or dev.firmware_job.get("token") != timer.data["token"]:
        return effects
    ok, why = activate_stored(s, dev, dev.firmware_job.get("hash", ""))
    effects.alerts.append(_alert(dev, FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE, at, success=ok, reason=why,
                                 firmware_version=dev.firmware_version))
    return effects


HANDLERS = {
    "UpdateFirmware": (frozenset({_D.ESME, _D.GSME, _D.PPMID, _D.CHF}), update_firmware),
    "CS06": (frozenset({_D.ESME, _D.GSME, _D.CHF}), cs06_activate_firmware),
}
TIMERS = {"firmware-download": download_complete, "firmware-activation": activation_due}
