"""Generic nested data <-> sr-namespace XML conversion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from dccflow.duis.schema import NS_SR
from dccflow.duis.tree import append_child, format_datetime, parse_datetime, to_data, to_element


def test_mapping_children_keep_insertion_order_and_namespace():
    el = to_element("Outer", {"B": "2", "A": "1", "C": {"D": "x"}})
    assert el.tag == f"{{{NS_SR}}}Outer"
    assert [etree.QName(c).localname for c in el] == ["B", "A", "C"]
    assert all(c.tag.startswith(f"{{{NS_SR}}}") for c in el.iter())
    assert etree.tostring(el).startswith(b"<sr:Outer")


def test_round_trip_with_lists_attributes_and_empty_elements():
    data = {
        "Device": [{"DeviceID": "AA", "DeviceType": "ESME"}, {"DeviceID": "BB", "DeviceType": "GSME"}],
        "BlockThreshold": [{"@index": "1", "#text": "10"}, {"@index": "2", "#text": "20"}],
        "DeleteDevice": {},
        "Leaf": "value",
    }
    assert to_data(to_element("X", data)) == data


def test_scalar_formatting():
    el = to_element(
        "X",
        {
            "T": True,
            "F": False,
            "I": 42,
            "D": Decimal("1.50"),
            "R": 0.25,
            "Day": date(2025, 1, 2),
            "When": datetime(2025, 1, 2, 4, 5, 6, tzinfo=timezone(timedelta(hours=1))),
            "Skipped": None,
        },
    )
    assert to_data(el) == {
        "T": "true",
        "F": "false",
        "I": "42",
        "D": "1.50",
        "R": "0.25",
        "Day": "2025-01-02",
        "When": "2025-01-02T03:05:06Z",
    }


def test_datetime_rendering_and_parsing():
    assert format_datetime(datetime(2014, 12, 31, 23, 59, 10, tzinfo=UTC)) == "2014-12-31T23:59:10Z"
    assert format_datetime(datetime(2014, 12, 31, 23, 59, 10, 500000, tzinfo=UTC)) == "2014-12-31T23:59:10.5Z"
    assert parse_datetime("2014-12-31T23:59:10.00Z") == datetime(2014, 12, 31, 23, 59, 10, tzinfo=UTC)
    assert parse_datetime("2015-01-01T00:59:10+01:00") == datetime(2014, 12, 31, 23, 59, 10, tzinfo=UTC)
    assert parse_datetime("2014-12-31T23:59:10") == datetime(2014, 12, 31, 23, 59, 10, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_datetime("31/12/2014")


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        to_element("When", datetime(2025, 1, 1))


def test_bytes_are_refused_explicitly():
    with pytest.raises(TypeError, match="bytes"):
        to_element("InstallCode", b"\x01\x02")


def test_top_level_list_is_refused():
    with pytest.raises(TypeError):
        to_element("X", ["a", "b"])


def test_clark_names_and_append_child():
    parent = to_element("Parent")
    child = append_child(parent, "{urn:other}Child", "v")
    assert child.getparent() is parent
    assert to_data(parent) == {"Child": "v"}


def test_to_data_ignores_comments_and_whitespace():
    xml = f'<sr:A xmlns:sr="{NS_SR}">\n  <!-- note -->\n  <sr:B> text </sr:B>\n  <sr:C>\n  </sr:C>\n</sr:A>'
    el = etree.fromstring(xml.encode())
    assert to_data(el) == {"B": " text ", "C": {}}


def test_invalid_names_are_refused():
    with pytest.raises(ValueError):
        to_element("sr:Prefixed", "x")


def test_typed_reading_of_leaves_containers_and_repeats():
    """``containers`` given: a childless leaf is its stripped text ("" when blank), an empty container ``{}``, a
    child holding only a comment is childless, repeated children are a list in order, ``xsi:`` attributes are not
    data, and ``leaves`` reads a leaf's text where it is met (not a container's, not the element asked about)."""
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    xml = (f'<sr:A xmlns:sr="{NS_SR}" xmlns:xsi="{xsi}" n="1">'
           '<sr:Id> ab </sr:Id><sr:Note><!-- only a comment --></sr:Note><sr:Box/><sr:Blank>  </sr:Blank>'
           '<sr:Item index="2">x</sr:Item><sr:Item xsi:nil="true"/><sr:Item> y </sr:Item>'
           '<sr:Box><sr:Id>cd</sr:Id></sr:Box></sr:A>')
    el = etree.fromstring(xml.encode())
    data = to_data(el, containers={"Box", "A"}, leaves={"Id": str.upper, "A": str.upper})
    assert data == {"@n": "1", "Id": "AB", "Note": "", "Box": [{}, {"Id": "CD"}], "Blank": "",
                    "Item": [{"@index": "2", "#text": "x"}, "", "y"]}
    assert list(data) == ["@n", "Id", "Note", "Box", "Blank", "Item"]
    assert to_data(el[0], containers=set(), leaves={"Id": str.upper}) == "ab"  # the element itself is not read
    assert to_data(el[1], containers={"Note"}) == {}  # an empty container, comments aside
    # untyped reading keeps whitespace text and xsi: attributes, and reads no leaves
    assert to_data(el)["Id"] == " ab " and to_data(el)["Item"][1] == {"@nil": "true"}
    with pytest.raises(TypeError, match="typed reading only"):
        to_data(el, leaves={"Id": str.upper})
