"""Hardened parsing: XXE, entity expansion, oversize input; schema errors name the element at fault."""

from __future__ import annotations

import time

import pytest
from duis_support import CHF, ESME, USER, samples_dir
from lxml import etree

from dccflow.duis import schema as schema_module
from dccflow.duis.messages import make_request_id, parse_request, to_bytes
from dccflow.duis.requests import update_han_device_log_add
from dccflow.duis.responses import parse_response
from dccflow.duis.schema import (
    MAX_MESSAGE_BYTES,
    NS_SR,
    DuisParseError,
    DuisSchemaError,
    secure_parse,
    validate,
)

PASSWD = "/etc/passwd"


def _xxe(target: str = f"file://{PASSWD}") -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE sr:Request [<!ENTITY xxe SYSTEM "{target}">]>\n'
        f'<sr:Request xmlns:sr="{NS_SR}" schemaVersion="5.4"><sr:Header>'
        "<sr:RequestID>&xxe;</sr:RequestID></sr:Header></sr:Request>"
    ).encode()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>"
)


@pytest.fixture
def no_prescan(monkeypatch):
    """Disable the raw-bytes DOCTYPE scan to exercise the parser-level defences on their own."""
    monkeypatch.setattr(schema_module, "_DOCTYPE_MARKERS", ())


def _passwd_content() -> str | None:
    try:
        with open(PASSWD, encoding="utf-8") as fh:
            return fh.readline().strip() or None
    except OSError:  # pragma: no cover - platform without /etc/passwd
        return None


def test_xxe_is_refused_and_file_content_never_appears():
    with pytest.raises(DuisParseError) as info:
        parse_request(_xxe())
    line = _passwd_content()
    if line:
        assert line not in str(info.value)
    assert "root:" not in str(info.value)
    with pytest.raises(DuisParseError):
        parse_response(_xxe())


def test_xxe_is_refused_even_without_the_byte_scan(no_prescan):
    with pytest.raises(DuisParseError) as info:
        secure_parse(_xxe())
    assert "root:" not in str(info.value)
    assert "DOCTYPE" in str(info.value)


def test_external_dtd_reference_is_refused(no_prescan):
    doc = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://example.invalid/evil.dtd"><r/>'
    with pytest.raises(DuisParseError):
        secure_parse(doc)


def test_doctype_in_utf16_is_refused():
    doc = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'.encode("utf-16")
    with pytest.raises(DuisParseError):
        secure_parse(doc)


def test_billion_laughs_is_refused_quickly():
    started = time.perf_counter()
    with pytest.raises(DuisParseError):
        secure_parse(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0


def test_billion_laughs_without_byte_scan_is_not_expanded(no_prescan):
    started = time.perf_counter()
    with pytest.raises(DuisParseError):
        secure_parse(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0


def test_oversize_input_is_refused_before_parsing(monkeypatch):
    def boom(*args, **kwargs):  # pragma: no cover - must not be reached
        raise AssertionError("parser was called for an oversize message")

    monkeypatch.setattr(etree, "fromstring", boom)
    with pytest.raises(DuisParseError, match="limit"):
        secure_parse(b"<" + b"a" * MAX_MESSAGE_BYTES + b"/>")


def test_message_of_exactly_the_limit_is_accepted():
    raw = (samples_dir() / "8.2_READ_INVENTORY_REQUEST_DUIS.XML").read_bytes()
    padded = raw + b" " * (MAX_MESSAGE_BYTES - len(raw))
    assert len(padded) == MAX_MESSAGE_BYTES
    assert parse_request(padded).header.service_reference_variant == "8.2"


@pytest.mark.parametrize("bad", [b"", b"   ", b"<unclosed>", b"not xml at all", b"<a></b>"])
def test_malformed_input(bad):
    with pytest.raises(DuisParseError):
        secure_parse(bad)


def test_str_input_is_a_programming_error():
    with pytest.raises(TypeError):
        secure_parse("<a/>")  # type: ignore[arg-type]


def test_schema_invalid_join_time_period_names_the_element_in_a_parsed_message():
    raw = (samples_dir() / "CCS01_8.11_SUCCESS_REQUEST_DUIS.XML").read_bytes()
    start = raw.index(b"<sr:JoinTimePeriod>") + len(b"<sr:JoinTimePeriod>")
    end = raw.index(b"</sr:JoinTimePeriod>")
    tampered = raw[:start] + b"4000" + raw[end:]
    with pytest.raises(DuisSchemaError) as info:
        parse_request(tampered)
    err = info.value
    assert err.element == "JoinTimePeriod"
    assert err.line == raw[:start].count(b"\n") + 1
    assert "JoinTimePeriod" in str(err) and "4000" in str(err)
    assert err.path.endswith("JoinTimePeriod")


def test_schema_invalid_join_time_period_from_the_builder():
    with pytest.raises(DuisSchemaError) as info:
        update_han_device_log_add(
            request_id=make_request_id(USER, CHF, 1),
            device_id=ESME,
            install_code="00112233445566778899AABBCCDDEEFF",
            join_time_period=4000,
        )
    assert info.value.element == "JoinTimePeriod"
    assert info.value.line is None  # built in memory: no source line


def test_unvalidated_parse_still_reads_but_validate_refuses():
    raw = (
        (samples_dir() / "CCS01_8.11_SUCCESS_REQUEST_DUIS.XML")
        .read_bytes()
        .replace(b"<sr:JoinTimePeriod>90<", b"<sr:JoinTimePeriod>0<")
    )
    request = parse_request(raw, validate=False)
    assert request.body["AddDeviceToCHFWhitelist"]["JoinTimePeriod"] == "0"
    with pytest.raises(DuisSchemaError):
        validate(secure_parse(raw))


def test_wrong_root_is_a_schema_error():
    with pytest.raises(DuisSchemaError):
        validate(secure_parse(b"<foo/>"))


def test_builder_output_is_parseable_bytes():
    el = update_han_device_log_add(
        request_id=make_request_id(USER, CHF, 2),
        device_id=ESME,
        install_code="001122334455",
        join_time_period=1,
    )
    assert to_bytes(el).startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
