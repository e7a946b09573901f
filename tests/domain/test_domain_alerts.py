"""DCC Alert and Device Alert codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from dccflow.domain.alerts import FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE, DccAlert, DeviceAlert

XS = "{http://www.w3.org/2001/XMLSchema}"


def _enumeration_of_element(xsd: etree._ElementTree, complex_type: str, element: str) -> list[str]:
    node = xsd.getroot().find(f"{XS}complexType[@name='{complex_type}']")
    assert node is not None
    target = next(e for e in node.iter(f"{XS}element") if e.get("name") == element)
    return [str(e.get("value")) for e in target.iter(f"{XS}enumeration")]


def test_dcc_alert_codes_are_exactly_the_schema_enumeration(duis_xsd: etree._ElementTree) -> None:
    schema_codes = _enumeration_of_element(duis_xsd, "DCCAlertMessage", "DCCAlertCode")
    assert [a.value for a in DccAlert] == schema_codes
    assert "N32" not in schema_codes and DccAlert("N999") is DccAlert.N999


def test_dcc_alert_titles() -> None:
    assert DccAlert.N16.title == "Device Identity Confirmation"
    assert DccAlert.N24.title == "Successful Communications Hub Function Whitelist Update"
    assert DccAlert.N25.title == "Potentially Unsuccessful Communications Hub Function Whitelist Update"
    assert DccAlert.AD1.title == "Power Outage Event"
    assert DccAlert.N8.title == "Device removed from Inventory - Pending Status expired"
    assert DccAlert.N28.title == "Device Suspended"
    assert DccAlert.N29.title == "Device Restored from Suspension"
    assert DccAlert.N47.title == "N47 (title not in the reference texts)"
    assert not DccAlert.N47.title_known and DccAlert.N16.title_known
    assert "AD 3.8.101.4.3cii.1" in DccAlert.N37.description
    assert all(a.title for a in DccAlert)
    # The StrEnum value is still the code itself.
    assert f"{DccAlert.N16}" == "N16" and DccAlert.N16 == "N16"


def test_device_alert_codes_and_titles() -> None:
    assert DeviceAlert.CHF_DEVICE_LOG_CHANGED == 0x8F12
    assert DeviceAlert.CHF_DEVICE_LOG_CHANGED.hex == "8F12"
    assert DeviceAlert.CHF_DEVICE_LOG_CHANGED.title == "CHF Device Log Changed"
    assert DeviceAlert.DEVICE_COMMISSIONED == 0x8F69
    assert DeviceAlert.DEVICE_COMMISSIONED.title == "Device Commissioned"
    assert DeviceAlert.DEVICE_JOINED_SMHAN == 0x8183
    assert DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS.hex == "8F72"
    assert DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE.hex == "8F1C"
    assert DeviceAlert.from_hex("0x8f12") is DeviceAlert.CHF_DEVICE_LOG_CHANGED
    assert DeviceAlert.from_hex("8F69") is DeviceAlert.DEVICE_COMMISSIONED
    assert FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE == 0x00CA
    assert all(a.title for a in DeviceAlert)
    assert all(len(a.hex) == 4 for a in DeviceAlert)


def test_device_alert_from_hex_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="'ZZZZ'"):
        DeviceAlert.from_hex("ZZZZ")
    with pytest.raises(ValueError, match="'0001'"):
        DeviceAlert.from_hex("0001")


def test_future_dated_alert_codes_match_schema(duis_xsd: etree._ElementTree) -> None:
    codes = _enumeration_of_element(duis_xsd, "FutureDatedDeviceAlertMessage", "FutureDatedAlertCode")
    assert sorted(DeviceAlert.from_hex(c).hex for c in codes) == ["8F66", "8F67"]


def test_bad_device_alert_codes_are_all_present(duis_dir: Path) -> None:
    # Every 0x8xxx Alert Code quoted in the BAD (reference/004_*.txt beside duis/) is in the enumeration.
    references = sorted((duis_dir.parent / "reference").glob("004_*.txt"))
    if not references:
        pytest.skip("BAD reference text not available")
    bad = references[0].read_text(encoding="utf-8")
    quoted = {int(code, 16) for code in re.findall(r"0x(8[0-9A-Fa-f]{3})", bad)}
    assert quoted <= {a.value for a in DeviceAlert}
