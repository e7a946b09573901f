"""DUIS Service Requests: build an unsigned ``sr:Request``, parse one into a typed model.

The element built here is *unsigned*. The XML-signature module appends ``ds:Signature`` as the last
child of the root later (the schema allows it after ``Body``); nothing here depends on it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree
from pydantic import BaseModel, ConfigDict

import dccflow.duis.schema as _schema
from dccflow.domain.ids import eui64_key, normalise_eui64
from dccflow.duis._ids import check_message_id, make_message_id, split_message_id
from dccflow.duis.leaves import element_kinds
from dccflow.duis.schema import NS_DS, NS_SR, SCHEMA_VERSION, DuisConfigError, DuisError, DuisSchemaError
from dccflow.duis.srv import service_reference_for
from dccflow.duis.tree import append_child, to_data

__all__ = [
    "DuisRequest",
    "RequestHeader",
    "build_request",
    "is_signed",
    "make_request_id",
    "parse_request",
    "request_from_element",
    "to_bytes",
]

_SR = f"{{{NS_SR}}}"


class RequestHeader(BaseModel):
    """The ``sr:Header`` of a Service Request."""

    model_config = ConfigDict(frozen=True)

    request_id: str  # originator:target:counter, as in the message
    originator: str  # Business Originator ID (the sending User's EUI-64)
    target: str  # Business Target ID (Device ID, or the DCC's ID for DCC-only requests)
    counter: int  # Originator Counter
    command_variant: int
    service_reference: str
    service_reference_variant: str
    first_in_sequence: bool | None = None
    preceding_request_id: str | None = None


class DuisRequest(BaseModel):
    """A parsed Service Request."""

    header: RequestHeader
    body_element: str  # local name of the sr:Body child, e.g. "UpdateHANDeviceLog"
    body: dict[str, Any]  # that child as typed data (``_typed_body``; {} for an empty element)
    signed: bool  # whether a ds:Signature is present (not whether it verifies)


def make_request_id(originator: str, target: str, counter: int) -> str:
    """``originator:target:counter`` with canonical EUI-64s (upper case, ``-`` separated)."""
    try:
        return make_message_id(originator, target, counter)
    except ValueError as exc:
        raise DuisError(str(exc)) from None


def build_request(
    *,
    request_id: str,
    service_reference_variant: str,
    body_element: str,
    body: Mapping[str, Any] | None,
    command_variant: int,
    first_in_sequence: bool | None = None,
    preceding_request_id: str | None = None,
) -> etree._Element:
    """Build an unsigned ``sr:Request`` (schemaVersion 5.4).

    ``body`` is written with :func:`dccflow.duis.tree.to_element` rules as the single child
    ``body_element`` of ``sr:Body``. The result is not schema-validated here (the typed builders in
    :mod:`dccflow.duis.requests` do that); use :func:`dccflow.duis.schema.validate` when needed.
    """
    try:
        check_message_id(request_id)
        if preceding_request_id is not None:
            check_message_id(preceding_request_id)
    except ValueError as exc:
        raise DuisError(str(exc)) from None
    if (
        isinstance(command_variant, bool)
        or not isinstance(command_variant, int)
        or not 1 <= command_variant <= 9
    ):
        raise DuisError(f"CommandVariant must be an int 1..9, got {command_variant!r}")
    reference = service_reference_for(service_reference_variant)

    root = etree.Element(f"{_SR}Request", nsmap={"sr": NS_SR, "ds": NS_DS})
    root.set("schemaVersion", SCHEMA_VERSION)
    header = append_child(root, "Header")
    append_child(header, "RequestID", request_id)
    if first_in_sequence is not None:
        append_child(header, "FirstInSequence", first_in_sequence)
    if preceding_request_id is not None:
        append_child(header, "PrecedingServiceRequestID", preceding_request_id)
    append_child(header, "CommandVariant", command_variant)
    append_child(header, "ServiceReference", reference)
    append_child(header, "ServiceReferenceVariant", service_reference_variant)
    container = append_child(root, "Body")
    append_child(container, body_element, dict(body) if body is not None else None)
    return root


def to_bytes(el: etree._Element | etree._ElementTree) -> bytes:
    """Serialise as UTF-8 with an XML declaration (no pretty-printing: signatures stay stable)."""
    return etree.tostring(el, xml_declaration=True, encoding="UTF-8")


_SIGNATURE = f"{{{NS_DS}}}Signature"


def is_signed(root: etree._Element) -> bool:
    """Whether the message root carries a ``ds:Signature`` child."""
    return root.find(_SIGNATURE) is not None


def _first_children(parent: etree._Element) -> dict[str, etree._Element]:
    """``parent``'s element children by tag, the first of each: one pass, one proxy per child (lxml's ``find()``
    parses a path and walks the children on every call)."""
    first: dict[str, etree._Element] = {}
    for child in parent.iterchildren(etree.Element):  # elements only: no comments nor processing instructions
        first.setdefault(child.tag, child)
    return first


def _required_text(parent: etree._Element, children: Mapping[str, etree._Element], name: str) -> str:
    el = children.get(f"{_SR}{name}")
    text = el.text if el is not None else None
    if text is None or not text.strip():
        raise DuisSchemaError(
            f"DUIS message is missing <{name}>", element=name, line=parent.sourceline, problem="missing"
        )
    return text.strip()


def _optional_text(children: Mapping[str, etree._Element], name: str) -> str | None:
    el = children.get(f"{_SR}{name}")
    return el.text.strip() if el is not None and el.text is not None else None


def _int_text(parent: etree._Element, children: Mapping[str, etree._Element], name: str) -> int:
    text = _required_text(parent, children, name)
    try:
        return int(text)
    except ValueError:
        raise DuisSchemaError(f"<{name}> is not an integer: {text!r}", element=name, line=None) from None


def _body_child(body: etree._Element | None) -> etree._Element:
    children = list(body.iterchildren(etree.Element)) if body is not None else []
    if len(children) != 1:
        raise DuisSchemaError("DUIS Body must hold exactly one element", element="Body", line=None)
    return children[0]


def _typed_body(body_el: etree._Element) -> dict | str:
    """The body as typed values (``dccflow.duis.leaves``): leaves are text, never ``{}``; EUI-64s in the one
    form they are compared and stored in. Without a DUIS schema (``validate=False`` callers), as
    ``to_data`` reads any element."""
    try:
        kinds = element_kinds()
    except DuisConfigError:
        return to_data(body_el)
    return to_data(body_el, containers=kinds.containers, leaves=_eui_leaves(kinds.eui))


@functools.lru_cache(maxsize=8)
def _eui_leaves(names: frozenset[str]) -> dict[str, Callable[[str], str]]:
    """The schema's ``sr:EUI`` elements, each read as ``eui64_key`` (``to_data``'s ``leaves``)."""
    return dict.fromkeys(names, eui64_key)


def request_from_element(root: etree._Element) -> DuisRequest:
    """Extract a :class:`DuisRequest` from an ``sr:Request`` root (no schema validation here).

    The header's originator and target, the RequestID built from them and every ``sr:EUI`` in the body are
    in the normalised EUI-64 form (``dccflow.domain.ids.normalise_eui64``): ``00-db-…`` and ``00-DB-…`` name
    one Device, for anti-replay and the inventory alike."""
    if root.tag != f"{_SR}Request":
        raise DuisError(f"not a DUIS Service Request: root element is {root.tag!r}")
    parts = _first_children(root)
    header = parts.get(f"{_SR}Header")
    if header is None:
        raise DuisSchemaError("DUIS Request has no Header", element="Header", line=None)
    fields = _first_children(header)
    request_id = _required_text(header, fields, "RequestID")
    try:
        originator, target, counter = split_message_id(request_id)
    except ValueError as exc:
        raise DuisSchemaError(str(exc), element="RequestID", line=None) from None
    originator, target = normalise_eui64(originator), normalise_eui64(target)
    first = _optional_text(fields, "FirstInSequence")
    body_el = _body_child(parts.get(f"{_SR}Body"))
    data = _typed_body(body_el)
    return DuisRequest(
        header=RequestHeader(
            request_id=f"{originator}:{target}:{counter}",  # one form, however the EUI-64s were written
            originator=originator,
            target=target,
            counter=counter,
            command_variant=_int_text(header, fields, "CommandVariant"),
            service_reference=_required_text(header, fields, "ServiceReference"),
            service_reference_variant=_required_text(header, fields, "ServiceReferenceVariant"),
            first_in_sequence=None if first is None else first in ("true", "1"),
            preceding_request_id=_optional_text(fields, "PrecedingServiceRequestID"),
        ),
        body_element=etree.QName(body_el).localname,
        body=data if isinstance(data, dict) else {"#text": data},
        signed=_SIGNATURE in parts,  # is_signed, from the same pass
    )


def parse_request(xml: bytes, *, validate: bool = True) -> DuisRequest:
    """Securely parse a Service Request, validate it against the DUIS 5.4 schema and extract it.

    Raises :class:`~dccflow.duis.schema.DuisParseError` for unacceptable XML and
    :class:`~dccflow.duis.schema.DuisSchemaError` for schema violations.
    """
    root = _schema.secure_parse(xml)
    if validate:
        _schema.validate(root)
    return request_from_element(root)
