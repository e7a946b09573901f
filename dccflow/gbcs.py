"""The GBCS Payload of a Pre-Command and of a Signed Pre-Command, as the simulation carries them.

A Critical Service Request is Transformed by the DCC into a Pre-Command; the User checks it, Correlates it with
its Service Request and Digitally Signs its GBCS Payload to form the Signed Pre-Command (SEC Appendix AB 3.1,
3.2, 6.4(b); BAD 7.8.4.4.2). DUIS carries the payload as ``base64Binary`` (``ResponseMessage/PreCommand/
GBCSPayload``, ``Body/SignedPreCommand/GBCSPayload``). GBCS itself is not among the project's sources, so:

* the Pre-Command's GBCS Payload is the octets of the Command the DCC will send to the Device, exactly as
  :meth:`dccflow.messages.GbcsCommand.signed_payload` defines them (canonical JSON of use case, target,
  originator, RequestID, originator counter and parameters). Devices check the User's signature over those
  same octets against their Supplier trust anchor cell (``devices.signing``). The parameters carry the
  Service Request body under :data:`REQUEST_BODY`, the simulation's stand-in for the GBCS content the
  Transform produces, so that Correlation can compare like with like;
* the Signed Pre-Command's GBCS Payload is the Pre-Command's payload, then one length octet (0x40) and the
  User's ECDSA P-256 / SHA-256 signature as r||s (32 + 32 octets), as GBCS appends signatures.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

GBCS_VERSION = "4.0"
SIGNATURE_LENGTH = 64
#: the command parameter holding the Service Request body the Command was Transformed from
REQUEST_BODY = "request_body"
_FIELDS = ("counter", "originator", "params", "request_id", "target", "use_case")


class GbcsError(ValueError):
    """A GBCS Payload that cannot be read, or whose signature does not verify."""


def normalised(value: Any) -> Any:
    """A JSON value as it reads back after a round trip (so bodies compare equal on both sides)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def parse_pre_command(payload: bytes) -> dict[str, Any]:
    """The fields of a Pre-Command's GBCS Payload."""
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise GbcsError(f"unreadable GBCS Payload: {exc}") from None
    if not isinstance(data, dict) or sorted(data) != sorted(_FIELDS) or not isinstance(data["params"], dict):
        raise GbcsError("the GBCS Payload is not a Command")
    return data


def correlate(payload: bytes, *, request_id: str, originator: str, target: str, counter: int,
              use_cases: tuple[str, ...], body: Any) -> list[str]:
    """Correlate a Pre-Command with the Service Request that led to it (AB 3.1(c)): the differences found,
    empty if the Pre-Command is substantively identical to the request (AB 3.2)."""
    try:
        data = parse_pre_command(payload)
    except GbcsError as exc:
        return [str(exc)]
    expected = {"request_id": request_id, "originator": originator, "target": target, "counter": counter}
    problems = [f"{key} is {data[key]!r}, the request has {value!r}" for key, value in expected.items()
                if data[key] != value]
    if data["use_case"] not in use_cases:
        problems.append(f"use case {data['use_case']} is not one of {', '.join(use_cases)}")
    if data["params"].get(REQUEST_BODY) != normalised(body):
        problems.append("the command content differs from the Service Request body")
    return problems


