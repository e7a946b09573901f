"""Generic, order-preserving conversion between nested Python data and DUIS XML elements.

Writing (:func:`to_element`, :func:`append_child`) accepts:

* ``str`` - written as is (hexBinary and base64Binary values are passed as strings: this module never
  guesses an encoding for ``bytes``, which are refused);
* ``bool`` - ``true`` / ``false``; ``int`` / ``Decimal`` / ``float`` - decimal notation;
* ``datetime`` - ``xs:dateTime`` in UTC with a ``Z`` suffix (naive datetimes are refused);
  ``date`` / ``time`` - ISO format;
* a ``Mapping`` - one child per key, in insertion order. A value that is a list or tuple gives one
  repeated child per item; a value of ``None`` is skipped (handy for optional elements). Keys starting
  with ``@`` are attributes and the key ``#text`` is the element's text (only needed for the few DUIS
  elements with attributes, e.g. ``BlockThreshold index="1"``);
* ``None`` or an empty mapping - an empty element (e.g. ``<sr:DeleteDevice/>``).

Names are local names in the sr namespace unless given in Clark notation (``{ns}local``).

Reading (:func:`to_data`) is the inverse: leaves become ``str``, elements with children (or attributes)
become ``dict`` keyed by local name with repeated children gathered into lists, empty elements become
``{}``. Comments and processing instructions are ignored. Types are not recovered: everything is text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from lxml import etree

from dccflow.duis.schema import NS_SR

__all__ = ["append_child", "format_datetime", "format_value", "parse_datetime", "to_data", "to_element"]


def _qname(name: str, ns: str) -> str:
    if name.startswith("{"):
        return name
    if not name or ":" in name or name.startswith(("@", "#")):
        raise ValueError(f"invalid element name {name!r}")
    return f"{{{ns}}}{name}"


def format_datetime(value: datetime) -> str:
    """``xs:dateTime`` in UTC with ``Z``; fractional seconds only when non-zero."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: DUIS date-times must be timezone-aware (use UTC)")
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


_DT_RE = re.compile(
    r"^(?P<base>-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?(?P<tz>Z|[+-]\d{2}:\d{2})?$"
)


def parse_datetime(text: str) -> datetime:
    """Parse an ``xs:dateTime`` (any fraction length, ``Z`` or offset) into an aware UTC datetime.

    A value without a zone designator is taken as UTC. Raises ``ValueError`` for a value that is not an
    ``xs:dateTime`` or falls outside the years 1 to 9999 once in UTC.
    """
    match = _DT_RE.match(text.strip())
    if not match:
        raise ValueError(f"not an xs:dateTime: {text!r}")
    frac = (match.group("frac") or "0")[:6].ljust(6, "0")
    tz = match.group("tz") or "Z"
    try:
        parsed = datetime.fromisoformat(f"{match.group('base')}.{frac}{'+00:00' if tz == 'Z' else tz}")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # e.g. 9999-12-31T23:59:59-14:00 is in year 10000 in UTC
        raise ValueError(f"xs:dateTime {text!r} is outside the years 1 to 9999 in UTC: {exc}") from None


