"""What a Scenario workflow reports (:class:`ScenarioReport`) and the snapshot of the SMI it reads at the end
(:class:`Snapshot`), shared by the scenario harness (``dccflow_app.scenarios.harness``) and the Install and Leave
run (``dccflow_app.scenarios.install_leave``); and the Supplier's other MPID both provision with."""

from __future__ import annotations

from pydantic import BaseModel

from dccflow.audit import Verdict
from dccflow.domain.roles import UserRole
from dccflow.events import ObligationOutcome, ProcessEvent
from dccflow.parties import SUPPLIER
from dccflow_app.scenarios.expectations import Difference
from dccflow_app.scenarios.processes import FollowOnSeen
from dccflow_app.scenarios.world_events import WorldEventApplied


def other_mpid(device_type: str) -> str:
    """The Supplier's other MPID (User ID) for a meter: its gas one on an ESME, its electricity one on a GSME."""
    role = UserRole.IMPORT_SUPPLIER if device_type == "GSME" else UserRole.GAS_SUPPLIER
    return SUPPLIER.user_ids[role]


class DeviceStatus(BaseModel):
    device_id: str
    device_type: str
    #: None for a Type 2 Device (IHD, CAD: no SMI Status, AC 2.9)
    smi_status: str | None
    #: the Smart Meter or GPF the SMI Associates the Device with (joined devices)
    associated_with: str | None = None
    #: trust anchor cells (BAD 7.2.1.5 Table 4): cell → the User ID whose certificate it holds, or "DCC"
    cells: dict[str, str] = {}


class RefusalSeen(BaseModel):
    """A Service Request the DCC refused (its rejection log, AB 6.3)."""

    srv: str | None
    sender: str | None
    code: str | None
    target: str | None


class AlertSeen(BaseModel):
    code: str
    device_id: str | None
    recipient: str


class Snapshot(BaseModel):
    devices: list[DeviceStatus]
    dcc_alerts: list[AlertSeen]
    refusals: list[RefusalSeen] = []


class PostCommissioningSeen(BaseModel):
    """A Post Commissioning process (BAD 7.2.3) of the install: its outcome and its own events and deadlines (the
    report's ``events`` has them too, in time order; ``dccflow audit`` of the run's JSON replays them as a case
    of their own)."""

    device_id: str
    outcome: str
    end: str
    reason: str
    events: list[ProcessEvent] = []
    obligations: list[ObligationOutcome] = []


class HanDeviceSeen(BaseModel):
    """A PPMID, IHD, HCALCS or CAD of an Install and Commission: joined, not joined (N25) or failed, and why."""

    device_id: str
    device_type: str
    outcome: str
    reason: str


class ScenarioReport(BaseModel):
    scenario: str
    faults: list[str]
    workflow_id: str
    result: str
    end: str
    reason: str
    #: the run met the scenario's declared expectation (``differences`` lists each part it did not)
    expected_end_reached: bool
    differences: list[Difference] = []
    devices: list[DeviceStatus]
    dcc_alerts: list[AlertSeen]
    events: list[ProcessEvent]
    obligations: list[ObligationOutcome]
    #: the obligations audit: a verdict per entry of the BAD 7.2 obligation register (dccflow.audit)
    regulation: list[Verdict] = []
    post_commissioning: list[PostCommissioningSeen] = []
    han_devices: list[HanDeviceSeen] = []
    #: the world events of the scenario's timeline, as carried out (``dccflow_app.scenarios.world_events``)
    world_events: list[WorldEventApplied] = []
    refusals: list[RefusalSeen] = []
    #: the follow-on processes of the timeline (``dccflow_app.scenarios.processes``), in the order they started
    processes: list[FollowOnSeen] = []
