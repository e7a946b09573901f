"""Group commit (``dccsim.group_commit``): Service Requests that arrive together are taken in one transaction, each
in its own SAVEPOINT, committed once, and each is answered only after that commit. A refused request, a DCC fault or
a retransmission inside the batch leaves the others as they would be alone. ``together=True`` is how the HTTP
interface submits (``dccsim.http_api``)."""

from __future__ import annotations

import asyncio

from dcc_support import (
    CHF,
    ESME,
    MPAN,
    SUPPLIER_A,
    dcc_state,
    log_entry,
    now,
    premises,
    rejections,
    request_id,
    signed_request,
    valid_and_signed_by_dcc,
)
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from dccflow.db import serializable, session_scope
from dccflow.parties import DCC_ID
from dccsim.handlers.nondevice import ChInstallSuccess
from dccsim.models import SmiDevice
from dccsim.records import ChAssetRecord


def _install_success(rt, counter: int, chf: str = CHF) -> bytes:
    return signed_request(rt, SUPPLIER_A, "8.14.1", DCC_ID, counter, chf_id=chf, mpxn=MPAN)


async def _warm(rt) -> None:
    """One request alone first: the DCC's first look for what an earlier run left is not part of the batch."""
    reply = await rt.dcc.submit(_install_success(rt, 1), now())  # alone, at once
    assert (reply.outcome, reply.code) == ("accepted", "I0")


