"""What ``dccflow audit`` judges (:class:`dccflow.audit_report.AuditInput`), read from a Temporal server or a saved
run.

From a server — the embedded one, ``dccflow up``, a cluster — the process workflows are the ones carrying a
``BadProcess`` search attribute of a User's BAD process (not the DCC's or the fleet's own workflows,
``dccflow.search``), listed with a visibility query, or found by walking a workflow's children through its
history (the time-skipping server of ``dccflow run``, whose visibility is limited). A closed workflow's events and
Deadline outcomes are its result (``ProcessResult``); a running one's are queried (``process_events``: a worker
must be polling). Workflows started by one scenario (or one root process) form one audit unit, as ``dccflow run``
judges them together; a child whose events its parent already carries (a HAN Device join) is not counted twice.

The DCC's records about a unit's Devices are read from the DCC's database when one is given
(``dccflow_app.scenarios.audit.read_dcc_records``, the reader the scenario audit uses).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus

from dccflow.audit_context import Verdict
from dccflow.audit_report import AuditInput, AuditUnit, ProcessCase
from dccflow.cli_output import first_error
from dccflow.events import ObligationOutcome, ProcessEvent
from dccflow.search import (
    BAD_PROCESS,
    DCC_POST_COMMISSIONING,
    DCC_POWER_OUTAGE,
    DCC_SERVICE_REQUEST,
    DEVICE_IDS,
    DEVICE_TIMER,
    WAN_DELIVERY,
)
from workflows.post_commissioning import post_commissioning_workflow_id

#: ``BadProcess`` values of workflows that are not a User's BAD process
NOT_PROCESSES = frozenset({DCC_SERVICE_REQUEST, DCC_POWER_OUTAGE, DCC_POST_COMMISSIONING, DEVICE_TIMER, WAN_DELIVERY})
INPUT_FILE = "audit-input.json"


def visibility_query(query: str | None, since: datetime | None, until: datetime | None) -> str:
    """The user's query, narrowed to workflows started within [since, until)."""
    parts = [f"({query})"] if query else []
    if since:
        parts.append(f'StartTime >= "{since.astimezone(UTC).isoformat()}"')
    if until:
        parts.append(f'StartTime < "{until.astimezone(UTC).isoformat()}"')
    return " AND ".join(parts)


async def _events(client: Client, ex: WorkflowExecution) -> tuple[list[ProcessEvent], list[ObligationOutcome], str]:
    handle = client.get_workflow_handle(ex.id, run_id=ex.run_id)
    if ex.status == WorkflowExecutionStatus.COMPLETED:
        result = await handle.result()
        if not isinstance(result, dict) or not isinstance(result.get("events"), list):
            return [], [], "its result carries no process events"
        return ([ProcessEvent.model_validate(e) for e in result["events"]],
                [ObligationOutcome.model_validate(o) for o in result.get("obligations") or []], "")
    try:  # running, failed, cancelled…: a worker answers from the history
        events = await asyncio.wait_for(handle.query("process_events", result_type=list[ProcessEvent]), 10)
        return events, [], ""
    except Exception as exc:  # noqa: BLE001 - no worker, an old history: say so, judge nothing of it
        return [], [], f"{ex.status.name.lower() if ex.status else 'unknown'}: its events could not be read " \
                       f"({' '.join(str(exc).split())[:120] or type(exc).__name__})"


async def _case(client: Client, ex: WorkflowExecution, unit: str) -> ProcessCase | None:
    process = ex.typed_search_attributes.get(BAD_PROCESS)
    if not process or process in NOT_PROCESSES:
        return None
    events, outcomes, note = await _events(client, ex)
    if note == "its result carries no process events":
        return None
    return ProcessCase(workflow_id=ex.id, run_id=ex.run_id, process=process, unit=unit,
                       status=ex.status.name.lower() if ex.status else "unknown", started=ex.start_time,
                       closed=ex.close_time, events=events, outcomes=outcomes, note=note)


def _units(cases: list[ProcessCase], devices: dict[str, list[str]]) -> list[AuditUnit]:
    units: dict[str, list[ProcessCase]] = {}
    for c in cases:
        units.setdefault(c.unit, []).append(c)
    out = []
    for unit, members in units.items():
        keys = {c.workflow_id: {(e.bpmn_id, e.at, e.device_id) for e in c.events} for c in members}
        kept = [c for c in members if not c.events or not any(
            o.workflow_id != c.workflow_id and keys[c.workflow_id] <= keys[o.workflow_id] for o in members)]
        ids = sorted({d for c in kept for d in devices.get(c.workflow_id, [])}
                     | {e.device_id for c in kept for e in c.events if e.device_id})
        out.append(AuditUnit(unit=unit, cases=kept, device_ids=ids))
    return out


async def from_server(client: Client, query: str) -> list[AuditUnit]:
    """The process workflows a visibility query finds, grouped into units by their root workflow."""
    listed = [ex async for ex in client.list_workflows(query or None)]
    by_id = {ex.id: ex for ex in listed}

    def root(ex: WorkflowExecution) -> str:
        seen = {ex.id}
        while ex.parent_id and ex.parent_id in by_id and ex.parent_id not in seen:
            ex = by_id[ex.parent_id]
            seen.add(ex.id)
        return ex.parent_id or ex.id

    cases = [c for ex in listed if (c := await _case(client, ex, root(ex))) is not None]
    devices = {ex.id: list(ex.typed_search_attributes.get(DEVICE_IDS) or []) for ex in listed}
    return _units(cases, devices)


