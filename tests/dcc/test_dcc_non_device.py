"""Non-Device Service Requests are answered at once from the DCC's own data, with a signed Service Response and no
Acknowledgement (BAD 7.8.4.4.3; SEC Appendix AB 16.1)."""

from __future__ import annotations

from datetime import date

from dcc_support import (
    CHF,
    DISTRIBUTOR,
    ESME,
    GPF,
    MPAN,
    NEW_ESME,
    SUPPLIER_A,
    SUPPLIER_B,
    dcc_state,
    delivered,
    now,
    premises,
    signed_request,
    valid_and_signed_by_dcc,
)
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.parties import DCC_ID
from dccsim.inventory import Inventory
from dccsim.models import SmiDevice
from dccsim.records import ChAssetRecord, WanCoverage

OTHER_USER_FREE = "90-B3-D5-1F-30-03-00-00"  # the Gas Transporter: any User may pre-notify (AC 2.6)


async def answered(rt, xml: bytes, code: str = "I0"):
    reply = await rt.dcc.submit(xml, now())
    assert reply.code == code, reply.reason
    assert reply.outcome == ("rejected" if code.startswith("E") else "accepted")
    return valid_and_signed_by_dcc(reply.xml)


def device(rt, device_id: str) -> SmiDevice | None:
    with session_scope(rt.engine) as s:
        return s.get(SmiDevice, device_id)


def pre_notify(rt, user: str, counter: int, device_id: str = NEW_ESME, device_type: str = "ESME") -> bytes:
    return signed_request(rt, user, "12.2", DCC_ID, counter, device_id=device_id, device_manufacturer="AB01",
                          device_model="010A030B", device_type=device_type, firmware_version="0002012F",
                          esme_variant="A" if device_type == "ESME" else None)


async def test_device_pre_notification_adds_the_device_as_pending(stack):
    rt = stack.runtime
    response = await answered(rt, pre_notify(rt, SUPPLIER_A, 1))
    assert response.service_reference_variant == "12.2" and response.body.keys() == {"ServiceReference",
                                                                                      "ServiceReferenceVariant"}
    dev = device(rt, NEW_ESME)
    assert (dev.smi_status, dev.added_by, dev.manufacturer, dev.firmware_version) == (
        "pending", SUPPLIER_A, "AB01", "0002012F")
    # an IHD has no SMI Status (AC 2.9); a CHF is added by the DCC itself, not by a User (AD 3.8.113.1)
    await answered(rt, pre_notify(rt, OTHER_USER_FREE, 2, "00-DB-12-06-00-00-09-01", "IHD"))
    assert device(rt, "00-DB-12-06-00-00-09-01").smi_status is None
    before = dcc_state(rt)
    await answered(rt, pre_notify(rt, SUPPLIER_A, 3, "00-DB-12-01-00-00-09-77", "CHF"), "E11")
    await answered(rt, pre_notify(rt, SUPPLIER_B, 4), "E5")  # already on the SMI
    assert dcc_state(rt) == before
    assert [m.kind for m in delivered(rt)] == ["sync_service_response"] * 2  # logged, answered synchronously


async def test_a_decommissioned_device_can_be_pre_notified_again(stack):
    rt = stack.runtime
    with session_scope(rt.engine) as s:
        Inventory(s).add(NEW_ESME, DeviceType.ESME, SmiStatus.PENDING, now(), reason="test")
        Inventory(s).set_status(NEW_ESME, SmiStatus.WHITELISTED, now(), "test")
        Inventory(s).set_status(NEW_ESME, SmiStatus.DECOMMISSIONED, now(), "test")
    await answered(rt, pre_notify(rt, SUPPLIER_B, 1))
    assert (device(rt, NEW_ESME).smi_status, device(rt, NEW_ESME).added_by) == ("pending", SUPPLIER_B)


async def test_read_inventory_returns_the_premises_devices(stack):
    rt = stack.runtime
    premises(rt)
    by_device = await answered(rt, signed_request(rt, DISTRIBUTOR, "8.2", DCC_ID, 1, device_id=ESME))
    devices = by_device.body["DSPInventory"]["Device"]
    assert [(d["DeviceID"], d["DeviceType"], d["DeviceStatus"]) for d in devices] == [
        (CHF, "CHF", "Commissioned"), (GPF, "GPF", "Pending"), (ESME, "ESME", "InstalledNotCommissioned")]
    assert devices[2]["ImportMPxN"] == MPAN and devices[2]["UPRN"] == "100023336956"
    assert devices[2]["DeviceManufacturer"] == "AB01" and "DateCommissioned" not in devices[2]
    assert date.fromisoformat(devices[0]["DateCommissioned"]) <= now().date()
    by_mpxn = await answered(rt, signed_request(rt, SUPPLIER_B, "8.2", DCC_ID, 2, mpxn=MPAN))
    by_uprn = await answered(rt, signed_request(rt, SUPPLIER_B, "8.2", DCC_ID, 3, uprn=100023336956))
    by_address = await answered(rt, signed_request(rt, SUPPLIER_B, "8.2", DCC_ID, 4, postcode="AB1 2CD",
                                                   address_identifier="9"))
    assert by_mpxn.body == by_uprn.body == by_address.body == by_device.body
    await answered(rt, signed_request(rt, SUPPLIER_B, "8.2", DCC_ID, 5, mpxn="1300000000000"), "E080201")


