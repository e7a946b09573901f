"""Service Responses, DCC Alerts (N16, N24, N25) and Device Alerts (0x8F12): valid and round-trip."""

from __future__ import annotations

import base64

import pytest
from duis_support import CHF, DCC, ESME, NOW, USER, sample_signature, samples_dir
from lxml import etree

from dccflow.duis.messages import make_request_id, to_bytes
from dccflow.duis.responses import (
    NOT_SUPPORTED_CODE,
    build_dcc_alert,
    build_device_alert,
    build_service_response,
    make_response_id,
    n16_device_identity_confirmation,
    parse_response,
    response_from_element,
    update_han_device_log_result,
)
from dccflow.duis.schema import DuisError, validate

RID_8_11 = make_request_id(USER, CHF, 1002)
RID_DCC = make_request_id(USER, DCC, 7)
DCC_TO_USER = make_response_id(DCC, USER, 900)


def _round_trip(el: etree._Element):
    validate(el)
    return parse_response(to_bytes(el))


def test_service_response_success_without_payload():
    r = _round_trip(
        build_service_response(
            request_id=RID_DCC,
            response_code="I0",
            at=NOW,
            service_reference_variant="8.14.1",
            response_id=DCC_TO_USER,
        )
    )
    assert r.kind == "service_response"
    assert (r.request_id, r.response_id, r.response_code, r.at) == (RID_DCC, DCC_TO_USER, "I0", NOW)
    assert r.service_reference_variant == "8.14.1"
    assert r.body == {"ServiceReference": "8.14", "ServiceReferenceVariant": "8.14.1"}
    assert r.dcc_alert_code is None and r.device_alert_code is None and r.device_id is None
    assert r.signed is False


def test_acknowledgement_and_not_supported_responses():
    ack = _round_trip(
        build_service_response(
            request_id=RID_8_11, response_code="I99", at=NOW, service_reference_variant="8.11"
        )
    )
    assert ack.response_code == "I99" and ack.response_id is None
    refused = _round_trip(
        build_service_response(
            request_id=RID_DCC, response_code=NOT_SUPPORTED_CODE, at=NOW, service_reference_variant="5.1"
        )
    )
    assert refused.response_code == "E13"


def test_service_response_with_inventory_payload():
    devices = [
        {
            "DeviceID": CHF,
            "DeviceType": "CHF",
            "DeviceStatus": "Commissioned",
            "DeviceManufacturer": "M",
            "DeviceModel": "C",
        },
        {
            "DeviceID": ESME,
            "DeviceType": "ESME",
            "DeviceStatus": "Pending",
            "DeviceManufacturer": "M",
            "DeviceModel": "E",
        },
    ]
    r = _round_trip(
        build_service_response(
            request_id=RID_DCC,
            response_code="I0",
            at=NOW,
            service_reference_variant="8.2",
            payload=("DSPInventory", {"Device": devices}),
        )
    )
    assert r.body["DSPInventory"]["Device"] == devices


def test_service_response_with_pre_command_and_gbcs_payload():
    gbcs = base64.b64encode(b"\xdf\x09\x01\x02").decode()
    pre = _round_trip(
        build_service_response(
            request_id=make_request_id(USER, ESME, 1),
            response_code="I0",
            at=NOW,
            service_reference_variant="8.1.1",
            payload=("PreCommand", {"GBCSVersion": "4.0", "GBCSPayload": gbcs}),
        )
    )
    assert pre.body["PreCommand"] == {"GBCSVersion": "4.0", "GBCSPayload": gbcs}
    device_response = _round_trip(
        build_service_response(
            request_id=make_request_id(USER, ESME, 2),
            response_code="I0",
            at=NOW,
            service_reference_variant="11.2",
            payload=("GBCSPayload", gbcs),
            response_id=make_response_id(ESME, USER, 77),
        )
    )
    assert device_response.body["GBCSPayload"] == gbcs


def test_n16_device_identity_confirmation():
    el = n16_device_identity_confirmation(
        device_id=ESME.lower(),
        import_mpxn="1100000000001",
        secondary_import_mpan="1100000000002",
        esme_variant="A",
        at=NOW,
        response_id=make_response_id(DCC, "CC-00-00-00-00-00-00-01", 5),
    )
    r = _round_trip(el)
    assert r.kind == "dcc_alert" and r.dcc_alert_code == "N16"
    assert r.device_id == ESME
    event = r.body["DCCAlert"]["DeviceStatusChangeEvent"]
    assert event["DeviceStatusChange"]["MeterIdentity"] == {
        "MeterMPxNs": {"ImportMPxN": "1100000000001", "SecondaryImportMPAN": "1100000000002"},
        "ESMEVariant": "A",
    }


