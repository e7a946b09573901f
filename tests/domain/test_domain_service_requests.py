"""The Service Request catalogue against the DUIS schema and the sample requests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from dccflow.domain.roles import UserRole
from dccflow.domain.service_requests import (
    CATALOGUE,
    ServiceRequestDef,
    SrProcessing,
    UnknownServiceRequest,
    lookup_body_element,
    lookup_srv,
    srvs_for_role,
)

NS = {"sr": "http://www.dccinterface.co.uk/ServiceUserGateway"}
REQUIRED = [
    "8.14.2", "8.13", "6.17", "6.15.1", "6.15.2", "6.21", "6.20.1", "8.7.1", "8.7.2", "8.1.1", "8.2", "8.3",
    "8.4", "8.11", "8.12.1", "8.12.2", "12.1", "12.2", "11.1", "11.2", "11.3", "11.4",
]  # fmt: skip


def _header_and_body(path: Path) -> tuple[dict[str, str], str]:
    doc = etree.parse(str(path))
    header = doc.find("sr:Header", NS)
    assert header is not None
    values = {etree.QName(c).localname: (c.text or "") for c in header if isinstance(c.tag, str)}
    body = [etree.QName(c).localname for c in doc.find("sr:Body", NS) if isinstance(c.tag, str)]
    assert len(body) == 1
    return values, body[0]


def test_catalogue_covers_every_sample_srv(sample_srvs: dict[Path, str]) -> None:
    missing = sorted({srv for srv in sample_srvs.values() if srv not in CATALOGUE})
    assert missing == []


def test_sample_file_name_srv_matches_its_header(sample_srvs: dict[Path, str]) -> None:
    for path, srv in sample_srvs.items():
        header, _ = _header_and_body(path)
        assert header["ServiceReferenceVariant"] == srv, path.name


def test_catalogue_entries_match_each_sample(sample_srvs: dict[Path, str]) -> None:
    for path, srv in sample_srvs.items():
        header, body = _header_and_body(path)
        entry = lookup_srv(srv)
        assert entry.body_element == body, path.name
        assert entry.service_reference == header["ServiceReference"], path.name
        assert int(header["CommandVariant"]) in entry.allowed_command_variants, path.name
        prefix = path.name.split("_")[0]
        if not prefix[:1].isdigit():
            # The name starts with the GBCS use case, e.g. 'ECS70Commission', 'CS02bSupplierBySupplier'.
            assert any(prefix.startswith(u) for u in entry.gbcs_use_cases), (path.name, entry.gbcs_use_cases)


def test_required_srvs_present() -> None:
    for srv in REQUIRED:
        assert lookup_srv(srv).srv == srv


def test_command_variants_agree_with_schema_comments(duis_dir: Path) -> None:
    text = (duis_dir / "schema" / "duis-5.4.xsd").read_text(encoding="utf-8")
    block = text[text.index('<xs:simpleType name="ServiceReferenceVariant">') :]
    block = block[: block.index("</xs:simpleType>")]
    schema_cvs = {
        srv: frozenset(int(v) for v in cvs.split(","))
        for srv, cvs in re.findall(r'value="([\d.]+)"\s*/>\s*<!--\s*CV\s*=\s*([\d,\s]+?)\s*-->', block)
    }
    assert len(schema_cvs) > 100
    for entry in CATALOGUE.values():
        assert entry.allowed_command_variants == schema_cvs[entry.srv], entry.srv


def test_body_elements_exist_in_the_schema_request_body(duis_xsd: etree._ElementTree) -> None:
    xs = "{http://www.w3.org/2001/XMLSchema}"
    request = duis_xsd.getroot().find(f"{xs}complexType[@name='Request']")
    assert request is not None
    body = next(e for e in request.iter(f"{xs}element") if e.get("name") == "Body")
    names = {e.get("name") for e in body.iter(f"{xs}element")}
    for entry in CATALOGUE.values():
        assert entry.body_element in names, entry.srv


def test_processing_classes_for_key_srvs() -> None:
    assert lookup_srv("8.1.1").processing is SrProcessing.CRITICAL
    assert lookup_srv("8.7.1").is_critical and not lookup_srv("8.7.2").is_critical
    assert lookup_srv("6.21").processing is SrProcessing.NON_CRITICAL  # BAD 7.7.2.5.5
    assert lookup_srv("6.15.1").processing is SrProcessing.CRITICAL  # BAD 7.7.2.5.6
    for srv in ("8.2", "8.3", "8.4", "8.13", "8.14.1", "8.14.2", "12.1", "12.2"):
        assert lookup_srv(srv).is_non_device, srv
    assert lookup_srv("11.1").processing is SrProcessing.NON_CRITICAL
    assert lookup_srv("11.1").command_variant == 8


def test_names_as_the_code_spells_them() -> None:
    assert lookup_srv("8.11").name == "Update HAN Device Log"
    assert lookup_srv("8.14.1").name == "Communications Hub Status Update - Install Success"
    assert lookup_srv("12.2").name == "Device Pre-notification"
    assert lookup_srv("6.21").name == "Request Handover of DCC Controlled Device"
    assert lookup_srv("8.14.1").service_reference == "8.14"


def test_eligibility_from_the_code() -> None:
    # SEC H6.2: only the Responsible Supplier may Decommission.
    assert lookup_srv("8.3").eligible_roles == {UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER}
    # BAD Table 9: Read Inventory and Request WAN Matrix are open to all seven roles, role-based (H3.10).
    for srv in ("8.2", "12.1"):
        assert lookup_srv(srv).eligible_roles == set(UserRole) and lookup_srv(srv).role_based
    # BAD 7.2.1.6.14: an Other User may add a CAD to the CHF Device Log and join it (Non-Critical only).
    assert lookup_srv("8.11").is_eligible_role(UserRole.OTHER_USER)
    assert lookup_srv("8.7.2").is_eligible_role(UserRole.OTHER_USER)
    assert not lookup_srv("8.7.1").is_eligible_role(UserRole.OTHER_USER)
    # BAD 7.7.2.5.6: Network Operators may replace their own certificates with 6.15.1.
    assert lookup_srv("6.15.1").is_eligible_role(UserRole.ELECTRICITY_DISTRIBUTOR)
    assert not lookup_srv("6.15.2").is_eligible_role(UserRole.GAS_TRANSPORTER)
    assert lookup_srv("8.1.1") in srvs_for_role(UserRole.GAS_SUPPLIER)
    assert lookup_srv("8.1.1") not in srvs_for_role(UserRole.OTHER_USER)


def test_unknown_srv_error() -> None:
    with pytest.raises(UnknownServiceRequest) as info:
        lookup_srv("9.9.9")
    assert isinstance(info.value, KeyError)
    assert "unknown Service Reference Variant '9.9.9'" in str(info.value)
    with pytest.raises(UnknownServiceRequest, match="DUIS Body element 'Nope'"):
        lookup_body_element("Nope")
    assert lookup_body_element("CHFInstallSuccessSMWAN").srv == "8.14.1"


def test_definition_validation_rejects_inconsistent_entries() -> None:
    good = lookup_srv("8.11").model_dump()
    with pytest.raises(ValueError, match="does not belong"):
        ServiceRequestDef(**{**good, "service_reference": "8.12"})
    with pytest.raises(ValueError, match="default Command Variant"):
        ServiceRequestDef(**{**good, "command_variant": 4})
    with pytest.raises(ValueError, match="do not fit"):
        ServiceRequestDef(**{**good, "processing": SrProcessing.CRITICAL})
    with pytest.raises(ValueError, match="frozen"):
        lookup_srv("8.11").name = "x"  # type: ignore[misc]
