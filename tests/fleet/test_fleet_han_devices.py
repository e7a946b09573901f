"""PPMID, HCALCS, IHD and CAD on the SM HAN, and the joins between devices (BAD 7.2.1.6.12, 7.2.1.6.14;
unjoins 7.6.2): Method A (CS03A2 then CS03A1, CBKE), Method B (CS03B; the GPF's GCS62), Method C (CS03C)."""

from __future__ import annotations

import pytest
from fleet_support import GS, Site, add_device, alert_codes

from dccflow.domain.alerts import DeviceAlert


@pytest.fixture
def site(tmp_path) -> Site:
    s = Site(tmp_path, ppmid=True, ihd=True)
    s.commissioned_electricity()
    return s


def _log(site: Site, device_id: str) -> dict[str, bool]:
    return {e["device_id"]: e["joined"] for e in site.dev(device_id).device_log}


def test_type_1_and_type_2_devices_join_and_leave_the_han(site):
    for device_id, dtype in ((site.ids.ppmid_id, "PPMID"), (site.ids.ihd_id, "IHD")):
        effects = site.join(device_id, dtype)
        assert alert_codes(effects) == [DeviceAlert.CHF_DEVICE_LOG_CHANGED]  # no meter alerts from these
        assert site.dev(device_id).han_joined
    cad = add_device(site, "CAD", "00-DB-12-08-00-00-00-07")
    site.join(cad, "CAD")
    assert site.dev(cad).han_joined
    response, _ = site.send("CCS02", site.ids.chf_id, device_id=site.ids.ihd_id)
    assert response.success and not site.dev(site.ids.ihd_id).han_joined
    assert site.ids.ihd_id not in _log(site, site.ids.chf_id)


def test_method_a_join_ppmid_with_esme(site):
    ppmid, esme = site.ids.ppmid_id, site.ids.esme_id
    site.join(ppmid, "PPMID")
    # CS03A1 first fails: the PPMID does not hold the ESME yet
    assert not site.signed("CS03A1", esme, other_device_id=ppmid)[0].success
    assert site.send("CS03A2", ppmid, other_device_id=esme)[0].success
    assert _log(site, ppmid) == {esme: False}
    response, _ = site.signed("CS03A1", esme, other_device_id=ppmid)
    assert response.success
    assert _log(site, esme) == {ppmid: True} and _log(site, ppmid) == {esme: True}
    # CBKE between the two devices: both derived the same key
    assert site.dev(esme).links[ppmid]["key_id"] == site.dev(ppmid).links[esme]["key_id"]
    # CS03A1 is Critical: the Supplier's signature is required
    assert not site.send("CS03A1", esme, other_device_id=ppmid)[0].success


def test_method_a_join_hcalcs_needs_its_own_signed_command(site):
    hcalcs = add_device(site, "HCALCS", "00-DB-12-07-00-00-00-07")
    site.join(hcalcs, "HCALCS")
    assert not site.send("CS03A2", hcalcs, other_device_id=site.ids.esme_id)[0].success  # 8.7.1: Critical
    assert site.signed("CS03A2", hcalcs, other_device_id=site.ids.esme_id)[0].success
    assert site.signed("CS03A1", site.ids.esme_id, other_device_id=hcalcs)[0].success
    assert _log(site, hcalcs) == {site.ids.esme_id: True}


def test_method_b_join_ihd_to_esme_and_unjoin(site):
    ihd, esme = site.ids.ihd_id, site.ids.esme_id
    assert not site.send("CS03B", esme, other_device_id=ihd)[0].success  # the IHD is not on the HAN yet
    site.join(ihd, "IHD")
    assert site.send("CS03B", esme, other_device_id=ihd)[0].success
    assert _log(site, esme) == {ihd: True}
    assert site.send("CS04B", esme, other_device_id=ihd)[0].success
    assert _log(site, esme) == {}
    assert not site.send("CS04B", esme, other_device_id=ihd)[0].success


def test_gas_joins_gsme_to_gpf_and_gpf_to_ppmid_with_gcs62(site):
    gsme, gpf, ppmid = site.ids.gsme_id, site.ids.gpf_id, site.ids.ppmid_id
    site.join(gsme, "GSME")
    site.join(ppmid, "PPMID")
    assert site.send("CS03B", gsme, originator=GS, other_device_id=gpf)[0].success
    response, effects = site.send("CS03B", gpf, originator=GS, other_device_id=ppmid)
    assert response.success
    (gcs62,) = effects.alerts
    assert gcs62.alert_code == DeviceAlert.GPF_DEVICE_LOG_CHANGED and gcs62.device_log[0].device_id == ppmid
    # Method C: the PPMID records the GSME, then the GSME (Critical) joins the PPMID
    assert site.send("CS03C", ppmid, originator=GS, other_device_id=gsme)[0].success
    assert site.signed("CS03C", gsme, by=GS, other_device_id=ppmid)[0].success
    assert _log(site, ppmid) == {gsme: True}
    # unjoin the PPMID from the GSME (CS04AC, Critical on the GSME) and from the GPF (CS04B)
    assert site.signed("CS04AC", gsme, by=GS, other_device_id=ppmid)[0].success
    assert alert_codes(site.send("CS04B", gpf, originator=GS, other_device_id=ppmid)[1]) == [
        DeviceAlert.GPF_DEVICE_LOG_CHANGED]


def test_meter_device_log_capacity(site):
    from dccflow.domain.devices import DeviceType
    from devices.catalogue import LOG_CAPACITY

    esme = site.ids.esme_id
    for i in range(LOG_CAPACITY[DeviceType.ESME]):
        ihd = add_device(site, "IHD", f"00-DB-12-06-00-00-01-{i:02X}")
        site.join(ihd, "IHD")
        assert site.send("CS03B", esme, other_device_id=ihd)[0].success
    extra = add_device(site, "IHD", "00-DB-12-06-00-00-02-00")
    site.join(extra, "IHD")
    response, _ = site.send("CS03B", esme, other_device_id=extra)
    assert not response.success and "full" in response.reason
