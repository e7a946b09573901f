"""Service Request composition: which typed DUIS builder makes the body for each Service Reference
Variant a workflow asks for. Workflow parameters are JSON values, so date-times arrive as ISO strings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lxml import etree

from dccflow.duis import requests as duis

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
    "12.1": duis.request_wan_matrix,
    "8.7.1": duis.join_service_critical,
    "8.7.2": duis.join_service_non_critical,
    "6.20.1": duis.set_device_configuration_import_mpxn,
}


class NoBuilder(LookupError):
    pass


def compose_request(srv: str, request_id: str, params: dict) -> etree._Element:
    try:
        build = BUILDERS[srv]
    except KeyError:
        raise NoBuilder(f"dccflow cannot compose SRV {srv} yet (known: {', '.join(sorted(BUILDERS))})") from None
    kwargs = {
        k: datetime.fromisoformat(v) if k.endswith("datetime") and isinstance(v, str) else v
        for k, v in params.items()
    }
    return build(request_id=request_id, **kwargs)
