"""Security credentials on devices: replacing trust anchor cells only by the party entitled (CS02b; BAD
7.7.1.5.4, 7.7.2.5.5-6, 7.7.3; App L), Issue Security Credentials (CS02c) and the Device Certificate (CS02d)."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fleet_support import ED, IS, IS_B, Site, alert_codes, cell_serial

from dccflow.db import session_scope
from dccflow.domain.alerts import DeviceAlert
from dccflow.domain.roles import RemotePartyRole
from dccflow.security.pki import KeyUsageKind, issue_organisation_certificate
from dccsim.smki import PKI_EPOCH
from devices import keys
from devices.models import DeviceKeyPair

_R = RemotePartyRole


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


@pytest.fixture
def site(tmp_path) -> Site:
    s = Site(tmp_path)
    s.commissioned_electricity()
    return s


def _replace(site: Site, cell: str, new_cert: x509.Certificate, *, signer, originator: str = IS):
    return site.send("CS02b", site.ids.esme_id, originator=originator, signer=signer, remote_party_role=cell,
                     certificate=_b64(new_cert), certification_path=[_b64(site.ca().cert)])


def test_supplier_replaces_its_own_cell(site):
    new = site.user(IS_B).cert  # e.g. the gaining Supplier's certificate, placed by the current one (KRP)
    before = cell_serial(site, site.ids.esme_id, _R.SUPPLIER)
    response, _ = _replace(site, "Supplier", new, signer=site.user(IS))
    assert response.success, response.reason
    assert response.params["replaced_serial"] == before and response.params["signed_by"] == "Supplier"
    assert cell_serial(site, site.ids.esme_id, _R.SUPPLIER) == str(new.serial_number)
    # the new holder now signs Critical Commands; the old one no longer can
    assert site.signed("ECS70", site.ids.esme_id, by=IS_B)[0].success
    assert not site.signed("ECS70", site.ids.esme_id, by=IS)[0].success


def test_credential_change_signed_by_the_wrong_party_is_refused_and_the_cell_is_unchanged(site):
    before = site.dev(site.ids.esme_id).anchors
    attacker = site.user(IS_B)  # another Supplier tries to put its own certificate in the Supplier cell
    response, effects = _replace(site, "Supplier", attacker.cert, signer=attacker, originator=IS_B)
    assert not response.success and "signature check failed" in response.reason
    assert alert_codes(effects) == [DeviceAlert.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND]
    # the Network Operator may not replace the Supplier cell either
    response, _ = _replace(site, "Supplier", site.user(ED).cert, signer=site.user(ED), originator=ED)
    assert not response.success
    # nor may the Supplier replace the Recovery cell
    response, _ = _replace(site, "Recovery", site.dcc(_R.RECOVERY).cert, signer=site.user(IS))
    assert not response.success
    assert site.dev(site.ids.esme_id).anchors == before


def test_network_operator_replaces_its_cell(site):
    new = site.user(ED).cert
    assert _replace(site, "NetworkOperator", new, signer=site.user(ED), originator=ED)[0].success


def test_change_of_supplier_through_the_transitional_cos_cell(site):
    response, _ = _replace(site, "Supplier", site.user(IS_B).cert, signer=site.dcc(_R.TRANSITIONAL_COS),
                           originator="90-B3-D5-1F-30-00-00-02")
    assert response.success and response.params["signed_by"] == "Transitional CoS"


def test_recovery_replaces_a_compromised_supplier_certificate_with_the_acb(site):
    acb = site.dcc(_R.ACCESS_CONTROL_BROKER).cert
    response, _ = _replace(site, "Supplier", acb, signer=site.dcc(_R.RECOVERY), originator="90-B3-D5-1F-30-00-00-02")
    assert response.success and response.params["signed_by"] == "Recovery"
    assert cell_serial(site, site.ids.esme_id, _R.SUPPLIER) == str(acb.serial_number)


def test_root_cell_cannot_be_replaced(site):
    # not by the Recovery key; by the Supplier cell's holder only with the existing Root's signature of the new Root
    # (the Contingency key rollover, BAD 7.7.3.4.6: ``devices.root_rollover``)
    response, _ = _replace(site, "Root", site.ca().cert, signer=site.dcc(_R.RECOVERY))
    assert not response.success and "signature check failed" in response.reason
    response, _ = _replace(site, "Root", site.ca().cert, signer=site.user(IS))
    assert not response.success and "Root replacement refused" in response.reason


def test_certificate_checks_before_placing(site):
    # a Network Operator certificate cannot occupy the Supplier cell (Table 4)
    response, _ = _replace(site, "Supplier", site.user(ED).cert, signer=site.user(IS))
    assert not response.success and "cannot occupy" in response.reason
    # an expired certificate fails (BAD 7.7.2.5.5: certificate expiry)
    expired = issue_organisation_certificate(site.ca(), entity_id=IS_B, role_code="02",
                                             usage=KeyUsageKind.DIGITAL_SIGNING, organisation="Supplier B",
                                             not_before=PKI_EPOCH, valid_days=1).cert
    response, _ = _replace(site, "Supplier", expired, signer=site.user(IS))
    assert not response.success
    # a certificate that does not chain to the Root cell fails Certification Path Validation
    from dccflow.security.pki import create_issuing_ca, create_root

    rogue_ca = create_issuing_ca(create_root("rogue root", not_before=PKI_EPOCH), "rogue CA", not_before=PKI_EPOCH)
    rogue = issue_organisation_certificate(rogue_ca, entity_id=IS_B, role_code="02",
                                           usage=KeyUsageKind.DIGITAL_SIGNING, organisation="Rogue",
                                           not_before=PKI_EPOCH).cert
    response, _ = site.send("CS02b", site.ids.esme_id, signer=site.user(IS), remote_party_role="Supplier",
                            certificate=_b64(rogue), certification_path=[_b64(rogue_ca.cert)])
    assert not response.success
    assert cell_serial(site, site.ids.esme_id, _R.SUPPLIER) == str(site.user(IS).cert.serial_number)


def test_issue_security_credentials_then_store_the_device_certificate(site):
    esme = site.ids.esme_id
    with session_scope(site.engine) as s:
        old_key = keys.key_pair(s, esme, KeyUsageKind.KEY_AGREEMENT, site.now).key_pem
    response, _ = site.signed("CS02c", esme, key_usage="KeyAgreement")
    assert response.success
    csr = x509.load_der_x509_csr(base64.b64decode(response.params["csr"]))
    assert csr.is_signature_valid
    with session_scope(site.engine) as s:  # the Supplier has the SMKI issue the Device Certificate
        cert = keys.smki_issue_device_certificate(s, csr, esme, KeyUsageKind.KEY_AGREEMENT, site.now)
        wrong = keys.device_certificate(s, site.ids.chf_id, KeyUsageKind.KEY_AGREEMENT, site.now)
    # a certificate for someone else's key is refused
    assert not site.signed("CS02d", esme, certificate=_b64(wrong))[0].success
    response, _ = site.signed("CS02d", esme, certificate=_b64(cert))
    assert response.success, response.reason
    with session_scope(site.engine) as s:
        pair = s.get(DeviceKeyPair, (esme, "KeyAgreement"))
        assert pair.key_pem != old_key and pair.pending_key_pem is None
        assert x509.load_pem_x509_certificate(pair.cert_pem).serial_number == cert.serial_number
    # CBKE now uses the new key on both sides
    with session_scope(site.engine) as s:
        assert keys.shared_key(s, esme, site.ids.chf_id, site.now) == keys.shared_key(s, site.ids.chf_id, esme,
                                                                                        site.now)


def test_issue_security_credentials_is_critical(site):
    response, effects = site.send("CS02c", site.ids.esme_id, key_usage="KeyAgreement")
    assert not response.success and alert_codes(effects) == [DeviceAlert.TRUSTED_SOURCE_AUTHENTICATION_FAILURE]
