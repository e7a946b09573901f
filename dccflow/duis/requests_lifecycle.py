"""Typed builders for inventory, replacement, return, local-delivery and firmware Service Requests.

SRVs 8.3, 8.4, 8.13, 8.12.1 / 8.12.2, 11.1, 11.2, 11.3, 8.14.3, 8.14.4, 8.8.1, 8.8.2 and 8.9.
See :mod:`dccflow.duis.requests` for the conventions shared by every builder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from lxml import etree

from dccflow.duis._build import (
    CHFConnectionMethod,
    CHFFaultReason,
    CHFFaultReturnType,
    CHFNoFaultReturnType,
    aware,
    b64,
    build_srv,
    eui,
    exactly_one,
    hexstr,
)
from dccflow.duis._ids import check_message_id
from dccflow.duis.schema import DuisError

__all__ = [
    "activate_firmware",
    "communications_hub_status_update_fault_return",
    "communications_hub_status_update_no_fault_return",
    "decommission_device",
    "read_device_log",
    "read_firmware_version",
    "restore_gpf_device_log",
    "restore_han_device_log",
    "return_local_command_response",
    "unjoin_service_critical",
    "unjoin_service_non_critical",
    "update_firmware",
    "update_inventory",
]

DeviceStatusExceptCH = Literal["Pending", "InstalledNotCommissioned"]
DeviceStatusCH = Literal["Commissioned", "Withdrawn", "InstalledNotCommissioned"]

# typed-builder key -> schema element, in the schema's order (sr:UpdateDeviceDetails)
_DEVICE_DETAILS = {
    "device_manufacturer": "DeviceManufacturer",
    "device_model": "DeviceModel",
    "smets_chts_version": "SMETSCHTSVersion",
    "firmware_version": "FirmwareVersion",
    "esme_variant": "ESMEVariant",
}


def decommission_device(
    *, request_id: str, device_id: str, command_variant: int | None = None
) -> etree._Element:
    """SRV 8.3 'Decommission Device' (DCC only)."""
    body = {"DeviceID": eui(device_id, "device_id")}
    return build_srv("8.3", request_id=request_id, body=body, command_variant=command_variant)


def update_inventory(
    *,
    request_id: str,
    device_id: str,
    device_status_except_ch: DeviceStatusExceptCH | None = None,
    device_status_ch: DeviceStatusCH | None = None,
    device_details: Mapping[str, str] | None = None,
    delete_device: bool = False,
    import_mpxn: str | None = None,
    secondary_import_mpan: str | None = None,
    export_mpan: str | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.4 'Update Inventory' with exactly one change (DCC only).

    The change is one of: a status (``device_status_except_ch`` for Devices other than a CH,
    ``device_status_ch`` for a CH), ``device_details`` (keys ``device_manufacturer``,
    ``device_model``, ``smets_chts_version``, ``firmware_version``, ``esme_variant``),
    ``delete_device=True``, or one MPxN (``import_mpxn`` / ``secondary_import_mpan`` / ``export_mpan``).
    """
    choice = exactly_one(
        "update_inventory",
        device_status_except_ch=device_status_except_ch,
        device_status_ch=device_status_ch,
        device_details=device_details,
        delete_device=delete_device,
        import_mpxn=import_mpxn,
        secondary_import_mpan=secondary_import_mpan,
        export_mpan=export_mpan,
    )
    change: dict
    if choice == "device_status_except_ch":
        change = {"UpdateDeviceStatusExceptCH": device_status_except_ch}
    elif choice == "device_status_ch":
        change = {"UpdateDeviceStatusCH": device_status_ch}
    elif choice == "device_details":
        unknown = set(device_details or {}) - set(_DEVICE_DETAILS)
        if unknown:
            raise DuisError(f"update_inventory: unknown device_details keys {sorted(unknown)}")
        change = {
            "UpdateDeviceDetails": {el: (device_details or {}).get(k) for k, el in _DEVICE_DETAILS.items()}
        }
    elif choice == "delete_device":
        change = {"DeleteDevice": {}}
    else:
        element = {"import_mpxn": "ImportMPxN", "secondary_import_mpan": "SecondaryImportMPAN"}.get(
            choice, "ExportMPAN"
        )
        change = {"UpdateMPxN": {element: import_mpxn or secondary_import_mpan or export_mpan}}
    body = {"DeviceID": eui(device_id, "device_id"), **change}
    return build_srv("8.4", request_id=request_id, body=body, command_variant=command_variant)


