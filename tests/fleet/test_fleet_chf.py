"""CHF behaviour: SM WAN and network time, the CHF Device Log with its CS14 alert and capacity, HAN joins with
the install code and CBKE, Dual Band Sub-GHz settings (BAD 7.2.1.6.4, 7.2.1.6.7, 7.5.8)."""

from __future__ import annotations

import pytest
from fleet_support import T0, Site, alert_codes

from dccflow.db import session_scope
from dccflow.domain.alerts import DeviceAlert
from dccflow.domain.devices import DeviceType
from devices import keys
from devices.catalogue import LOG_CAPACITY


@pytest.fixture
def site(tmp_path) -> Site:
    return Site(tmp_path)


def test_ch_powers_up_onto_the_wan_with_network_time(site):
    assert site.power_up()
    chf = site.dev(site.ids.chf_id)
    assert chf.wan_connected and chf.network_time_synced and chf.clock is not None and chf.clock > T0
    # the GPF is part of the hub: on the SM HAN with it
    assert site.dev(site.ids.gpf_id).han_joined
    assert site.fleet.route(site.ids.esme_id).reachable


def test_no_wan_and_ch_fault_leave_the_ch_unreachable(tmp_path):
    site = Site(tmp_path)
    site.fleet.set_fault(site.ids.chf_id, "no-wan")
    assert not site.power_up()
    assert not site.fleet.route(site.ids.chf_id).reachable
    site.fleet.clear_fault(site.ids.chf_id, "no-wan")
    assert site.power_up()
    site.fleet.set_fault(site.ids.chf_id, "ch-fault")
    assert not site.fleet.route(site.ids.esme_id).reachable
    assert not site.dev(site.ids.chf_id).wan_connected


def test_ccs01_adds_to_the_device_log_and_raises_cs14(site):
    site.power_up()
    response, effects = site.whitelist(site.ids.esme_id, "ESME")
    assert response.success
    (cs14,) = effects.alerts
    assert cs14.alert_code == DeviceAlert.CHF_DEVICE_LOG_CHANGED == 0x8F12
    assert [(e.device_id, e.joined) for e in cs14.device_log] == [(site.ids.esme_id, False)]
    # the CS14 carries the Device Log, never the install code's link key
    assert "link_key" not in cs14.model_dump_json()


def test_device_log_capacity(site):
    site.power_up()
    capacity = LOG_CAPACITY[DeviceType.CHF]
    for i in range(capacity):
        response, _ = site.whitelist(f"00-DB-12-0A-00-00-00-{i:02X}", "IHD", install_code="00" * 16)
        assert response.success, response.reason
    response, effects = site.whitelist("00-DB-12-0A-00-00-00-FF", "IHD", install_code="00" * 16)
    assert not response.success and "full" in response.reason and not effects.alerts
    # re-adding an entry already present does not need a new slot
    response, _ = site.whitelist("00-DB-12-0A-00-00-00-00", "IHD", install_code="11" * 16)
    assert response.success


def test_join_authenticates_with_the_install_code_then_cbke_agrees_on_both_sides(site):
    site.power_up()
    effects = site.join(site.ids.esme_id, "ESME")
    assert alert_codes(effects)[0] == DeviceAlert.CHF_DEVICE_LOG_CHANGED
    assert effects.alerts[0].device_log[0].joined
    chf, esme = site.dev(site.ids.chf_id), site.dev(site.ids.esme_id)
    assert esme.han_joined
    # both ends derived the same link key, each from its own private key and the other's certificate
    assert chf.links[esme.device_id]["key_id"] == esme.links[chf.device_id]["key_id"]
    with session_scope(site.engine) as s:
        from_chf = keys.shared_key(s, chf.device_id, esme.device_id, site.now)
        from_esme = keys.shared_key(s, esme.device_id, chf.device_id, site.now)
        assert from_chf == from_esme and len(from_chf) == 16
        assert keys.key_id(from_chf) == chf.links[esme.device_id]["key_id"]
        # the key-agreement keys are persisted (PEM) with Device Certificates from the SMKI
        from devices.models import DeviceKeyPair

        pair = s.get(DeviceKeyPair, (esme.device_id, "KeyAgreement"))
        assert pair.key_pem.startswith(b"-----BEGIN PRIVATE KEY") and pair.cert_pem.startswith(b"-----BEGIN CERT")


def test_wrong_install_code_fails_authentication(site):
    site.power_up()
    site.fleet.install_device(site.ids.esme_id, site.tick())
    _, effects = site.whitelist(site.ids.esme_id, "ESME", install_code="DEADBEEF" * 4)
    joined = site.fire(effects, "han-join")
    assert joined.alerts == []  # no second CS14: the DCC will send N25
    assert not site.dev(site.ids.esme_id).han_joined
    assert not keys.authenticate_join("00" * 16, keys.link_key("11" * 16).hex(), "a", "b")


def test_ccs02_removes_a_device_which_leaves_the_han(site):
    site.power_up()
    site.join(site.ids.esme_id, "ESME")
    response, effects = site.send("CCS02", site.ids.chf_id, device_id=site.ids.esme_id)
    assert response.success
    assert alert_codes(effects) == [DeviceAlert.CHF_DEVICE_LOG_CHANGED] and effects.alerts[0].device_log == []
    assert not site.dev(site.ids.esme_id).han_joined
    response, _ = site.send("CCS02", site.ids.chf_id, device_id=site.ids.esme_id)
    assert not response.success


def test_read_device_log(site):
    site.power_up()
    site.join(site.ids.esme_id, "ESME")
    response, _ = site.send("CS07", site.ids.chf_id)
    assert response.params["device_log"] == [{"device_id": site.ids.esme_id, "device_type": "ESME", "joined": True}]


def test_sub_ghz_settings_on_a_dual_band_ch_only(site):
    site.power_up()
    response, _ = site.send("DBCH03", site.ids.chf_id)
    assert not response.success and "Dual Band" in response.reason
    with session_scope(site.engine) as s:
        from devices.models import DeviceState

        chf = s.get(DeviceState, site.ids.chf_id)
        chf.dual_band, chf.sub_ghz = True, {"channel": 3, "configuration": {"channel_mask": "0x1"}}
        s.add(chf)
    response, effects = site.send("DBCH04", site.ids.chf_id, configuration={"channel_mask": "0xFF"})
    assert response.success and response.params["configuration"]["channel_mask"] == "0xFF"
    assert alert_codes(effects) == [DeviceAlert.SUB_GHZ_CONFIGURATION_CHANGED]  # → N54 at the DCC
    assert site.send("DBCH01", site.ids.chf_id)[0].params["channel"] == 3


def test_unknown_use_case_and_wrong_device_type_are_refused(site):
    site.power_up()
    assert "not simulated" in site.send("XX99", site.ids.chf_id)[0].reason
    assert "does not apply" in site.send("CCS01", site.ids.gpf_id, device_id="x")[0].reason
