"""``dccflow drill status ID --address``: a running drill's phase, Devices done and the Code's deadlines still
pending, read from the workflow (BAD 7.7.3; ``workflows.smki_recovery.drill_status``)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from dccflow.config import USER_TASK_QUEUE
from dccflow.domain.recovery import CompromisedKey, IncidentPhase
from dccflow.parties import DCC_ID
from dccflow_app.campaigns import build_in_service_fleet
from dccflow_app.cli import app
from workflows.smki_recovery import SmkiRecoveryWorkflow, smki_recovery_workflow_id
from workflows.smki_recovery_model import SmkiRecoveryInput


async def test_drill_status_shows_the_phase_the_devices_and_the_pending_deadlines(stack) -> None:
    build_in_service_fleet(stack.runtime.engine, 1, datetime.now(UTC))
    inp = SmkiRecoveryInput(incident_id="STATUS-1", compromised=CompromisedKey.RECOVERY, subscriber_id=DCC_ID,
                            pma_decision="silent")  # the PMA never answers: the drill waits on its decision
    handle = await stack.client.start_workflow(SmkiRecoveryWorkflow.run, inp, task_queue=USER_TASK_QUEUE,
                                               id=smki_recovery_workflow_id(inp.incident_id))
    await stack.env.sleep(timedelta(hours=6))  # confirmed after 2 hours; the PMA's decision requested
    address = stack.client.service_client.config.target_host
    result = await asyncio.to_thread(CliRunner().invoke, app, ["drill", "status", handle.id, "--address", address,
                                                               "--json"])
    assert result.exit_code == 0, result.output
    st = json.loads(result.stdout)
    assert st["phase"] == IncidentPhase.PMA_DECISION_PENDING.value
    assert st["method"] == "recovery-key-rollover" and len(st["devices"]) == 3 and st["recovered"] == []
    assert list(st["deadlines_pending"]) == ["RCV-19 the SMKI PMA decides the steps and timescales"]
    text = await asyncio.to_thread(CliRunner().invoke, app, ["drill", "status", handle.id, "--address", address])
    assert "0 of 3 Device(s) recovered" in text.output and "pending: RCV-19" in text.output
    await handle.terminate()