@pytest.mark.parametrize(("success", "code"), [(True, "N24"), (False, "N25")])
def test_update_han_device_log_result(success, code):
    r = _round_trip(
        update_han_device_log_result(
            success=success, update_han_device_log_request_id=RID_8_11, at=NOW, request_id=RID_8_11
        )
    )
    assert r.kind == "dcc_alert" and r.dcc_alert_code == code
    assert r.request_id == RID_8_11
    assert r.body["DCCAlert"] == {
        "UpdateHANDeviceLogResult": {"UpdateHANDeviceLogServiceRequestID": RID_8_11}
    }


def test_generic_dcc_alert_with_throttling_fields():
    r = _round_trip(
        build_dcc_alert(
            alert_code="N12",
            at=NOW,
            alert=("CommandFailure", {"CommandRequestID": RID_8_11, "DeviceID": CHF}),
            throttled_alert_sequence_id=3,
            throttled_alert_count=10,
        )
    )
    assert r.dcc_alert_code == "N12" and r.device_id == CHF
    assert r.body["ThrottledAlertCount"] == "10"


def test_device_alert_8f12():
    payload = b"\xdf\x09\x00\x00\x00\x00\x00\x00\x00\x01"
    el = build_device_alert(
        device_id=CHF, alert_code=0x8F12, at=NOW, gbcs_payload=payload, recipient_id=USER, counter=12
    )
    r = _round_trip(el)
    assert r.kind == "device_alert"
    assert r.device_alert_code == 0x8F12
    assert r.body["AlertCode"] == "8F12"
    assert base64.b64decode(r.body["GBCSPayload"]) == payload
    assert r.device_id == CHF
    assert r.response_id == f"{CHF}:{USER}:12"


def test_device_alert_with_explicit_response_id_and_no_payload():
    r = _round_trip(
        build_device_alert(
            device_id=ESME, alert_code=0x8F69, at=NOW, response_id=make_response_id(ESME, USER, 1)
        )
    )
    assert r.device_id == ESME and r.device_alert_code == 0x8F69


@pytest.mark.parametrize(
    "call",
    [
        lambda: build_device_alert(device_id=CHF, alert_code=0x8F12, at=NOW),
        lambda: build_device_alert(
            device_id=CHF, alert_code=0x8F12, at=NOW, response_id=make_response_id(ESME, USER, 1)
        ),
        lambda: build_device_alert(device_id=CHF, alert_code=0x1FFFF, at=NOW, recipient_id=USER, counter=1),
        lambda: build_service_response(
            request_id=RID_DCC, response_code="X1", at=NOW, service_reference_variant="8.2"
        ),
        lambda: build_service_response(
            request_id="nope", response_code="I0", at=NOW, service_reference_variant="8.2"
        ),
        lambda: build_dcc_alert(alert_code="N99", at=NOW, alert=("UpdateHANDeviceLogResult", {})),
        lambda: make_response_id(DCC, USER, -5),
    ],
)
def test_response_builder_errors(call):
    with pytest.raises(DuisError):
        call()


def test_response_id_format_matches_the_schema_pattern():
    rid = make_response_id("aa0000000000000c", USER, 2**64 - 1)
    assert rid == f"AA-00-00-00-00-00-00-0C:{USER}:{2**64 - 1}"
    validate(
        build_service_response(
            request_id=None, response_code="I0", at=NOW, service_reference_variant="8.2", response_id=rid
        )
    )


def test_signed_response_is_reported():
    el = build_service_response(
        request_id=RID_DCC, response_code="I0", at=NOW, service_reference_variant="12.2"
    )
    el.append(sample_signature())
    assert _round_trip(el).signed is True


def test_a_request_is_not_a_response():
    raw = (samples_dir() / "8.2_READ_INVENTORY_REQUEST_DUIS.XML").read_bytes()
    with pytest.raises(DuisError):
        parse_response(raw)
    with pytest.raises(DuisError):
        response_from_element(etree.fromstring(raw))


def test_unvalidated_garbage_values_give_duis_errors():
    el = build_device_alert(device_id=CHF, alert_code=0x8F12, at=NOW, recipient_id=USER, counter=1)
    el.find(".//{*}AlertCode").text = "zz"
    with pytest.raises(DuisError):
        parse_response(to_bytes(el), validate=False)
    el = build_service_response(
        request_id=RID_DCC, response_code="I0", at=NOW, service_reference_variant="8.2"
    )
    el.find(".//{*}ResponseDateTime").text = "yesterday"
    with pytest.raises(DuisError):
        parse_response(to_bytes(el), validate=False)
