"""ESME and GSME behaviour: trust anchor cells from manufacture (BAD Table 4), alerts on joining (7.2.1.6.7),
the GPF mirror, signed Critical Commands, anti-replay, clock, MPxN, supply (7.5.4)."""

from __future__ import annotations

import pytest
from fleet_support import DCC, ED, GS, IS, IS_B, Site, alert_codes, smki_cert_by_id

from dccflow.domain.alerts import DeviceAlert
from dccflow.domain.roles import RemotePartyRole, SmkiRoleCode
from dccflow.security.pki import entity_id_of, role_code_of

_R = RemotePartyRole


@pytest.fixture
def site(tmp_path) -> Site:
    return Site(tmp_path)


def _cells(site: Site, device_id: str) -> dict[str, tuple[str | None, str | None]]:
    out = {}
    for role, ref in site.dev(device_id).anchors.items():
        cert = smki_cert_by_id(site, ref)
        out[role] = (role_code_of(cert), entity_id_of(cert))
    return out


def test_trust_anchor_cells_as_table_4_requires(site):
    esme = _cells(site, site.ids.esme_id)
    assert set(esme) == {"Root", "Recovery", "Supplier", "Network Operator", "Access Control Broker",
                         "Transitional CoS"}
    assert esme["Root"][0] is None  # the Root OCA certificate (a CA)
    assert esme["Recovery"] == (SmkiRoleCode.RECOVERY.ou, DCC)
    assert esme["Access Control Broker"] == (SmkiRoleCode.ACCESS_CONTROL_BROKER.ou, DCC)
    assert esme["Transitional CoS"] == (SmkiRoleCode.TRANSITIONAL_COS.ou, DCC)
    assert esme["Supplier"] == (SmkiRoleCode.SUPPLIER.ou, IS)
    assert esme["Network Operator"] == (SmkiRoleCode.NETWORK_OPERATOR.ou, ED)
    gsme = _cells(site, site.ids.gsme_id)
    assert "Network Operator" not in gsme and gsme["Supplier"] == (SmkiRoleCode.SUPPLIER.ou, GS)
    # CHF and GPF are populated by the DCC: the GPF's Supplier cell holds the DCC ACB certificate
    gpf = _cells(site, site.ids.gpf_id)
    assert gpf["Supplier"] == (SmkiRoleCode.ACCESS_CONTROL_BROKER.ou, DCC)
    chf = _cells(site, site.ids.chf_id)
    assert set(chf) == {"Root", "Recovery", "Access Control Broker", "WAN Provider"}
    assert chf["WAN Provider"] == (SmkiRoleCode.WAN_PROVIDER.ou, DCC)


def test_meter_joining_raises_joined_and_commissioned_alerts(site):
    site.power_up()
    effects = site.join(site.ids.esme_id, "ESME")
    assert alert_codes(effects) == [DeviceAlert.CHF_DEVICE_LOG_CHANGED, DeviceAlert.DEVICE_JOINED_SMHAN,
                                    DeviceAlert.DEVICE_COMMISSIONED]


def test_no_device_commissioned_alert_while_the_dcc_holds_the_supplier_cell(tmp_path):
    site = Site(tmp_path)
    from dccflow.db import session_scope
    from devices.models import DeviceState

    with session_scope(site.engine) as s:  # a meter delivered with the DCC ACB certificate in its Supplier cell
        esme = s.get(DeviceState, site.ids.esme_id)
        esme.anchors = {**esme.anchors, "Supplier": esme.anchors["Access Control Broker"]}
        s.add(esme)
    site.power_up()
    effects = site.join(site.ids.esme_id, "ESME")
    assert DeviceAlert.DEVICE_COMMISSIONED not in alert_codes(effects)


def test_gsme_join_creates_the_mirror_on_the_gpf(site):
    site.power_up()
    site.join(site.ids.gsme_id, "GSME")
    mirror = site.dev(site.ids.gpf_id).mirror
    assert mirror["gsme_id"] == site.ids.gsme_id and mirror["configured"]


def test_critical_command_needs_the_supplier_signature(site):
    site.commissioned_electricity()
    response, effects = site.send("ECS70", site.ids.esme_id)  # unsigned
    assert not response.success and "signature" in response.reason
    assert alert_codes(effects) == [DeviceAlert.TRUSTED_SOURCE_AUTHENTICATION_FAILURE]
    response, effects = site.signed("ECS70", site.ids.esme_id, by=IS_B)  # another Supplier
    assert not response.success
    assert alert_codes(effects) == [DeviceAlert.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND]
    assert site.dev(site.ids.esme_id).clock is None
    response, _ = site.signed("ECS70", site.ids.esme_id)
    assert response.success and site.dev(site.ids.esme_id).clock is not None


def test_tampered_command_fails_the_signature_check(site):
    site.commissioned_electricity()
    cmd = site.command("ECS43", site.ids.esme_id, signer=site.user(IS))
    tampered = cmd.model_copy(update={"params": {"extra": 1}})
    response, effects = site.run(tampered)
    assert not response.success
    assert alert_codes(effects) == [DeviceAlert.TRUSTED_SOURCE_AUTHENTICATION_FAILURE]
    assert site.dev(site.ids.esme_id).supply_state == "enabled"


