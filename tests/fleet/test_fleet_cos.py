"""Devices at Transitional Change of Supplier (BAD 7.7.1.5.4, 004 l.3878-3889): a CS02b signed by the Transitional CoS
party replaces the Supplier cell (checked against the Device's transitionalCoS cell) and, on Smart Meters, sets the
Supplier name, logs the readings in the Billing Data Log and resets the Tariff Block Counter Matrix; the
``reject-cos`` fault refuses it."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from fleet_support import IS, IS_B, Site, add_device

from dccflow.db import session_scope
from dccflow.domain.roles import RemotePartyRole
from dccflow.security.pki import entity_id_of
from devices.anchors import RESOLVER
from devices.models import DeviceState

_R = RemotePartyRole


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    s.commissioned_electricity()
    return s


def _der(cert) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def _cos(site: Site, device_id: str, *, signer=None, gaining: str = IS_B):
    return site.send("CS02b", device_id, originator=gaining, signer=signer or site.dcc(_R.TRANSITIONAL_COS),
                     remote_party_role="Supplier", certificate=_der(site.user(gaining).cert),
                     certification_path=[_der(site.ca().cert)])


def _supplier_cell(site: Site, device_id: str) -> str:
    with session_scope(site.engine) as s:
        return entity_id_of(RESOLVER.cert(s, site.dev(device_id).anchors[_R.SUPPLIER.value]))


def _set(site: Site, device_id: str, **values) -> None:
    with session_scope(site.engine) as s:
        dev = s.get(DeviceState, device_id)
        for k, v in values.items():
            setattr(dev, k, v)
        s.add(dev)


def test_the_transitional_cos_party_changes_the_supplier_of_a_meter(site):
    esme = site.ids.esme_id
    _set(site, esme, registers={"active_import_wh": 42}, tariff_block_counters=[[1, 2, 3, 4]] * 8)
    response, _ = _cos(site, esme)
    assert response.success and response.params["signed_by"] == _R.TRANSITIONAL_COS.value
    assert _supplier_cell(site, esme) == IS_B
    meter = site.dev(esme)
    assert meter.supplier_name == "Supplier B" and meter.tariff_block_counters == [[0, 0, 0, 0]] * 8
    (entry,) = meter.billing_data_log
    assert entry["event"] == "change of supplier" and entry["registers"] == {"active_import_wh": 42}
    assert entry["tariff_block_counters"] == [[1, 2, 3, 4]] * 8 and entry["supplier_after"] == "Supplier B"


def test_a_gsme_and_a_gpf(site):
    gsme, gpf = site.ids.gsme_id, site.ids.gpf_id
    site.join(gsme, "GSME")
    # the GPF's Supplier cell holds the DCC's ACB certificate until the Supplier's handover (Table 4 (b))
    assert _cos(site, gsme)[0].success and site.dev(gsme).tariff_block_counters == [[0, 0, 0, 0]]
    assert site.dev(gsme).supplier_name == "Supplier B"
    response, _ = _cos(site, gpf)
    assert response.success and _supplier_cell(site, gpf) == IS_B
    assert site.dev(gpf).billing_data_log == [] and site.dev(gpf).supplier_name is None  # not a Smart Meter


def test_only_the_transitional_cos_key_is_entitled(site):
    """Another DCC key (the ACB's) is not the transitionalCoS cell's holder: refused, nothing changes."""
    esme = site.ids.esme_id
    response, _ = _cos(site, esme, signer=site.dcc(_R.ACCESS_CONTROL_BROKER))
    assert not response.success and "signature check failed" in response.reason
    assert _supplier_cell(site, esme) == IS and site.dev(esme).billing_data_log == []


def test_a_supplier_replacing_its_own_certificate_is_no_change_of_supplier(site):
    esme = site.ids.esme_id
    response, _ = site.signed("CS02b", esme, remote_party_role="Supplier", certificate=_der(site.user(IS).cert),
                              certification_path=[_der(site.ca().cert)])
    assert response.success and site.dev(esme).billing_data_log == [] and site.dev(esme).supplier_name is None


def test_reject_cos_refuses_the_next_n(site):
    esme = site.ids.esme_id
    site.fleet.set_fault(esme, "reject-cos", 2)
    for left in (1, None):
        response, _ = _cos(site, esme)
        assert not response.success and "reject-cos" in response.reason
        assert site.dev(esme).faults.get("reject-cos") == left
    assert _supplier_cell(site, esme) == IS and site.dev(esme).billing_data_log == []
    assert _cos(site, esme)[0].success and _supplier_cell(site, esme) == IS_B


def test_an_hcalcs_holds_a_transitional_cos_cell(site):
    """BAD Table 11 row 10: the HCALCS has a transitionalCoS cell, so the CoS Party may replace its Supplier cell."""
    hcalcs = add_device(site, "HCALCS", "00-DB-12-07-00-00-00-07")
    site.join(hcalcs, "HCALCS")
    response, _ = _cos(site, hcalcs)
    assert response.success, response.reason
    assert _supplier_cell(site, hcalcs) == IS_B and site.dev(hcalcs).billing_data_log == []
