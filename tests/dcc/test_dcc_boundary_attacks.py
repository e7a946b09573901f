"""The DUIS boundary under attack (issue 11): what an adversarial User sends gets a defined answer, a rejection
changes nothing, and one Device or one counter sequence cannot be split by writing an ID differently."""

from __future__ import annotations

import asyncio
import base64
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from dcc_support import (
    CHF,
    ESME,
    INSTALL_CODE,
    MPAN,
    NEW_ESME,
    SUPPLIER_A,
    dcc_state,
    now,
    premises,
    sign_as,
    valid_and_signed_by_dcc,
)
from lxml import etree
from sqlalchemy import create_engine
from sqlmodel import select

from activities.compose import compose_request
from dccflow.db import session_scope
from dccflow.duis.schema import MAX_MESSAGE_BYTES
from dccflow.parties import DCC_ID
from dccsim import intake
from dccsim.models import DeliveredMessage, RequestLogEntry, SmiDevice
from dccsim.pipeline import check_request
from dccsim.records import RejectedRequest
from dccsim.service import DccService

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def built(rt, srv: str, target: str, counter: int, *, user: str = SUPPLIER_A,
          mutate: Callable[[etree._Element], None] | None = None, **params) -> bytes:
    """A Service Request built by the User's composer, changed by ``mutate`` before it is signed: the DCC sees a
    correctly signed request carrying whatever the User put in it."""
    element = compose_request(srv, f"{user}:{target}:{counter}", params)
    if mutate is not None:
        mutate(element)
    return sign_as(rt, user, element)


