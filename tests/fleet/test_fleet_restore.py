"""Replace Communications Hub on the devices' side (BAD 7.6.1.6.5): after CCS03 restores the old CHF's Device Log
onto the new CHF, the Devices of that log re-join the new HAN together, so the Supplier that sees its own meter's
0x8183 can rely on the other Supplier's meter being reachable too (its 8.8.2 / 8.7.2 follow at once)."""

from __future__ import annotations

from fleet_support import DCC, Site, alert_codes

from dccflow.domain.alerts import DeviceAlert
from devices.fleet import DeviceSpec
from devices.premises import device_id

NEW_CHF = device_id("CHF", 90)


def test_the_restored_log_re_joins_the_new_han_on_one_timer(tmp_path):
    site = Site(tmp_path, ppmid=True)
    site.commissioned_electricity()
    site.join(site.ids.gsme_id, "GSME")
    site.join(site.ids.ppmid_id, "PPMID")
    old_log = [{"device_id": e["device_id"], "device_type": e["device_type"]}
               for e in site.dev(site.ids.chf_id).device_log]
    assert {e["device_id"] for e in old_log} == {site.ids.esme_id, site.ids.gsme_id, site.ids.ppmid_id}
    site.fleet.provision([DeviceSpec(device_id=NEW_CHF, device_type="CHF", premises_id=site.ids.premises_id)])
    assert site.fleet.power_up_ch(NEW_CHF, site.tick())[0]

    response, effects = site.send("CCS03", NEW_CHF, originator=DCC, device_log=old_log)
    assert response.success
    (timer,) = [t for t in effects.timers if t.kind == "han-rejoin"]
    assert not any(site.dev(d).chf_id == NEW_CHF for d in (site.ids.esme_id, site.ids.gsme_id))

    joined = site.fire(effects, "han-rejoin")
    for device in (site.ids.esme_id, site.ids.gsme_id, site.ids.ppmid_id):
        assert site.dev(device).chf_id == NEW_CHF and site.dev(device).han_joined, device
    # both meters say so in the same firing: 0x8183 'Device joined SMHAN' from the ESME and from the GSME
    meters = {a.device_id for a in joined.alerts if a.alert_code == DeviceAlert.DEVICE_JOINED_SMHAN}
    assert meters == {site.ids.esme_id, site.ids.gsme_id}
    assert DeviceAlert.CHF_DEVICE_LOG_CHANGED in alert_codes(joined)
