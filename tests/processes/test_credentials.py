"""Manage Security Credentials as processes of their own (BAD 7.7.2.5.5-8; workflows/credentials.py), on Devices a
dual-fuel Install and Commission left commissioned: the GPF's Supplier cell holds the DCC's ACB certificate (BAD
7.2.1.5 Table 4 (b)), so a KRP (6.15.1) before the handover (6.21) is refused by the GPF and changes nothing; after
it the KRP succeeds. The ESME regenerates both key pairs (6.17 → SMKI → 6.15.2)."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlmodel import select

from dccflow.config import USER_TASK_QUEUE
from dccflow.db import session_scope
from dccflow.domain.credentials import DeviceCertificateLimits
from dccflow.domain.roles import UserRole
from dccflow.duis.responses import parse_response
from dccflow.duis.schema import secure_parse, validate
from dccflow.parties import ELECTRICITY_DISTRIBUTOR, GAS_TRANSPORTER, SUPPLIER, USERS
from dccflow.security.pki import KeyUsageKind, entity_id_of
from dccflow_app.scenarios.runner import run_scenario
from dccsim.models import DeliveredMessage, RequestLogEntry, SmkiCertificate
from devices.anchors import RESOLVER
from devices.models import DeviceKeyPair
from devices.premises import premises_ids
from workflows.credentials import (
    CellReplacementInput,
    DeviceCredentialRegenerationWorkflow,
    RegenerationInput,
    RequestHandoverWorkflow,
    UpdateSecurityCredentialsKrpWorkflow,
    credential_workflow_id,
)

GAS = SUPPLIER.user_ids[UserRole.GAS_SUPPLIER]
ELEC = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]
ED = ELECTRICITY_DISTRIBUTOR.user_ids[UserRole.ELECTRICITY_DISTRIBUTOR]
GT = GAS_TRANSPORTER.user_ids[UserRole.GAS_TRANSPORTER]
IDS = premises_ids(1)


def cell_holder(rt, device_id: str, cell: str = "Supplier") -> str:
    with session_scope(rt.engine) as s:
        owner = entity_id_of(RESOLVER.cert(s, rt.fleet.get(device_id).anchors[cell]))
    return owner if owner in USERS else "DCC"


def n42(rt, recipient: str) -> list[DeliveredMessage]:
    with session_scope(rt.engine) as s:
        return list(s.exec(select(DeliveredMessage).where(DeliveredMessage.recipient == recipient,
                                                          DeliveredMessage.dcc_alert_code == "N42")))


def requests_logged(rt, device_id: str, sender: str) -> list[str]:
    with session_scope(rt.engine) as s:
        return [r.srv for r in s.exec(select(RequestLogEntry).where(RequestLogEntry.target == device_id,
                                                                    RequestLogEntry.originator == sender)
                                      .order_by(RequestLogEntry.counter))]


def _stored(rt, device_id: str, usage: KeyUsageKind) -> bytes:
    """The Device Certificate the Device holds for a key usage, DER."""
    with session_scope(rt.engine) as s:
        row = s.get(DeviceKeyPair, (device_id, usage.value))
        return x509.load_pem_x509_certificate(row.cert_pem).public_bytes(Encoding.DER)


async def _run(stack, workflow, inp, process: str, instance: str):
    return await stack.client.execute_workflow(
        workflow.run, inp, id=credential_workflow_id(process, inp.device_id, instance), task_queue=USER_TASK_QUEUE)


async def test_krp_before_the_handover_is_refused_by_the_gpf_then_handover_then_krp(stack):
    rt = stack.runtime
    report = await run_scenario(stack.client, "install-commission-dual-fuel")
    assert report.result == "completed", report.reason
    # without auto time skipping the virtual clock stays near the commissioning time (the DCC's long timers would
    # otherwise take it years on, past the SMKI issuing CA's validity the Devices' path validation checks)
    with stack.env.auto_time_skipping_disabled():
        gpf = IDS.gpf_id
        assert cell_holder(rt, gpf) == "DCC"
        inp = CellReplacementInput(device_id=gpf, sender_id=GAS)

        first = await _run(stack, UpdateSecurityCredentialsKrpWorkflow, inp, "update_security_credentials_krp", "1")
        assert (first.outcome, first.end, first.refusal_code) == ("failed", "end_krp_refused", "E100")
        assert [e.bpmn_id for e in first.events] == ["start_update_security_credentials_krp", "krp_refused",
                                                     "end_krp_refused"]
        assert "Service Response E100" in first.reason  # the DCC carried it to the GPF, which refused it
        assert cell_holder(rt, gpf) == "DCC"  # nothing changed on the Device

        handover = await _run(stack, RequestHandoverWorkflow, inp, "request_handover", "1")
        assert (handover.outcome, handover.end) == ("completed", "end_handover_done")
        assert cell_holder(rt, gpf) == GAS
        assert {"BAD 7.7.2.5.5", "SRV 6.21"} <= set(next(e for e in handover.events
                                                        if e.bpmn_id == "request_handover").refs)

        second = await _run(stack, UpdateSecurityCredentialsKrpWorkflow, inp, "update_security_credentials_krp", "2")
        assert (second.outcome, second.end, second.refusal_code) == ("completed", "end_krp_updated", None)
        assert cell_holder(rt, gpf) == GAS
        assert requests_logged(rt, gpf, GAS)[-3:] == ["6.15.1", "6.21", "6.15.1"]
        assert n42(rt, GAS) == []  # its own certificate: told by the Service Response

        # the Network Operator cell handed over to the Gas Transporter: N42 tells the Gas Transporter (BAD 7.7.2.5.5)
        no_cell = await _run(stack, RequestHandoverWorkflow, CellReplacementInput(
            device_id=gpf, sender_id=GAS, cell="NetworkOperator", certificate_of=GT), "request_handover", "no")
        assert no_cell.end == "end_handover_done" and cell_holder(rt, gpf, "Network Operator") == GT
        (alert,) = n42(rt, GT)
        parsed = parse_response(alert.xml)
        validate(secure_parse(alert.xml))
        assert parsed.dcc_alert_code == "N42" and alert.device_id == gpf
        assert parsed.body["DCCAlert"]["SecurityCredentialsUpdated"]["RemotePartyRole"] == "NetworkOperator"


async def test_regeneration_stores_new_certificates_for_both_key_usages_then_a_revoked_supplier_is_refused(stack):
    rt = stack.runtime
    report = await run_scenario(stack.client, "install-commission-electricity")
    assert report.result == "completed", report.reason
    with stack.env.auto_time_skipping_disabled():
        esme = IDS.esme_id
        with session_scope(rt.engine) as s:
            before = {r.usage: r.cert_pem for r in s.exec(select(DeviceKeyPair).where(DeviceKeyPair.device_id == esme))}
        result = await _run(stack, DeviceCredentialRegenerationWorkflow,
                            RegenerationInput(device_id=esme, supplier_id=ELEC), "device_credential_regeneration", "")
        assert (result.outcome, result.end) == ("completed", "end_device_credentials_regenerated"), result.reason
        ids = [e.bpmn_id for e in result.events]
        assert ids.count("issue_security_credentials") == ids.count("update_security_credentials_device") == 2
        assert set(result.device_certificates) == {"Key Agreement", "Digital Signature"}
        with session_scope(rt.engine) as s:
            after = {r.usage: r for r in s.exec(select(DeviceKeyPair).where(DeviceKeyPair.device_id == esme))}
        for credential_type, usage in (("Key Agreement", KeyUsageKind.KEY_AGREEMENT),
                                       ("Digital Signature", KeyUsageKind.DIGITAL_SIGNING)):
            row = after[usage.value]
            assert row.pending_key_pem is None and row.cert_pem != before.get(usage.value)
            assert _stored(rt, esme, usage) == base64.b64decode(result.device_certificates[credential_type])


        # BAD 7.7.2.5.3: the SMKI issues no more Device Certificates for a Device at its limit: the step fails
        with session_scope(rt.engine) as s:
            issued = len(s.exec(select(SmkiCertificate.id).where(SmkiCertificate.subject_entity_id == esme)).all())
        rt.smki.limits = DeviceCertificateLimits(per_device=issued)
        limited = await _run(stack, DeviceCredentialRegenerationWorkflow,
                             RegenerationInput(device_id=esme, supplier_id=ELEC, credential_types=["Key Agreement"]),
                             "device_credential_regeneration", "again")
        assert (limited.outcome, limited.end) == ("failed", "end_service_request_failed")
        assert "SMKI refused the Device CSR" in limited.reason and "Service Desk" in limited.reason
        assert result.device_certificates["Key Agreement"] == base64.b64encode(
            _stored(rt, esme, KeyUsageKind.KEY_AGREEMENT)).decode()  # the current certificate is unchanged

        # BAD 7.7.2.5.4: once the OCA has revoked the Supplier's Organisation Certificate, the DCC refuses its KRP
        # at check E (AB 6.1(e)): the process ends refused with E1 and the cell is unchanged
        rt.smki.revoke_organisation_certificates(ELEC, await stack.env.get_current_time())
        refused = await _run(stack, UpdateSecurityCredentialsKrpWorkflow,
                             CellReplacementInput(device_id=esme, sender_id=ELEC, certificate_of=ED),
                             "update_security_credentials_krp", "")
        assert (refused.outcome, refused.end, refused.refusal_code) == ("failed", "end_krp_refused", "E1")
        assert cell_holder(rt, esme) == ELEC