async def test_request_wan_matrix_answers_from_the_coverage_table(stack):
    rt = stack.runtime
    premises(rt)
    with session_scope(rt.engine) as s:
        s.add(WanCoverage(postcode="AB1 2CD", csp_region="North", coverage_available=True,
                          wan_technology="Long Range Radio", connectivity_likelihood="High"))
    answer = await answered(rt, signed_request(rt, SUPPLIER_B, "12.1", DCC_ID, 1, uprn=100023336956))
    matrix = answer.body["DSPWANMatrix"]
    assert matrix["Request"] == {"UPRN": "100023336956"}
    assert matrix["DSPWANMatrixResponse"] == {
        "CSPRegion": "North", "CSPRegionResponseCode": "I0", "CoverageAvailability": "true",
        "WANTechnology": "Long Range Radio", "ConnectivityLikelihood": "High"}
    unknown = await answered(rt, signed_request(rt, SUPPLIER_B, "12.1", DCC_ID, 2, postcode="ZZ9 9ZZ",
                                                address_identifier="1"))
    assert unknown.body["DSPWANMatrix"]["DSPWANMatrixResponse"] == {"CSPRegion": "Unknown",
                                                                     "CSPRegionResponseCode": "E120101"}


async def test_update_inventory_variants(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.PENDING)
    await answered(rt, pre_notify(rt, SUPPLIER_A, 1))
    # details and deletion: only the User who added the Device, only while it is pending (AD 3.8.101.4.1–2)
    details = {"device_id": NEW_ESME, "device_details": {"firmware_version": "00030000"}}
    before = dcc_state(rt)
    await answered(rt, signed_request(rt, SUPPLIER_B, "8.4", DCC_ID, 1, **details), "E4")
    assert dcc_state(rt) == before
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 2, **details))
    assert device(rt, NEW_ESME).firmware_version == "00030000"
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 3, device_id=NEW_ESME, delete_device=True))
    assert device(rt, NEW_ESME) is None
    # status: the Responsible Supplier only, and only the moves AD 3.8.101.4.3 offers
    status = {"device_id": ESME, "device_status_except_ch": "InstalledNotCommissioned"}
    await answered(rt, signed_request(rt, SUPPLIER_B, "8.4", DCC_ID, 4, **status), "E4")
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 5, **status))
    assert device(rt, ESME).smi_status == "installed not commissioned"
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 6, device_id=ESME,
                                      device_status_except_ch="Pending"), "E5")
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 7, device_id=CHF,
                                      device_status_except_ch="Pending"), "E11")
    # MPxN: the RS of both the old and the new MPxN; N16 to the Network Operator (AD 3.8.101.4.4e)
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 8, device_id=ESME, import_mpxn="1300000000000"),
                   "E4")
    with session_scope(rt.engine) as s:
        from dccsim.inventory import Registration
        Registration(s).add(mpxn="1300000009029", fuel="electricity", supplier_id=SUPPLIER_A,
                            network_operator_id=DISTRIBUTOR, effective_from=now().replace(year=2020))
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 9, device_id=ESME, import_mpxn="1300000009029"))
    assert device(rt, ESME).mpxn == "1300000009029"
    (n16,) = delivered(rt, kind="dcc_alert")
    assert (n16.dcc_alert_code, n16.recipient) == ("N16", DISTRIBUTOR)
    valid_and_signed_by_dcc(n16.xml)


async def test_update_inventory_moves_a_chf_and_its_gpf(stack):
    rt = stack.runtime
    premises(rt)
    with session_scope(rt.engine) as s:
        Inventory(s).set_status(CHF, SmiStatus.DECOMMISSIONED, now(), "test")
        Inventory(s).set_status(CHF, SmiStatus.PENDING, now(), "test")
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 1, device_id=CHF,
                                      device_status_ch="InstalledNotCommissioned"))
    assert (device(rt, CHF).smi_status, device(rt, GPF).smi_status) == ("installed not commissioned",) * 2
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 2, device_id=GPF,
                                      device_status_ch="Commissioned"), "E11")  # AD 3.8.93.4: the CHF's id


async def test_communications_hub_status_updates_are_recorded(stack):
    rt = stack.runtime
    premises(rt)
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.14.1", DCC_ID, 1, chf_id=CHF, mpxn=MPAN))
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.14.2", DCC_ID, 2, chf_id=CHF, mpxn=MPAN,
                                      premise_type="Terraced"))
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.14.3", DCC_ID, 3, chf_id=CHF,
                                      fault_return_type="Fault identified post installation", other_device_id=ESME,
                                      connection_method="Hot-shoe", fault_reason="LED Fault"))
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.14.4", DCC_ID, 4, chf_id=CHF))
    with session_scope(rt.engine) as s:
        records = s.exec(select(ChAssetRecord).order_by(ChAssetRecord.id)).all()
    assert [(r.srv, r.state) for r in records] == [
        ("8.14.1", "installed"), ("8.14.2", "installed, no SM WAN"), ("8.14.3", "returned (fault)"),
        ("8.14.4", "returned (no fault)")]
    assert records[1].incident_ref == "INC000000001" and records[2].details["CHFFaultReason"] == "LED Fault"
    assert device(rt, CHF).ch_install_state == "returned (no fault)"
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.14.1", DCC_ID, 5, chf_id=ESME, mpxn=MPAN), "E11")
    await answered(rt, signed_request(rt, SUPPLIER_A, "8.14.2", DCC_ID, 6, chf_id=CHF, mpxn=MPAN,
                                      premise_type="Terraced"))  # a second Incident: the next reference
    with session_scope(rt.engine) as s:
        refs = s.exec(select(ChAssetRecord.incident_ref).where(ChAssetRecord.incident_ref.is_not(None))
                      .order_by(ChAssetRecord.id)).all()
    assert refs == ["INC000000001", "INC000000002"]
