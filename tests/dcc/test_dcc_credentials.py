"""Post-commissioning security credentials through the simulated DCC and fleet (BAD 7.2.3; 7.7.2.5.3, .5-.8):
6.17 → CSR → SMKI Device Certificate → 6.15.2, 6.15.1 for the Network Operator and Supplier cells, the DCC's
Post Commissioning Information and the 14-day restriction (BAD 7.2.3.5.7; AC 5.13)."""

from __future__ import annotations

import base64
from datetime import timedelta

from cos_support import commissioned
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from dcc_support import accepted, rejected_unchanged

from activities.smki_client import DeviceCertificateRequest
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import UserRole
from dccflow.gbcs import csr_from_service_response
from dccflow.parties import ELECTRICITY_DISTRIBUTOR, SUPPLIER
from dccflow.security.pki import KeyUsageKind, entity_id_of
from dccsim.inventory import Inventory
from dccsim.post_commissioning import incomplete_steps
from devices.anchors import RESOLVER
from devices.models import DeviceKeyPair
from devices.premises import premises_ids

ELEC = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]
ED = ELECTRICITY_DISTRIBUTOR.user_ids[UserRole.ELECTRICITY_DISTRIBUTOR]
IDS = premises_ids(1)
async def send(stack, user: str, srv: str, target: str, **params):
    """Through the real pipeline at the test server's time (with the Pre-Command round trip for a Critical
    request); the parsed, checked Service Response."""
    return await accepted(stack.runtime, await stack.env.get_current_time(), user, srv, target, **params)


async def rejected(stack, user: str, srv: str, target: str, code: str, **params) -> str:
    return await rejected_unchanged(stack.runtime, await stack.env.get_current_time(), user, srv, target, code,
                                    **params)


def incomplete(rt, device_id: str) -> list[str]:
    with session_scope(rt.engine) as s:
        return incomplete_steps(s, Inventory(s).get(device_id))


def cell_owner(rt, device_id: str, cell: str) -> str:
    with session_scope(rt.engine) as s:
        return entity_id_of(RESOLVER.cert(s, rt.fleet.get(device_id).anchors[cell]))


async def regenerate_keys_and_store_certificate(stack, device_id: str) -> str:
    rt = stack.runtime
    issued = await send(stack, ELEC, "6.17", device_id, credential_type="Digital Signature")
    assert issued.response_code == "I0"
    csr = csr_from_service_response(issued.body)
    cert_b64 = rt.smki_client.request_device_certificate(
        DeviceCertificateRequest(device_id=device_id, csr=csr, user_id=ELEC))
    stored = await send(stack, ELEC, "6.15.2", device_id, device_certificate=cert_b64)
    assert stored.response_code == "I0"
    return cert_b64


async def test_post_commissioning_steps_on_a_commissioned_esme(stack):
    rt = stack.runtime
    await commissioned(stack)
    esme = IDS.esme_id
    # the ESME's Network Operator cell holds the Distributor's certificate from manufacture (Table 4 (a)), so
    # AC 5.2(a) is met at commissioning and is not one of its open steps
    assert incomplete(rt, esme) == ["keys_regenerated", "device_certificate_stored",
                                    "organisation_certificate_replaced"]
    cert_b64 = await regenerate_keys_and_store_certificate(stack, esme)
    with session_scope(rt.engine) as s:
        row = s.get(DeviceKeyPair, (esme, KeyUsageKind.DIGITAL_SIGNING.value))
        on_device = x509.load_pem_x509_certificate(row.cert_pem)
    assert base64.b64encode(on_device.public_bytes(serialization.Encoding.DER)).decode() == cert_b64
    assert row.pending_key_pem is None

    # the Network Operator cell: the ESME was procured with the Electricity Distributor's certificate in it
    # (BAD Table 4 (a)); only its holder may replace it (the Supplier's signature is refused by the Device)
    assert cell_owner(rt, esme, "Network Operator") == ED
    refused = await send(stack, ELEC, "6.15.1", esme, remote_party_role="NetworkOperator", certificate_of=ED)
    assert refused.response_code == "E100"
    assert cell_owner(rt, esme, "Network Operator") == ED
    placed = await send(stack, ED, "6.15.1", esme, remote_party_role="NetworkOperator", certificate_of=ED)
    assert placed.response_code == "I0" and cell_owner(rt, esme, "Network Operator") == ED
    # the Supplier replaces its own Organisation Certificate with the same one (BAD 7.2.3.1)
    replaced = await send(stack, ELEC, "6.15.1", esme, remote_party_role="Supplier", certificate_of=ELEC)
    assert replaced.response_code == "I0" and cell_owner(rt, esme, "Supplier") == ELEC
    assert incomplete(rt, esme) == []


async def test_the_dcc_does_not_refuse_after_14_days_but_records_what_is_missing(stack):
    """AC 5.13 binds the Supplier ("shall not send"); the DCC has no refusal for it (AB 6.1), it records the Post
    Commissioning Information (AC 5.4) that the audit judges the Supplier by."""
    await commissioned(stack)
    esme = IDS.esme_id
    await stack.env.sleep(timedelta(days=15))
    mpxn = IDS.mpan
    assert (await send(stack, ELEC, "6.20.1", esme, import_mpan=mpxn)).response_code == "I0"
    assert incomplete(stack.runtime, esme) == ["keys_regenerated", "device_certificate_stored",
                                               "organisation_certificate_replaced"]


def test_gpf_and_gsme_steps_are_by_device_type():
    from dccsim.post_commissioning import STEPS

    assert "network_operator_cell" not in STEPS[DeviceType.GSME]
    assert "network_operator_cell" not in STEPS[DeviceType.ESME]  # populated at manufacture (Table 4 (a))
    assert "network_operator_cell" in STEPS[DeviceType.GPF]
    assert "organisation_certificate_replaced" not in STEPS[DeviceType.GPF]
