"""What the DCC's service needs to start its own workflows without importing them: their type names, inputs and
ids. The workflow modules import the activities, which wrap ``DccService``; starting them by type name keeps the
service below its workflows (no import cycle). The names are fixed: the recorded histories name them
(``tests/processes/test_replay.py``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

#: ``dccsim.workflows.DccServiceRequestWorkflow`` and its signal that the CHF's CS14 confirmed a join
DCC_SERVICE_REQUEST_WORKFLOW = "DccServiceRequest"
CS14_RECEIVED_SIGNAL = "cs14_received"
#: ``dccsim.power.PowerOutageWorkflow`` and its signal that power came back
DCC_POWER_OUTAGE_WORKFLOW = "DccPowerOutage"
POWER_RESTORED_SIGNAL = "restored"


class PowerOutage(BaseModel):
    chf_id: str
    started_at: datetime


def power_outage_workflow_id(chf_id: str, started_at: datetime) -> str:
    return f"dcc-power-outage-{chf_id}-{started_at.strftime('%Y%m%dT%H%M%S')}"
