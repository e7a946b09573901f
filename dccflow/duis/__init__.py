"""DUIS 5.4 messages: hardened parsing, schema validation, request builders, responses and alerts.

Modules:

* :mod:`~dccflow.duis.schema` - schema location/loading, :func:`secure_parse`, :func:`validate`, errors;
* :mod:`~dccflow.duis.tree` - generic nested-data <-> XML element conversion;
* :mod:`~dccflow.duis.messages` - ``sr:Request`` build / parse (:class:`DuisRequest`);
* :mod:`~dccflow.duis.srv` - the SRV table (body element, default CommandVariant), ServiceReference;
* :mod:`~dccflow.duis.requests` - one typed builder per Service Reference Variant;
* :mod:`~dccflow.duis.responses` - Service Responses, DCC Alerts, Device Alerts (:class:`DuisResponse`);
* :mod:`~dccflow.duis.response_codes` - the ResponseCode table.
"""

from dccflow.duis.messages import DuisRequest, RequestHeader, build_request, parse_request, to_bytes
from dccflow.duis.responses import DuisResponse, parse_response
from dccflow.duis.schema import (
    MAX_MESSAGE_BYTES,
    NS_DS,
    NS_SR,
    SCHEMA_VERSION,
    DuisError,
    DuisParseError,
    DuisSchemaError,
    secure_parse,
    validate,
)

__all__ = [
    "MAX_MESSAGE_BYTES",
    "NS_DS",
    "NS_SR",
    "SCHEMA_VERSION",
    "DuisError",
    "DuisParseError",
    "DuisRequest",
    "DuisResponse",
    "DuisSchemaError",
    "RequestHeader",
    "build_request",
    "parse_request",
    "parse_response",
    "secure_parse",
    "to_bytes",
    "validate",
]