class _Commits:
    """Commits of transactions that logged requests (a read's commit is not counted)."""

    def __init__(self, engine):
        self.engine, self.count, self._logging = engine, 0, set()

    def __enter__(self):
        # the requests are taken in serializable transactions: on SQLite those run on an engine of their own
        self._engines = list({self.engine, serializable(self.engine)})
        for engine in self._engines:
            event.listen(engine, "before_cursor_execute", self._on_execute)
            event.listen(engine, "commit", self._on_commit)
        return self

    def __exit__(self, *exc):
        for engine in self._engines:
            event.remove(engine, "before_cursor_execute", self._on_execute)
            event.remove(engine, "commit", self._on_commit)

    def _on_execute(self, conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO DCC_REQUEST_LOG"):
            self._logging.add(id(conn.connection.dbapi_connection))

    def _on_commit(self, conn) -> None:
        if id(conn.connection.dbapi_connection) in self._logging:
            self._logging.discard(id(conn.connection.dbapi_connection))
            self.count += 1


def _asset_requests(rt) -> list[str]:
    with session_scope(rt.engine) as s:
        return list(s.exec(select(ChAssetRecord.request_id).order_by(ChAssetRecord.id)))


async def test_requests_arriving_together_are_committed_once_and_each_is_answered_after_its_commit(stack):
    rt = stack.runtime
    premises(rt)
    await _warm(rt)
    counters = range(2, 8)
    committed_when_answered: dict[int, bool] = {}

    async def send(counter: int):
        reply = await rt.dcc.submit(_install_success(rt, counter), now(), together=True)
        # no await between the reply and this read: another connection sees the request's rows already
        committed_when_answered[counter] = log_entry(rt, request_id(SUPPLIER_A, DCC_ID, counter)) is not None
        return reply

    with _Commits(rt.engine) as commits:
        replies = await asyncio.gather(*(send(c) for c in counters))
    assert [(r.outcome, r.code) for r in replies] == [("accepted", "I0")] * len(counters)
    for counter, reply in zip(counters, replies, strict=True):
        assert valid_and_signed_by_dcc(reply.xml).request_id == request_id(SUPPLIER_A, DCC_ID, counter)
    assert all(committed_when_answered.values()) and len(committed_when_answered) == len(counters)
    assert commits.count == 1  # six requests, one commit
    assert _asset_requests(rt)[1:] == [request_id(SUPPLIER_A, DCC_ID, c) for c in counters]


async def test_a_refused_request_in_a_batch_changes_nothing_and_does_not_undo_the_others(stack):
    rt = stack.runtime
    premises(rt)
    await _warm(rt)
    before = dcc_state(rt)
    replayed = signed_request(rt, SUPPLIER_A, "8.14.4", DCC_ID, 1, chf_id=CHF)  # RequestID 1 again, other body
    wrong_device = _install_success(rt, 3, chf=ESME)  # not a CHF: refused by the handler's check (E11)
    replies = await asyncio.gather(*(rt.dcc.submit(xml, now(), together=True) for xml in (
        _install_success(rt, 2), replayed, wrong_device, _install_success(rt, 4))))
    assert [(r.outcome, r.code) for r in replies] == [("accepted", "I0"), ("rejected", "E40"), ("rejected", "E11"),
                                                      ("accepted", "I0")]
    assert _asset_requests(rt) == [request_id(SUPPLIER_A, DCC_ID, c) for c in (1, 2, 4)]
    assert log_entry(rt, request_id(SUPPLIER_A, DCC_ID, 3)) is None
    assert [r.code for r in rejections(rt)] == ["E40", "E11"]
    after = dcc_state(rt)  # the accepted ones logged themselves, their responses and asset records; nothing else
    for unchanged in ("SmiDevice", "SmiStatusChange", "RegistrationData", "AnomalyCount", "QuarantinedItem",
                      "DeviceState"):
        assert after[unchanged] == before[unchanged], unchanged


async def test_a_dcc_fault_in_a_batch_rolls_back_that_request_only(stack, monkeypatch):
    rt = stack.runtime
    premises(rt)
    await _warm(rt)
    faulty = request_id(SUPPLIER_A, DCC_ID, 3)
    execute = ChInstallSuccess.execute

    def failing(self, ctx):
        outcome = execute(self, ctx)  # its asset record written, then the DCC fails
        if ctx.request_id == faulty:
            raise RuntimeError("asset system down")
        return outcome

    monkeypatch.setattr(ChInstallSuccess, "execute", failing)
    replies = await asyncio.gather(*(rt.dcc.submit(_install_success(rt, c), now(), together=True) for c in (2, 3, 4)))
    assert [(r.outcome, r.code) for r in replies] == [("accepted", "I0"), ("rejected", "E1000"), ("accepted", "I0")]
    assert valid_and_signed_by_dcc(replies[1].xml).response_code == "E1000"
    assert _asset_requests(rt) == [request_id(SUPPLIER_A, DCC_ID, c) for c in (1, 2, 4)]
    assert log_entry(rt, faulty).stage == "failed"  # logged with its error response, nothing else of it kept


async def test_copies_of_one_signed_request_in_a_batch_are_taken_once(stack):
    rt = stack.runtime
    premises(rt)
    await _warm(rt)
    xml = _install_success(rt, 2)
    replies = await asyncio.gather(*(rt.dcc.submit(xml, now(), together=True) for _ in range(4)))
    assert {(r.outcome, r.code) for r in replies} == {("accepted", "I0")}
    assert len({r.xml for r in replies}) == 1  # a retransmission gets the reply the first copy got
    assert _asset_requests(rt) == [request_id(SUPPLIER_A, DCC_ID, c) for c in (1, 2)]


async def test_a_request_whose_writes_the_database_refuses_does_not_stop_the_batch(stack, monkeypatch):
    """A unique key refusing one request's rows (as when another DCC process took the same rows first) rolls back
    its savepoint only; it is taken again alone, and here refused again: its sender gets the database's error (a
    transport-level failure it retries), the others their replies."""
    rt = stack.runtime
    premises(rt)
    await _warm(rt)
    doomed = request_id(SUPPLIER_A, DCC_ID, 3)
    execute = ChInstallSuccess.execute

    def clashing(self, ctx):
        if ctx.request_id == doomed:  # a second row under an existing primary key: refused when flushed
            ctx.session.add(SmiDevice(device_id=CHF, device_type="CHF", smi_status="commissioned"))
        return execute(self, ctx)

    monkeypatch.setattr(ChInstallSuccess, "execute", clashing)
    results = await asyncio.gather(*(rt.dcc.submit(_install_success(rt, c), now(), together=True)
                                     for c in (2, 3, 4)), return_exceptions=True)
    assert [(r.outcome, r.code) for r in (results[0], results[2])] == [("accepted", "I0")] * 2
    assert isinstance(results[1], IntegrityError)
    assert _asset_requests(rt) == [request_id(SUPPLIER_A, DCC_ID, c) for c in (1, 2, 4)]
    assert log_entry(rt, doomed) is None


async def test_the_batchs_first_request_gone_before_the_flush_is_not_taken_and_the_others_are(stack):
    """The first request of a batch leads it (it flushes the queue once the loop has run what is ready); its sender
    gone meanwhile, its request is not taken and the others still are."""
    rt = stack.runtime
    premises(rt)
    await _warm(rt)
    tasks = [asyncio.create_task(rt.dcc.submit(_install_success(rt, c), now(), together=True)) for c in (2, 3, 4)]
    await asyncio.sleep(0)  # each has queued its request; the first waits for the loop's next turn to flush
    assert rt.dcc._group.pending
    tasks[0].cancel()
    replies = await asyncio.gather(*tasks[1:])
    assert tasks[0].cancelled()
    assert [(r.outcome, r.code) for r in replies] == [("accepted", "I0")] * 2
    assert log_entry(rt, request_id(SUPPLIER_A, DCC_ID, 2)) is None
    assert _asset_requests(rt)[1:] == [request_id(SUPPLIER_A, DCC_ID, c) for c in (3, 4)]
    assert not rt.dcc._group.pending
