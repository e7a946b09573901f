"""The obligations audit for Manage Security Credentials (BAD 7.7.2; ``dccflow.domain.obligations_msc``,
``dccflow.audit_msc``): judged from the SMKI's own records — the Device CSR log with the count it checked the
limit against, the SMKI Repository, the Certificate Revocation Requests — and the DCC's request log and Alerts.
A record doctored to show a breach is judged breached; what the simulation cannot observe is 'not assessed'."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from temporalio.exceptions import ApplicationError

from activities.smki_client import DeviceCertificateRequest, SmkiClient
from dccflow.audit import DccRecords, evaluate
from dccflow.audit_records import AlertRec, RequestRec
from dccflow.db import get_engine, session_scope
from dccflow.domain.credentials import DeviceCertificateLimits
from dccflow.domain.obligations import REGISTER
from dccflow.domain.obligations_msc import MSC_REGISTER
from dccflow.events import ProcessEvent
from dccflow.parties import DCC_ID
from dccflow.security.pki import KeyUsageKind, make_device_csr, new_private_key
from dccflow_app.scenarios.audit_smki import smki_records
from dccsim.smki import PKI_EPOCH, SmkiRepository

DEVICE = "00-DB-12-03-00-00-09-01"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
NETWORK_OPERATOR = "90-B3-D5-1F-30-02-00-00"
AT = PKI_EPOCH + timedelta(days=1)


def _verdicts(records: DccRecords, obligation: str, *refs: str) -> list:
    events = [ProcessEvent(bpmn_id="obtain_device_certificate", actor="Supplier", at=AT - timedelta(hours=2),
                           refs=["BAD 7.7.2.5.3", "SEC L11.6", *refs], device_id=DEVICE)]
    return [v for v in evaluate(events, [], records, MSC_REGISTER) if v.obligation == obligation]


def _words(verdicts) -> list[str]:
    return [v.verdict for v in verdicts]


@pytest.fixture
def smki(tmp_path):
    repo = SmkiRepository(get_engine(f"sqlite:///{tmp_path / 'smki.db'}"))
    repo.ensure_authorities(DCC_ID)
    for user, role in ((SUPPLIER, "IS"), (NETWORK_OPERATOR, "ED")):
        repo.issue_user_credentials(user_id=user, role_code=role, organisation=user)
    repo.limits = DeviceCertificateLimits(per_device=2)
    return repo


def _records(smki: SmkiRepository) -> DccRecords:
    with session_scope(smki.engine) as s:
        records = DccRecords(smki=smki_records(s, {DEVICE}))
    records.smki.per_device_limit = smki.limits.per_device  # the limit this SMKI was given
    return records


def _csr() -> str:
    return base64.b64encode(make_device_csr(new_private_key(), DEVICE).public_bytes(Encoding.DER)).decode()


def test_device_certificate_limit_is_judged_from_the_smki_s_csr_log(smki):
    client = SmkiClient(smki)
    for usage in (KeyUsageKind.KEY_AGREEMENT, KeyUsageKind.DIGITAL_SIGNING):
        client.request_device_certificate(DeviceCertificateRequest(device_id=DEVICE, csr=_csr(), user_id=SUPPLIER,
                                                                   usage=usage))
    with pytest.raises(ApplicationError, match="fewer than 2"):
        client.request_device_certificate(DeviceCertificateRequest(device_id=DEVICE, csr=_csr(), user_id=SUPPLIER))
    records = _records(smki)
    assert [(r.outcome, r.issued_before) for r in records.smki.csrs] == [("issued", 0), ("issued", 1), ("refused", 2)]
    (limit,) = _verdicts(records, "DC-04")
    assert limit.verdict == "met" and limit.device_id == DEVICE and "1 CSR(s) refused at the limit" in limit.detail
    assert _words(_verdicts(records, "DC-02")) == ["met", "met", "met"]  # signatures verified; the refusal logged
    assert _words(_verdicts(records, "DC-06")) == ["met", "met"]
    assert _words(_verdicts(records, "DC-07")) == ["met", "met"]
    assert _words(_verdicts(records, "DC-01d")) == ["met"]

    # doctored: a third Device Certificate lodged for the Device though two had been Issued
    beyond = records.model_copy(deep=True)
    beyond.smki.certificates.append(beyond.smki.certificates[-1].model_copy(update={"serial": "999"}))
    (breach,) = _verdicts(beyond, "DC-04")
    assert breach.verdict == "breached" and "#999 was the 3th" in breach.detail
    # the doctored copy shares a Public Key with another Device Certificate (SEC L11.4(a))
    assert _words(_verdicts(beyond, "DC-01d")) == ["breached"]
    # doctored: a CSR refused for the limit when only one had been Issued
    early = records.model_copy(deep=True)
    early.smki.csrs[-1].issued_before = 1
    assert _words(_verdicts(early, "DC-04")) == ["breached"]
    # doctored: a certificate issued on a CSR whose signature does not verify, one that does not match its CSR and
    # was kept (the Subscriber's 'Obtain Device Certificate' step came after it)
    bad = records.model_copy(deep=True)
    bad.smki.csrs[0].signature_valid = False
    bad.smki.csrs[1].matches_certificate = False
    bad.smki.csrs[1].at = AT - timedelta(hours=3)
    assert _words(_verdicts(bad, "DC-02")) == ["breached", "met", "met"]
    assert _words(_verdicts(bad, "DC-07")) == ["met", "breached"]


def test_revocation_is_judged_from_the_oca_s_requests_and_the_repository(smki):
    requested = AT - timedelta(minutes=5)
    serials = smki.revoke_organisation_certificates(SUPPLIER, AT, requested_at=requested, reason="key compromise")
    assert serials and smki.revoke_organisation_certificates(SUPPLIER, AT + timedelta(days=1)) == []  # permanent
    records = _records(smki)
    assert [(r.requested_at, r.revoked_at) for r in records.smki.revocations] == [(requested, AT)]
    refused = RequestRec(request_id=f"{SUPPLIER}:{DEVICE}:9", originator=SUPPLIER, target=DEVICE, srv="6.20.1",
                         at=AT + timedelta(days=1), response_code="E1", rejected=True)
    records.requests.append(refused)
    for obligation in ("REV-03", "REV-08", "REV-10", "REV-12"):
        assert _words(_verdicts(records, obligation)) == ["met"], obligation
    (never,) = _verdicts(records, "REV-10")
    assert "1 later request(s) refused (E1)" in never.detail
    (prompt,) = _verdicts(records, "REV-08")
    assert prompt.actual == AT and prompt.due == requested + timedelta(hours=24)

    # doctored: the certificate reinstated; a request signed with it accepted; revoked two days after the request
    reinstated = records.model_copy(deep=True)
    next(c for c in reinstated.smki.certificates if c.serial == serials[0]).revoked_at = None
    assert "no longer revoked" in _verdicts(reinstated, "REV-10")[0].detail
    assert _words(_verdicts(reinstated, "REV-03")) == ["breached"]
    accepted = records.model_copy(deep=True)
    accepted.requests[0] = refused.model_copy(update={"rejected": False, "response_code": "I0"})
    assert _words(_verdicts(accepted, "REV-10")) == ["breached"]
    late = records.model_copy(deep=True)
    late.smki.revocations[0].requested_at = AT - timedelta(days=2)
    assert _words(_verdicts(late, "REV-08")) == ["breached"]
    # a Device Certificate is never revoked (SEC Appendix D 8.1): neither by the OCA nor in a doctored record
    with pytest.raises(ValueError, match="Device Certificates cannot be"):
        smki.revoke_organisation_certificates(DEVICE, AT)
    device = records.model_copy(deep=True)
    device.smki.certificates.append(device.smki.certificates[0].model_copy(
        update={"device_id": DEVICE, "user_id": None, "serial": "1", "revoked_at": AT}))
    assert _words(_verdicts(device, "REV-12")) == ["breached"]


def test_n42_to_the_user_whose_certificate_another_placed():
    krp = RequestRec(request_id=f"{SUPPLIER}:{DEVICE}:7", originator=SUPPLIER, target=DEVICE, srv="6.15.1", at=AT,
                     completed_at=AT + timedelta(seconds=5), response_code="I0", placed_for=NETWORK_OPERATOR)
    n42 = AlertRec(code="N42", device_id=DEVICE, recipient=NETWORK_OPERATOR, at=AT + timedelta(seconds=5))
    told = DccRecords(requests=[krp], alerts=[n42])
    assert _words(_verdicts(told, "MSC-03", "SRV 6.15.1")) == ["met"]
    assert _words(_verdicts(told, "MSC-04", "SRV 6.15.1")) == ["met"]
    assert _words(_verdicts(DccRecords(requests=[krp]), "MSC-03", "SRV 6.15.1")) == ["breached"]
    own = DccRecords(requests=[krp.model_copy(update={"placed_for": SUPPLIER})])
    assert _words(_verdicts(own, "MSC-03", "SRV 6.15.1")) == ["not applicable"]  # told by the Service Response
    assert _words(_verdicts(told, "MSC-01", "SRV 6.15.1")) == ["not applicable"]  # no 6.21 in the run


def test_what_the_simulation_cannot_observe_is_not_assessed_with_the_reason():
    verdicts = {v.obligation: v for v in evaluate([], [], DccRecords(), MSC_REGISTER)}
    assert verdicts["DC-01b"].verdict == "not assessed" and "trade marks" in verdicts["DC-01b"].detail
    assert verdicts["OC-01"].verdict == "not assessed" and "issue_user_credentials" in verdicts["OC-01"].detail
    assert all(o in {x.id for x in REGISTER} for o in verdicts)  # part of the register every run is judged by