async def from_tree(client: Client, root_id: str) -> list[AuditUnit]:
    """The process workflows started under ``root_id`` (a scenario), found through the histories' child starts."""
    cases, devices, todo, seen = [], {}, [root_id], set()
    while todo:
        wid = todo.pop(0)
        if wid in seen:
            continue
        seen.add(wid)
        handle = client.get_workflow_handle(wid)
        ex = await handle.describe()
        devices[wid] = list(ex.typed_search_attributes.get(DEVICE_IDS) or [])
        if (c := await _case(client, ex, root_id)) is not None:
            cases.append(c)
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
                todo.append(event.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id)
    return _units(cases, devices)


def attach_records(units: list[AuditUnit], engine) -> None:
    """The DCC's records about each unit's Devices (None where there is no database)."""
    from dccflow_app.scenarios.audit import read_dcc_records

    for unit in units:
        unit.records = read_dcc_records(engine, unit.device_ids) if engine is not None else None


def open_records_database(url: str | None, data_dir: Path | None):
    """An engine on the DCC's database (``--database-url``, ``DCCFLOW_DATABASE_URL``, or ``dccflow.db`` in the data
    directory), or None when there is none: the audit then says which verdicts it could not reach."""
    from dccflow.config import Settings
    from dccflow_app.database import open_database

    settings = Settings(data_dir=data_dir) if data_dir else Settings()
    if url is None and settings.database_url is None and not (settings.data_dir / "dccflow.db").is_file():
        return None
    return open_database(url or settings.db_url)


def from_saved(path: Path) -> AuditInput:
    """A saved run: a ``dccflow run --save DIR`` directory (or its ``audit-input.json``), or what ``dccflow run
    --json`` printed (judged by the run's own verdicts: its DCC's records are not in it)."""
    if not path.exists():
        raise ValueError(f"{path}: no such saved run (a `dccflow run --save` directory, its {INPUT_FILE}, or "
                         "`dccflow run --json` output)")
    file = path / INPUT_FILE if path.is_dir() else path
    try:
        data = json.loads(file.read_bytes())
    except FileNotFoundError:
        raise ValueError(f"{path}: a directory without {INPUT_FILE}: not a `dccflow run --save` directory") from None
    except OSError as exc:
        raise ValueError(f"{file}: cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{file}: not JSON ({exc})") from None
    if isinstance(data, dict) and "units" in data:
        try:
            return AuditInput.model_validate(data)
        except ValidationError as exc:
            raise ValueError(f"{file}: not a saved run's {INPUT_FILE}: {first_error(exc)}") from None
    if not isinstance(data, dict) or "workflow_id" not in data or "events" not in data:
        raise ValueError(f"{file}: neither a saved run's {INPUT_FILE} (no 'units') nor `dccflow run --json` output "
                         f"(no 'workflow_id' and 'events')")
    try:
        return _from_run_json(data, str(file))
    except ValidationError as exc:
        raise ValueError(f"{file}: not `dccflow run --json` output: {first_error(exc)}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{file}: not `dccflow run --json` output ({type(exc).__name__}: {exc})") from None


def _event_key(event: dict) -> tuple[str, datetime]:
    """An event of the run's JSON by step and moment (its processes' events write the moment as pydantic does,
    the run's own list as ``isoformat``: the same instant either way)."""
    return event["bpmn_id"], datetime.fromisoformat(event["at"])


def _from_run_json(data: dict, source: str) -> AuditInput:
    """``dccflow run --json``: the main process and each follow-on process as cases, the run's verdicts."""
    main = data["workflow_id"]
    # a Post Commissioning process is a case of its own, as a follow-on process is (its events are in the run's)
    post = [{"workflow_id": post_commissioning_workflow_id(p["device_id"]), "process": "post_commissioning",
             "result": "failed" if p.get("outcome") == "failed" else "completed", **p}
            for p in data.get("post_commissioning", []) if p.get("events")]
    followers = [*post, *data.get("processes", [])]
    follow = {_event_key(e) for p in followers for e in p.get("events", [])}
    cases = [ProcessCase(workflow_id=main, process=_process_of(main), unit=main,
                         events=[ProcessEvent.model_validate(e) for e in data["events"]
                                 if _event_key(e) not in follow],
                         outcomes=[ObligationOutcome.model_validate(o) for o in data.get("obligations", [])])]
    for p in followers:
        cases.append(ProcessCase(workflow_id=p["workflow_id"], process=p["process"], unit=main,
                                 status="completed" if p.get("result") == "completed" else p.get("result", ""),
                                 events=[ProcessEvent.model_validate(e) for e in p.get("events", [])],
                                 outcomes=[ObligationOutcome.model_validate(o) for o in p.get("obligations", [])]))
    verdicts = [Verdict.model_validate(v) for v in data.get("regulation", [])]
    return AuditInput(source=source, units=[AuditUnit(unit=main, cases=cases, recorded_verdicts=verdicts)])


def _process_of(workflow_id: str) -> str:
    """The process of a run's main workflow, from its id (``install-commission-<chf>``, ``install-leave-<chf>``)."""
    return "install_and_leave" if workflow_id.startswith("install-leave-") else "install_commission"
