"""Helpers for the transport tests (a uniquely named module, imported as ``transport_support``)."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import UserRole
from dccflow.domain.smi import SmiStatus
from dccflow.duis import requests as duis
from dccflow.duis.messages import to_bytes
from dccflow.parties import DCC_ID, SUPPLIER
from dccflow.security.xmldsig import sign
from dccsim.inventory import Inventory

SUPPLIER_ID = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]
CHF = "00-DB-12-34-56-78-90-C1"
MPAN = "1234567890123"
AT = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)


def put_chf_on_smi(runtime, chf_id: str = CHF) -> None:
    with session_scope(runtime.engine) as s:
        Inventory(s).add(chf_id, DeviceType.CHF, SmiStatus.PENDING, AT, reason="test set-up")


def ch_install_success(runtime, counter: int, chf_id: str = CHF) -> bytes:
    """A signed SRV 8.14.1 (Non-Device) from the Import Supplier."""
    element = duis.communications_hub_status_update_install_success(
        request_id=f"{SUPPLIER_ID}:{DCC_ID}:{counter}", chf_id=chf_id, mpxn=MPAN)
    cred = runtime.keys.get(SUPPLIER_ID)
    return to_bytes(sign(element, cred.key, cred.cert))


def tampered(xml: bytes) -> bytes:
    """The same request with its body changed after signing (the digest no longer matches)."""
    root = etree.fromstring(xml)
    device = root.find(".//{http://www.dccinterface.co.uk/ServiceUserGateway}DeviceID")
    device.text = device.text[:-1] + ("0" if device.text[-1] != "0" else "1")
    return to_bytes(root)
