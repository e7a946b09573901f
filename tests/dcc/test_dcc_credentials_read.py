"""SRV 6.24.1 'Retrieve Device Security Credentials (KRP)' (CS02a) and 6.24.2 '(Device)' (CS02e) through the
simulated DCC and fleet (BAD 7.7.2.5.10; 7.4.1.6.2 Table 8): the Device answers with the certificates in the cells
named / its current Device Certificate, in a signed, schema-valid Service Response; nothing changes."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from test_dcc_credentials import ED, ELEC, IDS, commissioned, rejected, send

from dccflow.db import session_scope
from dccflow.gbcs import parse_response_payload
from dccflow.security.pki import KeyUsageKind
from devices.models import DeviceKeyPair


def _device_certificate(rt, device_id: str, usage: KeyUsageKind) -> bytes:
    with session_scope(rt.engine) as s:
        row = s.get(DeviceKeyPair, (device_id, usage.value))
        return x509.load_pem_x509_certificate(row.cert_pem).public_bytes(Encoding.DER)


async def test_the_krp_cells_and_the_device_certificate_are_read_back(stack):
    rt = stack.runtime
    await commissioned(stack)
    esme = IDS.esme_id
    cells = await send(stack, ELEC, "6.24.1", esme, remote_party_roles=["Supplier", "NetworkOperator"])
    assert cells.response_code == "I0"
    answer = parse_response_payload(cells.body["GBCSPayload"])
    assert answer["use_case"] == "CS02a" and answer["device_id"] == esme
    assert {c: v["subject_entity_id"] for c, v in answer["params"]["cells"].items()} == {
        "Supplier": ELEC, "Network Operator": ED}

    # the Network Operator may read the KRP cells too (IS, GS, ED, GT), but not the Device's own certificates
    assert (await send(stack, ED, "6.24.1", esme, remote_party_roles=["Root"])).response_code == "I0"
    assert "not open to User" in await rejected(stack, ED, "6.24.2", esme, "E2", credential_type="Key Agreement")

    for credential_type, usage in (("Digital Signature", KeyUsageKind.DIGITAL_SIGNING),
                                   ("Key Agreement", KeyUsageKind.KEY_AGREEMENT)):
        read = await send(stack, ELEC, "6.24.2", esme, credential_type=credential_type)
        answer = parse_response_payload(read.body["GBCSPayload"])
        assert answer["use_case"] == "CS02e" and answer["params"]["key_usage"] == usage.value
        assert base64.b64decode(answer["params"]["device_certificate"]) == _device_certificate(rt, esme, usage)


async def test_a_chf_is_not_a_target_of_6_24_2(stack):
    """6.24.2 applies to ESME, GSME and GPF (digest 05 §C.10): the CH's credentials are the DCC's (AC 5.1)."""
    await commissioned(stack)
    await rejected(stack, ELEC, "6.24.2", IDS.chf_id, "E11", credential_type="Key Agreement")
