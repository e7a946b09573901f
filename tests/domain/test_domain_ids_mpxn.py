"""EUI-64, RequestID, MPAN and MPRN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pydantic import BaseModel, ValidationError

from dccflow.domain.ids import (
    MAX_REQUEST_COUNTER,
    Eui64,
    InvalidEui64,
    InvalidRequestId,
    RequestId,
    is_eui64,
    normalise_eui64,
)
from dccflow.domain.mpxn import (
    DNO_AREAS,
    InvalidMpxn,
    distributor_id,
    make_mpan,
    make_mprn,
    mpan_check_digit,
    mprn_check_digits,
    validate_mpan,
    validate_mprn,
)

NS = {"sr": "http://www.dccinterface.co.uk/ServiceUserGateway"}
DUIS_EUI = re.compile(r"([0-9A-F]{2}-){7}[0-9A-F]{2}")


# --- EUI-64 ---


@pytest.mark.parametrize(
    "raw",
    [
        "00DB1234567890A0",
        "00db1234567890a0",
        "00-db-12-34-56-78-90-a0",
        "00-DB-12-34-56-78-90-A0",
        "00:DB:12:34:56:78:90:A0",
        "00 db 12 34 56 78 90 a0",
        "  00DB1234567890A0\n",
    ],
)
def test_eui64_forms_normalise_to_duis_form(raw: str) -> None:
    assert normalise_eui64(raw) == "00-DB-12-34-56-78-90-A0"
    assert is_eui64(raw)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("00DB1234567890A", "16 hex digits, got 15"),
        ("00DB1234567890A0FF", "16 hex digits, got 18"),
        ("", "16 hex digits, got 0"),
        ("00DB1234567890AG", "non-hex"),
        ("00-DB-12-34-56-78-90", "8 groups"),
        ("00-DB-12-34-56-78-90-A0-11", "8 groups"),
        ("00-DB-123-4-56-78-90-A0", "8 groups of 2"),
        ("00-DB:12-34-56-78-90-A0", "mixes separators"),
        ("zz-DB-12-34-56-78-90-A0", "non-hex"),
    ],
)
def test_eui64_rejections_name_value_and_reason(raw: str, why: str) -> None:
    with pytest.raises(InvalidEui64) as info:
        normalise_eui64(raw)
    assert why in str(info.value)
    assert repr(raw) in str(info.value)
    assert not is_eui64(raw)


def test_eui64_annotated_type_in_pydantic_model() -> None:
    class Holder(BaseModel):
        device_id: Eui64

    assert Holder(device_id="00db1234567890a0").device_id == "00-DB-12-34-56-78-90-A0"
    with pytest.raises(ValidationError, match="non-hex"):
        Holder(device_id="00db1234567890ax")


def test_every_sample_device_id_and_request_id_is_accepted(sample_files: list[Path]) -> None:
    for path in sample_files:
        doc = etree.parse(str(path))
        request_id = doc.findtext("sr:Header/sr:RequestID", namespaces=NS)
        assert request_id, path.name
        assert str(RequestId.parse(request_id)) == request_id
        for node in doc.iterfind(".//sr:DeviceID", namespaces=NS):
            assert DUIS_EUI.fullmatch(normalise_eui64(node.text or "")), path.name


# --- RequestID ---


def test_request_id_round_trip() -> None:
    text = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A2:1002"
    rid = RequestId.parse(text)
    assert rid.originator == "90-B3-D5-1F-30-01-00-00"
    assert rid.target == "00-DB-12-34-56-78-90-A2"
    assert rid.counter == 1002
    assert str(rid) == text == rid.duis
    assert RequestId.model_validate(text) == rid
    assert rid.with_counter(1003).counter == 1003
    with pytest.raises(ValidationError):
        rid.counter = 5  # type: ignore[misc]  # frozen


def test_request_id_accepts_other_eui_forms_and_normalises() -> None:
    rid = RequestId.parse("90b3d51f30010000:00db1234567890a2:0")
    assert str(rid) == "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A2:0"
    colons = RequestId.parse("90:B3:D5:1F:30:01:00:00:00:DB:12:34:56:78:90:A2:7")
    assert colons.counter == 7 and colons.target == "00-DB-12-34-56-78-90-A2"


def test_request_id_counter_range_is_the_schema_range() -> None:
    top = RequestId.parse(f"00DB1234567890A0:00DB1234567890A1:{MAX_REQUEST_COUNTER}")
    assert top.counter == 18446744073709551615
    with pytest.raises(InvalidRequestId, match="exceeds"):
        RequestId.parse(f"00DB1234567890A0:00DB1234567890A1:{MAX_REQUEST_COUNTER + 1}")
    with pytest.raises(ValidationError):
        RequestId(originator="00DB1234567890A0", target="00DB1234567890A1", counter=-1)
    with pytest.raises(ValidationError):
        RequestId(originator="00DB1234567890A0", target="00DB1234567890A1", counter=True)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("00-DB-12-34-56-78-90-A0:1002", "found 2"),
        ("00-DB-12-34-56-78-90-A0:00-DB-12-34-56-78-90-A1:01", "leading zeros"),
        ("00-DB-12-34-56-78-90-A0:00-DB-12-34-56-78-90-A1:-1", "without sign"),
        ("00-DB-12-34-56-78-90-A0:00-DB-12-34-56-78-90-A1:", "counter ''"),
        ("00-DB-12-34-56-78-90:00-DB-12-34-56-78-90-A1:1", "bad originator"),
        ("00-DB-12-34-56-78-90-A0:00-DB-12-34-56-78-90-Z1:1", "bad target"),
    ],
)
def test_request_id_parse_errors_are_clear(text: str, why: str) -> None:
    with pytest.raises(InvalidRequestId) as info:
        RequestId.parse(text)
    assert why in str(info.value)


# --- MPAN ---

# Valid cores found in public industry sample data (a sample D0010 flow; the 'mpan' library's README).
VALID_MPANS = ["1200023305967", "2200031930792", "1312345678907"]


@pytest.mark.parametrize("mpan", VALID_MPANS)
def test_valid_mpans(mpan: str) -> None:
    assert validate_mpan(mpan) == mpan
    assert make_mpan(mpan[:12]) == mpan
    assert mpan_check_digit(mpan[:12]) == int(mpan[12])


def test_mpan_check_digit_worked_example() -> None:
    # 1*3 + 2*5 + 0*7 + 0*13 + 0*17 + 2*19 + 3*23 + 3*29 + 0*31 + 5*37 + 9*41 + 6*43 = 1019
    # 1019 = 92*11 + 7, and 7 mod 10 = 7: the check digit of 1200023305967.
    weights = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)
    total = sum(int(d) * w for d, w in zip("120002330596", weights, strict=True))
    assert total == 1019
    assert total % 11 % 10 == 7 == mpan_check_digit("120002330596")


def test_sample_mpans_are_test_numbers_with_wrong_check_digits(sample_files: list[Path]) -> None:
    # The DUIS samples use '13123456781nn' style numbers whose check digits are not valid.
    values = []
    for path in sample_files:
        doc = etree.parse(str(path))
        for tag in ("ImportMPxN", "SecondaryImportMPAN", "ImportMPAN"):
            values += [n.text or "" for n in doc.iterfind(f".//sr:{tag}", namespaces=NS)]
    mpans = sorted({v for v in values if len(v) == 13})
    assert "1312345678111" in mpans
    for mpan in mpans:
        assert validate_mpan(mpan, check_digits=False) == mpan
        with pytest.raises(InvalidMpxn, match="check digit"):
            validate_mpan(mpan)


@pytest.mark.parametrize(
    ("mpan", "why"),
    [
        ("1200023305968", "check digit 8, expected 7"),
        ("1200023305961", "check digit 1, expected 7"),
        ("120002330596", "has 12 digits; expected 13"),
        ("12000233059670", "has 14 digits"),
        ("12000233O5967", "digits only"),
        ("0900023305967", "Distributor ID '09'"),
    ],
)
def test_invalid_mpans(mpan: str, why: str) -> None:
    with pytest.raises(InvalidMpxn) as info:
        validate_mpan(mpan)
    assert why in str(info.value) and repr(mpan) in str(info.value)


def test_distributor_id_and_areas() -> None:
    assert distributor_id("1200023305967") == "12"
    assert DNO_AREAS["12"] == "London"
    assert sorted(DNO_AREAS) == [str(i) for i in range(10, 24)]
    with pytest.raises(InvalidMpxn):
        distributor_id("1200023305960")
    with pytest.raises(InvalidMpxn, match="Distributor ID"):
        make_mpan("051234567890")


def test_make_mpan_every_distributor_makes_valid_numbers() -> None:
    for dist in DNO_AREAS:
        mpan = make_mpan(f"{dist}0000012345")
        assert validate_mpan(mpan) == mpan and distributor_id(mpan) == dist


# --- MPRN ---


def test_published_mprn_example() -> None:
    # Base 39384244, weights 8..1: 24+63+18+40+16+6+8+4 = 179; 179 mod 11 = 3 -> '03'.
    assert mprn_check_digits("39384244") == "03"
    assert validate_mprn("3938424403") == "3938424403"
    assert make_mprn("39384244") == "3938424403"


@pytest.mark.parametrize("base", ["1234", "98765", "123456", "7654321", "12345678"])
def test_make_mprn_round_trip(base: str) -> None:
    mprn = make_mprn(base)
    assert len(mprn) == len(base) + 2
    assert validate_mprn(mprn) == mprn


def test_mprn_check_digits_can_be_ten() -> None:
    # 1*8+2*7+3*6+4*5+5*4+6*3+7*2+8*1 = 120; 120 mod 11 = 10.
    assert make_mprn("12345678") == "1234567810"


def test_sample_mprn_is_a_test_number(sample_files: list[Path]) -> None:
    mprns = set()
    for path in sample_files:
        mprns |= {n.text or "" for n in etree.parse(str(path)).iterfind(".//sr:ImportMPRN", namespaces=NS)}
    assert mprns == {"1234567890"}
    assert validate_mprn("1234567890", check_digits=False) == "1234567890"
    with pytest.raises(InvalidMpxn, match="check digits 90, expected 10"):
        validate_mprn("1234567890")


@pytest.mark.parametrize(
    ("mprn", "why"),
    [
        ("3938424404", "expected 03"),
        ("12345", "has 5 digits; expected 6 to 10"),
        ("12345678901", "has 11 digits"),
        ("39384244O3", "digits only"),
    ],
)
def test_invalid_mprns(mprn: str, why: str) -> None:
    with pytest.raises(InvalidMpxn) as info:
        validate_mprn(mprn)
    assert why in str(info.value)


# --- properties ---

_eui_ints = st.integers(min_value=0, max_value=2**64 - 1)


@given(_eui_ints, _eui_ints, st.integers(min_value=0, max_value=MAX_REQUEST_COUNTER))
def test_request_id_round_trips_for_any_values(originator: int, target: int, counter: int) -> None:
    rid = RequestId(originator=f"{originator:016x}", target=f"{target:016X}", counter=counter)
    assert DUIS_EUI.fullmatch(rid.originator) and DUIS_EUI.fullmatch(rid.target)
    assert RequestId.parse(str(rid)) == rid
    assert RequestId.model_validate(rid.model_dump()) == rid


@given(st.sampled_from(sorted(DNO_AREAS)), st.integers(min_value=0, max_value=10**10 - 1))
def test_make_mpan_always_validates(dist: str, unique: int) -> None:
    mpan = make_mpan(f"{dist}{unique:010d}")
    assert validate_mpan(mpan) == mpan
    wrong = mpan[:12] + str((int(mpan[12]) + 1) % 10)
    with pytest.raises(InvalidMpxn):
        validate_mpan(wrong)


@given(st.integers(min_value=1000, max_value=10**8 - 1))
def test_make_mprn_always_validates(base: int) -> None:
    mprn = make_mprn(str(base))
    assert validate_mprn(mprn) == mprn
