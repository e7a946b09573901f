"""The Supplier's side of Manage Firmware before any Service Request (BAD 7.5.3.6.1; digest 03 §F.2, F.13).

* ``firmware_panel_lists``: the manufacturer's submission of a release (the Hash of its Manufacturer Image) and the
  Panel's new CPL entry, which reaches the DCC as a CPL extract (BAD 7.5.3.5 prerequisite; 7.1.2.4.1). A scenario
  leaves it out to show a release that is not on the CPL.
* ``firmware_prepare_package``: the package the manufacturer hands the Supplier (OTA Header, Manufacturer Image,
  the manufacturer's Digital Signature across both, the Hash) and the Supplier's checks S1-S4 (SEC AB 2.2): S1 the
  signature is the manufacturer's, S2 its own Hash equals the one provided, S3 a CPL entry carries that Hash, S4
  one of them matches the OTA Header's manufacturer, model and Firmware Version. If all pass, the Supplier signs
  the Firmware Image (GBCS 11.2.5: the meter checks it against the Supplier's certificate in its trust anchor
  cell) and returns it with the Hash for 11.1 and 11.3.

DECISIONS: the Supplier knows its meter's Device Model from the Device Model it pre-notified (the SMI's); it reads
the published CPL (BAD 4.7: "Suppliers can check ... by checking the CPL") from the copy the simulated DCC holds;
S5 (hardware versions) is not judged: no party records a meter's hardware version. Both are idempotent.
"""

from __future__ import annotations

import base64

from pydantic import BaseModel
from sqlmodel import select
from temporalio import activity

from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.firmware_image import OtaHeader, build, manufacturer_key, parse, release, sha256_hex, sign, verify
from dccsim.inventory import Inventory
from dccsim.life_records import CplEntry


class FirmwareRelease(BaseModel):
    """Which release of the meter's Device Model the Supplier installs."""

    supplier_id: str
    device_id: str
    to_version: str
    image_size: int
    #: tamper with the package in transit from the manufacturer: its Hash no longer matches (S2 fails)
    tampered: bool = False


class FirmwarePackage(BaseModel):
    manufacturer: str
    model: str
    from_version: str | None
    to_version: str
    image_hash: str
    #: the check of BAD 7.5.3.6.1 that failed (S1-S4), None if all passed
    failed_check: str | None = None
    reason: str = ""
    #: the Supplier-signed Firmware Image for 11.1 (base64), only when every check passed
    image_b64: str | None = None


class FirmwareActivities:
    def __init__(self, runtime):
        self.rt = runtime

    def _meter(self, device_id: str) -> tuple[str, str, str | None]:
        from dccsim.suspension import model_of

        with session_scope(self.rt.dcc.engine) as s:
            model = model_of(s, Inventory(s).get(device_id))
            return model.manufacturer, model.model, model.firmware_version

    @activity.defn(name="firmware_panel_lists")
    async def firmware_panel_lists(self, rel: FirmwareRelease) -> str:
        """The manufacturer submits the release's Hash; the Panel adds the Device Model at that Firmware Version
        to the CPL and sends the DCC the extract (BAD 7.5.3.6.1, 7.1.2.4.1)."""
        from dccsim.suspension import DeviceModel, cpl_change

        manufacturer, model, _ = self._meter(rel.device_id)
        digest = sha256_hex(release(manufacturer, model, rel.to_version, rel.image_size))
        entry = DeviceModel(manufacturer=manufacturer, model=model, firmware_version=rel.to_version, image_hash=digest)
        await cpl_change(self.rt.dcc, added=[entry], at=activity_now())
        return digest

    @activity.defn(name="firmware_prepare_package")
    async def firmware_prepare_package(self, rel: FirmwareRelease) -> FirmwarePackage:
        manufacturer, model, current = self._meter(rel.device_id)
        header = OtaHeader(manufacturer=manufacturer, model=model, firmware_version=rel.to_version)
        image = release(manufacturer, model, rel.to_version, rel.image_size)
        maker = manufacturer_key(manufacturer)
        unsigned = build(header, image)
        signature = sign(unsigned, maker)  # the creator's signature across OTA Header || Manufacturer Image
        provided = sha256_hex(image)
        if rel.tampered:  # one octet changed after the manufacturer signed and hashed it
            image = bytes([image[0] ^ 0xFF]) + image[1:]
            unsigned = build(header, image)
        package = FirmwarePackage(manufacturer=manufacturer, model=model, from_version=current,
                                  to_version=rel.to_version, image_hash=provided)
        parsed = parse(unsigned)
        assert parsed is not None
        with session_scope(self.rt.dcc.engine) as s:
            listed = s.exec(select(CplEntry).where(CplEntry.image_hash == parsed.hash,
                                                   CplEntry.status == "current")).all()
        failure = None
        if not verify(unsigned, signature, maker.public_key()):
            failure = ("S1", "the creator's signature over OTA Header || Manufacturer Image does not verify")
        elif parsed.hash != provided:
            failure = ("S2", f"the Hash computed ({parsed.hash}) is not the Hash provided ({provided})")
        elif not listed:
            failure = ("S3", f"no CPL entry carries the Hash {provided}")
        elif not any((e.manufacturer, e.model, e.firmware_version) == (manufacturer, model, rel.to_version)
                     for e in listed):
            failure = ("S4", "no CPL entry with that Hash matches the OTA Header's manufacturer, model and version")
        if failure is not None:
            package.failed_check, package.reason = failure
            return package
        supplier = self.rt.keys.get(rel.supplier_id)
        package.image_b64 = base64.b64encode(build(header, image, supplier.key)).decode()
        return package


def firmware_activities(runtime) -> list:
    acts = FirmwareActivities(runtime)
    return [acts.firmware_panel_lists, acts.firmware_prepare_package]
