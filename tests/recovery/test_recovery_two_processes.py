"""A whole-fleet Root recovery (BAD 7.7.3.4.5) with the systems' workers in two processes on one database, as a
deployment at scale runs them (``DCCFLOW_WORKER_SYSTEMS``): the User side here, the DCC's and the fleet's workers in
a ``python -m dccflow_app.worker`` subprocess.

The DCC's workers move the SMKI to a new Root and Issuing OCA in their process; the Responsible Suppliers' new
Organisation Certificates are then issued, and their 6.21 handbacks taken, in this one. Each process must see the
new hierarchy: a process that kept the authority keys it read at start issued the Suppliers' certificates under the
revoked Issuing OCA, and every handback was refused with E1 (``dccsim.smki.SmkiAuthorityGeneration``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from dccflow.config import USER_TASK_QUEUE, Settings
from dccflow.db import session_scope
from dccflow.domain.recovery import CompromisedKey
from dccflow.parties import DCC_ID
from dccflow_app.campaigns import build_in_service_fleet
from dccflow_app.embedded import start_time_skipping
from dccflow_app.runtime import Runtime, register_search_attributes
from dccsim.models import RequestLogEntry
from workflows.smki_recovery import SmkiRecoveryWorkflow, smki_recovery_workflow_id
from workflows.smki_recovery_model import SmkiRecoveryInput

READY = b"workers running: dcc, devices"


async def _dcc_worker(address: str, data_dir: Path, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DCCFLOW_TEMPORAL_ADDRESS": address,
           "DCCFLOW_DATA_DIR": str(data_dir), "DCCFLOW_WORKER_SYSTEMS": "dcc,devices"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "dccflow_app.worker", env=env,
                                                stderr=asyncio.subprocess.PIPE)
    seen = b""
    with log.open("wb") as out:
        while READY not in seen:
            line = await asyncio.wait_for(proc.stderr.readline(), timeout=60)
            assert line, f"the DCC's worker process ended: {seen.decode()[-2000:]}"
            seen += line
            out.write(line)
    asyncio.get_running_loop().create_task(_drain(proc.stderr))
    return proc


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


async def test_a_root_recovery_with_the_dcc_in_another_process_recovers_every_device(tmp_path) -> None:
    env = await start_time_skipping(data_dir=tmp_path)
    dcc_process = None
    try:
        await register_search_attributes(env.client)
        runtime = Runtime(Settings(data_dir=tmp_path, worker_systems=("user",)), env.client)
        build_in_service_fleet(runtime.engine, 3, datetime.now(UTC))
        dcc_process = await _dcc_worker(env.client.service_client.config.target_host, tmp_path,
                                        tmp_path / "dcc-worker.log")
        inp = SmkiRecoveryInput(incident_id="TWO-PROC-1", compromised=CompromisedKey.ROOT_OCA, subscriber_id=DCC_ID)
        async with runtime.serving():  # this process: the User side only
            result = await env.client.execute_workflow(SmkiRecoveryWorkflow.run, inp, task_queue=USER_TASK_QUEUE,
                                                       id=smki_recovery_workflow_id(inp.incident_id))
    finally:
        if dcc_process is not None and dcc_process.returncode is None:
            dcc_process.terminate()
            with contextlib.suppress(ProcessLookupError):
                await asyncio.wait_for(dcc_process.wait(), timeout=30)
        await env.shutdown()

    assert result.end == "end_recovered", (result.reason, result.not_recovered)
    assert len(result.recovered) == 9 and not result.not_recovered  # 3 SMS: CHF, ESME, GSME each
    handovers = [e for e in result.events if e.bpmn_id == "handover_requested" and e.detail.startswith("by ")]
    assert len(handovers) == 3 and all(": end_handover_done: " in e.detail for e in handovers)  # the Supplier cells
    with session_scope(runtime.engine) as s:  # taken here, processed by the DCC's workers there
        logged = s.exec(select(RequestLogEntry).where(RequestLogEntry.srv == "6.21")).all()
    assert logged and {r.stage for r in logged} == {"completed"}
