"""Device Types, User Roles and Remote Party Roles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from dccflow.domain.devices import DeviceType, Fuel
from dccflow.domain.roles import RemotePartyRole, SmkiRoleCode, UserRole

NS = {"sr": "http://www.dccinterface.co.uk/ServiceUserGateway", "ds": "http://www.w3.org/2000/09/xmldsig#"}


def test_device_types_are_exactly_the_duis_enumeration(xsd_enum: Callable[[str], list[str]]) -> None:
    assert sorted(d.duis_name for d in DeviceType) == sorted(xsd_enum("DeviceType"))
    assert all(DeviceType.from_duis(v).duis_name == v for v in xsd_enum("DeviceType"))


def test_device_type_in_pre_notification_sample_parses(duis_dir: Path) -> None:
    doc = etree.parse(str(duis_dir / "samples" / "12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML"))
    value = doc.findtext(".//sr:DevicePrenotification/sr:DeviceType", namespaces=NS)
    assert DeviceType.from_duis(value or "") is DeviceType.ESME


def test_device_type_groups_partition_the_types() -> None:
    groups = [
        {d for d in DeviceType if d.is_meter},
        {d for d in DeviceType if d.is_type1},
        {d for d in DeviceType if d.is_type2},
        {d for d in DeviceType if d.is_comms_hub},
    ]
    assert groups == [
        {DeviceType.ESME, DeviceType.GSME},
        {DeviceType.PPMID, DeviceType.HCALCS},
        {DeviceType.IHD, DeviceType.CAD},
        {DeviceType.CHF, DeviceType.GPF},
    ]
    assert set().union(*groups) == set(DeviceType)
    assert sum(len(g) for g in groups) == len(DeviceType)


def test_fuel_and_full_names() -> None:
    assert DeviceType.ESME.fuel is Fuel.ELECTRICITY
    assert DeviceType.GSME.fuel is Fuel.GAS
    assert DeviceType.GPF.fuel is Fuel.GAS
    assert DeviceType.CHF.fuel is None and DeviceType.PPMID.fuel is None and DeviceType.IHD.fuel is None
    assert DeviceType.GPF.full_name == "Gas Proxy Function"
    assert not DeviceType.CAD.has_smi_status and DeviceType.HCALCS.has_smi_status


def test_device_type_from_duis_error_names_value() -> None:
    with pytest.raises(ValueError, match="'ESMEX'"):
        DeviceType.from_duis("ESMEX")


def test_user_roles_are_the_seven_sec_roles_with_codes() -> None:
    assert {r.value for r in UserRole} == {
        "Import Supplier",
        "Export Supplier",
        "Gas Supplier",
        "Electricity Distributor",
        "Gas Transporter",
        "Registered Supplier Agent",
        "Other User",
    }
    codes = {r.code for r in UserRole}
    assert codes == {"IS", "ES", "GS", "ED", "GT", "RSA", "OU"}
    for role in UserRole:
        assert UserRole.from_code(role.code) is role
        assert UserRole.from_code(role.code.lower()) is role
        assert UserRole.from_code(role.value) is role
    with pytest.raises(ValueError, match="'XX'"):
        UserRole.from_code("XX")


def test_user_role_groupings() -> None:
    assert {r for r in UserRole if r.is_supplier} == {UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER}
    assert {r for r in UserRole if r.is_network_operator} == {
        UserRole.ELECTRICITY_DISTRIBUTOR,
        UserRole.GAS_TRANSPORTER,
    }
    assert UserRole.GAS_TRANSPORTER.fuel is Fuel.GAS and UserRole.OTHER_USER.fuel is None
    assert UserRole.IMPORT_SUPPLIER.trust_anchor_role is RemotePartyRole.SUPPLIER
    assert UserRole.ELECTRICITY_DISTRIBUTOR.trust_anchor_role is RemotePartyRole.NETWORK_OPERATOR
    assert UserRole.EXPORT_SUPPLIER.trust_anchor_role is None


def test_remote_party_roles_match_bad_table_4_and_duis(xsd_enum: Callable[[str], list[str]]) -> None:
    table_4 = {
        "Root",
        "Recovery",
        "Access Control Broker",
        "Transitional CoS",
        "Supplier",
        "Network Operator",
        "WAN Provider",
    }
    assert table_4 <= {r.value for r in RemotePartyRole}
    duis = xsd_enum("RemotePartyRole")
    assert sorted(r.duis_name for r in RemotePartyRole if r.duis_name) == sorted(duis)
    assert RemotePartyRole.WAN_PROVIDER.duis_name is None
    for value in duis:
        assert RemotePartyRole.from_duis(value).duis_name == value


def test_remote_party_role_codes() -> None:
    assert RemotePartyRole.SUPPLIER.code == 2
    assert RemotePartyRole.from_code("03") is RemotePartyRole.NETWORK_OPERATOR
    assert RemotePartyRole.from_code(4) is RemotePartyRole.ACCESS_CONTROL_BROKER
    assert SmkiRoleCode.ISSUING_AUTHORITY.ou == "07"
    with pytest.raises(ValueError, match="not a trust anchor cell role"):
        RemotePartyRole.from_code("07")


def test_sample_signature_issuer_ou_is_the_issuing_authority(sample_files: list[Path]) -> None:
    for path in sample_files:
        issuer = etree.parse(str(path)).findtext(".//ds:X509IssuerName", namespaces=NS) or ""
        ou = dict(part.strip().split("=", 1) for part in issuer.split(","))["OU"]
        assert SmkiRoleCode.from_ou(ou) is SmkiRoleCode.ISSUING_AUTHORITY, path.name
