"""Campaigns from the client's side (``dccflow campaign``, fleet scenarios, the bench, the tests): start the
Organisation Certificate rollover (BAD 7.7.2) or a firmware wave campaign (BAD 7.5.3) under its business key, find,
follow or steer one by its workflow id (one campaign mechanism, ``workflows.campaign``: the same ``progress``
query and ``pause``/``resume``/``cancel`` updates); and, for a run that holds the simulator's database, build an
in-service fleet and read what the Devices' Supplier cells and firmware hold."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import WorkflowAlreadyStartedError

from dccflow.config import USER_TASK_QUEUE
from dccflow.db import session_scope
from dccflow.search import BAD_PROCESS
from devices.anchors import RESOLVER
from devices.builder import BuildReport, FleetSpec, build_fleet
from devices.models import DeviceState
from workflows.firmware_campaign import FirmwareCampaignWorkflow
from workflows.firmware_campaign_model import (
    FirmwareCampaignInput,
    FirmwareCampaignReport,
    FirmwareCampaignState,
    campaign_workflow_id,
)
from workflows.org_cert_rollover import PROCESS, OrgCertRolloverKeyWorkflow, OrgCertRolloverWorkflow
from workflows.org_cert_rollover_model import CampaignInput, CampaignReport, CampaignState

CAMPAIGN_PREFIX = "org-cert-rollover-"
FIRMWARE_PREFIX = "firmware-campaign-"
#: the campaign workflows by kind: their class (its ``progress`` query, its updates) and report type
KINDS = {"rollover": (OrgCertRolloverWorkflow, CampaignReport), "firmware": (FirmwareCampaignWorkflow,
                                                                          FirmwareCampaignReport)}


def kind_of(campaign_id: str) -> str:
    return "firmware" if campaign_id.startswith(FIRMWARE_PREFIX) else "rollover"


def campaign_handle(client: Client, campaign_id: str) -> WorkflowHandle:
    return client.get_workflow_handle(campaign_id, result_type=KINDS[kind_of(campaign_id)][1])


async def start_rollover(client: Client, inp: CampaignInput) -> WorkflowHandle:
    """Start the rollover of ``inp.supplier_id``'s current certificate under its business key, or find the one
    running for that certificate; the campaign's handle."""
    campaign_id = await client.execute_workflow(
        OrgCertRolloverKeyWorkflow.run, inp.supplier_id,
        id=f"{CAMPAIGN_PREFIX}key-{inp.supplier_id}-{uuid.uuid4().hex[:8]}", task_queue=USER_TASK_QUEUE)
    try:
        return await client.start_workflow(
            OrgCertRolloverWorkflow.run, CampaignState(inp=inp, campaign_id=campaign_id, paused=inp.paused),
            id=campaign_id, task_queue=USER_TASK_QUEUE,
            search_attributes=TypedSearchAttributes([SearchAttributePair(BAD_PROCESS, PROCESS)]))
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle(campaign_id, result_type=CampaignReport)


async def start_firmware_campaign(client: Client, inp: FirmwareCampaignInput) -> WorkflowHandle:
    """Start the firmware campaign for ``inp.model`` at ``inp.to_version`` under its business key, or find the one
    running for them; the campaign's handle."""
    campaign_id = campaign_workflow_id(inp.model, inp.to_version)
    try:
        return await client.start_workflow(
            FirmwareCampaignWorkflow.run, FirmwareCampaignState(inp=inp, campaign_id=campaign_id, paused=inp.paused),
            id=campaign_id, task_queue=USER_TASK_QUEUE,
            search_attributes=TypedSearchAttributes([SearchAttributePair(BAD_PROCESS, "firmware_campaign")]))
    except WorkflowAlreadyStartedError:
        return campaign_handle(client, campaign_id)


async def find_campaign(client: Client, supplier_id: str | None = None, campaign_id: str | None = None) -> str:
    """The campaign's id: as given, else the newest rollover of ``supplier_id`` (running ones first)."""
    if campaign_id:
        return campaign_id
    found: list[tuple[bool, datetime, str]] = []
    async for wf in client.list_workflows("WorkflowType = 'OrgCertRollover'"):
        if supplier_id is None or wf.id.startswith(f"{CAMPAIGN_PREFIX}{supplier_id}-"):
            found.append((wf.status is not None and wf.status.name == "RUNNING", wf.start_time, wf.id))
    if not found:
        raise LookupError(f"no Organisation Certificate rollover campaign{' of ' + supplier_id if supplier_id else ''}")
    return max(found)[2]


async def follow(handle: WorkflowHandle, on_progress: Callable[[object], None] | None = None,
                 poll_seconds: float = 0.5, until: Callable[[object], bool] | None = None) -> object:
    """Wait for the campaign's report (across continue-as-new), showing its progress meanwhile; with ``until``,
    return the progress as soon as ``until(progress)`` holds (e.g. the campaign halted) if that comes first."""
    workflow_class = KINDS[kind_of(handle.id)][0]
    result = asyncio.ensure_future(handle.result())
    while not result.done():
        await asyncio.wait([result], timeout=poll_seconds)
        if (on_progress is not None or until is not None) and not result.done():
            try:
                progress = await handle.query(workflow_class.progress)
            except Exception:  # noqa: BLE001 - progress is best effort (between runs of continue-as-new)
                continue
            if on_progress is not None:
                on_progress(progress)
            if until is not None and until(progress):
                result.cancel()
                return progress
    return result.result()


def build_in_service_fleet(engine: Engine, count: int, at: datetime, *, seed: int = 1,
                           faults: list[tuple[str, object, float]] | None = None,
                           dual_fuel: bool = False) -> BuildReport:
    """``count`` SMS in service (commissioned, on the SM WAN): a Supplier's estate (``FleetSpec.in_service``)."""
    return build_fleet(engine, FleetSpec(sms=count, seed=seed, in_service=True, dual_fuel=dual_fuel,
                                         faults=list(faults or [])), at)


def firmware_versions(engine: Engine, device_ids: list[str]) -> dict[str, str | None]:
    """The firmware version each Device runs (the simulator's view of the Devices)."""
    with session_scope(engine) as s:
        return {d: (row.firmware_version if (row := s.get(DeviceState, d)) is not None else None) for d in device_ids}


def supplier_cell_serials(engine: Engine, device_ids: list[str]) -> dict[str, str | None]:
    """What each Device's Supplier cell holds: the certificate's serial (the simulator's view of the Devices)."""
    with session_scope(engine) as s:
        cells = {}
        for device_id in device_ids:
            dev = s.get(DeviceState, device_id)
            cert = RESOLVER.cert(s, dev.anchors.get("Supplier")) if dev is not None else None
            cells[device_id] = str(cert.serial_number) if cert is not None else None
    return cells
