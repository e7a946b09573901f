"""Commands for Local Delivery (DUIS CommandVariant 2 and 6; BAD 7.2.2.6.2) and 'Return Local Command Response'
(SRV 8.13; BAD 7.2.2.6.4; SEC Appendix AC 2.11) at the DCC's interface."""

from __future__ import annotations

from datetime import timedelta

from dcc_support import (
    DISTRIBUTOR,
    MPAN,
    SUPPLIER_A,
    delivered,
    log_entry,
    now,
    premises,
    request_id,
    signed_request,
    valid_and_signed_by_dcc,
)

from activities.duis_client import ServiceRequestSpec
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.gbcs import alert_payload, parse_local_command, response_payload
from dccflow.messages import DeviceAlertEvent, DeviceLogEntry
from dccflow.parties import DCC_ID
from dccsim.inventory import Inventory, Registration
from dccsim.models import SmiDevice
from dccsim.smki import PKI_EPOCH

CHF, GPF, ESME = "00-DB-12-01-00-00-0A-01", "00-DB-12-02-00-00-0A-01", "00-DB-12-03-00-00-0A-01"
LOCAL_MPAN = "1300000010017"
CODE = "00112233445566778899AABBCCDDEEFF"


def no_wan_premises(rt) -> None:
    """A CH installed without SM WAN: CHF, GPF and ESME 'pending', the MPAN registered to Supplier A."""
    at = now() - timedelta(minutes=5)
    with session_scope(rt.engine) as s:
        inv = Inventory(s)
        inv.add(CHF, DeviceType.CHF, SmiStatus.PENDING, at, reason="test set-up")
        inv.add(GPF, DeviceType.GPF, SmiStatus.PENDING, at, chf_id=CHF, reason="test set-up")
        inv.add(ESME, DeviceType.ESME, SmiStatus.PENDING, at, chf_id=CHF, reason="test set-up", added_by=SUPPLIER_A)
        Registration(s).add(mpxn=LOCAL_MPAN, fuel="electricity", supplier_id=SUPPLIER_A,
                            network_operator_id=DISTRIBUTOR, effective_from=PKI_EPOCH)


def add_esme(rt, counter: int, command_variant: int) -> bytes:
    return signed_request(rt, SUPPLIER_A, "8.11", CHF, counter, device_id=ESME, install_code=CODE,
                          join_time_period=300, import_mpxn=LOCAL_MPAN, command_variant=command_variant)


def status(rt, device_id: str) -> tuple[str | None, str | None]:
    with session_scope(rt.engine) as s:
        dev = s.get(SmiDevice, device_id)
        return dev.smi_status, dev.mpxn


async def test_a_command_for_local_delivery_is_returned_not_sent(stack):
    rt = stack.runtime
    no_wan_premises(rt)
    # over the SM WAN (CV 1) the CHF must be commissioned (AB 13.2(a)) ...
    refused = await rt.dcc.submit(add_esme(rt, 1, 1), now())
    assert (refused.outcome, refused.code) == ("rejected", "E5")
    # ... for local delivery (CV 2) the DCC returns the CCS01 in its reply
    reply = await rt.dcc.submit(add_esme(rt, 2, 2), now())
    assert (reply.outcome, reply.code) == ("accepted", "I0"), reply.reason
    answer = valid_and_signed_by_dcc(reply.xml)
    command = parse_local_command(answer.body["LocalCommand"]["GBCSPayload"])
    assert (command["use_case"], command["target"], command["params"]["device_id"]) == ("CCS01", CHF, ESME)
    rid = request_id(SUPPLIER_A, CHF, 2)
    assert log_entry(rt, rid).stage == "local_command_returned"
    assert status(rt, ESME) == ("pending", None)  # nothing happens until the Response comes back
    # the Response, returned with SRV 8.13, updates the SMI as the Command would have (BAD 7.2.2.6.4)
    returned = response_payload("CCS01", CHF, True, {})
    back = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "8.13", DCC_ID, 3, original_request_id=rid,
                                              device_gbcs_response=returned), now())
    assert back.code == "I0", back.reason
    assert status(rt, ESME) == ("whitelisted", LOCAL_MPAN)
    assert [m.recipient for m in delivered(rt, kind="dcc_alert") if m.dcc_alert_code == "N16"] == [DISTRIBUTOR]
    assert log_entry(rt, rid).stage == "local_response_returned"
    # the CHF's CS14 showing the ESME joined, returned too: 'installed not commissioned' (AC 4.4)
    cs14 = DeviceAlertEvent(device_id=CHF, alert_code=0x8F12, at=now(),
                            device_log=[DeviceLogEntry(device_id=ESME, device_type="ESME", joined=True)])
    back = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "8.13", DCC_ID, 4,
                                              device_gbcs_response=alert_payload(cs14)), now())
    assert back.code == "I0", back.reason
    assert status(rt, ESME) == ("installed not commissioned", LOCAL_MPAN)


