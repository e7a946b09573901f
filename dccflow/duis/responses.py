"""What the DCC sends to Users: Service Responses, DCC Alerts and Device Alerts (all ``sr:Response``).

ResponseID (``sr:ResponseIDType``) has the same lexical form as a RequestID:
``<originator EUI-64>:<target EUI-64>:<counter>``. This package fills it as: originator = the party
that generated the message (the Device ID for a Device Alert or a Device's response; the DCC's own
EUI-64 for DCC Alerts and DCC-only Service Responses), target = the receiving User's ID, counter =
the originator's counter. :func:`make_response_id` builds one. A Device Alert body carries no Device
ID, so its ResponseID is what identifies the Device: :func:`build_device_alert` always sets it and
:func:`parse_response` reads ``device_id`` back from it.

Every builder validates its output against the DUIS 5.4 schema before returning it, except a Service Response
without payload: a fixed template proved valid for every SRV and ResponseCode by the tests
(``build_service_response``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from lxml import etree
from pydantic import BaseModel

import dccflow.duis._ids as _ids
import dccflow.duis.schema as _schema
from dccflow.duis.messages import is_signed
from dccflow.duis.response_codes import NOT_SUPPORTED_CODE, RESPONSE_CODES, describe_response_code
from dccflow.duis.schema import NS_DS, NS_SR, SCHEMA_VERSION, DuisError, DuisSchemaError
from dccflow.duis.srv import service_reference_for
from dccflow.duis.tree import append_child, parse_datetime, to_data

__all__ = [
    "NOT_SUPPORTED_CODE",
    "RESPONSE_CODES",
    "DuisResponse",
    "build_dcc_alert",
    "build_device_alert",
    "build_service_response",
    "describe_response_code",
    "make_response_id",
    "n16_device_identity_confirmation",
    "parse_response",
    "response_code_of",
    "response_from_element",
    "update_han_device_log_result",
]

_SR = f"{{{NS_SR}}}"


def make_response_id(originator: str, target: str, counter: int) -> str:
    """A valid ResponseID ``originator:target:counter`` (EUI-64s canonicalised)."""
    try:
        return _ids.make_message_id(originator, target, counter)
    except ValueError as exc:
        raise DuisError(str(exc)) from None


def _check_id(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    try:
        return _ids.check_message_id(value)
    except ValueError as exc:
        raise DuisError(f"{what}: {exc}") from None


def _ids_eui(value: str) -> str:
    try:
        return _ids.eui64(value)
    except ValueError as exc:
        raise DuisError(str(exc)) from None


def _envelope(
    *, request_id: str | None, response_id: str | None, response_code: str, at: datetime
) -> tuple[etree._Element, etree._Element]:
    if response_code not in RESPONSE_CODES:
        raise DuisError(f"{response_code!r} is not a DUIS 5.4 ResponseCode")
    root = etree.Element(f"{_SR}Response", nsmap={"sr": NS_SR, "ds": NS_DS})
    root.set("schemaVersion", SCHEMA_VERSION)
    header = {
        "RequestID": _check_id(request_id, "request_id"),  # optional: None is omitted
        "ResponseID": _check_id(response_id, "response_id"),
        "ResponseCode": response_code,
        "ResponseDateTime": at,
    }
    append_child(root, "Header", header)
    return root, append_child(root, "Body")


def _finish(root: etree._Element) -> etree._Element:
    _schema.validate(root)
    return root


# ------------------------------------------------------------------------------- Service Responses


def build_service_response(
    *,
    request_id: str | None,
    response_code: str,
    at: datetime,
    service_reference_variant: str,
    payload: tuple[str, Mapping[str, Any] | str] | None = None,
    response_id: str | None = None,
) -> etree._Element:
    """An ``sr:Response`` carrying ``Body/ResponseMessage``.

    ``payload`` is the optional ``(element name, data)`` of the ResponseMessage choice, e.g.
    ``("PreCommand", {"GBCSVersion": "4.0", "GBCSPayload": b64})``, ``("DSPInventory", {"Device":
    [...]})`` or ``("GBCSPayload", b64_text)``.
    """
    root, body = _envelope(request_id=request_id, response_id=response_id, response_code=response_code, at=at)
    message = append_child(body, "ResponseMessage")
    append_child(message, "ServiceReference", service_reference_for(service_reference_variant))
    append_child(message, "ServiceReferenceVariant", service_reference_variant)
    if payload is not None:
        name, data = payload
        append_child(message, name, data)
        return _finish(root)
    # No payload: one fixed template whose variables were each checked while it was built (the IDs against the
    # schema's pattern and range by ``_check_id``, the code and the SRV against the schema's enumerations, the
    # date-time formatted by ``append_child``); tests/duis/test_response_template.py validates it for every SRV
    # and ResponseCode, so the DCC's hot path (acknowledgements, Non-Device replies) skips the schema pass.
    return root


# -------------------------------------------------------------------------------------- DCC Alerts


def build_dcc_alert(
    *,
    alert_code: str,
    at: datetime,
    alert: tuple[str, Mapping[str, Any]],
    request_id: str | None = None,
    response_id: str | None = None,
    response_code: str = "I0",
    throttled_alert_sequence_id: int | None = None,
    throttled_alert_count: int | None = None,
) -> etree._Element:
    """An ``sr:Response`` carrying ``Body/DCCAlertMessage`` (``DCCAlertCode`` + ``DCCAlert/<choice>``).

    ``alert`` is the ``(choice element name, data)`` inside ``DCCAlert``, e.g.
    ``("UpdateHANDeviceLogResult", {"UpdateHANDeviceLogServiceRequestID": rid})``.
    """
    root, body = _envelope(request_id=request_id, response_id=response_id, response_code=response_code, at=at)
    name, data = alert
    append_child(
        body,
        "DCCAlertMessage",
        {
            "DCCAlertCode": alert_code,
            "ThrottledAlertSequenceId": throttled_alert_sequence_id,
            "ThrottledAlertCount": throttled_alert_count,
            "DCCAlert": {name: data},
        },
    )
    return _finish(root)


def n16_device_identity_confirmation(
    *,
    device_id: str,
    import_mpxn: str,
    at: datetime,
    secondary_import_mpan: str | None = None,
    export_mpan: str | None = None,
    esme_variant: str | None = None,
    request_id: str | None = None,
    response_id: str | None = None,
) -> etree._Element:
    """DCC Alert N16 'Device Identity Confirmation' to the Network Operator.

    Sent when a meter's MPxN is associated with it (e.g. on 8.11 adding it to a CHF's Device Log).
    The DUIS schema gives no code-to-body table; the only ``DCCAlert`` choice that carries a Device
    ID together with its MPxN(s) as an identity statement is
    ``DeviceStatusChangeEvent/DeviceStatusChange/MeterIdentity`` (``MeterMPxNs`` + optional
    ``ESMEVariant``), so N16 uses that.
    """
    identity = {
        "MeterMPxNs": {
            "ImportMPxN": import_mpxn,
            "SecondaryImportMPAN": secondary_import_mpan,
            "ExportMPAN": export_mpan,
        },
        "ESMEVariant": esme_variant,
    }
    event = {"DeviceID": _ids_eui(device_id), "DeviceStatusChange": {"MeterIdentity": identity}}
    return build_dcc_alert(
        alert_code="N16",
        at=at,
        alert=("DeviceStatusChangeEvent", event),
        request_id=request_id,
        response_id=response_id,
    )


def update_han_device_log_result(
    *,
    success: bool,
    update_han_device_log_request_id: str,
    at: datetime,
    request_id: str | None = None,
    response_id: str | None = None,
) -> etree._Element:
    """DCC Alert N24 (the Device joined within the join period) or N25 (it did not) to the Supplier.

    The body (``UpdateHANDeviceLogResult``) names the 8.11 request it reports on.
    """
    return build_dcc_alert(
        alert_code="N24" if success else "N25",
        at=at,
        alert=(
            "UpdateHANDeviceLogResult",
            {"UpdateHANDeviceLogServiceRequestID": _check_id(update_han_device_log_request_id, "request")},
        ),
        request_id=request_id,
        response_id=response_id,
    )


# ----------------------------------------------------------------------------------- Device Alerts


def build_device_alert(
    *,
    device_id: str,
    alert_code: int,
    at: datetime,
    gbcs_payload: bytes | None = None,
    recipient_id: str | None = None,
    counter: int | None = None,
    response_id: str | None = None,
    request_id: str | None = None,
    response_code: str = "I0",
    throttled_alert_sequence_id: int | None = None,
    throttled_alert_count: int | None = None,
) -> etree._Element:
    """An ``sr:Response`` carrying ``Body/DeviceAlertMessage`` (e.g. ``alert_code=0x8F12``).

    The schema requires ``AlertCode`` (hexBinary, written as 4 hex digits) and ``GBCSPayload``
    (base64 of the GBCS alert; empty when ``gbcs_payload`` is None). The body has no Device ID, so
    the ResponseID identifies the Device: pass ``response_id`` (its originator must be
    ``device_id``) or ``recipient_id`` + ``counter`` to have it built.
    """
    if isinstance(alert_code, bool) or not isinstance(alert_code, int) or not 0 <= alert_code <= 0xFFFF:
        raise DuisError(f"alert_code must be an int 0..0xFFFF, got {alert_code!r}")
    device = _ids_eui(device_id)
    if response_id is None:
        if recipient_id is None or counter is None:
            raise DuisError("build_device_alert needs response_id, or recipient_id and counter")
        response_id = make_response_id(device, recipient_id, counter)
    else:
        originator = _ids.split_message_id(_check_id(response_id, "response_id"))[0]
        if originator.upper() != device:
            raise DuisError(f"response_id originator {originator} is not the alerting Device {device}")
    root, body = _envelope(request_id=request_id, response_id=response_id, response_code=response_code, at=at)
    append_child(
        body,
        "DeviceAlertMessage",
        {
            "AlertCode": f"{alert_code:04X}",
            "ThrottledAlertSequenceId": throttled_alert_sequence_id,
            "ThrottledAlertCount": throttled_alert_count,
            "GBCSPayload": _ids.base64_text(gbcs_payload or b"", what="gbcs_payload"),
        },
    )
    return _finish(root)


# ------------------------------------------------------------------------------------------ parsing


class DuisResponse(BaseModel):
    """A parsed ``sr:Response`` of any of the three kinds.

    ``device_id``: Device Alerts - the ResponseID originator; DCC Alerts - the first Device ID found
    in the alert body (``DeviceID``, ``CHFDeviceID``, ``CommsHubDeviceID`` ...), if any; Service
    Responses - None. ``body`` is ``to_data`` of the Body child (ResponseMessage, DCCAlertMessage or
    DeviceAlertMessage).
    """

    kind: Literal["service_response", "dcc_alert", "device_alert"]
    request_id: str | None
    response_id: str | None
    response_code: str
    at: datetime
    service_reference_variant: str | None
    dcc_alert_code: str | None
    device_alert_code: int | None
    device_id: str | None
    body: dict[str, Any]
    signed: bool


_KINDS = {
    "ResponseMessage": "service_response",
    "DCCAlertMessage": "dcc_alert",
    "DeviceAlertMessage": "device_alert",
}
_DEVICE_ID_ELEMENTS = ("DeviceID", "CHFDeviceID", "CommsHubDeviceID", "ESMEDeviceID", "PPMIDDeviceID")


def _text(parent: etree._Element, path: str) -> str | None:
    el = parent.find(path, namespaces={"sr": NS_SR})
    return el.text.strip() if el is not None and el.text is not None else None


def response_from_element(root: etree._Element) -> DuisResponse:
    """Extract a :class:`DuisResponse` from an ``sr:Response`` root (no schema validation here)."""
    try:
        return _extract(root)
    except DuisError:
        raise
    except ValueError as exc:  # only reachable for unvalidated input (bad ids, dates, hex codes)
        raise DuisSchemaError(f"malformed DUIS Response: {exc}", element=None, line=None) from None


def _extract(root: etree._Element) -> DuisResponse:
    if root.tag != f"{_SR}Response":
        raise DuisError(f"not a DUIS Response: root element is {root.tag!r}")
    header = root.find(f"{_SR}Header")
    body = root.find(f"{_SR}Body")
    if header is None or body is None:
        raise DuisSchemaError("DUIS Response needs Header and Body", element="Response", line=None)
    children = [c for c in body if isinstance(c.tag, str)]
    if len(children) != 1 or etree.QName(children[0]).localname not in _KINDS:
        raise DuisError("unsupported DUIS Response body (SMETS1 responses are not handled)")
    message = children[0]
    kind = _KINDS[etree.QName(message).localname]
    response_id = _text(header, "sr:ResponseID")
    code, when = _text(header, "sr:ResponseCode"), _text(header, "sr:ResponseDateTime")
    if code is None or when is None:
        raise DuisSchemaError("DUIS Response header lacks ResponseCode/DateTime", element="Header", line=None)
    device_id = None
    device_alert_code = None
    if kind == "device_alert":
        alert_code = _text(message, "sr:AlertCode")
        device_alert_code = int(alert_code, 16) if alert_code else None
        if response_id:
            device_id = _ids.split_message_id(response_id)[0]
    elif kind == "dcc_alert":
        alert = message.find(f"{_SR}DCCAlert")
        for el in alert.iter() if alert is not None else ():
            if isinstance(el.tag, str) and etree.QName(el).localname in _DEVICE_ID_ELEMENTS and el.text:
                device_id = el.text.strip()
                break
    data = to_data(message)
    return DuisResponse(
        kind=kind,
        request_id=_text(header, "sr:RequestID"),
        response_id=response_id,
        response_code=code,
        at=parse_datetime(when),
        service_reference_variant=_text(message, "sr:ServiceReferenceVariant")
        if kind == "service_response"
        else None,
        dcc_alert_code=_text(message, "sr:DCCAlertCode") if kind == "dcc_alert" else None,
        device_alert_code=device_alert_code,
        device_id=device_id,
        body=data if isinstance(data, dict) else {},
        signed=is_signed(root),
    )


def response_code_of(xml: bytes) -> str:
    """The ``ResponseCode`` of an ``sr:Response``, read without extracting the rest: what a transport needs to
    tell an acceptance from a rejection. The bytes are parsed as securely as any message
    (``dccflow.duis.schema.secure_parse``) and the code must be one of DUIS's; validating the whole message is
    left to whoever takes it in (``activities.inbox``, the Pre-Command check), as for a reply handed over in
    process. Raises ``DuisParseError`` / ``DuisError`` / ``DuisSchemaError`` naming what is wrong."""
    root = _schema.secure_parse(xml)
    if root.tag != f"{_SR}Response":
        raise DuisError(f"not a DUIS Response: root element is {root.tag!r}")
    code = _text(root, "sr:Header/sr:ResponseCode")
    if code is None:
        raise DuisSchemaError("DUIS Response header lacks ResponseCode", element="ResponseCode", line=None)
    if code not in RESPONSE_CODES:
        raise DuisSchemaError(f"ResponseCode {code!r} is not a DUIS response code", element="ResponseCode",
                              line=None, problem="not in the ResponseCode enumeration")
    return code


def parse_response(xml: bytes, *, validate: bool = True) -> DuisResponse:
    """Securely parse an ``sr:Response``, validate it against the DUIS 5.4 schema and extract it."""
    root = _schema.secure_parse(xml)
    if validate:
        _schema.validate(root)
    return response_from_element(root)
