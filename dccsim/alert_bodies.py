"""The DUIS body of each DCC Alert the simulated DCC raises: one builder per alert code, in one table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lxml import etree

from dccflow.duis.responses import n16_device_identity_confirmation, update_han_device_log_result


def _n16(device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
    # N16 'Device Identity Confirmation' to the Network Operator (BAD 7.2.1.6.7)
    return n16_device_identity_confirmation(device_id=device_id, import_mpxn=data["mpxn"], at=at)


def _han_log_result(success: bool):
    def build(device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
        # N24 / N25 name the 8.11 request they report on (SEC AD 3.8.109.4)
        return update_han_device_log_result(success=success, update_han_device_log_request_id=request_id,
                                            at=at, request_id=request_id)
    return build


ALERT_BUILDERS: dict[str, Callable[[str, datetime, str | None, dict], etree._Element]] = {
    "N16": _n16,
    "N24": _han_log_result(True),
    "N25": _han_log_result(False),
}


def dcc_alert_element(*, alert_code: str, device_id: str, at: datetime, request_id: str | None,
                      data: dict) -> etree._Element:
    try:
        build = ALERT_BUILDERS[alert_code]
    except KeyError:
        raise NotImplementedError(f"the simulated DCC has no body for DCC Alert {alert_code}") from None
    return build(device_id, at, request_id, data)
