"""Service Request composition: which typed DUIS builder makes the body for each Service Reference
Variant a workflow asks for. Workflow parameters are JSON values, so date-times arrive as ISO strings.
SRV 6.23 (CoS, BAD 7.7.1.5.4) takes ``certificate_of`` too (the Gaining Supplier), with ``import_mpxn`` and
``supplier_floor_seq_number``.

Security-credential requests (BAD 7.7.2.5): SRV 6.17 takes ``{"credential_type": "Digital Signature"}``, 6.15.2
``{"device_certificate": <base64 DER>}``. SRV 6.15.1 and 6.21 take ``{"remote_party_role": "Supplier" |
"NetworkOperator", "certificate_of": <User ID>}``: ``certificate_of`` names the User whose Digital Signing
Organisation Certificate goes into the cell; a :data:`CertificateResolver` (the SMKI Repository) turns it into
the certificate and its certification path (issuing CA, Root). ``apply_time_based_cpv_checks`` defaults to true.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lxml import etree

from dccflow.duis import requests as duis
from dccflow.duis import requests_credentials as creds
from dccflow.duis import requests_supplier as supplier

BUILDERS: dict[str, Callable[..., etree._Element]] = {
    "8.14.1": duis.communications_hub_status_update_install_success,
    "8.14.2": duis.communications_hub_status_update_install_no_sm_wan,
    "8.14.3": duis.communications_hub_status_update_fault_return,
    "8.14.4": duis.communications_hub_status_update_no_fault_return,
    "8.11": lambda request_type="Add", **kw: (duis.update_han_device_log_remove if request_type == "Remove"
                                              else duis.update_han_device_log_add)(**kw),  # CCS02 / CCS01
    "8.3": duis.decommission_device,
    "8.8.1": duis.unjoin_service_critical,
    "8.8.2": duis.unjoin_service_non_critical,
    "8.12.1": duis.restore_han_device_log,
    "8.12.2": duis.restore_gpf_device_log,
    "8.1.1": duis.commission_device,
    "12.2": duis.device_pre_notification,
    "8.2": duis.read_inventory,
    "8.4": duis.update_inventory,
    "8.13": duis.return_local_command_response,
    "12.1": duis.request_wan_matrix,
    "8.7.1": duis.join_service_critical,
    "8.7.2": duis.join_service_non_critical,
    "6.20.1": duis.set_device_configuration_import_mpxn,
    "6.17": creds.issue_security_credentials,
    "6.15.2": creds.update_security_credentials_device,
    "6.15.1": creds.update_security_credentials_krp,
    "6.21": creds.request_handover_of_dcc_controlled_device,
    "6.23": creds.update_security_credentials_cos,
    "3.4": supplier.update_supplier_name,
    "1.1.1": supplier.update_import_tariff_single_rate,
    "6.24.1": creds.retrieve_device_security_credentials_krp,
    "6.24.2": creds.retrieve_device_security_credentials_device,
    # BAD 7.5.3 Manage Firmware
    "11.1": duis.update_firmware,
    "11.2": duis.read_firmware_version,
    "11.3": duis.activate_firmware,
}

#: User ID → (its Digital Signing Organisation Certificate, the certification path), DER
CertificateResolver = Callable[[str], tuple[bytes, list[bytes]]]
#: SRVs whose ``certificate_of`` parameter is resolved into the builder's certificate arguments
_PLACES_CERTIFICATE = frozenset({"6.15.1", "6.21", "6.23"})


class NoBuilder(LookupError, NotImplementedError):
    """dccflow cannot compose the SRV: never retried (``dccflow_app.activity_errors``); a process may report the
    step as not supported (e.g. BAD 7.7.1.5.5-6 after a Change of Supplier)."""


def compose_request(srv: str, request_id: str, params: dict,
                    resolver: CertificateResolver | None = None) -> etree._Element:
    try:
        build = BUILDERS[srv]
    except KeyError:
        raise NoBuilder(f"dccflow cannot compose SRV {srv} yet (known: {', '.join(sorted(BUILDERS))})") from None
    kwargs = {
        k: datetime.fromisoformat(v) if k.endswith("datetime") and isinstance(v, str) else v
        for k, v in params.items()
    }
    if srv in _PLACES_CERTIFICATE and "certificate_of" in kwargs:
        owner = kwargs.pop("certificate_of")
        if resolver is None:
            raise NoBuilder(f"SRV {srv}: 'certificate_of' needs a certificate resolver (the SMKI Repository)")
        cert, path = resolver(owner)
        kwargs.setdefault("digital_signing_certificate", cert)
        kwargs.setdefault("certification_path_certificates", path)
        kwargs.setdefault("apply_time_based_cpv_checks", True)
    return build(request_id=request_id, **kwargs)
