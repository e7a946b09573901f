"""Typed builders: one function per Service Reference Variant, returning the unsigned ``sr:Request``.

Every builder takes keyword arguments only, fills the body in the schema's element order, and
validates the result against the DUIS 5.4 schema before returning it (so a returned element is
always schema-valid; a facet violation raises :class:`~dccflow.duis.schema.DuisSchemaError`).
``request_id`` is the full ``originator:target:counter`` string (see
:func:`dccflow.duis.messages.make_request_id`); its target is the Device the SR is addressed to, or
the DCC's ID for DCC-only SRs. ``command_variant`` overrides the SRV's default from
:data:`dccflow.duis.srv.SRV_TABLE`. Device IDs are accepted in any common EUI-64 spelling and
written in the canonical ``00-DB-12-34-56-78-90-A0`` form.

This module holds the install / commission / pre-notification / inventory / join builders; the
security-credential builders live in :mod:`dccflow.duis.requests_credentials` and the replacement,
return, decommission, local-delivery and firmware builders in :mod:`dccflow.duis.requests_lifecycle`;
all are re-exported here.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from dccflow.duis._build import (
    CHFInstallType,
    CHFLocation,
    DeviceType,
    PremiseType,
    aware,
    build_srv,
    eui,
    exactly_one,
    hexstr,
)
from dccflow.duis.schema import DuisError
from dccflow.duis.srv import SRV_TABLE, SrvSpec

# --------------------------------------------------------------------------- 8.14.x CH Status Update


def communications_hub_status_update_install_success(
    *,
    request_id: str,
    chf_id: str,
    mpxn: str,
    install_type: CHFInstallType = "New CHF Install",
    location: CHFLocation = "Indoors on external wall",
    aerial_install: bool = False,
    install_datetime: datetime | None = None,
    user_ref_id: str | None = None,
    gis_data: str | None = None,
    additional_information: str | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.14.1 'Communications Hub Status Update - Install Success' (DCC only)."""
    body = {
        "DeviceID": eui(chf_id, "chf_id"),
        "CHFInstallType": install_type,
        "InstallDateTime": aware(install_datetime, "install_datetime"),
        "UserRefID": user_ref_id,
        "MPxN": mpxn,
        "GISData": gis_data,
        "AerialInstall": aerial_install,
        "CHFLocation": location,
        "AdditionalInformation": additional_information,
    }
    return build_srv("8.14.1", request_id=request_id, body=body, command_variant=command_variant)


