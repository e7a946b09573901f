"""Manage Firmware at the DCC (BAD 7.5.3; digest 03 §F.3-F.7, F.12): SRV 11.1 'Update Firmware', 11.2 'Read
Firmware Version', 11.3 'Activate Firmware' (CS06).

11.1 is addressed to the DCC and names up to 50,000 Devices. Non-Critical processing applies, with its own status
rule instead of check C (AB 6.1(c) exemption) and the DCC's checks (BAD 7.5.3.6.2):

* D1 the image is not over ``FIRMWARE_IMAGE_LIMIT`` (N20); D2 the Hash over the Manufacturer Image part
  (``dccflow.firmware_image``); D3 a 'current' CPL entry holds it (N18); D4 one of those entries has the SR's
  Firmware Version (N21) - that entry is the Device Model the image is for;
* D5 per Device: the sender is its Responsible Supplier and it is a Smart Meter (``InvalidDeviceIDList``), its
  SMI Status is 'commissioned' or 'suspended' (``NotCommissionedDeviceIDList``), its current Device Model is the
  entry's manufacturer and model (``NotApplicableFirmwareDeviceIDList``). Failed Devices are listed in the Service
  Response's ``DSPUpdateFirmwareWarning``; distribution continues for the others.

DECISIONS where the Code is silent (digest 03 §F.3, F.5): N18 when no entry has the Hash, N21 when the Hash is
known but not with that version, N19 when no listed Device is of the entry's Device Model (the DCC identifies no
Device to apply it to); N20 is checked first, at 750 x 1024 octets, "over" the limit. The SMI holds no hardware
version, so D5c compares manufacturer and model. The image then goes, as the simulation's 'UpdateFirmware'
Command, to each passing Device through its CH. The DCC's durable watch of each Device's distribution
(``dccsim.firmware_distribution``) tries a CH it could not reach (its CHF not 'commissioned', or off the SM WAN)
again, then sends N22; and sends N23 when no download-complete Response follows. The device's verdict (0x8F72 /
0x8F1C) reaches the Supplier as a Device Alert. The 11.1 Service Response is sent once distribution has started;
its code is E110101 when D1-D4 stop it.

11.3 is Critical (Pre-Command, signed by the Supplier). Its ExecutionDateTime is the meter's (the CS06 is stored
on the Device, BAD 7.5.3.6.3), not a DSP-held request: ``device_future_dated``. The DUIS convention
ExecutionDateTime 3000-12-31 cancels the activation the meter stores (``dccflow.firmware_image.cancels_activation``:
executed on receipt, outside S3's 30-day horizon); the meter answers "cancelled" and keeps the image. On a
successful CS06 Response (or a successful 0x00CA alert, ``dccsim.service``) the SMI records the new Firmware
Version - and so Device Model - and a suspended Device now on the CPL returns to its prior status with N29
(``dccsim.suspension``).

11.2 reads the version (ECS52 / GCS38, CS08 for the others); the DCC does not update the SMI from it
(BAD 7.5.3.6.6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.firmware_image import manufacturer_hash
from dccflow.messages import GbcsCommand, GbcsResponse
from dccflow.parties import DCC_ID
from dccsim.eligibility import is_responsible_supplier
from dccsim.firmware_distribution import (
    DISTRIBUTION_USE_CASE,
    acknowledged,
    distribution_command,
    firmware_image,
    reachable,
    watch_distributions,
)
from dccsim.handlers.base import Ctx, Handler, Notice, Outcome, ReadHandler, failed, gbcs_payload, status_of
from dccsim.life_records import CplEntry
from dccsim.models import RequestLogEntry
from dccsim.rejections import PROCESSING_CODES

_D = DeviceType
#: D1 (BAD 7.5.3.6.2 "over the 750KB per image size limit"; DECISION: kB = 1024 octets, see the docstring)
FIRMWARE_IMAGE_LIMIT = 750 * 1024
#: D5b: the statuses a Device may have for 11.1 (and which 11.3 restores from)
FIRMWARE_STATUSES = frozenset({SmiStatus.COMMISSIONED, SmiStatus.SUSPENDED})
SMART_METERS = frozenset({_D.ESME, _D.GSME})
#: the DUIS warning lists of the 11.1 Service Response (digest 03 §F.3)
INVALID, NOT_COMMISSIONED, NOT_APPLICABLE = ("InvalidDeviceIDList", "NotCommissionedDeviceIDList",
                                             "NotApplicableFirmwareDeviceIDList")


@dataclass
class Distribution:
    """What 11.1's checks decided: a DCC Alert stopping it, or the Commands for the Devices that passed."""

    alert: str | None = None
    reason: str = ""
    commands: list[GbcsCommand] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)
    #: Devices whose CH the DCC cannot reach now (tried again, then N22: ``dccsim.firmware_distribution``)
    unreachable: list[str] = field(default_factory=list)
    #: the Supplier that sent the 11.1
    originator: str = ""

    async def send(self, dcc, request_id: str, at: datetime) -> GbcsResponse:
        """Distribute to each CH (BAD 7.5.3.6.2) and record the result as the request's 'Response'; the DCC's
        watch of each Device's distribution (redelivery, N22, N23) carries on in ``dccsim.firmware_distribution``."""
        undelivered = list(self.unreachable)
        for command in self.commands:
            if not acknowledged(await dcc.wan.dispatch_command(command, at)):
                undelivered.append(command.target)
        if self.alert is None:
            await watch_distributions(dcc, request_id, self.originator, [c.target for c in self.commands],
                                      undelivered, at)
        response = GbcsResponse(use_case=DISTRIBUTION_USE_CASE, device_id=DCC_ID, success=self.alert is None,
                                reason=self.reason, params={"alert": self.alert, "failed": self.failed,
                                                            "undelivered": undelivered,
                                                            "distributed": [c.target for c in self.commands]})
        with session_scope(dcc.engine) as s:
            entry = s.get(RequestLogEntry, request_id)
            entry.stage = "responded"
            entry.device_response = {"response": response.model_dump(mode="json"), "delivered": True}
            s.add(entry)
        return response