def sign_payload(payload: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """The Signed Pre-Command's GBCS Payload: the Pre-Command's payload with the User's signature (AB 3.2(a))."""
    r, s = decode_dss_signature(key.sign(payload, ec.ECDSA(hashes.SHA256())))
    return payload + bytes([SIGNATURE_LENGTH]) + r.to_bytes(32, "big") + s.to_bytes(32, "big")


def split_signed(signed: bytes) -> tuple[bytes, bytes]:
    """``(unsigned payload, r||s)`` of a Signed Pre-Command's GBCS Payload."""
    if len(signed) <= SIGNATURE_LENGTH + 1 or signed[-SIGNATURE_LENGTH - 1] != SIGNATURE_LENGTH:
        raise GbcsError("the GBCS Payload carries no signature")
    return signed[:-SIGNATURE_LENGTH - 1], signed[-SIGNATURE_LENGTH:]


def der_signature(rs: bytes) -> bytes:
    return encode_dss_signature(int.from_bytes(rs[:32], "big"), int.from_bytes(rs[32:], "big"))


def verify_signed(signed: bytes, public_key: ec.EllipticCurvePublicKey) -> tuple[bytes, str]:
    """Check the signature on a Signed Pre-Command's payload; return the unsigned payload and the signature
    (DER, base64) as a Device will check it."""
    payload, rs = split_signed(signed)
    der = der_signature(rs)
    try:
        public_key.verify(der, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise GbcsError("the signature on the GBCS Payload does not verify") from None
    return payload, base64.b64encode(der).decode()


# -- the GBCS Payload of a Service Response (a Device's Response, e.g. CS02c) ------------------------------------
#: DUIS ``ResponseMessage/GBCSPayload`` (base64Binary) of a Device request's Service Response carries the Device's
#: Response as the simulation carries it: canonical JSON of ``use_case``, ``device_id``, ``success`` and ``params``
#: (``dccflow.messages.GbcsResponse``), like the Pre-Command's payload above. A CS02c 'Issue Security Credentials'
#: Response has the Device CSR (base64 DER, signed with the new key) in ``params["csr"]`` (BAD 7.7.2.5.7).
_RESPONSE_FIELDS = ("device_id", "params", "success", "use_case")


def response_payload(use_case: str, device_id: str, success: bool, params: dict) -> str:
    """The base64 text for ``ResponseMessage/GBCSPayload`` carrying a Device's Response."""
    body = {"use_case": use_case, "device_id": device_id, "success": success, "params": params}
    return base64.b64encode(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                                       default=str).encode()).decode()


def parse_response_payload(text: str) -> dict[str, Any]:
    """The fields of a Service Response's GBCS Payload (see :func:`response_payload`)."""
    try:
        data = json.loads(base64.b64decode(text, validate=True))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GbcsError(f"unreadable GBCS Payload: {exc}") from None
    if not isinstance(data, dict) or sorted(data) != sorted(_RESPONSE_FIELDS) or not isinstance(data["params"], dict):
        raise GbcsError("the GBCS Payload is not a Device Response")
    return data


def csr_from_service_response(body: dict) -> str:
    """The Device CSR (base64 DER) in an SRV 6.17 Service Response, given ``InboundMessage.body`` (the parsed
    ``ResponseMessage``: ``{"GBCSPayload": <base64>}``). Raises ``GbcsError`` if there is none."""
    text = body.get("GBCSPayload") if isinstance(body, dict) else None
    if not isinstance(text, str):
        raise GbcsError("the Service Response carries no GBCS Payload")
    data = parse_response_payload(text)
    csr = data["params"].get("csr")
    if data["use_case"] != "CS02c" or not isinstance(csr, str):
        raise GbcsError(f"the GBCS Payload is a {data['use_case']} Response without a Device CSR")
    return csr


# -- Commands for Local Delivery and what the HHT brings back (BAD 7.2.2.6.2–7.2.2.6.4) ----------------------------
#: DUIS ``ResponseMessage/LocalCommand/GBCSPayload`` (CommandVariant 2 or 6: 'Command for Local Delivery') carries
#: the whole Command the DCC would have sent over the SM WAN, signature included, as canonical JSON of
#: ``dccflow.messages.GbcsCommand``; the HHT delivers exactly that to the Device. The
#: ``ReturnLocalCommandResponse/DeviceGBCSResponse`` of SRV 8.13 carries either a Device's Response
#: (:func:`response_payload`) or a Device Alert (:func:`alert_payload`).
_ALERT_FIELDS = ("alert_code", "at", "detail", "device_id", "device_log")


def _canonical_b64(body: dict) -> str:
    return base64.b64encode(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                                       default=str).encode()).decode()


def local_command_payload(command: Any) -> str:
    """The base64 text of ``LocalCommand/GBCSPayload`` for a ``GbcsCommand``."""
    return _canonical_b64(command.model_dump(mode="json"))


def parse_local_command(text: str) -> dict[str, Any]:
    """The fields of a Command for Local Delivery (``GbcsCommand(**fields)``)."""
    try:
        data = json.loads(base64.b64decode(text, validate=True))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GbcsError(f"unreadable GBCS Payload: {exc}") from None
    if not isinstance(data, dict) or not {"use_case", "target", "originator", "request_id"} <= set(data):
        raise GbcsError("the GBCS Payload is not a Command")
    return data


def alert_payload(alert: Any) -> str:
    """The base64 text of an SRV 8.13 ``DeviceGBCSResponse`` carrying a Device Alert (``DeviceAlertEvent``)."""
    body = alert.model_dump(mode="json")
    return _canonical_b64({k: body.get(k) for k in _ALERT_FIELDS})


def parse_returned(text: str) -> tuple[str, dict[str, Any]]:
    """What an SRV 8.13 ``DeviceGBCSResponse`` returns: ``("response", fields)`` or ``("alert", fields)``."""
    try:
        data = json.loads(base64.b64decode(text, validate=True))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GbcsError(f"unreadable GBCS Payload: {exc}") from None
    if isinstance(data, dict) and sorted(data) == sorted(_ALERT_FIELDS):
        return "alert", data
    return "response", parse_response_payload(text)
