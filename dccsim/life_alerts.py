"""DUIS bodies of the DCC Alerts of decommissioning, removal, Device Log restore and suspension (BAD 7.6, 7.1.2),
registered in ``dccsim.alert_bodies.ALERT_BUILDERS``. DUIS gives no code-to-body table; each choice names the
``DCCAlert`` element used:

* N1 / N2 (Smart Meter decommissioned): ``DeviceStatusChangeEvent/MeterDecommissioningOrWithdrawal`` with the MPxNs
  the meter had and the Type 1 Devices that were Associated with it;
* N9 (CH decommissioned): ``DeviceStatusChangeEvent/CHFDecommissioning``;
* N28 / N29 (suspended / restored): ``DeviceStatusChangeEvent/DeviceSuspended`` / ``DeviceRestored``;
* N30 / N31 (Device Log restored): ``DeviceLogRestored`` with the old and new CHF and GPF;
* N43 (PPMID removed): ``PPMIDRemoval``;
* N33 / N34 / N41 (future-dated request cancelled): ``CommandFailure`` naming the cancelled request (the nearest
  DUIS body: the request's Command will never be sent; simulator's choice);
* N6 / N40 (schedule deleted): ``DSPScheduleRemoval``.
"""

from __future__ import annotations

from datetime import date, datetime

from lxml import etree

from dccflow.duis.responses import build_dcc_alert


def _status_change(code: str, device_id: str, at: datetime, request_id: str | None, change: tuple[str, dict]):
    return build_dcc_alert(alert_code=code, at=at, request_id=request_id, alert=(
        "DeviceStatusChangeEvent", {"DeviceID": device_id, "DeviceStatusChange": {change[0]: change[1]}}))


def _meter_decommissioned(code: str, device_id: str, at: datetime, request_id: str | None,
                          data: dict) -> etree._Element:
    mpxns = {"ImportMPxN": data["mpxn"], "SecondaryImportMPAN": data.get("secondary_import_mpan"),
             "ExportMPAN": data.get("export_mpan")}
    type1 = [{"DeviceID": d, "DeviceType": t} for d, t in data.get("type1", [])][:7]
    return _status_change(code, device_id, at, request_id, ("MeterDecommissioningOrWithdrawal", {
        "MeterDecommissionOrWithdrawal": mpxns, "AssociatedType1Device": type1 or None}))


def _ch_decommissioned(code: str, device_id: str, at: datetime, request_id: str | None,
                       data: dict) -> etree._Element:
    return _status_change(code, device_id, at, request_id, ("CHFDecommissioning", {}))


def _suspension(element: str):
    def build(code: str, device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
        return _status_change(code, device_id, at, request_id, (element, {}))
    return build


def _log_restored(element: str):
    def build(code: str, device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
        return build_dcc_alert(alert_code=code, at=at, request_id=request_id, alert=("DeviceLogRestored", {
            "RestoredDate": date.fromisoformat(data["restored_date"]),
            element: {"OldCHFDeviceID": data["old_chf"], "NewCHFDeviceID": data["new_chf"],
                      "OldGPFDeviceID": data["old_gpf"], "NewGPFDeviceID": data["new_gpf"]}}))
    return build


def _ppmid_removal(code: str, device_id: str, at: datetime, request_id: str | None, data: dict) -> etree._Element:
    return build_dcc_alert(alert_code=code, at=at, request_id=request_id, alert=(
        "PPMIDRemoval", {"PPMIDDeviceID": device_id, "CHFDeviceID": data["chf_id"]}))


def _request_cancelled(code: str, device_id: str, at: datetime, request_id: str | None,
                       data: dict) -> etree._Element:
    cancelled = data["cancelled_request_id"]
    return build_dcc_alert(alert_code=code, at=at, request_id=cancelled, alert=(
        "CommandFailure", {"CommandRequestID": cancelled, "DeviceID": device_id}))


def _schedule_removed(code: str, device_id: str, at: datetime, request_id: str | None,
                      data: dict) -> etree._Element:
    return build_dcc_alert(alert_code=code, at=at, request_id=request_id, alert=(
        "DSPScheduleRemoval", {"DeviceID": device_id, "DSPScheduleID": int(data["schedule_id"])}))


LIFE_ALERT_BUILDERS = {
    "N1": _meter_decommissioned,
    "N2": _meter_decommissioned,
    "N6": _schedule_removed,
    "N9": _ch_decommissioned,
    "N28": _suspension("DeviceSuspended"),
    "N29": _suspension("DeviceRestored"),
    "N30": _log_restored("CHFDeviceLog"),
    "N31": _log_restored("GPFDeviceLog"),
    "N33": _request_cancelled,
    "N34": _request_cancelled,
    "N40": _schedule_removed,
    "N41": _request_cancelled,
    "N43": _ppmid_removal,
}
