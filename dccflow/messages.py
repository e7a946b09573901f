"""Typed payloads that cross process boundaries inside dccflow (signal arguments, device traffic).

DUIS XML is what crosses the DCC boundary; these models are what a User's receiving endpoint hands to a
waiting workflow after it has verified and parsed that XML, and what the DCC and the simulated devices
exchange over the (simulated) SM WAN as GBCS use cases.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class InboundMessage(BaseModel):
    """A verified DUIS Response, DCC Alert or Device Alert, routed to the workflow that waits for it."""

    kind: Literal["service_response", "dcc_alert", "device_alert", "acknowledgement"]
    request_id: str | None = None
    response_code: str
    service_reference_variant: str | None = None
    dcc_alert_code: str | None = None
    device_alert_code: int | None = None
    device_id: str | None = None
    at: datetime
    body: dict = Field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.response_code == "I0"


class DeviceLogEntry(BaseModel):
    device_id: str
    device_type: str
    joined: bool = False


class CommandSignature(BaseModel):
    """A Digital Signature over a GBCS command (Critical Commands; security credential replacements).

    ECDSA P-256 with SHA-256 over :meth:`GbcsCommand.signed_payload`, DER-encoded, base64 in ``value_b64``.
    The signer is named as ``ds:X509IssuerSerial`` names it in DUIS: the RFC 4514 issuer of its Organisation
    Certificate and the certificate's serial number in decimal. Devices verify it against the certificate in
    the trust anchor cell entitled to sign that command (``devices.catalogue``)."""

    signer_issuer: str
    signer_serial: str
    value_b64: str


class GbcsCommand(BaseModel):
    """A command the DCC sends to a device over the SM WAN, named by its GBCS use case (CCS01, ECS70…).

    ``counter`` is the originator counter devices use against replay (a command's counter must exceed the
    last one accepted from the same originator); when it is ``None`` the counter of the DUIS RequestID
    (``originator:target:counter``) is used. ``signature`` carries the signer's Digital Signature for
    commands that must be signed (see :class:`CommandSignature`)."""

    use_case: str
    target: str
    originator: str
    request_id: str
    params: dict = Field(default_factory=dict)
    counter: int | None = None
    signature: CommandSignature | None = None

    def originator_counter(self) -> int | None:
        if self.counter is not None:
            return self.counter
        tail = self.request_id.rsplit(":", 1)[-1]
        return int(tail) if tail.isdigit() else None

    def signed_payload(self) -> bytes:
        """The octets a signature covers: canonical JSON (keys sorted, no whitespace, ASCII) of use case,
        target, originator, request id, originator counter and params. Everything except the signature."""
        body = {"use_case": self.use_case, "target": self.target, "originator": self.originator,
                "request_id": self.request_id, "counter": self.originator_counter(), "params": self.params}
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str).encode()


class GbcsResponse(BaseModel):
    use_case: str
    device_id: str
    success: bool
    reason: str = ""
    params: dict = Field(default_factory=dict)


class DeviceAlertEvent(BaseModel):
    """A Device Alert raised by a device (GBCS alert code, e.g. 0x8F12), sent to the DCC over the SM WAN."""

    device_id: str
    alert_code: int
    at: datetime
    device_log: list[DeviceLogEntry] | None = None
    detail: dict = Field(default_factory=dict)
