"""Typed request builders without a matching sample: schema-valid, round-trip, argument checking."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from duis_support import CHF, DCC, ESME, GPF, GSME, IHD, NOW, USER, sample_signature
from lxml import etree

from dccflow.duis import requests as rq
from dccflow.duis.messages import build_request, make_request_id, parse_request, to_bytes
from dccflow.duis.requests_supplier import update_import_tariff_single_rate, update_supplier_name
from dccflow.duis.schema import NS_DS, DuisError, validate
from dccflow.duis.srv import SRV_TABLE

# ------------------------------------------------------------- builders exercised without samples

RID = make_request_id(USER, ESME, 42)
RID_CHF = make_request_id(USER, CHF, 43)
RID_DCC = make_request_id(USER, DCC, 44)

ROUND_TRIPS: list[tuple[str, Callable[[], etree._Element], str, dict]] = [
    (
        "8.14.1 all optionals",
        lambda: rq.communications_hub_status_update_install_success(
            request_id=RID_DCC,
            chf_id=CHF.lower(),
            mpxn="1100000000001",
            install_datetime=NOW,
            user_ref_id="job-1",
            gis_data="51.5,-0.1",
            additional_information="loft",
        ),
        "8.14.1",
        {
            "DeviceID": CHF,
            "InstallDateTime": "2025-06-01T09:30:00Z",
            "CHFLocation": "Indoors on external wall",
        },
    ),
    (
        "8.11 add gas meter, future dated, local delivery CV 2",
        lambda: rq.update_han_device_log_add(
            request_id=RID_CHF,
            device_id=GSME,
            install_code="0a0b0c0d0e0f",
            join_time_period=3600,
            import_mpxn="1234567890",
            execution_datetime=NOW,
            command_variant=2,
        ),
        "8.11",
        {"ExecutionDateTime": "2025-06-01T09:30:00Z", "DeviceID": GSME, "RequestType": "Add"},
    ),
    (
        "8.2 by MPxN",
        lambda: rq.read_inventory(request_id=RID_DCC, mpxn="1100000000001"),
        "8.2",
        {"MPxN": "1100000000001"},
    ),
    (
        "8.2 by UPRN",
        lambda: rq.read_inventory(request_id=RID_DCC, uprn=10012345),
        "8.2",
        {"UPRN": "10012345"},
    ),
    (
        "8.2 by address",
        lambda: rq.read_inventory(request_id=RID_DCC, postcode="AB1 2CD", address_identifier="1 High St"),
        "8.2",
        {"PropertyFilter": {"PostCode": "AB1 2CD", "AddressIdentifier": "1 High St"}},
    ),
    (
        "12.1 by UPRN",
        lambda: rq.request_wan_matrix(request_id=RID_DCC, uprn=10012345),
        "12.1",
        {"UPRN": "10012345"},
    ),
    (
        "12.2 GSME with GPF",
        lambda: rq.device_pre_notification(
            request_id=RID_DCC,
            device_id=GSME,
            device_manufacturer="M1",
            device_model="G1",
            device_type="GSME",
            associated_gpf_device_id=GPF,
        ),
        "12.2",
        {"DeviceType": "GSME", "AssociatedGPFDeviceID": GPF},
    ),
    (
        "8.7.2 join IHD",
        lambda: rq.join_service_non_critical(request_id=RID, other_device_id=IHD),
        "8.7.2",
        {"OtherDeviceID": IHD},
    ),
    (
        "6.20.1 MPAN + secondary",
        lambda: rq.set_device_configuration_import_mpxn(
            request_id=RID, import_mpan="1100000000001", secondary_import_mpan="1100000000002"
        ),
        "6.20.1",
        {"ImportMPANs": {"ImportMPAN": "1100000000001", "SecondaryImportMPAN": "1100000000002"}},
    ),
    (
        "6.17",
        lambda: rq.issue_security_credentials(request_id=RID, credential_type="Key Agreement"),
        "6.17",
        {"CredentialType": "Key Agreement"},
    ),
    (
        "6.24.1 two cells",
        lambda: rq.retrieve_device_security_credentials_krp(request_id=RID, remote_party_roles=["Supplier", "Root"]),
        "6.24.1",
        {"RemotePartyRole": ["Supplier", "Root"]},
    ),
    (
        "6.24.2",
        lambda: rq.retrieve_device_security_credentials_device(request_id=RID, credential_type="Digital Signature"),
        "6.24.2",
        {"CredentialType": "Digital Signature"},
    ),
    (
        "6.15.2 from DER bytes",
        lambda: rq.update_security_credentials_device(
            request_id=RID, device_certificate=b"\x30\x03\x02\x01\x01"
        ),
        "6.15.2",
        {"DeviceCertificate": "MAMCAQE="},
    ),
    (
        "8.4 status CH",
        lambda: rq.update_inventory(request_id=RID_DCC, device_id=CHF, device_status_ch="Withdrawn"),
        "8.4",
        {"DeviceID": CHF, "UpdateDeviceStatusCH": "Withdrawn"},
    ),
    (
        "8.4 status other",
        lambda: rq.update_inventory(request_id=RID_DCC, device_id=ESME, device_status_except_ch="Pending"),
        "8.4",
        {"UpdateDeviceStatusExceptCH": "Pending"},
    ),
    (
        "8.4 details",
        lambda: rq.update_inventory(
            request_id=RID_DCC,
            device_id=ESME,
            device_details={"firmware_version": "0101", "device_model": "M"},
        ),
        "8.4",
        {"UpdateDeviceDetails": {"DeviceModel": "M", "FirmwareVersion": "0101"}},
    ),
    (
        "8.4 MPxN",
        lambda: rq.update_inventory(request_id=RID_DCC, device_id=ESME, export_mpan="1100000000009"),
        "8.4",
        {"UpdateMPxN": {"ExportMPAN": "1100000000009"}},
    ),
    (
        "8.13 raw bytes",
        lambda: rq.return_local_command_response(request_id=RID_DCC, device_gbcs_response=b"\xde\xad"),
        "8.13",
        {"DeviceGBCSResponse": "3q0="},
    ),
    (
        "8.12.2 via alias",
        lambda: rq.restore_gpf_device_log(request_id=RID, old_gpf_id=GPF),
        "8.12.2",
        {"OldGPFID": GPF},
    ),
    (
        "11.1 two devices from bytes",
        lambda: rq.update_firmware(
            request_id=RID_DCC, firmware_image=b"image", firmware_version="0200", device_ids=[ESME, GSME]
        ),
        "11.1",
        {"FirmwareImage": "aW1hZ2U=", "DeviceIDList": f"{ESME},{GSME}"},
    ),
    (
        "8.9 security details",
        lambda: rq.read_device_log(request_id=RID, read_security_details=True),
        "8.9",
        {"ReadSecurityDetails": {}},
    ),
    (
        "3.4 supplier name",
        lambda: update_supplier_name(request_id=RID, supplier_name="Supplier B", supplier_telephone_number="0800 1"),
        "3.4",
        {"SupplierName": "Supplier B", "SupplierTelephoneNumber": "0800 1"},
    ),
    (
        "1.1.1 single rate",
        lambda: update_import_tariff_single_rate(request_id=RID, standing_charge=2500, unit_price=24500),
        "1.1.1",
        {"PriceElements": {"ElectricityPriceElements": {
            "StandingCharge": "2500", "StandingChargeScale": "-3", "PriceScale": "-3",
            "TOUTariff": {"TOUPrice": {"@index": "1", "#text": "24500"}}}}},
    ),
]


@pytest.mark.parametrize(("label", "build", "srv", "expected"), ROUND_TRIPS, ids=[r[0] for r in ROUND_TRIPS])
def test_builders_without_samples_round_trip(label, build, srv, expected):
    el = build()
    validate(el)
    parsed = parse_request(to_bytes(el))
    assert parsed.header.service_reference_variant == srv
    assert parsed.body_element == SRV_TABLE[srv].body_element
    for key, value in expected.items():
        assert parsed.body[key] == value, key


def test_command_variant_override_and_default():
    default = parse_request(to_bytes(rq.join_service_critical(request_id=RID, other_device_id=IHD)))
    assert default.header.command_variant == 4
    local = rq.update_han_device_log_add(
        request_id=RID_CHF,
        device_id=ESME,
        install_code="001122334455",
        join_time_period=60,
        command_variant=3,
    )
    assert parse_request(to_bytes(local)).header.command_variant == 3


def test_signature_is_appended_as_last_child_and_stays_schema_valid():
    el = rq.read_inventory(request_id=RID_DCC, device_id=CHF)
    el.append(sample_signature())
    validate(el)
    assert etree.QName(el[-1]).namespace == NS_DS
    assert parse_request(to_bytes(el)).signed is True


@pytest.mark.parametrize(
    "call",
    [
        lambda: rq.read_inventory(request_id=RID_DCC),
        lambda: rq.read_inventory(request_id=RID_DCC, device_id=CHF, mpxn="1"),
        lambda: rq.read_inventory(request_id=RID_DCC, postcode="AB1 2CD"),
        lambda: rq.request_wan_matrix(request_id=RID_DCC, postcode="AB1 2CD"),
        lambda: rq.set_device_configuration_import_mpxn(request_id=RID),
        lambda: rq.set_device_configuration_import_mpxn(
            request_id=RID, import_mprn="1", secondary_import_mpan="2"
        ),
        lambda: rq.update_inventory(request_id=RID_DCC, device_id=ESME),
        lambda: rq.update_inventory(request_id=RID_DCC, device_id=ESME, device_details={"colour": "red"}),
        lambda: rq.restore_han_device_log(request_id=RID),
        lambda: rq.update_firmware(
            request_id=RID_DCC, firmware_image=b"x", firmware_version="1", device_ids=ESME
        ),
        lambda: rq.join_service_critical(request_id=RID, other_device_id="not-an-eui"),
        lambda: rq.join_service_critical(request_id="bad", other_device_id=IHD),
        lambda: rq.update_han_device_log_add(
            request_id=RID, device_id=ESME, install_code="XYZ", join_time_period=1
        ),
        lambda: rq.activate_firmware(request_id=RID, firmware_hash="00" * 31),
        lambda: rq.commission_device(
            request_id=RID, current_datetime=NOW.replace(tzinfo=None), tolerance_period=1
        ),
        lambda: rq.update_security_credentials_krp(
            request_id=RID,
            remote_party_role="Supplier",
            certification_path_certificates=["AA=="],
            apply_time_based_cpv_checks=True,
        ),
        lambda: rq.update_security_credentials_device(request_id=RID, device_certificate="not base64!"),
        lambda: rq.request_handover_of_dcc_controlled_device(
            request_id=RID,
            remote_party_role="Supplier",
            digital_signing_certificate="AA==",
            certification_path_certificates=[],
            apply_time_based_cpv_checks=True,
        ),
    ],
)
def test_builder_argument_errors_are_duis_errors(call):
    with pytest.raises(DuisError):
        call()


def test_build_request_generic_is_not_validated_but_checks_the_header():
    el = build_request(
        request_id=RID,
        service_reference_variant="4.1.1",
        body_element="ReadInstantaneousImportRegisters",
        body=None,
        command_variant=1,
        first_in_sequence=True,
        preceding_request_id=make_request_id(USER, ESME, 41),
    )
    validate(el)
    parsed = parse_request(to_bytes(el))
    assert parsed.header.service_reference == "4.1"
    assert parsed.header.first_in_sequence is True
    assert parsed.header.preceding_request_id.endswith(":41")
    assert parsed.body == {}
    with pytest.raises(DuisError):
        build_request(
            request_id=RID, service_reference_variant="8.11", body_element="X", body={}, command_variant=0
        )
    with pytest.raises(DuisError):
        build_request(
            request_id=RID, service_reference_variant="9.9.9", body_element="X", body={}, command_variant=1
        )


def test_make_request_id_canonicalises():
    assert make_request_id("aa:00:00:00:00:00:00:01", "bb0000000000001d", 7) == f"{USER}:{IHD}:7"
    with pytest.raises(ValueError):
        make_request_id(USER, IHD, -1)
    with pytest.raises(ValueError):
        make_request_id(USER, IHD, 2**64)


def test_unvalidated_bad_command_variant_is_a_duis_error():
    el = rq.read_inventory(request_id=RID_DCC, device_id=CHF)
    el.find(".//{*}CommandVariant").text = "eight"
    with pytest.raises(DuisError):
        parse_request(to_bytes(el), validate=False)
