"""The DCC's register of open SMKI Recovery Incidents (BAD 7.7.3.4.1; SEC Appendix L 3.2 as the BAD quotes it; digest
05 §D.1 item 7): when a compromise is notified, the DCC looks for an Incident still running over any of the same
Devices — L 3.2 lets it "run a common set of procedural steps" for several compromises where that recovers them
efficiently (and L 6.3.1.3(f) has it tell the SMKI PMA so). What joining means is decided by the running procedure
(``workflows.smki_recovery_joins``); this module keeps the register.

* ``recovery_open_incident`` — records the new Incident (its compromised key, Subscriber and Devices) and returns the
  oldest other Incident whose workflow is still running and shares a Device with it (None: it runs on its own).
  Idempotent (a retried activity finds its own row);
* ``recovery_incident_joined`` — the new Incident joined the running one: the running Incident's Devices become the
  union, and the joined one is no longer a candidate;
* ``recovery_incident_running`` — whether an Incident's workflow still runs (the Temporal server's view): a
  compromise that could not join waits for it before its own procedure.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import JSON, Column, Field, SQLModel, select
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from dccflow.clock import activity_now
from dccflow.db import session_scope


class RecoveryIncident(SQLModel, table=True):
    """An SMKI Recovery Incident the DCC raised, with the Devices its procedure covers."""

    __tablename__ = "smki_recovery_incident"

    incident_id: str = Field(primary_key=True)
    workflow_id: str
    compromised: str
    subscriber_id: str
    device_ids: list = Field(default_factory=list, sa_column=Column(JSON))
    opened_at: datetime
    #: the Incident this one joined (then its procedure is that one's)
    joined_to: str | None = None


class IncidentClaim(BaseModel):
    incident_id: str
    workflow_id: str
    compromised: str
    subscriber_id: str
    device_ids: list[str]


class OpenIncident(BaseModel):
    incident_id: str
    workflow_id: str
    compromised: str
    subscriber_id: str
    #: the Devices both Incidents cover
    shared: list[str]


class JoinedRef(BaseModel):
    incident_id: str
    joined_to: str
    device_ids: list[str]


class RecoveryIncidentActivities:
    def __init__(self, dcc):
        self.dcc = dcc
        self.engine = dcc.engine

    async def _running(self, workflow_id: str) -> bool:
        try:
            described = await self.dcc.client.get_workflow_handle(workflow_id).describe()
        except RPCError:
            return False
        return described.status == WorkflowExecutionStatus.RUNNING

    @activity.defn
    async def recovery_open_incident(self, claim: IncidentClaim) -> OpenIncident | None:
        with session_scope(self.engine) as s:
            if s.get(RecoveryIncident, claim.incident_id) is None:
                s.add(RecoveryIncident(incident_id=claim.incident_id, workflow_id=claim.workflow_id,
                                       compromised=claim.compromised, subscriber_id=claim.subscriber_id,
                                       device_ids=list(claim.device_ids), opened_at=activity_now()))
            others = [(r.incident_id, r.workflow_id, r.compromised, r.subscriber_id, list(r.device_ids or []))
                      for r in s.exec(select(RecoveryIncident).where(
                          RecoveryIncident.incident_id != claim.incident_id,
                          RecoveryIncident.joined_to == None)  # noqa: E711
                          .order_by(RecoveryIncident.opened_at, RecoveryIncident.incident_id))]
        mine = set(claim.device_ids)
        for incident_id, workflow_id, compromised, subscriber_id, devices in others:
            shared = sorted(mine.intersection(devices))
            if shared and await self._running(workflow_id):
                return OpenIncident(incident_id=incident_id, workflow_id=workflow_id, compromised=compromised,
                                    subscriber_id=subscriber_id, shared=shared)
        return None

    @activity.defn
    async def recovery_incident_joined(self, ref: JoinedRef) -> None:
        with session_scope(self.engine) as s:
            joined, running = s.get(RecoveryIncident, ref.incident_id), s.get(RecoveryIncident, ref.joined_to)
            if joined is not None:
                joined.joined_to = ref.joined_to
                s.add(joined)
            if running is not None:
                running.device_ids = list(dict.fromkeys([*(running.device_ids or []), *ref.device_ids]))
                s.add(running)

    @activity.defn
    async def recovery_incident_running(self, workflow_id: str) -> bool:
        return await self._running(workflow_id)


def recovery_incident_activities(dcc) -> list:
    acts = RecoveryIncidentActivities(dcc)
    return [acts.recovery_open_incident, acts.recovery_incident_joined, acts.recovery_incident_running]
