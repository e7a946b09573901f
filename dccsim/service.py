"""The simulated DCC's interfaces.

* Towards Users (the DCC User Interface): ``submit`` takes a signed DUIS request and gives the synchronous
  reply (``dccsim.intake``); everything else (Service Responses, DCC Alerts, Device Alerts) goes out later
  through ``dccsim.outbound``.
* Towards devices (the SM WAN): ``on_chf_connected``, ``on_chf_power_event`` and ``receive_device_alert``
  (``dccsim.sm_wan_side``); commands go out through a ``WanGateway`` (``devices.wan``).
* Internally, each accepted Device request is carried through by a durable DCC workflow
  (``dccsim.workflows.DccServiceRequestWorkflow``) whose activities call the ``process`` methods
  (``dccsim.processing``).
* Threshold Anomaly Detection administration: ``set_anomaly_threshold``, ``release_quarantined`` and
  ``delete_quarantined`` (SEC G6; Appendix AA 3.7, 4.9; AB 12.3).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from dccflow.config import DCC_TASK_QUEUE
from dccflow.db import HeldConnection, is_conflict, serializable, session_scope
from dccflow.duis.messages import request_from_element, to_bytes
from dccflow.duis.responses import build_service_response
from dccflow.duis.schema import secure_parse
from dccflow.messages import GbcsCommand
from dccflow.moments import as_utc
from dccflow.security.xmldsig import sign
from dccsim import rejection_devices, tad
from dccsim.config import DccConfig
from dccsim.cos_party import CosParty
from dccsim.group_commit import GroupCommit
from dccsim.intake import Accepted, DccWorkItem, Intake, SubmitReply
from dccsim.inventory import DUTIES, FOLLOW_UPS, ORPHAN_WATCH
from dccsim.models import RequestLogEntry
from dccsim.orphans import start_orphan_watches
from dccsim.outbound import Outbound
from dccsim.pipeline import Verified, verify_and_authenticate
from dccsim.post_commissioning_duties import PostCommissioningDuties
from dccsim.processing import CommandResult, CompletionResult, Processing, dcc_workflow_id
from dccsim.records import AnomalyCount, ChAssetRecord, RejectedRequest
from dccsim.rejections import Check, ServiceRequestRejected, SilentlyRejected
from dccsim.sm_wan_side import SmWanSide
from dccsim.smki import SmkiRepository
from dccsim.workflow_starts import (
    DCC_SERVICE_REQUEST_WORKFLOW,
)

log = logging.getLogger(__name__)
#: times a request is taken before the DCC gives up (a transport-level failure the User retries): each failed
#: attempt means a concurrent request on the same rows committed first (``DccService._take``)
TAKE_ATTEMPTS = 10

__all__ = ["CommandResult", "CompletionResult", "DccService", "DccWorkItem", "SubmitReply", "WanGateway",
           "dcc_workflow_id"]


class WanGateway(Protocol):
    """The SM WAN as the DCC sees it (``devices.wan.SmWan``): a Command is answered at once, or is in transit
    and its Response will be signalled to ``reply_to`` later, or cannot be delivered."""

    async def dispatch_command(self, command: GbcsCommand, at: datetime, reply_to=None): ...


class DccService(SmWanSide, Processing):
    def __init__(self, engine: Engine, smki: SmkiRepository, outbound: Outbound, config: DccConfig | None = None):
        self.engine = engine
        self.smki = smki
        self.outbound = outbound
        self.config = config or DccConfig()
        #: the serializable transactions that take a request or process its Response, one after another on one
        #: connection kept for them (``dccflow.db.HeldConnection``)
        self.transactions = HeldConnection(serializable(engine))
        self.client: Client | None = None
        self.wan: WanGateway | None = None
        #: the DCC's own post-commissioning duties (AC 5.1, 5.3, 5.12), one durable workflow per Device
        self.pc_duties = PostCommissioningDuties(engine, smki)
        #: the DCC acting as the CoS Party, with its own key (SEC Appendix AB 8; BAD 7.7.1.4)
        self.cos_party = CosParty(smki)
        self._background: set[asyncio.Task] = set()
        #: workflows to start after a request (``start_follow_ups``); at start-up, whatever an earlier run left
        self._follow_ups: set[str] = {DUTIES, ORPHAN_WATCH}
        #: requests arriving together are taken in one transaction, committed once (``dccsim.group_commit``)
        self._group = GroupCommit(self)
        for index in [*RequestLogEntry.__table__.indexes, *AnomalyCount.__table__.indexes,  # added since: databases
                      *ChAssetRecord.__table__.indexes]:
            index.create(engine, checkfirst=True)  # created before lack them

    def connect(self, *, client: Client, wan: WanGateway) -> None:
        self.client = client
        self.wan = wan
        self.pc_duties.wan = wan

    async def start_post_commissioning_duties(self) -> int:
        """Start the DCC's duty workflow for each Device commissioned since the last look (AC 5.1, 5.3;
        ``dccsim.post_commissioning_duties``). Idempotent: the workflow id is the Device's and its Commissioning."""
        from dccflow.search import DCC_POST_COMMISSIONING, device_search_attributes
        from dccsim.post_commissioning_duties import duty_workflow_id
        from dccsim.post_commissioning_workflow import DccPostCommissioningWorkflow

        if self.client is None:
            return 0
        started = 0
        for inp in self.pc_duties.newly_commissioned():
            try:
                await self.client.start_workflow(
                    DccPostCommissioningWorkflow.run, inp, id=duty_workflow_id(inp.device_id, inp.commissioned_at),
                    task_queue=DCC_TASK_QUEUE, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=device_search_attributes(DCC_POST_COMMISSIONING, [inp.device_id]))
                started += 1
            except WorkflowAlreadyStartedError:
                pass
        return started

    async def ensure_pc_reporting(self) -> None:
        """Make sure the DCC's daily Post Commissioning reporting cycle runs (AC 5.5, 5.8, 5.9)."""
        from dccsim.post_commissioning_workflow import DccPostCommissioningReportingWorkflow

        assert self.client is not None
        try:
            await self.client.start_workflow(DccPostCommissioningReportingWorkflow.run, 0,
                                             id="dcc-post-commissioning-reporting", task_queue=DCC_TASK_QUEUE,
                                             id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE)
        except WorkflowAlreadyStartedError:
            pass  # running

    def _start_duties_soon(self) -> None:
        """From a synchronous caller inside the event loop (the CHF reaching the SM WAN)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._follow_ups.add(DUTIES)  # no loop: picked up at the DCC's next look (a later request)
            return
        task = loop.create_task(self.start_post_commissioning_duties())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # == DCC User Interface ===============================================================================
    async def submit(self, xml: bytes, at: datetime, *, together: bool = False) -> SubmitReply:
        """Take one signed request and give the DCC's synchronous reply, once what it changed is committed.
        Checks A and D (no database) run at once. ``together``: the caller serves concurrent Users (the HTTP
        interface, ``dccsim.http_api``): the request is taken with those that arrive at the same moment in one
        transaction committed once (``dccsim.group_commit``; alone, it is taken at once). Otherwise (in-process
        callers) it is taken at once in its own transaction, without giving way to other coroutines first."""
        try:
            verified = verify_and_authenticate(xml, self.smki)
            if together or self._group.pending:
                accepted = await self._group.take(xml, at, verified)
            else:
                accepted = self._take(xml, at, verified)
        except SilentlyRejected as exc:
            log.info("silently rejected: %s", exc)
            self._record_rejection(xml, at, exc.check, None, exc.reason, silent=True)
            return SubmitReply(outcome="silent", reason=str(exc))
        except ServiceRequestRejected as exc:
            self._record_rejection(xml, at, exc.check, exc.code, exc.reason)
            readable = exc.check != Check.VERIFY  # a request failing A gets no DUIS Response
            return SubmitReply(outcome="rejected", code=exc.code, reason=str(exc),
                               xml=self._rejection(xml, exc.code, exc.request_id or self._readable(xml)[0], at)
                               if readable else None)
        except DBAPIError:
            raise  # the DCC Systems cannot take requests now: a transport-level failure, retried by the User
        except Exception as exc:  # noqa: BLE001 - never leave a User without an answer (digest 06 §F.7)
            log.exception("the DCC failed while taking a request")
            rejected = ServiceRequestRejected(Check.INTERNAL, f"{type(exc).__name__}: {exc}")
            request_id = self._readable(xml)[0]
            self._record_rejection(xml, at, rejected.check, rejected.code, rejected.reason)
            return SubmitReply(outcome="rejected", code=rejected.code, reason=str(rejected),
                               xml=self._rejection(xml, rejected.code, request_id, at))
        await self._follow_up(accepted)
        await self.start_follow_ups()
        return accepted.reply

    async def start_follow_ups(self) -> None:
        """Start the workflows that what was committed calls for: duties of a Device the request Commissioned (8.4,
        8.13; AC 5.1, 5.3), the H6.6 watch of a CHF it decommissioned (8.3). Each start scans what is not started
        yet, whoever wrote it (another DCC process included); a start that fails stays due for the next request."""
        if self.client is None:
            return  # not connected to Temporal: still due
        # no longer due once a scan starts (requests answered meanwhile do not scan again; what they commit
        # meanwhile makes it due anew), due again if the scan fails
        for due, start in ((DUTIES, self.start_post_commissioning_duties),
                           (ORPHAN_WATCH, lambda: start_orphan_watches(self))):
            if due in self._follow_ups:
                self._follow_ups.discard(due)
                try:
                    await start()
                except BaseException:
                    self._follow_ups.add(due)
                    raise

    def _take(self, xml: bytes, at: datetime, verified: Verified | None = None) -> Accepted:
        """Take the request in one serializable transaction (``dccflow.db.serializable``: its checks and its
        writes as if no other request ran meanwhile). Another DCC process on the same database may commit the same
        RequestID, a higher counter or a change of the same Device between this one's checks and its writes; a
        unique key or the database's conflict check then refuses this one's commit. Run again, it sees what the
        other committed: the same bytes get the answer a retransmission gets, other bytes the anti-replay
        rejection, a Device moved meanwhile is judged in its new state."""
        for attempt in range(1, TAKE_ATTEMPTS + 1):
            try:
                with self.transactions.session() as s:
                    accepted = Intake(session=s, smki=self.smki, outbound=self.outbound, config=self.config,
                                      at=at).take(xml, verified)
                self._follow_ups |= s.info.get(FOLLOW_UPS, set())  # committed: now due
                return accepted
            except DBAPIError as exc:
                if attempt == TAKE_ATTEMPTS or not (isinstance(exc, IntegrityError) or is_conflict(exc)):
                    raise
                log.info("a concurrent request changed what this one read: take it again")
        raise AssertionError("unreachable")  # pragma: no cover

    async def _follow_up(self, accepted: Accepted) -> None:
        if accepted.deliver:
            await self.outbound.deliver(accepted.deliver)
        if accepted.start is not None:
            await self._start(accepted.start, accepted.named)

    def _sign(self, element) -> bytes:
        cred = self.smki.dcc_credential()
        return to_bytes(sign(element, cred.key, cred.cert))

    @staticmethod
    def _readable(xml: bytes) -> tuple[str | None, str | None]:
        """RequestID and SRV of a request, if it can be read at all."""
        try:
            header = request_from_element(secure_parse(xml)).header
            return header.request_id, header.service_reference_variant
        except Exception:  # noqa: BLE001 - the request itself may be what is broken
            return None, None

    def _rejection(self, xml: bytes, code: str | None, request_id: str | None, at: datetime) -> bytes | None:
        """The signed Service Response telling the User why (AB 6.3), when there is a code and a request."""
        srv = self._readable(xml)[1]
        if code is None or srv is None or request_id is None:
            return None
        try:
            return self._sign(build_service_response(request_id=request_id, response_code=code, at=at,
                                                     service_reference_variant=srv))
        except Exception:  # noqa: BLE001 - e.g. an SRV DUIS does not know: no DUIS response can be formed
            log.exception("no DUIS response for a rejected request")
            return None

    def _record_rejection(self, xml: bytes, at: datetime, check: Check, code: str | None, reason: str, *,
                          silent: bool = False) -> None:
        request_id, srv = self._readable(xml)
        try:
            body = request_from_element(secure_parse(xml)).body_element if request_id else None
        except Exception:  # noqa: BLE001
            body = None
        with session_scope(self.engine) as s:
            row = RejectedRequest(at=at, request_id=request_id, originator=request_id.split(":")[0] if request_id
                                  else None, srv=srv, signed_pre_command=body == "SignedPreCommand",
                                  check=check.value, code=code, silent=silent, reason=reason[:2000], size=len(xml))
            s.add(row)
            s.flush()  # its id, for the Devices it names (the audit's index)
            rejection_devices.record(s, row.id, rejection_devices.named_in(row.request_id, row.reason))

    async def _start(self, item: DccWorkItem, named: list[str] | None = None) -> None:
        """``named``: the Devices the request names, when the caller has them (else read from the request log)."""
        assert self.client is not None, "DccService.connect() was not called"
        try:
            await self.client.start_workflow(  # by type name: the workflow module imports the service's activities
                DCC_SERVICE_REQUEST_WORKFLOW, item, id=dcc_workflow_id(item.request_id),
                task_queue=DCC_TASK_QUEUE, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=self._search_attributes(item, named))
        except WorkflowAlreadyStartedError:
            pass  # a retransmission of a request already being processed

    def _search_attributes(self, item: DccWorkItem, named: list[str] | None = None):
        """The request's target and the Devices its body names (8.11's DeviceID, 8.7.x's OtherDeviceID), so the
        Web UI finds this workflow by any Device it concerns (``dccflow.search``)."""
        from dccflow.search import DCC_SERVICE_REQUEST, device_search_attributes, devices_named

        if named is None:
            named = []
            try:
                with session_scope(self.engine) as s:
                    entry = s.get(RequestLogEntry, item.request_id)
                    xml = entry.xml if entry is not None else None
                if xml:
                    named = devices_named(request_from_element(secure_parse(xml)).body)
            except Exception:  # noqa: BLE001 - the target alone still tags the workflow
                log.warning("devices named by %s not read for its search attributes", item.request_id,
                            exc_info=True)
        parts = item.request_id.split(":")
        return device_search_attributes(DCC_SERVICE_REQUEST, [parts[1] if len(parts) == 3 else None, *named])

    # == Threshold Anomaly Detection administration ======================================================
    def set_anomaly_threshold(self, *, user_id: str | None, srv: str, limit: int, window: timedelta,
                              at: datetime) -> None:
        """Apply a User's ADT (SEC G6.3; AA 3.7), or the DCC's aggregate one with ``user_id=None`` (G6.6)."""
        with session_scope(self.engine) as s:
            tad.set_threshold(s, user_id=user_id, srv=srv, limit=limit, window=window, at=at)

    def raise_anomaly_threshold(self, *, user_id: str, srv: str, at_least: int, at: datetime) -> int:
        """A User raises its ADT for ``srv`` to ``at_least`` (SEC G6.3; AA 3.7), keeping a higher one and the window
        in force; the limit now. Idempotent: asked again, it changes nothing."""
        with session_scope(self.engine) as s:
            current = tad.user_threshold(s, self.config, user_id=user_id, srv=srv)
            if current.limit < at_least:
                tad.set_threshold(s, user_id=user_id, srv=srv, limit=at_least, window=current.window, at=at)
            return max(current.limit, at_least)

    async def release_quarantined(self, event_ref: str, at: datetime) -> None:
        """The User's instruction to process a quarantined item (AB 12.3(a); AA 4.9): within the release
        window it goes on to the Device, its quarantine time excluded from response times (H3.15(b))."""
        with session_scope(self.engine) as s:
            item = tad.quarantined_item(s, event_ref)
            if item.status != "quarantined":
                raise ValueError(f"quarantined item {event_ref} is already {item.status}")
            if at > as_utc(item.at) + self.config.quarantine_release_window:
                raise ValueError(f"quarantined item {event_ref} was archived {self.config.quarantine_release_window} "
                                 "after quarantine (AA 4.5): it can no longer be released")
            entry = s.get(RequestLogEntry, item.request_id)
            item.status, item.resolved_at = "released", at
            entry.stage = "accepted"
            entry.quarantined_seconds += (at - as_utc(item.at)).total_seconds()
            s.add(item)
            s.add(entry)
            work = Intake._work_item(entry, self.config)
        await self._start(work)

    def delete_quarantined(self, event_ref: str, at: datetime) -> None:
        """The User confirms the item is to be deleted (AB 12.3(b)): no Command is ever sent for it."""
        with session_scope(self.engine) as s:
            item = tad.quarantined_item(s, event_ref)
            if item.status != "quarantined":
                raise ValueError(f"quarantined item {event_ref} is already {item.status}")
            item.status, item.resolved_at = "deleted", at
            entry = s.get(RequestLogEntry, item.request_id)
            entry.stage = "deleted"
            s.add(item)
            s.add(entry)