def format_value(value: Any) -> str:
    """Lexical form of a scalar value (see the module docstring for the accepted types)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"non-finite decimal {value!r}")
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError("bytes are not accepted: pass hexBinary / base64Binary values as str explicitly")
    raise TypeError(f"unsupported value type {type(value).__name__}")


def _fill(el: etree._Element, value: Any, ns: str) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"mapping keys must be str, got {key!r}")
            if key.startswith("@"):
                if item is not None:
                    el.set(key[1:], format_value(item))
            elif key == "#text":
                if item is not None:
                    el.text = format_value(item)
            elif isinstance(item, list | tuple):
                for entry in item:
                    append_child(el, key, entry, ns=ns)
            elif item is not None:
                append_child(el, key, item, ns=ns)
        return
    if isinstance(value, list | tuple):
        raise TypeError("a list is only meaningful as a mapping value (repeated child elements)")
    el.text = format_value(value)


def to_element(name: str, value: Any = None, *, ns: str = NS_SR) -> etree._Element:
    """Build a detached element ``name`` holding ``value`` (prefix ``sr`` for the sr namespace)."""
    el = etree.Element(_qname(name, ns), nsmap={"sr": NS_SR} if ns == NS_SR else None)
    _fill(el, value, ns)
    return el


def append_child(parent: etree._Element, name: str, value: Any = None, *, ns: str = NS_SR) -> etree._Element:
    """Append a child ``name`` holding ``value`` to ``parent`` and return it."""
    el = etree.SubElement(parent, _qname(name, ns))
    _fill(el, value, ns)
    return el


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def to_data(el: etree._Element, *, containers: Container[str] | None = None,
            leaves: Mapping[str, Callable[[str], str]] | None = None) -> dict | str:
    """Nested data of an element (see the module docstring); inverse of :func:`to_element`.

    ``containers`` (typed reading, ``dccflow.duis.leaves``): the local names of elements that hold other
    elements. Given, every other childless element is a leaf whose value is its text without surrounding
    whitespace (``""`` when blank, never ``{}``), and ``xsi:`` attributes are not data. ``leaves`` (typed reading
    only): per local name, how a child leaf's text becomes its value (an EUI-64 in its one form,
    ``dccflow.duis.messages``), read in the same pass.
    """
    if leaves is not None and containers is None:
        raise TypeError("to_data: leaves are read in the typed reading only (give containers)")
    if containers is not None:
        data = _typed_children(el, containers, leaves or {}) if len(el) else None
        return data if data is not None else _childless(el, _local(el.tag) in containers)
    children = [child for child in el if isinstance(child.tag, str)]
    attrs = {f"@{_local(k)}": v for k, v in el.attrib.items()}
    text = el.text if el.text is not None and el.text.strip() else None
    if not children:
        if attrs:
            return {**attrs, "#text": text} if text is not None else attrs
        return text if text is not None else {}
    data: dict[str, Any] = dict(attrs)
    for child in children:
        key = _local(child.tag)
        _gather(data, key, to_data(child))
    return data


def _typed_children(el: etree._Element, containers: Container[str],
                    leaves: Mapping[str, Callable[[str], str]]) -> dict | None:
    """``to_data``'s typed reading of ``el``'s element children (its attributes first): None when it has none (only
    comments or processing instructions). One pass over the children, each leaf read where it is met: the DCC reads
    every Service Request's body this way (issue #18)."""
    data: dict[str, Any] | None = None
    for child in el.iterchildren(etree.Element):  # elements only
        key = _local(child.tag)
        value = _typed_children(child, containers, leaves) if len(child) else None
        if value is None:
            value = _childless(child, key in containers)
        if isinstance(value, str):
            read = leaves.get(key)
            if read is not None:
                value = read(value)
        if data is None:
            data = _typed_attributes(el)
        _gather(data, key, value)
    return data


def _gather(data: dict[str, Any], key: str, value: Any) -> None:
    """Add a child's ``value`` under ``key``: repeated children are gathered into a list, in document order."""
    existing = data.get(key, _ABSENT)
    if existing is _ABSENT:
        data[key] = value
    elif isinstance(existing, list):
        existing.append(value)
    else:
        data[key] = [existing, value]


_ABSENT = object()


def _childless(el: etree._Element, container: bool) -> dict | str:
    """An element without element children, read typed: a leaf (not a ``container``) is its text stripped, ``""``
    when blank; an empty container is ``{}``, or its text if it has some."""
    attrs = _typed_attributes(el)
    if not container:
        text = (el.text or "").strip()
        return ({**attrs, "#text": text} if text else attrs) if attrs else text
    text = el.text if el.text is not None and el.text.strip() else None
    if attrs:
        return {**attrs, "#text": text} if text is not None else attrs
    return text if text is not None else {}


_XSI_PREFIX = f"{{{NS_XSI}}}"


def _typed_attributes(el: etree._Element) -> dict[str, str]:
    """``@name`` -> value of ``el``'s attributes; ``xsi:`` ones are not data."""
    attrib = el.attrib
    if not len(attrib):
        return {}
    return {f"@{_local(k)}": v for k, v in attrib.items() if not k.startswith(_XSI_PREFIX)}
