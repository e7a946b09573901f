"""Helpers for the simulated-DCC tests: premises on the SMI, signed requests as a User sends them, a recording
SM WAN, and a snapshot of everything a rejected request must leave unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree
from sqlmodel import func, select

from activities.compose import compose_request
from activities.store import UserInboxEntry, UserOutboxEntry
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.service_requests import lookup_srv
from dccflow.domain.smi import SmiStatus
from dccflow.duis.messages import to_bytes
from dccflow.duis.responses import DuisResponse, parse_response
from dccflow.duis.schema import duis_schema
from dccflow.messages import GbcsCommand, GbcsResponse
from dccflow.security.xmldsig import sign
from dccsim.inventory import Inventory, Registration
from dccsim.models import DeliveredMessage, RegistrationData, RequestLogEntry, SmiDevice, SmiStatusChange
from dccsim.records import AnomalyCount, ChAssetRecord, QuarantinedItem, RejectedRequest
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


def rejections(rt) -> list[RejectedRequest]:
    """The DCC's audit of rejected requests, oldest first."""
    with session_scope(rt.engine) as s:
        return list(s.exec(select(RejectedRequest).order_by(RejectedRequest.id)))


def request_id(user: str, target: str, counter: int) -> str:
    return f"{user}:{target}:{counter}"


async def wait_for(predicate, timeout: float = 15.0):
    """``predicate``'s first truthy value, polled while the DCC works asynchronously."""
    for _ in range(int(timeout / 0.05)):
        if (value := predicate()):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def next_counter(rt, user: str) -> int:
    """The User's next request counter: one above the highest in the DCC's request log."""
    with session_scope(rt.engine) as s:
        last = s.exec(select(func.max(RequestLogEntry.counter)).where(RequestLogEntry.originator == user)).one()
    return (last or 0) + 1


def built_request(rt, user: str, target: str, build: Callable[[str], etree._Element]) -> tuple[str, bytes]:
    """The Service Request ``build(request_id)`` makes, with the User's next counter, signed by the User; its
    RequestID and bytes."""
    rid = request_id(user, target, next_counter(rt, user))
    return rid, sign_as(rt, user, build(rid))


def request(rt, user: str, srv: str, target: str, **params: Any) -> tuple[str, bytes]:
    """A Service Request as the User's system composes it (``certificate_of`` placed from the SMKI Repository)."""
    return built_request(rt, user, target,
                         lambda rid: compose_request(srv, rid, params, rt.smki.organisation_certificate_der))


async def accepted(rt, at: datetime, user: str, srv: str, target: str, **params: Any) -> DuisResponse:
    """A composed request through the DCC's real pipeline (``submitted``)."""
    return await submitted(rt, at, srv, *request(rt, user, srv, target, **params))


async def submitted(rt, at: datetime, srv: str, rid: str, sr: bytes) -> DuisResponse:
    """A signed request through the DCC's real pipeline (a Critical one with the User's Signed Pre-Command round
    trip): its signed, schema-valid Service Response."""
    reply = await rt.dcc.submit(sr, at)
    assert reply.outcome == "accepted", reply
    if lookup_srv(srv).is_critical:
        entry = UserOutboxEntry(step_key="test", request_id=rid, workflow_id="test", srv=srv, xml=sr, created_at=at)
        spc = rt.duis_client.signed_pre_command(entry, reply.xml, at)
        assert (await rt.dcc.submit(spc, at)).outcome == "accepted"
    (response,) = await wait_for(lambda: delivered(rt, kind="service_response", request_id=rid))
    parsed = valid_and_signed_by_dcc(response.xml)
    assert parsed.request_id == rid and parsed.service_reference_variant == srv
    return parsed


async def rejected_unchanged(rt, at: datetime, user: str, srv: str, target: str, code: str, **params: Any) -> str:
    """A request the DCC rejects with ``code`` in a signed, schema-valid response, leaving everything as it was;
    the reason it gives."""
    before = dcc_state(rt)
    _rid, sr = request(rt, user, srv, target, **params)
    reply = await rt.dcc.submit(sr, at)
    assert reply.outcome == "rejected" and reply.code == code, reply
    assert valid_and_signed_by_dcc(reply.xml).response_code == code
    assert dcc_state(rt) == before
    return reply.reason



#: the DCC's own id: the target of Non-Device requests
DCC_ID_ = "90-B3-D5-1F-30-00-00-02"
