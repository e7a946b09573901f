"""Group commit: Service Requests that arrive together are taken in one transaction, committed once, then each is
answered (issue #18; ``docs/performance.md``).

``DccService.submit(..., together=True)`` (the HTTP interface, where concurrent Users' requests arrive at the same
moment) runs the checks that read no database first (A and D: ``pipeline.verify_and_authenticate``), then queues the
request here and waits. The first request queued leads the batch: it lets the event loop run what is ready now (the
other requests that have arrived meanwhile, their HTTP handlers run up to the same point, join the queue), then
flushes the queue itself. The flush takes the whole queue synchronously, without yielding to the event loop:

* one request alone is taken exactly as before, in its own serializable transaction with its retries
  (``DccService._take``): an idle DCC adds no latency;
* several are taken in one transaction, each inside a SAVEPOINT: a refused request (a failed check raises) or a
  DCC fault rolls back to its own savepoint only, so it does not undo the others; then one COMMIT. On SQLite the
  transaction starts with ``BEGIN IMMEDIATE`` (its write lock taken at once: reads and writes in one snapshot, no
  upgrade failure against another writer); SQLAlchemy's savepoints need that explicit BEGIN with pysqlite.

Every reply is given strictly after the commit that made its request durable: the waiting ``submit`` calls are
released only once the COMMIT returned. A request whose statements or COMMIT the database refused because of a
concurrent transaction (a unique key, a serialization failure: another DCC process took the same RequestID or
changed the same rows) is taken again alone once the requests before it are committed, with the usual retries, and
so are those that arrived after it (in their order: a User's rising counters stay in order); so are all the requests
of a batch whose COMMIT failed (none of them was answered). Nothing is held only in memory: a request is either
committed or not taken (its sender gets a transport-level failure, or no answer after disconnecting).

The transaction is never left open while other coroutines run (a write transaction held across an ``await``
would block every other writer of this process, on SQLite even this process's own activities), which is why
requests are collected before the transaction opens rather than added to an open one.

Caches a request's checks keep in ``Session.info`` (registration rows, Devices held for the transaction) are
cleared between the requests of a batch, so each request reads what the database holds after the previous one;
the ORM's identity map stays consistent by itself (each savepoint is flushed when released, and SQLAlchemy expires
what a rolled-back savepoint changed).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, ResourceClosedError

from dccflow.db import HeldConnection, is_conflict
from dccflow.session import Session
from dccsim.config import DccConfig
from dccsim.intake import Accepted, Intake
from dccsim.inventory import FOLLOW_UPS
from dccsim.outbound import Outbound
from dccsim.pipeline import Verified
from dccsim.smki import SmkiRepository

log = logging.getLogger(__name__)

#: the most requests one transaction takes (the rest wait for the next flush, scheduled at once)
MAX_BATCH = 64


@dataclass
class _Queued:
    xml: bytes
    at: datetime
    verified: Verified
    future: asyncio.Future = field(repr=False)


class _Dcc(Protocol):
    """What group commit uses of ``dccsim.service.DccService``."""

    engine: Engine
    #: its serializable transactions (``dccflow.db.HeldConnection``)
    transactions: HeldConnection
    smki: SmkiRepository
    outbound: Outbound
    config: DccConfig
    _follow_ups: set[str]

    def _take(self, xml: bytes, at: datetime, verified: Verified | None = None) -> Accepted: ...


class GroupCommit:
    def __init__(self, dcc: _Dcc, max_batch: int = MAX_BATCH):
        self.dcc = dcc
        self.max_batch = max_batch
        self._queue: list[_Queued] = []
        self._scheduled = False
        #: batches taken together and requests in them (for the benchmark's report)
        self.batches = 0
        self.batched = 0

    @property
    def pending(self) -> bool:
        """Requests are waiting for the next flush (a request taken at once meanwhile would overtake them)."""
        return bool(self._queue)

    async def take(self, xml: bytes, at: datetime, verified: Verified) -> Accepted:
        """The request taken and committed: its ``Accepted``, or the check's exception (``ServiceRequestRejected``,
        ``SilentlyRejected``), or the database's (``DBAPIError``) if it could not be taken."""
        loop = asyncio.get_running_loop()
        queued = _Queued(xml, at, verified, loop.create_future())
        self._queue.append(queued)
        if self._scheduled:  # a flush is due: it takes this one too
            return await queued.future
        # this one leads the batch: once the event loop has run what is ready now (the requests arriving at the
        # same moment join the queue meanwhile), it flushes the queue itself and has its own answer at once
        self._scheduled = True
        try:
            await asyncio.sleep(0)
        except BaseException:  # its sender has gone: nothing of it is taken; the others are, at the next turn
            queued.future.cancel()
            loop.call_soon(self._flush)
            raise
        self._flush()
        return await queued.future  # settled by the flush (or a later one, when the queue was over max_batch)

    def _flush(self) -> None:
        batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
        if self._queue:
            asyncio.get_running_loop().call_soon(self._flush)
        else:
            self._scheduled = False
        batch = [q for q in batch if not q.future.done()]  # a sender gone before the flush: nothing taken
        try:
            if len(batch) == 1:
                _settle(batch[0], lambda q: self.dcc._take(q.xml, q.at, q.verified))
            elif batch:
                self._take_together(batch)
        except BaseException as exc:  # never leave a sender waiting for ever (a fault here is the DCC's own)
            log.exception("a batch of %d requests could not be taken", len(batch))
            for queued in batch:
                _resolve(queued, exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
            if not isinstance(exc, Exception):
                raise

    def _take_together(self, batch: list[_Queued]) -> None:
        results: dict[int, Accepted | Exception] = {}
        alone: list[int] = []
        try:
            with self.dcc.transactions.session() as s:  # committed when the block ends
                _begin(s)
                for i, queued in enumerate(batch):
                    outcome = self._one(s, queued)
                    if outcome is None:  # this one and those after it: alone, in their order of arrival
                        alone = list(range(i, len(batch)))
                        break
                    results[i] = outcome
                follow_ups = s.info.get(FOLLOW_UPS, set())
            self.dcc._follow_ups |= follow_ups  # committed: now due
        except DBAPIError as exc:  # nothing of the batch was committed, nobody answered: each is taken alone
            if not (isinstance(exc, IntegrityError) or is_conflict(exc)):
                log.warning("a batch of %d requests could not be committed (%s): taken one by one", len(batch), exc)
            results, alone = {}, list(range(len(batch)))
        self.batches += 1
        self.batched += len(batch)
        for i in alone:
            queued = batch[i]
            try:
                results[i] = self.dcc._take(queued.xml, queued.at, queued.verified)
            except Exception as exc:  # noqa: BLE001 - the sender's submit handles it as for a request alone
                results[i] = exc
        for i, queued in enumerate(batch):
            _resolve(queued, results[i])

    def _one(self, s: Session, queued: _Queued) -> Accepted | Exception | None:
        """One request of a batch inside its own SAVEPOINT: its ``Accepted``, the exception that refused it, or
        ``None`` when the database refused it because of a concurrent transaction (taken again alone)."""
        savepoint = [s.begin_nested()]

        def undo() -> None:  # a DCC fault: back to this request's savepoint, and on in a fresh one
            savepoint[0].rollback()
            savepoint[0] = s.begin_nested()

        try:
            accepted = Intake(session=s, smki=self.dcc.smki, outbound=self.dcc.outbound, config=self.dcc.config,
                              at=queued.at, undo=undo).take(queued.xml, queued.verified)
            savepoint[0].commit()  # flushed and RELEASEd
            return accepted
        except DBAPIError as exc:
            _rollback(savepoint[0])
            if isinstance(exc, IntegrityError) or is_conflict(exc):
                return None
            raise  # the database cannot take requests now: the whole batch fails (taken again one by one)
        except Exception as exc:  # noqa: BLE001 - a refused request: this savepoint only
            _rollback(savepoint[0])
            return exc
        finally:
            follow_ups = s.info.get(FOLLOW_UPS)
            s.info.clear()  # the next request reads what the transaction holds now
            if follow_ups:
                s.info[FOLLOW_UPS] = follow_ups


def _begin(s: Session) -> None:
    """Open the batch's transaction; on SQLite explicitly (``BEGIN IMMEDIATE``: see the module's docstring)."""
    conn = s.connection()
    if conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # a driver error comes back as SQLAlchemy's (a DBAPIError)


def _rollback(savepoint) -> None:
    """Back to the savepoint, also when a failed flush has deactivated it (the batch's transaction goes on)."""
    try:
        savepoint.rollback()
    except ResourceClosedError:
        pass  # already rolled back


def _settle(queued: _Queued, take) -> None:
    try:
        result = take(queued)
    except Exception as exc:  # noqa: BLE001 - handed to the waiting submit
        result = exc
    _resolve(queued, result)


def _resolve(queued: _Queued, result: Accepted | Exception) -> None:
    if queued.future.done():
        return  # the sender went away meanwhile; what was committed stays (a retransmission gets its reply)
    if isinstance(result, Exception):
        queued.future.set_exception(result)
    else:
        queued.future.set_result(result)
