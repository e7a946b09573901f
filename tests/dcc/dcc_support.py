"""Helpers for the simulated-DCC tests: premises on the SMI, signed requests as a User sends them, a recording
SM WAN, and a snapshot of everything a rejected request must leave unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree
from sqlmodel import select

from activities.compose import compose_request
from activities.store import UserInboxEntry
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.duis.messages import to_bytes
from dccflow.duis.responses import DuisResponse, parse_response
from dccflow.duis.schema import duis_schema
from dccflow.messages import GbcsCommand, GbcsResponse
from dccflow.security.xmldsig import sign
from dccsim.inventory import Inventory, Registration
from dccsim.models import DeliveredMessage, RegistrationData, RequestLogEntry, SmiDevice, SmiStatusChange
from dccsim.records import AnomalyCount, ChAssetRecord, QuarantinedItem
from dccsim.smki import PKI_EPOCH

SUPPLIER_A = "90-B3-D5-1F-30-01-00-00"
SUPPLIER_B = "90-B3-D5-1F-30-04-00-00"
DISTRIBUTOR = "90-B3-D5-1F-30-02-00-00"
GAS_SUPPLIER_A = "90-B3-D5-1F-30-01-00-01"
CHF, GPF, ESME = "00-DB-12-01-00-00-09-01", "00-DB-12-02-00-00-09-01", "00-DB-12-03-00-00-09-01"
NEW_ESME = "00-DB-12-03-00-00-09-02"
MPAN = "1300000009011"
INSTALL_CODE = "00112233445566778899AABBCCDDEEFF"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def now() -> datetime:
    return datetime.now(UTC)


def premises(rt, *, esme_status: SmiStatus = SmiStatus.INSTALLED_NOT_COMMISSIONED, registered: str = SUPPLIER_A,
             registered_from: datetime = PKI_EPOCH, registered_to: datetime | None = None) -> None:
    """A premises on the SMI: a commissioned CHF, its GPF, an ESME associated with the MPAN and the CHF."""
    at = now() - timedelta(minutes=5)
    with session_scope(rt.engine) as s:
        inv = Inventory(s)
        inv.add(CHF, DeviceType.CHF, SmiStatus.PENDING, at, reason="test set-up")
        inv.set_status(CHF, SmiStatus.COMMISSIONED, at, "test set-up")
        inv.add(GPF, DeviceType.GPF, SmiStatus.PENDING, at, chf_id=CHF, reason="test set-up")
        inv.add(ESME, DeviceType.ESME, SmiStatus.PENDING, at, chf_id=CHF, mpxn=MPAN, reason="test set-up",
                added_by=SUPPLIER_A, manufacturer="AB01", model="010A030B")
        for status in (SmiStatus.WHITELISTED, SmiStatus.INSTALLED_NOT_COMMISSIONED, SmiStatus.COMMISSIONED):
            if esme_status == SmiStatus.PENDING:
                break
            inv.set_status(ESME, status, at, "test set-up")
            if status == esme_status:
                break
        Registration(s).add(mpxn=MPAN, fuel="electricity", supplier_id=registered, network_operator_id=DISTRIBUTOR,
                            effective_from=registered_from, effective_to=registered_to, uprn=100023336956,
                            postcode="AB1 2CD", address_identifier="9")


def signed_request(rt, user: str, srv: str, target: str, counter: int, **params: Any) -> bytes:
    """A Service Request as the User's system builds and signs it."""
    element = compose_request(srv, f"{user}:{target}:{counter}", params)
    cred = rt.keys.get(user)
    return to_bytes(sign(element, cred.key, cred.cert))


def sign_as(rt, user: str, element: etree._Element) -> bytes:
    cred = rt.keys.get(user)
    return to_bytes(sign(element, cred.key, cred.cert))


def commission(rt, user: str = SUPPLIER_A, counter: int = 10, target: str = ESME) -> bytes:
    return signed_request(rt, user, "8.1.1", target, counter, current_datetime=now(), tolerance_period=60)


def add_to_chf(rt, user: str = SUPPLIER_A, counter: int = 11, device: str = NEW_ESME, mpxn: str = MPAN,
               **extra: Any) -> bytes:
    return signed_request(rt, user, "8.11", CHF, counter, device_id=device, install_code=INSTALL_CODE,
                          join_time_period=300, import_mpxn=mpxn, **extra)


def valid_and_signed_by_dcc(xml: bytes) -> DuisResponse:
    """Every message the DCC produces: valid against DUIS 5.4 and signed (by the DCC)."""
    doc = etree.fromstring(xml)
    schema = duis_schema()
    assert schema.validate(doc), schema.error_log
    assert doc.find(f"{DS}Signature") is not None
    response = parse_response(xml)
    assert response.signed
    return response


class RecordingWan:
    """An SM WAN that records the Commands the DCC sends and answers each with success."""

    def __init__(self, answer: bool | None = True):
        self.commands: list[GbcsCommand] = []
        self.answer = answer

    async def dispatch_command(self, command: GbcsCommand, at: datetime, reply_to=None):
        from devices.wan import WanDelivery

        self.commands.append(command)
        if self.answer is None:
            return WanDelivery(status="responded", response=None)
        return WanDelivery(status="responded", response=GbcsResponse(
            use_case=command.use_case, device_id=command.target, success=self.answer))


def use_recording_wan(rt, answer: bool | None = True) -> RecordingWan:
    wan = RecordingWan(answer)
    rt.dcc.wan = wan
    return wan


def _rows(s, model) -> list[dict]:
    return sorted((r.model_dump() for r in s.exec(select(model))), key=repr)


def dcc_state(rt) -> dict[str, list[dict]]:
    """Everything a rejected request must leave as it was: the SMI and its history, the request log, the
    registration data, what the DCC delivered, its anomaly counts, quarantine and CH records, the devices."""
    from devices.models import DeviceState

    with session_scope(rt.engine) as s:
        return {model.__name__: _rows(s, model) for model in (
            SmiDevice, SmiStatusChange, RequestLogEntry, RegistrationData, DeliveredMessage, AnomalyCount,
            QuarantinedItem, ChAssetRecord, DeviceState)}


def delivered(rt, **where: Any) -> list[DeliveredMessage]:
    with session_scope(rt.engine) as s:
        rows = s.exec(select(DeliveredMessage).order_by(DeliveredMessage.id)).all()
    return [r for r in rows if all(getattr(r, k) == v for k, v in where.items())]


def inbox(rt, recipient: str) -> list[UserInboxEntry]:
    with session_scope(rt.engine) as s:
        return list(s.exec(select(UserInboxEntry).where(UserInboxEntry.recipient == recipient)
                           .order_by(UserInboxEntry.id)))


def log_entry(rt, request_id: str) -> RequestLogEntry | None:
    with session_scope(rt.engine) as s:
        return s.get(RequestLogEntry, request_id)


def request_id(user: str, target: str, counter: int) -> str:
    return f"{user}:{target}:{counter}"



#: the DCC's own id: the target of Non-Device requests
DCC_ID_ = "90-B3-D5-1F-30-00-00-02"