def return_local_command_response(
    *,
    request_id: str,
    device_gbcs_response: str | bytes,
    original_request_id: str | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.13 'Return Local Command Response' - hand back a Device's response to a locally
    delivered Command (base64 text, or raw GBCS bytes which are encoded here)."""
    if original_request_id is not None:
        try:
            check_message_id(original_request_id)
        except ValueError as exc:
            raise DuisError(f"original_request_id: {exc}") from None
    body = {
        "OriginalRequestID": original_request_id,
        "DeviceGBCSResponse": b64(device_gbcs_response, "device_gbcs_response"),
    }
    return build_srv("8.13", request_id=request_id, body=body, command_variant=command_variant)


def restore_han_device_log(
    *,
    request_id: str,
    old_chf_id: str | None = None,
    old_gpf_id: str | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """Restore a replaced Communications Hub's log onto the new one.

    ``old_chf_id`` gives SRV 8.12.1 'Restore HAN Device Log' (GBCS CCS03, target the new CHF);
    ``old_gpf_id`` gives SRV 8.12.2 'Restore GPF Device Log' (target the new GPF).
    """
    choice = exactly_one("restore_han_device_log", old_chf_id=old_chf_id, old_gpf_id=old_gpf_id)
    if choice == "old_chf_id":
        body = {"OldCHFID": eui(old_chf_id, "old_chf_id")}
        return build_srv("8.12.1", request_id=request_id, body=body, command_variant=command_variant)
    body = {"OldGPFID": eui(old_gpf_id, "old_gpf_id")}
    return build_srv("8.12.2", request_id=request_id, body=body, command_variant=command_variant)


def restore_gpf_device_log(
    *, request_id: str, old_gpf_id: str, command_variant: int | None = None
) -> etree._Element:
    """SRV 8.12.2 'Restore GPF Device Log' (same as ``restore_han_device_log(old_gpf_id=...)``)."""
    return restore_han_device_log(
        request_id=request_id, old_gpf_id=old_gpf_id, command_variant=command_variant
    )


def update_firmware(
    *,
    request_id: str,
    firmware_image: str | bytes,
    firmware_version: str,
    device_ids: Sequence[str],
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 11.1 'Update Firmware' - distribute an image to the listed Devices (DCC only)."""
    if isinstance(device_ids, str) or not device_ids:
        raise DuisError("update_firmware: device_ids must be a non-empty sequence of Device IDs")
    body = {
        "FirmwareImage": b64(firmware_image, "firmware_image"),
        "FirmwareVersion": firmware_version,
        "DeviceIDList": ",".join(eui(d, "device_ids") for d in device_ids),
    }
    return build_srv("11.1", request_id=request_id, body=body, command_variant=command_variant)


def read_firmware_version(
    *, request_id: str, execution_datetime: datetime | None = None, command_variant: int | None = None
) -> etree._Element:
    """SRV 11.2 'Read Firmware Version' (GBCS ECS52 / GCS38 / CS08 ...)."""
    body = {"ExecutionDateTime": aware(execution_datetime, "execution_datetime")}
    return build_srv("11.2", request_id=request_id, body=body, command_variant=command_variant)


def activate_firmware(
    *,
    request_id: str,
    firmware_hash: str,
    execution_datetime: datetime | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 11.3 'Activate Firmware' (GBCS CS06); ``firmware_hash`` is the 32-octet hash in hex."""
    body = {
        "ExecutionDateTime": aware(execution_datetime, "execution_datetime"),
        "FirmwareHash": hexstr(firmware_hash, "firmware_hash", min_octets=32, max_octets=32),
    }
    return build_srv("11.3", request_id=request_id, body=body, command_variant=command_variant)


# ------------------------------------------------- CH returns, unjoin, device log (replacement)


def communications_hub_status_update_fault_return(
    *,
    request_id: str,
    chf_id: str,
    fault_return_type: CHFFaultReturnType,
    other_device_id: str,
    connection_method: CHFConnectionMethod,
    fault_reason: CHFFaultReason,
    user_ref_datetime: datetime | None = None,
    user_ref_id: str | None = None,
    incident_reference: str | None = None,
    additional_information: str | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.14.3 'Communications Hub Status Update - Fault Return' (DCC only)."""
    body = {
        "DeviceID": eui(chf_id, "chf_id"),
        "CHFFaultReturnType": fault_return_type,
        "UserRefDateTime": aware(user_ref_datetime, "user_ref_datetime"),
        "UserRefID": user_ref_id,
        "OtherDeviceID": eui(other_device_id, "other_device_id"),
        "IncidentReference": incident_reference,
        "CHFConnectionMethod": connection_method,
        "CHFFaultReason": fault_reason,
        "AdditionalInformation": additional_information,
    }
    return build_srv("8.14.3", request_id=request_id, body=body, command_variant=command_variant)


def communications_hub_status_update_no_fault_return(
    *,
    request_id: str,
    chf_id: str,
    no_fault_return_type: CHFNoFaultReturnType = "No Fault Return (general)",
    user_ref_datetime: datetime | None = None,
    user_ref_id: str | None = None,
    incident_reference: str | None = None,
    additional_information: str | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.14.4 'Communications Hub Status Update - No Fault Return' (DCC only)."""
    body = {
        "DeviceID": eui(chf_id, "chf_id"),
        "CHFNoFaultReturnType": no_fault_return_type,
        "UserRefDateTime": aware(user_ref_datetime, "user_ref_datetime"),
        "UserRefID": user_ref_id,
        "IncidentReference": incident_reference,
        "AdditionalInformation": additional_information,
    }
    return build_srv("8.14.4", request_id=request_id, body=body, command_variant=command_variant)


def unjoin_service_critical(
    *, request_id: str, other_device_id: str, command_variant: int | None = None
) -> etree._Element:
    """SRV 8.8.1 'Unjoin Service (Critical)'."""
    body = {"OtherDeviceID": eui(other_device_id, "other_device_id")}
    return build_srv("8.8.1", request_id=request_id, body=body, command_variant=command_variant)


def unjoin_service_non_critical(
    *, request_id: str, other_device_id: str, command_variant: int | None = None
) -> etree._Element:
    """SRV 8.8.2 'Unjoin Service (Non-Critical)'."""
    body = {"OtherDeviceID": eui(other_device_id, "other_device_id")}
    return build_srv("8.8.2", request_id=request_id, body=body, command_variant=command_variant)


def read_device_log(
    *,
    request_id: str,
    read_security_details: bool = False,
    execution_datetime: datetime | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.9 'Read Device Log' (GBCS CS07)."""
    body = {
        "ExecutionDateTime": aware(execution_datetime, "execution_datetime"),
        "ReadSecurityDetails": {} if read_security_details else None,
    }
    return build_srv("8.9", request_id=request_id, body=body, command_variant=command_variant)
