"""EUI-64 and distinguished-name helpers, and the small DER codec."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from dccflow.security import eui64_bytes, format_eui64, names_equal, normalise_name, parse_name
from dccflow.security._der import (
    decode_hardware_module_name,
    decode_oid,
    encode_hardware_module_name,
    encode_oid,
    read_tlv,
)

U1 = x509.Name(
    [
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07"),
        x509.NameAttribute(NameOID.COMMON_NAME, "U1"),
    ]
)


def test_eui64_forms() -> None:
    raw = bytes.fromhex("90B3D51F30010000")
    assert eui64_bytes("90-B3-D5-1F-30-01-00-00") == raw
    assert eui64_bytes("90b3d51f30010000") == raw
    assert format_eui64(raw) == "90-B3-D5-1F-30-01-00-00"
    for bad in ("90-B3-D5-1F-30-01-00", "90B3D51F3001000G", "90:B3:D5:1F:30:01:00:00", ""):
        with pytest.raises(ValueError):
            eui64_bytes(bad)
    with pytest.raises(ValueError):
        format_eui64(b"\x00" * 7)


@pytest.mark.parametrize("text", ["CN=U1,OU=07", "CN=U1, OU=07", "CN=U1,  OU=07", " CN=U1, OU=07 "])
def test_whitespace_after_commas_tolerated(text: str) -> None:
    assert parse_name(text) == U1
    assert normalise_name(text) == "CN=U1,OU=07"
    assert names_equal(text, U1)


@pytest.mark.parametrize("text", ["CN=u1,OU=07", "OU=07,CN=U1", "CN=U1,OU=7", "CN=U1"])
def test_otherwise_exact(text: str) -> None:
    assert not names_equal(text, U1)


def test_escaped_separators_are_kept() -> None:
    name = parse_name(r"CN=Acme\, Ltd, O=Acme")
    assert name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Acme, Ltd"
    assert names_equal(normalise_name(name), name)


def test_unique_identifier_round_trips_through_rfc4514() -> None:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "DCC"),
            x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, "90B3D51F30000002"),
        ]
    )
    assert names_equal(name.rfc4514_string().replace(",", ", "), name)


def test_malformed_names() -> None:
    assert not names_equal("not a name", U1)
    with pytest.raises(ValueError):
        parse_name("")


@pytest.mark.parametrize(
    "oid", ["1.3.6.1.5.5.7.8.4", "2.25.279452393986662228877477831429985685308", "0.9.2342"]
)
def test_oid_round_trip(oid: str) -> None:
    der = encode_oid(oid)
    assert x509.ObjectIdentifier(oid).dotted_string == oid
    tag, content, end = read_tlv(der)
    assert tag == 0x06 and end == len(der)
    assert decode_oid(content) == oid


def test_hardware_module_name_round_trip_and_errors() -> None:
    der = encode_hardware_module_name("1.2.3.4", b"\x00\xdb\x12\x34\x56\x78\x90\xa0")
    assert decode_hardware_module_name(der) == ("1.2.3.4", b"\x00\xdb\x12\x34\x56\x78\x90\xa0")
    for bad in (der[:-1], der + b"\x00", b"\x04\x00", b"\x30\x80\x00\x00"):
        with pytest.raises(ValueError):
            decode_hardware_module_name(bad)
