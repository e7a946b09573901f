"""DUIS ResponseCode values: one data table with the meaning of each code where the sources give it.

The list of codes is the ``sr:ResponseCode`` enumeration of ``duis-5.4.xsd`` (tests keep the two in
step). Meanings come from:

* digest 06 §F.1 / §K(b) (BAD 7.8.5): ``I0`` success, ``I99`` acknowledgement, ``E050301`` and
  ``W050301``; prefixes ``I`` information, ``W`` warning, ``E`` error;
* DUIS §3.5.10 "DCC Systems response codes" (not in the project digests; paraphrased from a public
  reproduction of that table) for ``E1``-``E30``.

For the other generic codes the sources available to this project state no meaning (``meaning`` is
``None``). Seven-character codes follow the pattern ``Xssvvnn`` - SRV ``ss.vv``-specific error or
warning ``nn`` (pattern inferred, digest 06 §E.0); their detail is likewise not in the sources.

Code for "not supported by this simulator": :data:`NOT_SUPPORTED_CODE` = ``E13``. DUIS has no code
for "the DCC does not offer this service", and the simulator must answer with a schema-valid code.
``E13`` ("request type not valid for the URL", e.g. a Non-Device SR sent to the Transform endpoint)
says *this interface does not process this kind of request*, which is exactly the situation, and
it is a User-correctable validation failure rather than a claim about the User's rights (``E2``), the
Device (``E5``, ``E11``, ``E19``) or communications (``E20``, ``E21``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["NOT_SUPPORTED_CODE", "RESPONSE_CODES", "ResponseCodeInfo", "describe_response_code"]

Category = Literal["information", "warning", "error"]

_DIGEST = "digest 06 (BAD 7.8.5)"
_DUIS = "DUIS 3.5.10 (paraphrased)"

# code -> (meaning, source); everything else in the enumeration is listed in _UNDESCRIBED below.
_DESCRIBED: dict[str, tuple[str, str]] = {
    "I0": ("Success: the request had a successful outcome", _DIGEST),
    "I99": (
        "Acknowledgement: request accepted and passed access control for sending to the Device "
        "(or a successful Non-Device request with no data to return)",
        _DIGEST,
    ),
    "E1": ("Failed authorisation: the User / User Role pair is not a valid SEC Party and role", _DUIS),
    "E2": ("Failed authorisation: the User Role may not send this Service Reference", _DUIS),
    "E3": ("Failed authorisation: the User's status does not allow this Service Reference", _DUIS),
    "E4": ("Failed authorisation: the User Role is not entitled for this Device at the time required", _DUIS),
    "E5": ("Failed authorisation: the Device's SMI status is incompatible with the Service Reference", _DUIS),
    "E11": (
        "Failed validation: the Service Reference does not apply to the type of the target Device",
        _DUIS,
    ),
    "E12": ("Failed validation: the Command Variant does not apply to this request", _DUIS),
    "E13": (
        "Failed validation: request type not valid for the endpoint it was sent to (e.g. a Non-Device "
        "SR sent to the Transform URL). Also used by this simulator for 'not supported by this "
        "simulator'",
        _DUIS,
    ),
    "E17": ("Failed authorisation: the request is not available for local delivery (role / status)", _DUIS),
    "E19": ("Failed authorisation: the Device does not exist (invalid Device ID)", _DUIS),
    "E20": ("Communications failure: the DCC cannot establish communications with the Device", _DUIS),
    "E21": (
        "Communications failure: no Response from the Device to an on-demand or future-dated Command",
        _DUIS,
    ),
    "E30": ("Time-out of a future-dated Command", _DUIS),
    "E050301": ("Delete Schedule: Schedule ID does not exist or is not owned by the sender", _DIGEST),
    "W050301": ("Delete Schedule: the User has no schedules on the Device", _DIGEST),
}

_UNDESCRIBED = """
E31 E40 E41 E42 E43 E44 E45 E46 E47 E48 E49 E50 E51 E52 E53 E54 E55 E56 E57 E58 E59 E60 E61 E62 E63
E64 E65 E66 E67 E68 E69 E70 E71 E100 E1000 E1001 E1003 E1004 E1006 E1007 E1008 E1010 E1011
E010101 E010102 E010201 E030301 E030302 E040101 E041701 E050101 E050102 E050103 E050105 E050107
E050108 E050109 E050110 E050111 E050112 E050201 E050202 W050201 E050302 E060501 E060502 E060701
E060801 E060802 E060803 E061301 E061304 E061305 E061501 E061504 E061505 E061506 E061507 E061508
E061509 E061801 E061802 E061803 E062101 E062102 E062103 E062105 E062201 E062202 E062203 E062301
E062302 E062303 E062304 E062305 E062306 E062401 E062402 E062403 E062801 E062802 E062803 E080201
E080202 E080301 E080302 E080405 E080406 E080407 E080408 E080409 E080410 E080411 E080412 E080413
E080414 E080415 E080501 E080502 E080503 E080601 E080602 E080604 E080606 E080607 E080702 E080721
E080722 E080723 E080801 E080821 E080822 E080901 E080902 E080903 E081101 E081102 E081104 E081105
E081106 E081107 E081108 E081109 E081110 E081111 E081202 E081204 E081205 E081221 E081222 E081223
E081301 E081302 E081303 E081401 E081402 E081405 E081406 W081401 E110101 E110102 E110103 E110105
E110106 W110101 E110401 E110402 E110403 E110405 W110401 E120101 E120102 E120103 E120201 E120203
E120204 E120207
""".split()


@dataclass(frozen=True)
class ResponseCodeInfo:
    code: str
    category: Category
    meaning: str | None  # None: the project's sources do not state it
    service_reference: str | None  # for SRV-specific codes (Xssvvnn), e.g. "5.3"
    source: str


_SRV_SPECIFIC = re.compile(r"^([EW])(\d{2})(\d{2})(\d{2})$")
_CATEGORY: dict[str, Category] = {"I": "information", "W": "warning", "E": "error"}


def _info(code: str) -> ResponseCodeInfo:
    meaning, source = _DESCRIBED.get(code, (None, "duis-5.4.xsd enumeration"))
    match = _SRV_SPECIFIC.match(code)
    reference = f"{int(match.group(2))}.{int(match.group(3))}" if match else None
    return ResponseCodeInfo(code, _CATEGORY[code[0]], meaning, reference, source)


RESPONSE_CODES: dict[str, ResponseCodeInfo] = {code: _info(code) for code in [*_DESCRIBED, *_UNDESCRIBED]}

NOT_SUPPORTED_CODE = "E13"
"""ResponseCode the simulator returns for a Service Request it does not implement (see module doc)."""


def describe_response_code(code: str) -> str:
    """Human-readable one-liner for logs and audit records."""
    info = RESPONSE_CODES.get(code)
    if info is None:
        return f"{code}: not a DUIS 5.4 response code"
    if info.meaning:
        return f"{code} ({info.category}): {info.meaning}"
    if info.service_reference:
        return f"{code} ({info.category}): SRV {info.service_reference}-specific {info.category} {code[-2:]}"
    return f"{code} ({info.category}): meaning not stated in the project's sources"