def communications_hub_status_update_install_no_sm_wan(
    *,
    request_id: str,
    chf_id: str,
    mpxn: str,
    premise_type: PremiseType,
    location: CHFLocation = "Indoors on external wall",
    aerial_install: bool = False,
    metal_obstruction_check: bool = False,
    connectivity_obstruction_check: bool = False,
    shared_obstruction_check: bool = False,
    install_type: CHFInstallType = "CHF Install - no SM WAN",
    install_datetime: datetime | None = None,
    user_ref_id: str | None = None,
    gis_data: str | None = None,
    additional_information: str | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.14.2 'Communications Hub Status Update - Install No SM WAN' (DCC only)."""
    body = {
        "DeviceID": eui(chf_id, "chf_id"),
        "CHFInstallType": install_type,
        "InstallDateTime": aware(install_datetime, "install_datetime"),
        "UserRefID": user_ref_id,
        "MPxN": mpxn,
        "GISData": gis_data,
        "AerialInstall": aerial_install,
        "CHFLocation": location,
        "PremiseType": premise_type,
        "MetalObstructionCheck": metal_obstruction_check,
        "ConnectivityObstructionCheck": connectivity_obstruction_check,
        "SharedObstructionCheck": shared_obstruction_check,
        "AdditionalInformation": additional_information,
    }
    return build_srv("8.14.2", request_id=request_id, body=body, command_variant=command_variant)


# ------------------------------------------------------------------------------ 8.11 HAN Device Log


def update_han_device_log_add(
    *,
    request_id: str,
    device_id: str,
    install_code: str,
    join_time_period: int,
    import_mpxn: str | None = None,
    secondary_import_mpan: str | None = None,
    export_mpan: str | None = None,
    execution_datetime: datetime | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.11 'Update HAN Device Log' adding ``device_id`` to the CHF's log (GBCS CCS01).

    ``request_id``'s target is the CHF; ``device_id`` is the Device being whitelisted.
    ``install_code`` is hex (6..16 octets); ``join_time_period`` is seconds, 1..3600 (schema facet).
    Meters carry their MPxN(s) so the DCC can associate them and send N16 to the network operator.
    """
    body = {
        "ExecutionDateTime": aware(execution_datetime, "execution_datetime"),
        "DeviceID": eui(device_id, "device_id"),
        "RequestType": "Add",
        "AddDeviceToCHFWhitelist": {
            "JoinTimePeriod": join_time_period,
            "InstallCode": hexstr(install_code, "install_code", min_octets=6, max_octets=16),
            "ImportMPxN": import_mpxn,
            "SecondaryImportMPAN": secondary_import_mpan,
            "ExportMPAN": export_mpan,
        },
    }
    return build_srv("8.11", request_id=request_id, body=body, command_variant=command_variant)


def update_han_device_log_remove(
    *,
    request_id: str,
    device_id: str,
    execution_datetime: datetime | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.11 'Update HAN Device Log' removing ``device_id`` from the CHF's log (GBCS CCS02)."""
    body = {
        "ExecutionDateTime": aware(execution_datetime, "execution_datetime"),
        "DeviceID": eui(device_id, "device_id"),
        "RequestType": "Remove",
    }
    return build_srv("8.11", request_id=request_id, body=body, command_variant=command_variant)


# ----------------------------------------------------------------------------------- 8.1.1 Commission


def commission_device(
    *,
    request_id: str,
    current_datetime: datetime,
    tolerance_period: int,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.1.1 'Commission Device' (critical; GBCS ECS70 on an ESME, GCS28 on a GSME).

    ``tolerance_period`` is seconds (0..86400).
    """
    body = {
        "CurrentDateTime": aware(current_datetime, "current_datetime"),
        "TolerancePeriod": tolerance_period,
    }
    return build_srv("8.1.1", request_id=request_id, body=body, command_variant=command_variant)


# ----------------------------------------------------------------------- 12.x / 8.2 Non-Device SRs


def device_pre_notification(
    *,
    request_id: str,
    device_id: str,
    device_manufacturer: str,
    device_model: str,
    device_type: DeviceType,
    smets_chts_version: str | None = None,
    firmware_version: str | None = None,
    esme_variant: str | None = None,
    associated_gpf_device_id: str | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 12.2 'Device Pre-notification': adds the Device to the SMI as 'pending' (DCC only)."""
    body = {
        "DeviceID": eui(device_id, "device_id"),
        "DeviceManufacturer": device_manufacturer,
        "DeviceModel": device_model,
        "DeviceType": device_type,
        "SMETSCHTSVersion": smets_chts_version,
        "FirmwareVersion": firmware_version,
        "ESMEVariant": esme_variant,
        "AssociatedGPFDeviceID": (
            eui(associated_gpf_device_id, "associated_gpf_device_id") if associated_gpf_device_id else None
        ),
    }
    return build_srv("12.2", request_id=request_id, body=body, command_variant=command_variant)


def read_inventory(
    *,
    request_id: str,
    device_id: str | None = None,
    uprn: int | None = None,
    mpxn: str | None = None,
    postcode: str | None = None,
    address_identifier: str | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 8.2 'Read Inventory' by exactly one of Device ID, UPRN, MPxN or postcode + address."""
    choice = exactly_one("read_inventory", device_id=device_id, uprn=uprn, mpxn=mpxn, postcode=postcode)
    if choice == "device_id":
        body: dict = {"DeviceID": eui(device_id, "device_id")}
    elif choice == "uprn":
        body = {"UPRN": uprn}
    elif choice == "mpxn":
        body = {"MPxN": mpxn}
    else:
        if not address_identifier:
            raise DuisError("read_inventory: postcode needs address_identifier")
        body = {"PropertyFilter": {"PostCode": postcode, "AddressIdentifier": address_identifier}}
    return build_srv("8.2", request_id=request_id, body=body, command_variant=command_variant)


def request_wan_matrix(
    *,
    request_id: str,
    uprn: int | None = None,
    postcode: str | None = None,
    address_identifier: str | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 12.1 'Request WAN Matrix' by UPRN or by postcode + address identifier (DCC only)."""
    choice = exactly_one("request_wan_matrix", uprn=uprn, postcode=postcode)
    if choice == "uprn":
        body: dict = {"UPRN": uprn}
    else:
        if not address_identifier:
            raise DuisError("request_wan_matrix: postcode needs address_identifier")
        body = {"PartialAddress": {"PostCode": postcode, "AddressIdentifier": address_identifier}}
    return build_srv("12.1", request_id=request_id, body=body, command_variant=command_variant)


# ------------------------------------------------------------------------------------- 8.7 Join


def join_service_critical(
    *, request_id: str, other_device_id: str, command_variant: int | None = None
) -> etree._Element:
    """SRV 8.7.1 'Join Service (Critical)' - e.g. CS03A1 on the ESME to join a PPMID/HCALCS."""
    body = {"OtherDeviceID": eui(other_device_id, "other_device_id")}
    return build_srv("8.7.1", request_id=request_id, body=body, command_variant=command_variant)


def join_service_non_critical(
    *, request_id: str, other_device_id: str, command_variant: int | None = None
) -> etree._Element:
    """SRV 8.7.2 'Join Service (Non-Critical)' - e.g. CS03B joining an IHD to an ESME."""
    body = {"OtherDeviceID": eui(other_device_id, "other_device_id")}
    return build_srv("8.7.2", request_id=request_id, body=body, command_variant=command_variant)


# --------------------------------------------------------------------------------- 6.20.1 Import MPxN


def set_device_configuration_import_mpxn(
    *,
    request_id: str,
    import_mpan: str | None = None,
    secondary_import_mpan: str | None = None,
    import_mprn: str | None = None,
    execution_datetime: datetime | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 6.20.1 'Set Device Configuration (Import MPxN)': MPAN(s) on an ESME or MPRN on a GSME."""
    choice = exactly_one(
        "set_device_configuration_import_mpxn", import_mpan=import_mpan, import_mprn=import_mprn
    )
    if choice == "import_mprn" and secondary_import_mpan is not None:
        raise DuisError("set_device_configuration_import_mpxn: secondary_import_mpan needs import_mpan")
    if choice == "import_mpan":
        target: dict = {
            "ImportMPANs": {"ImportMPAN": import_mpan, "SecondaryImportMPAN": secondary_import_mpan}
        }
    else:
        target = {"ImportMPRN": import_mprn}
    body = {"ExecutionDateTime": aware(execution_datetime, "execution_datetime"), **target}
    return build_srv("6.20.1", request_id=request_id, body=body, command_variant=command_variant)


# Re-exports: the remaining builders, so that every SRV builder is reachable from this module.
from dccflow.duis.requests_credentials import (  # noqa: E402
    issue_security_credentials,
    request_handover_of_dcc_controlled_device,
    retrieve_device_security_credentials_device,
    retrieve_device_security_credentials_krp,
    update_security_credentials_cos,
    update_security_credentials_device,
    update_security_credentials_krp,
)
from dccflow.duis.requests_lifecycle import (  # noqa: E402
    activate_firmware,
    communications_hub_status_update_fault_return,
    communications_hub_status_update_no_fault_return,
    decommission_device,
    read_device_log,
    read_firmware_version,
    restore_gpf_device_log,
    restore_han_device_log,
    return_local_command_response,
    unjoin_service_critical,
    unjoin_service_non_critical,
    update_firmware,
    update_inventory,
)

__all__ = [
    "SRV_TABLE",
    "SrvSpec",
    "activate_firmware",
    "commission_device",
    "communications_hub_status_update_fault_return",
    "communications_hub_status_update_install_no_sm_wan",
    "communications_hub_status_update_install_success",
    "communications_hub_status_update_no_fault_return",
    "decommission_device",
    "device_pre_notification",
    "issue_security_credentials",
    "join_service_critical",
    "join_service_non_critical",
    "read_device_log",
    "read_firmware_version",
    "read_inventory",
    "request_handover_of_dcc_controlled_device",
    "request_wan_matrix",
    "restore_gpf_device_log",
    "restore_han_device_log",
    "retrieve_device_security_credentials_device",
    "retrieve_device_security_credentials_krp",
    "return_local_command_response",
    "set_device_configuration_import_mpxn",
    "unjoin_service_critical",
    "unjoin_service_non_critical",
    "update_firmware",
    "update_han_device_log_add",
    "update_han_device_log_remove",
    "update_inventory",
    "update_security_credentials_cos",
    "update_security_credentials_device",
    "update_security_credentials_krp",
]