class UpdateFirmware(Handler):
    """SRV 11.1 (BAD 7.5.3.6.2)."""

    srv = "11.1"

    def status_device(self, ctx: Ctx) -> str | None:
        return None  # D5b replaces C (AB 6.1(c))

    def eligibility_device(self, ctx: Ctx) -> str | None:
        return None  # D5a, per listed Device

    @staticmethod
    def device_ids(ctx: Ctx) -> list[str]:
        return list(dict.fromkeys(d.strip() for d in str(ctx.body.get("DeviceIDList", "")).split(",") if d.strip()))

    def distributor(self, ctx: Ctx) -> Distribution:
        image, version = firmware_image(ctx), str(ctx.body.get("FirmwareVersion", ""))
        if len(image) > FIRMWARE_IMAGE_LIMIT:
            return Distribution("N20", f"the Firmware Image is {len(image)} octets, over {FIRMWARE_IMAGE_LIMIT}")
        digest = manufacturer_hash(image)
        entries = ctx.session.exec(select(CplEntry).where(CplEntry.image_hash == digest,
                                                          CplEntry.status == "current")).all()
        if not entries:
            return Distribution("N18", f"no CPL entry holds the Hash {digest}")
        entry = next((e for e in entries if e.firmware_version == version), None)
        if entry is None:
            return Distribution("N21", f"no CPL entry with the Hash {digest} has Firmware Version {version}")
        plan = Distribution(originator=ctx.originator)
        for device_id in self.device_ids(ctx):
            why = self._d5(ctx, device_id, entry)
            if why is not None:
                plan.failed.setdefault(why, []).append(device_id)
                continue
            if not reachable(ctx, device_id):
                plan.unreachable.append(device_id)
                continue
            plan.commands.append(distribution_command(ctx, device_id, image))
        if not plan.commands and not plan.unreachable and plan.failed.get(NOT_APPLICABLE):
            plan.alert, plan.reason = "N19", f"no listed Device is a {entry.manufacturer} {entry.model}"
        return plan

    def _d5(self, ctx: Ctx, device_id: str, entry: CplEntry) -> str | None:
        dev = ctx.inventory.find(device_id)
        if dev is None or DeviceType(dev.device_type) not in SMART_METERS or not is_responsible_supplier(ctx, dev):
            return INVALID
        if status_of(dev) not in FIRMWARE_STATUSES:
            return NOT_COMMISSIONED
        if (dev.manufacturer, dev.model) != (entry.manufacturer, entry.model):
            return NOT_APPLICABLE
        return None

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        assert response is not None
        params = response.params
        if params.get("alert"):
            listed = {"meter_ids": ",".join(self.device_ids(ctx))}
            return Outcome(response_code=PROCESSING_CODES["firmware_rejected"],
                           notices=[Notice(params["alert"], ctx.originator, DCC_ID, data=listed)],
                           detail=response.reason)
        # N22 / N23 come from the DCC's watch of each Device's distribution (dccsim.firmware_distribution)
        lists = {name: ",".join(ids) for name, ids in sorted(params.get("failed", {}).items()) if ids}
        payload = ("DSPUpdateFirmwareWarning", lists) if lists else None
        waiting = params.get("undelivered", [])
        reached = [d for d in params.get("distributed", []) if d not in waiting]
        return Outcome(payload=payload, detail=f"distributed to {len(reached)} Device(s)"
                                               + (f"; {len(waiting)} to try again (CH not reached)" if waiting else ""))


class ActivateFirmware(Handler):
    """SRV 11.3 → CS06 (BAD 7.5.3.6.3)."""

    srv = "11.3"
    use_cases = {_D.ESME: "CS06", _D.GSME: "CS06"}
    device_future_dated = True

    def command_params(self, ctx: Ctx) -> dict:
        return {"firmware_hash": str(ctx.body.get("FirmwareHash", "")).upper(),
                "execution_datetime": ctx.body.get("ExecutionDateTime")}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        from dccsim.suspension import firmware_activated

        if (failure := failed(response)) is not None:
            return failure
        assert response is not None
        payload = gbcs_payload(response)
        stage = response.params.get("stage")
        if stage:  # stored for a future date (or cancelled): the SMI changes when 0x00CA reports success
            return Outcome(payload=payload, detail=f"{ctx.target}: {stage}")
        version = str(response.params["firmware_version"])
        notices = firmware_activated(ctx.session, ctx.target, version, ctx.at)
        return Outcome(payload=payload, notices=notices, detail=f"{ctx.target} runs firmware {version}")


class ReadFirmwareVersion(ReadHandler):
    """SRV 11.2 (BAD 7.5.3.6.6; Tbl 8): the SMI is not updated from the Response."""

    srv = "11.2"
    use_cases = {_D.ESME: "ECS52", _D.GSME: "GCS38", _D.CHF: "CS08", _D.GPF: "CS08", _D.PPMID: "CS08"}

    def read_detail(self, ctx: Ctx, response: GbcsResponse) -> str:
        return f"{ctx.target} reports firmware {response.params.get('firmware_version')}"
