"""Service Request composition: which typed DUIS builder makes the body for each Service Reference
Variant a workflow asks for. Workflow parameters are JSON values, so date-times arrive as ISO strings.

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

BUILDERS: dict[str, Callable[..., etree._Element]] = {
    "8.14.1": duis.communications_hub_status_update_install_success,
    "8.14.2": duis.communications_hub_status_update_install_no_sm_wan,
    "8.14.3": duis.communications_hub_status_update_fault_return,
    "8.14.4": duis.communications_hub_status_update_no_fault_return,
    "8.11": duis.update_han_device_log_add,
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
}

#: User ID → (its Digital Signing Organisation Certificate, the certification path), DER
CertificateResolver = Callable[[str], tuple[bytes, list[bytes]]]
#: SRVs whose ``certificate_of`` parameter is resolved into the builder's certificate arguments
_PLACES_CERTIFICATE = frozenset({"6.15.1", "6.21"})


class NoBuilder(LookupError):
    pass


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