async def test_return_local_command_response_refuses_what_was_not_local(stack):
    rt = stack.runtime
    premises(rt)
    over_the_wan = request_id(SUPPLIER_A, DCC_ID, 1)
    await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "8.2", DCC_ID, 1, device_id=ESME), now())
    refused = await rt.dcc.submit(signed_request(
        rt, SUPPLIER_A, "8.13", DCC_ID, 2, original_request_id=over_the_wan,
        device_gbcs_response=response_payload("CCS01", CHF, True, {})), now())
    assert refused.outcome == "rejected" and refused.code == "E13"
    # a Device Alert DUIS does not list for return (here 0x8183) is refused too
    joined = DeviceAlertEvent(device_id=ESME, alert_code=0x8183, at=now())
    refused = await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "8.13", DCC_ID, 3,
                                                 device_gbcs_response=alert_payload(joined)), now())
    assert refused.outcome == "rejected" and refused.code == "E13"
    assert status(rt, "00-DB-12-03-00-00-09-01") == ("installed not commissioned", MPAN)  # nothing changed


async def test_commission_device_cannot_be_delivered_locally(stack):
    """BAD 7.2.2.1: a Command resulting from SRV 8.1.1 cannot be delivered locally (no CommandVariant 6)."""
    rt = stack.runtime
    premises(rt)
    esme = "00-DB-12-03-00-00-09-01"
    spec = ServiceRequestSpec(step="commission", user_id=SUPPLIER_A, srv="8.1.1", target=esme,
                              params={"current_datetime": now().isoformat(), "tolerance_period": 60})
    entry = rt.duis_client.prepare(spec, "test-local")
    pre_command = await rt.dcc.submit(entry.xml, now())
    assert pre_command.outcome == "accepted"
    spc = rt.duis_client.signed_pre_command(entry, pre_command.xml, now(), local_delivery=True)
    refused = await rt.dcc.submit(spc, now())
    assert (refused.outcome, refused.code) == ("rejected", "E12")


async def test_a_local_krp_signed_with_another_mpids_key_names_that_mpid(stack):
    """BAD 7.2.2.6.2 with 7.2.1.6.9: 'Update Security Credentials (KRP)' for local delivery, its Signed Pre-Command
    (CV 6) signed with the Party's other MPID's key (the one whose certificate the Supplier cell holds): the CS02b
    the DCC returns names that MPID's certificate as the signer, as it would over the SM WAN."""
    from dcc_support import GAS_SUPPLIER_A

    rt = stack.runtime
    no_wan_premises(rt)
    spec = ServiceRequestSpec(step="krp", user_id=SUPPLIER_A, srv="6.15.1", target=ESME,
                              params={"remote_party_role": "Supplier", "certificate_of": SUPPLIER_A},
                              local_delivery=True, command_signer=GAS_SUPPLIER_A)
    entry = rt.duis_client.prepare(spec, "test-local")
    pre_command = await rt.dcc.submit(entry.xml, now())
    assert pre_command.outcome == "accepted", pre_command.reason
    spc = rt.duis_client.signed_pre_command(entry, pre_command.xml, now(), local_delivery=True,
                                            command_signer=GAS_SUPPLIER_A)
    reply = await rt.dcc.submit(spc, now())
    assert (reply.outcome, reply.code) == ("accepted", "I0"), reply.reason
    command = parse_local_command(valid_and_signed_by_dcc(reply.xml).body["LocalCommand"]["GBCSPayload"])
    assert (command["use_case"], command["target"]) == ("CS02b", ESME)
    signer = rt.duis_client.keys.get(GAS_SUPPLIER_A).cert
    assert command["signature"]["signer_serial"] == str(signer.serial_number)
    assert log_entry(rt, entry.request_id).stage == "local_command_returned"