def set_text(name: str, text: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        root.find(f".//{SR}{name}").text = text
    return mutate


def ch_installed(rt, target: str, counter: int, **kw) -> bytes:
    return built(rt, "8.14.1", target, counter, chf_id=CHF, mpxn=MPAN, **kw)


def add_to_chf(rt, counter: int = 11, **kw) -> bytes:
    return built(rt, "8.11", CHF, counter, device_id=NEW_ESME, install_code=INSTALL_CODE, join_time_period=300,
                 import_mpxn=MPAN, **kw)


def pre_notification(rt, counter: int, device_id: str = NEW_ESME, **kw) -> bytes:
    return built(rt, "12.2", DCC_ID, counter, device_id=device_id, device_manufacturer="AB01",
                 device_model="010A030B", device_type="ESME", firmware_version="0002012F", esme_variant="A", **kw)


def smi_records(rt) -> list[str]:
    with session_scope(rt.engine) as s:
        return sorted(s.exec(select(SmiDevice.device_id)))


def logged_counters(rt) -> list[tuple[str, int]]:
    with session_scope(rt.engine) as s:
        return sorted((e.target, e.counter) for e in s.exec(select(RequestLogEntry)))


async def submit_refused(rt, xml: bytes, code: str, *, readable: bool = True):
    """Refused with ``code`` (a signed DUIS answer when the request could be read) and nothing changed."""
    before = dcc_state(rt)
    reply = await rt.dcc.submit(xml, now())
    assert (reply.outcome, reply.code) == ("rejected", code), reply
    if readable:
        assert valid_and_signed_by_dcc(reply.xml).response_code == code
    else:
        assert reply.xml is None  # check A: no DUIS Response can be formed (the code goes back at transport level)
    assert dcc_state(rt) == before
    return reply


# -- 1. anti-replay is keyed on the normalised target; a Non-Device request's target is the DCC -----------------
async def test_a_counter_cannot_be_used_again_by_writing_the_dcc_id_in_lower_case(stack):
    rt = stack.runtime
    premises(rt)
    first = await rt.dcc.submit(ch_installed(rt, DCC_ID, 5), now())
    assert first.code == "I0", first.reason
    lower = DCC_ID.lower()
    again = ch_installed(rt, DCC_ID, 5, mutate=set_text("RequestID", f"{SUPPLIER_A}:{lower}:5"))
    reply = await submit_refused(rt, again, "E40")
    assert "already used" in reply.reason
    below = ch_installed(rt, DCC_ID, 4, mutate=set_text("RequestID", f"{SUPPLIER_A}:{lower}:4"))
    reply = await submit_refused(rt, below, "E40")
    assert "not above 5" in reply.reason
    assert logged_counters(rt) == [(DCC_ID, 5)]


async def test_a_non_device_request_must_name_the_dcc_as_its_target(stack):
    rt = stack.runtime
    premises(rt)
    assert (await rt.dcc.submit(ch_installed(rt, DCC_ID, 5), now())).code == "I0"
    # a lower counter towards another target would otherwise open a fresh counter sequence for the same service
    reply = await submit_refused(rt, ch_installed(rt, CHF, 4), "E19")
    assert "Non-Device" in reply.reason and DCC_ID in reply.reason
    assert logged_counters(rt) == [(DCC_ID, 5)]


# -- 2. one inventory record per Device ------------------------------------------------------------------------
async def test_pre_notification_of_a_device_written_differently_finds_the_existing_record(stack):
    rt = stack.runtime
    assert (await rt.dcc.submit(pre_notification(rt, 1), now())).code == "I0"
    padded = pre_notification(rt, 2, mutate=set_text("DeviceID", f"  {NEW_ESME}  "))
    lower = pre_notification(rt, 3, mutate=set_text("DeviceID", NEW_ESME.lower()))
    for xml in (padded, lower):
        reply = await submit_refused(rt, xml, "E5")  # already on the SMI, 'pending' (AC 7.1; AD 3.8.101.5)
        assert NEW_ESME in reply.reason
    assert smi_records(rt) == [NEW_ESME]


async def test_a_device_pre_notified_in_lower_case_is_recorded_in_the_one_form(stack):
    rt = stack.runtime
    other = "00-db-12-03-00-00-09-0a"
    assert (await rt.dcc.submit(pre_notification(rt, 1, mutate=set_text("DeviceID", other)), now())).code == "I0"
    assert smi_records(rt) == [other.upper()]
    await submit_refused(rt, pre_notification(rt, 2, device_id=other.upper()), "E5")


# -- 3. blank leaves and xsi: attributes --------------------------------------------------------------------------
async def test_a_blank_leaf_is_read_as_blank_text_not_as_a_structure(stack):
    """A blank DeviceManufacturer is valid DUIS (xs:string, maxLength 30): it is recorded as blank, and the
    request is answered like any other (it used to escape ``submit`` as a database error: HTTP 503)."""
    rt = stack.runtime

    def blanks(root: etree._Element) -> None:
        root.find(f".//{SR}DeviceManufacturer").text = None
        root.find(f".//{SR}DeviceModel").text = "   "

    reply = await rt.dcc.submit(pre_notification(rt, 1, mutate=blanks), now())
    assert reply.code == "I0", reply.reason
    valid_and_signed_by_dcc(reply.xml)
    with session_scope(rt.engine) as s:
        dev = s.get(SmiDevice, NEW_ESME)
        assert (dev.manufacturer, dev.model, dev.firmware_version) == ("", "", "0002012F")


async def test_xsi_nil_or_type_on_a_leaf_is_refused_as_unreadable(stack):
    rt = stack.runtime
    premises(rt)

    def xsi(name: str, value: str, element: str = "DeviceID") -> Callable[[etree._Element], None]:
        def mutate(root: etree._Element) -> None:
            root.find(f".//{SR}{element}").set(f"{{{XSI}}}{name}", value)
        return mutate

    # the schema refuses xsi:nil (no DUIS element is nillable); xsi:type naming the declared type passes it and
    # used to turn the leaf into a structure (crashing the handler: E1000)
    cases = [(ch_installed(rt, DCC_ID, 1, mutate=xsi("nil", "false")), "not 'nillable'"),
             (ch_installed(rt, DCC_ID, 2, mutate=xsi("type", "sr:EUI")), "xsi:type"),
             (pre_notification(rt, 3, mutate=xsi("type", "sr:DeviceManufacturer", "DeviceManufacturer")), "xsi:type")]
    for xml, why in cases:
        reply = await submit_refused(rt, xml, "E1", readable=False)
        assert why in reply.reason
    with session_scope(rt.engine) as s:
        audit = list(s.exec(select(RejectedRequest)))
    assert [r.check for r in audit] == ["A: verify (schema, header)"] * 3


# -- 4. valid-but-extreme values ------------------------------------------------------------------------------------
async def test_a_counter_above_what_the_request_log_stores_is_refused_as_not_supported(stack):
    rt = stack.runtime
    premises(rt)
    for counter in (2**63, 2**64 - 1):  # DUIS allows up to 2**64 - 1; SQL integers stop at 2**63 - 1
        reply = await submit_refused(rt, ch_installed(rt, DCC_ID, counter), "E13")
        assert "2**63 - 1" in reply.reason
    assert (await rt.dcc.submit(ch_installed(rt, DCC_ID, 2**63 - 1), now())).code == "I0"
    assert logged_counters(rt) == [(DCC_ID, 2**63 - 1)]


async def test_an_execution_time_beyond_year_9999_in_utc_is_refused_as_future_dated(stack):
    rt = stack.runtime
    premises(rt)
    # valid xs:dateTime, in year 10000 once in UTC
    xml = add_to_chf(rt, execution_datetime=now() + timedelta(hours=6),
                     mutate=set_text("ExecutionDateTime", "9999-12-31T23:59:59-14:00"))
    reply = await submit_refused(rt, xml, "E31")
    assert "9999-12-31T23:59:59-14:00" in reply.reason


async def test_a_critical_request_whose_pre_command_would_exceed_the_size_limit_is_refused(stack):
    rt = stack.runtime
    premises(rt)
    certificate = base64.b64encode(os.urandom(1_700_000)).decode()  # a 2.3 MB request; its Pre-Command over 4 MiB
    xml = built(rt, "6.15.2", ESME, 12, device_certificate=certificate)
    assert len(xml) < MAX_MESSAGE_BYTES
    reply = await submit_refused(rt, xml, "E42")
    assert "Pre-Command" in reply.reason and str(MAX_MESSAGE_BYTES) in reply.reason


# -- 5. a request whose signature cannot be checked is rejected silently (SEC AB 6.3) ---------------------------------
async def test_a_relative_namespace_uri_leaves_the_signature_uncheckable_and_the_request_unanswered(stack):
    """Canonical XML forbids relative namespace URIs, so no digest can be computed: the signature cannot be
    checked, which is check D failing (AB 6.1(d)); the DCC says nothing (AB 6.3), signed E1000 included."""
    rt = stack.runtime
    premises(rt)
    signed = ch_installed(rt, DCC_ID, 1)
    unsigned = etree.fromstring(signed)
    unsigned.remove(unsigned.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    relative = b' xmlns:x="foo"'
    cases = [etree.tostring(unsigned).replace(b"<sr:Request ", b"<sr:Request" + relative + b" ", 1),
             signed.replace(b"<sr:Request ", b"<sr:Request" + relative + b" ", 1),
             signed.replace(b"<sr:Body>", b"<sr:Body" + relative + b">", 1)]
    before = dcc_state(rt)
    for xml in cases:
        reply = await rt.dcc.submit(xml, now())
        assert (reply.outcome, reply.xml, reply.code) == ("silent", None, None), reply
    assert dcc_state(rt) == before
    with session_scope(rt.engine) as s:
        audit = list(s.exec(select(RejectedRequest)))
    assert [(r.silent, r.check[:2]) for r in audit] == [(True, "D:")] * 3


# -- 8. two DCC processes on one database ---------------------------------------------------------------------------
async def test_two_dcc_processes_racing_one_request_id_answer_it_as_a_retransmission(stack, monkeypatch):
    """Both DCCs take the same request at once. On PostgreSQL both check it before either writes it; the one that
    writes second is refused by the unique keys and answers as for a retransmission, not with a transport failure
    (HTTP 503). On SQLite the second cannot even read it meanwhile: a serializable transaction holds the write lock
    from its start (``dccflow.db.serializable``), so it reads what the first committed and answers the same way."""
    rt = stack.runtime
    premises(rt)
    other_engine = create_engine(str(rt.engine.url), connect_args={"check_same_thread": False, "timeout": 30})
    other = DccService(other_engine, rt.smki, rt.outbound)  # a second process's DCC: its own connections
    on_sqlite = rt.engine.dialect.name == "sqlite"
    both_checked = threading.Barrier(2, timeout=2 if on_sqlite else 20)
    met: list[bool] = []

    first = threading.local()

    def checked_together(*args, **kwargs):
        checked = check_request(*args, **kwargs)
        if not getattr(first, "done", False):  # each DCC's first reading: wait until both have read
            first.done = True
            try:
                both_checked.wait()
                met.append(True)
            except threading.BrokenBarrierError:
                if not on_sqlite:
                    raise
        return checked

    monkeypatch.setattr(intake, "check_request", checked_together)
    xml = ch_installed(rt, DCC_ID, 7)
    at = now()
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda dcc: asyncio.run(dcc.submit(xml, at)), (rt.dcc, other)))
    other_engine.dispose()
    assert met == ([] if on_sqlite else [True, True])  # SQLite: the second read only after the first's commit
    assert [(r.outcome, r.code) for r in replies] == [("accepted", "I0")] * 2
    assert replies[0].xml == replies[1].xml  # one Service Response, given to both
    assert logged_counters(rt) == [(DCC_ID, 7)]
    with session_scope(rt.engine) as s:
        assert len(s.exec(select(DeliveredMessage)).all()) == 1