def test_refuse_signature_fault(site):
    site.commissioned_electricity()
    site.fleet.set_fault(site.ids.esme_id, "refuse-signature")
    response, effects = site.signed("ECS70", site.ids.esme_id)
    assert not response.success
    assert alert_codes(effects) == [DeviceAlert.TRUSTED_SOURCE_AUTHENTICATION_FAILURE]


def test_originator_counter_blocks_replays_but_not_retransmissions(site):
    site.commissioned_electricity()
    cmd = site.command("ECS70", site.ids.esme_id, signer=site.user(IS), counter=5000)
    first, _ = site.run(cmd)
    again, _ = site.run(cmd)  # the same command again (a DCC retry): same outcome, not executed twice
    assert first.success and again.success and again.params == {"duplicate": True}
    replay = site.command("ECS70", site.ids.esme_id, signer=site.user(IS), counter=4999)
    response, _ = site.run(replay)
    assert not response.success and "replay" in response.reason
    same_counter_other_request = site.command("ECS70", site.ids.esme_id, signer=site.user(IS), counter=5000)
    same_counter_other_request = same_counter_other_request.model_copy(update={"request_id": "x:y:5000"})
    assert not site.run(same_counter_other_request)[0].success


def test_commands_need_the_device_on_the_han(site):
    site.power_up()
    response, _ = site.signed("ECS70", site.ids.esme_id)
    assert not response.success and "SM HAN" in response.reason


def test_set_mpxn_for_display(site):
    site.commissioned_electricity()
    response, _ = site.send("ECS39a", site.ids.esme_id, import_mpans=[site.ids.mpan])
    assert response.success and site.dev(site.ids.esme_id).mpxn == site.ids.mpan
    assert not site.send("ECS39a", site.ids.esme_id, mpxn="12AB")[0].success
    site.join(site.ids.gsme_id, "GSME")
    assert site.send("GCS41", site.ids.gsme_id, mpxn=site.ids.mprn)[0].success
    assert site.dev(site.ids.gsme_id).mpxn == site.ids.mprn


def test_supply_state_machine(site):
    site.commissioned_electricity()
    esme = site.ids.esme_id
    assert site.dev(esme).supply_state == "enabled"
    response, _ = site.signed("ECS43", esme)
    assert response.params["supply_state"] == "disabled" and site.dev(esme).supply_locked
    assert not site.fleet.consumer_enable_supply(esme)  # locked
    response, effects = site.signed("ECS44", esme)
    assert response.params["supply_state"] == "armed" and alert_codes(effects) == [DeviceAlert.SUPPLY_ARMED]
    assert site.fleet.consumer_enable_supply(esme) and site.dev(esme).supply_state == "enabled"
    site.signed("ECS43", esme)
    assert site.signed("ECS42", esme)[0].params["supply_state"] == "enabled"
    assert site.send("ECS45", esme)[0].params == {"supply_state": "enabled", "locked": False, "cause": None}


def test_gas_power_loss_disables_until_armed(site):
    site.power_up()
    site.join(site.ids.gsme_id, "GSME")
    effects = site.fleet.gas_power_loss(site.ids.gsme_id, site.tick())
    assert alert_codes(effects) == [DeviceAlert.GAS_SMART_METER_POWER_SUPPLY_LOSS]
    assert site.dev(site.ids.gsme_id).supply_state == "disabled"
    assert site.signed("GCS39", site.ids.gsme_id, by=GS)[0].params["supply_state"] == "armed"
    assert not site.signed("ECS42", site.ids.gsme_id, by=GS)[0].success  # no remote enable for gas


def test_credit_disablement_is_not_recoverable_by_arm(site):
    site.commissioned_electricity()
    from dccflow.db import session_scope
    from devices.models import DeviceState

    with session_scope(site.engine) as s:
        esme = s.get(DeviceState, site.ids.esme_id)
        esme.supply_state, esme.supply_cause = "disabled", "insufficient-credit"
        s.add(esme)
    assert not site.signed("ECS44", site.ids.esme_id)[0].success
    assert site.dev(site.ids.esme_id).supply_state == "disabled"


def test_read_firmware_version(site):
    site.commissioned_electricity()
    for use_case in ("CS08", "ECS52"):
        assert site.send(use_case, site.ids.esme_id)[0].params == {"firmware_version": "1.0.0"}
    assert site.send("CS08", site.ids.chf_id)[0].success
    assert _R.SUPPLIER.value == "Supplier"


def test_gsme_set_clock_is_signed_by_the_gas_supplier(site):
    site.power_up()
    site.join(site.ids.gsme_id, "GSME")
    assert not site.signed("GCS28", site.ids.gsme_id, by=IS)[0].success  # the Import Supplier's cert is not there
    response, _ = site.signed("GCS28", site.ids.gsme_id, by=GS)
    assert response.success and site.dev(site.ids.gsme_id).clock is not None
