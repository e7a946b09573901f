"""The DUIS body of each DCC Alert the simulated DCC raises: one builder per alert code, in one table.

DUIS gives no code-to-body table; each choice below names the ``DCCAlert`` element used. The quarantine
notice (AB 12.2) has no code in the sources (digest 06 §C.4): its code is ``DccConfig.quarantine_alert_code``
and its body is ``QuarantinedRequest`` whatever the code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lxml import etree

from dccflow.duis.responses import build_dcc_alert, n16_device_identity_confirmation, update_han_device_log_result
from dccsim.life_alerts import LIFE_ALERT_BUILDERS
from dccsim.smki_recovery_alerts import RECOVERY_ALERT_BUILDERS

Builder = Callable[[str, str, datetime, str | None, dict], etree._Element]


def _n16(code: str, device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
    # N16 'Device Identity Confirmation' to the Network Operator (BAD 7.2.1.6.7; AD 3.8.101.4.4e)
    return n16_device_identity_confirmation(device_id=device_id, import_mpxn=data["mpxn"], at=at)


def _han_log_result(success: bool) -> Builder:
    def build(code: str, device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
        # N24 / N25 name the 8.11 request they report on (SEC AD 3.8.109.4)
        return update_han_device_log_result(success=success, update_han_device_log_request_id=request_id,
                                            at=at, request_id=request_id)
    return build


def _command_failure(code: str, device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
    # N7 access control failure at execution; N12 / N13 delivery or response failure (BAD 7.8.5, Table 14):
    # DUIS CommandFailure{CommandRequestID, DeviceID}
    return build_dcc_alert(alert_code=code, at=at, request_id=request_id,
                           alert=("CommandFailure", {"CommandRequestID": request_id, "DeviceID": device_id}))


def _device_cos(code: str, device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
    # N27 'Device CoS' to the Losing Supplier (BAD 7.7.1.5.4; AD 3.8.75.4(a)): DUIS ChangeOfSupplier/
    # DeviceChangeOfSupplier{DeviceID, DeviceType, MPxNs}
    return build_dcc_alert(alert_code=code, at=at, request_id=request_id, alert=("ChangeOfSupplier", {
        "DeviceChangeOfSupplier": {"DeviceID": device_id, "DeviceType": data["device_type"],
                                   "MPxNs": {"ImportMPxN": data["mpxn"]}}}))


def _security_credentials_updated(code: str, device_id: str, at: datetime, request_id: str | None,
                                  data: dict) -> etree._Element:
    # N42 'Security Credentials updated on the Device' to the User whose certificate was placed (BAD 7.7.2.5.5-6;
    # AD 3.8.66.4, 3.8.73.4): DUIS SecurityCredentialsUpdated{DeviceID, RemotePartyRole, Certificates}
    return build_dcc_alert(alert_code=code, at=at, request_id=request_id, alert=("SecurityCredentialsUpdated", {
        "DeviceID": device_id, "RemotePartyRole": data["remote_party_role"],
        "Certificates": {"CertificateType": data["certificate_type"], "CertificateHash": data["certificate_hash"]}}))


def quarantine_notice(code: str, device_id: str, at: datetime, request_id: str | None,
                      data: dict) -> etree._Element:
    # AB 12.2: the User is notified of the quarantine; DUIS QuarantinedRequest/<breach>{RequestID, EventRef}
    return build_dcc_alert(alert_code=code, at=at, request_id=request_id,
                           alert=("QuarantinedRequest", {data["breach"]: {
                               "RequestID": request_id, "QuarantineEventRef": data["quarantine_event_ref"]}}))


def _power_outage(code: str, device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
    # AD1 'Power Outage Event' (BAD 7.5.6.5.2): DUIS PowerOutageEvent{CommsHubDeviceID, StartDateTime, MPxN}
    return build_dcc_alert(alert_code=code, at=at, alert=("PowerOutageEvent", {
        "CommsHubDeviceID": device_id, "StartDateTime": datetime.fromisoformat(data["start"]), "MPxN": data["mpxn"]}))


def _firmware_distribution(code: str, device_id: str, at: datetime, request_id: str | None,
                           data: dict) -> etree._Element:
    # N18-N23 (BAD 7.5.3.6.2; dccsim.handlers.firmware): DUIS FirmwareDistributionFailure{UpdateFirmwareRequestID,
    # MeterIDs}, the 11.1 and the Devices it concerns (DECISION: DUIS has no other shape naming an 11.1)
    return build_dcc_alert(alert_code=code, at=at, request_id=request_id, alert=("FirmwareDistributionFailure", {
        "UpdateFirmwareRequestID": request_id, "MeterIDs": data.get("meter_ids") or device_id}))


ALERT_BUILDERS: dict[str, Builder] = {
    "AD1": _power_outage,
    "N7": _command_failure,
    "N12": _command_failure,
    "N13": _command_failure,
    "N16": _n16,
    "N24": _han_log_result(True),
    "N25": _han_log_result(False),
    **LIFE_ALERT_BUILDERS,  # decommissioning, removal, Device Log restore, suspension (BAD 7.6, 7.1.2)
    # Transitional CoS (BAD 7.7.1.5.4; AD 3.8.75.4): N26 names the 6.23 that failed the CoS Party's access control,
    # N38 the Losing Supplier's cancelled future-dated request, N17 the deleted Schedule
    "N26": _command_failure,
    "N27": _device_cos,
    "N42": _security_credentials_updated,  # BAD 7.7.2.5.5-6 (dccsim.handlers.credentials)
    **RECOVERY_ALERT_BUILDERS,  # N44 / N45, SMKI Recovery (BAD 7.7.3.4.3-4; dccsim.smki_recovery)
    "N17": LIFE_ALERT_BUILDERS["N6"],
    "N38": LIFE_ALERT_BUILDERS["N33"],
    **dict.fromkeys(("N18", "N19", "N20", "N21", "N22", "N23"), _firmware_distribution),  # BAD 7.5.3.6.2
}


def dcc_alert_element(*, alert_code: str, device_id: str, at: datetime, request_id: str | None,
                      data: dict) -> etree._Element:
    if data.get("body") == "QuarantinedRequest":
        return quarantine_notice(alert_code, device_id, at, request_id, data)
    try:
        build = ALERT_BUILDERS[alert_code]
    except KeyError:
        raise NotImplementedError(f"the simulated DCC has no body for DCC Alert {alert_code}") from None
    return build(alert_code, device_id, at, request_id, data)
