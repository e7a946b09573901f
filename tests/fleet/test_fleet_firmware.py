"""Firmware on devices (BAD 7.5.3.6.2-7.5.3.6.6; digest 03 §F.10): download with signature and SHA-256 hash
checks (0x8F72 / 0x8F1C), CS06 activation immediate and future-dated (0x00CA), corrupt images, PPMID images."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from fleet_support import IS, IS_B, Site, alert_codes

from dccflow.domain.alerts import FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE, DeviceAlert
from dccflow.domain.roles import RemotePartyRole
from devices.catalogue import FIRMWARE_TRANSITIONS, OTA_DOWNLOAD_SECONDS

IMAGE = b"\x1e\xf1\xee\x0b" + bytes(range(256)) * 8
HASH = hashlib.sha256(IMAGE).hexdigest().upper()


@pytest.fixture
def site(tmp_path) -> Site:
    s = Site(tmp_path)
    s.commissioned_electricity()
    return s


def _distribute(site: Site, target: str, *, by: str | None = IS, version: str = "2.0.0", image: bytes = IMAGE,
                signer=None):
    signer = signer or (site.user(by) if by else None)
    response, effects = site.send("UpdateFirmware", target, originator=by or "DCC", signer=signer,
                                  image_b64=base64.b64encode(image).decode(), firmware_version=version,
                                  image_hash=hashlib.sha256(image).hexdigest().upper())
    assert response.success, response.reason
    (timer,) = effects.timers
    assert timer.kind == "firmware-download" and timer.delay_seconds == OTA_DOWNLOAD_SECONDS
    assert site.dev(target).firmware_state == "DOWNLOADING"
    return site.fire(effects)


def test_download_verified_then_activated(site):
    esme = site.ids.esme_id
    downloaded = _distribute(site, esme)
    assert alert_codes(downloaded) == [DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS]
    assert site.dev(esme).firmware_state == "STORED_VERIFIED" and site.dev(esme).firmware_version == "1.0.0"
    response, _ = site.signed("CS06", esme, firmware_hash=HASH)
    assert response.success and response.params["firmware_version"] == "2.0.0"
    assert site.dev(esme).firmware_version == "2.0.0" and site.dev(esme).firmware_state == "IDLE"
    assert site.send("CS08", esme)[0].params["firmware_version"] == "2.0.0"


def test_image_signed_by_another_supplier_is_rejected_on_download(site):
    downloaded = _distribute(site, site.ids.esme_id, by=IS_B)
    assert alert_codes(downloaded) == [DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE]
    assert downloaded.alerts[0].detail["reason"] == "signature check failed"
    assert site.dev(site.ids.esme_id).firmware_state == "IDLE"
    response, _ = site.signed("CS06", site.ids.esme_id, firmware_hash=HASH)
    assert not response.success and response.reason == "no Firmware Image held"


def test_image_corrupted_on_download_fails_the_hash_check(site):
    site.fleet.set_fault(site.ids.esme_id, "firmware-corrupt", "download")
    downloaded = _distribute(site, site.ids.esme_id)
    assert alert_codes(downloaded) == [DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE]
    assert downloaded.alerts[0].detail["reason"] == "image hash does not match"


def test_image_corrupted_in_storage_is_refused_at_activation(site):
    site.fleet.set_fault(site.ids.esme_id, "firmware-corrupt", "storage")
    assert alert_codes(_distribute(site, site.ids.esme_id)) == [DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS]
    response, effects = site.signed("CS06", site.ids.esme_id, firmware_hash=HASH)
    assert not response.success and "corrupt" in response.reason
    assert response.params["firmware_version"] == "1.0.0"
    assert alert_codes(effects) == [DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE]
    assert site.dev(site.ids.esme_id).firmware_state == "IDLE"


def test_activation_with_the_wrong_hash_keeps_the_image(site):
    _distribute(site, site.ids.esme_id)
    response, _ = site.signed("CS06", site.ids.esme_id, firmware_hash="00" * 32)
    assert not response.success and site.dev(site.ids.esme_id).firmware_state == "STORED_VERIFIED"
    assert site.signed("CS06", site.ids.esme_id, firmware_hash=HASH)[0].success


def test_activation_must_be_signed_by_the_supplier(site):
    _distribute(site, site.ids.esme_id)
    response, effects = site.signed("CS06", site.ids.esme_id, by=IS_B, firmware_hash=HASH)
    assert not response.success and site.dev(site.ids.esme_id).firmware_version == "1.0.0"
    assert alert_codes(effects) == [DeviceAlert.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND]


def test_future_dated_activation_runs_on_its_timer_and_reports_00ca(site):
    _distribute(site, site.ids.esme_id)
    when = site.now + timedelta(days=2)
    response, effects = site.signed("CS06", site.ids.esme_id, firmware_hash=HASH, execution_datetime=when.isoformat())
    assert response.success and site.dev(site.ids.esme_id).firmware_state == "ACTIVATION_SCHEDULED"
    (timer,) = effects.timers
    assert timer.kind == "firmware-activation" and 2 * 86400 - 5 <= timer.delay_seconds <= 2 * 86400
    fired = site.fire(effects)
    (alert,) = fired.alerts
    assert alert.alert_code == FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE == 0x00CA
    assert alert.detail["success"] and alert.detail["firmware_version"] == "2.0.0"
    assert site.dev(site.ids.esme_id).firmware_version == "2.0.0"


def test_future_dated_activation_cancelled_with_the_year_3000(site):
    _distribute(site, site.ids.esme_id)
    _, effects = site.signed("CS06", site.ids.esme_id, firmware_hash=HASH,
                             execution_datetime=(site.now + timedelta(days=1)).isoformat())
    response, _ = site.signed("CS06", site.ids.esme_id, firmware_hash=HASH,
                              execution_datetime="3000-12-31T00:00:00Z")
    assert response.success and site.dev(site.ids.esme_id).firmware_state == "STORED_VERIFIED"
    assert site.fire(effects).alerts == []  # the stored activation's timer finds nothing to do
    assert site.dev(site.ids.esme_id).firmware_version == "1.0.0"


def test_change_of_supplier_cancels_a_stored_activation(site):
    _distribute(site, site.ids.esme_id)
    _, effects = site.signed("CS06", site.ids.esme_id, firmware_hash=HASH,
                             execution_datetime=(site.now + timedelta(days=1)).isoformat())
    # the Transitional CoS party places the Gaining Supplier's certificate (SRV 6.23; BAD 7.7.1.5.4)
    cert = site.user(IS_B).cert
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    ca = base64.b64encode(site.ca().cert.public_bytes(serialization.Encoding.DER)).decode()
    assert site.send("CS02b", site.ids.esme_id, originator=IS_B, signer=site.dcc(RemotePartyRole.TRANSITIONAL_COS),
                     remote_party_role="Supplier", certificate=der, certification_path=[ca])[0].success
    assert site.fire(effects).alerts == []
    assert site.dev(site.ids.esme_id).firmware_version == "1.0.0"


def test_ppmid_firmware_activates_on_download(tmp_path):
    site = Site(tmp_path, ppmid=True)
    site.commissioned_electricity()
    ppmid = site.ids.ppmid_id
    site.join(ppmid, "PPMID")
    downloaded = _distribute(site, ppmid, by=None)  # DUIS 11.4 images carry no signature
    (alert,) = downloaded.alerts
    assert alert.alert_code == DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS and alert.detail["activated"]
    assert site.dev(ppmid).firmware_version == "2.0.0"


def test_firmware_state_changes_are_all_in_the_table():
    states = {s for pair in FIRMWARE_TRANSITIONS for s in pair}
    assert states == {"IDLE", "DOWNLOADING", "STORED_VERIFIED", "ACTIVATION_SCHEDULED"}


def test_a_larger_image_takes_longer_to_download_over_the_han(site):
    from dccflow.firmware_image import OtaHeader, build
    from devices.catalogue import OTA_BYTES_PER_SECOND

    big = build(OtaHeader(manufacturer="AB01", model="M", firmware_version="3.0"), b"\x5a" * 700_000)
    response, effects = site.send("UpdateFirmware", site.ids.esme_id, originator=IS, signer=site.user(IS),
                                  image_b64=base64.b64encode(big).decode(), firmware_version="3.0")
    assert response.success
    (timer,) = effects.timers
    assert timer.delay_seconds == -(-len(big) // OTA_BYTES_PER_SECOND) > OTA_DOWNLOAD_SECONDS  # ~47 minutes
    assert response.params["image_hash"] == hashlib.sha256(b"\x5a" * 700_000).hexdigest().upper()  # image part only
