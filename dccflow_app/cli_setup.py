"""``dccflow setup schema`` (where the DUIS schema is) and ``dccflow doctor`` (is this installation ready?).

The DUIS 5.4 schema is the DCC's published material: dccflow neither ships it nor fetches it. A user who has it
points dccflow at the folder once; ``dccflow doctor`` says what is missing, and with ``--workers-here`` is the
container's health check (this host's workers are polling dccflow's task queues).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from dccflow.cli_output import error_line
from dccflow.config import SYSTEM_TASK_QUEUES, Settings
from dccflow.duis import schema as duis_schema
from dccflow.duis import schema_location

app = typer.Typer(help="Set up this installation: where the DUIS 5.4 schema is.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

#: a poller last seen longer ago than this is not counted (a worker long-polls for up to about a minute)
POLLER_FRESHNESS = dt.timedelta(minutes=2)


def _source() -> str:
    if os.environ.get(duis_schema.ENV_SCHEMA_DIR):
        return f"${duis_schema.ENV_SCHEMA_DIR}"
    if os.environ.get(duis_schema.ENV_SHARED_DIR):
        return f"${duis_schema.ENV_SHARED_DIR}"
    config = schema_location.config_file()
    try:
        if schema_location.recorded_schema_dir(config) is not None:
            return f"recorded in {config}"
    except schema_location.ConfigFileError:
        pass
    return "the shared folder beside the checkout"


def _check_loads(folder: Path) -> str | None:
    """``None`` when the schema in ``folder`` compiles (local files only), else why not."""
    try:
        duis_schema._load_schema(str(folder.resolve()))
    except duis_schema.DuisConfigError as exc:
        return str(exc)
    return None


@app.command()
def schema(
    path: Annotated[Path | None, typer.Argument(
        help="the folder holding duis-5.4.xsd, mmc-5.4.xsd and xmldsig-core-schema.xsd (or a shared reference "
             "folder holding duis/schema); without it, show where the schema is found")] = None,
) -> None:
    """Check a folder holds the DUIS 5.4 schema and record it in the user's dccflow config file."""
    if path is None:
        try:
            folder = duis_schema.schema_dir()
        except duis_schema.DuisConfigError as exc:
            error_line(exc)
            raise typer.Exit(2) from None
        out.print(f"DUIS schema: {folder} ({_source()})")
        return
    path = path.expanduser().resolve()
    if not path.is_dir():
        error_line(f"{path} is not a folder")
        raise typer.Exit(2)
    folder = schema_location.find_schema_folder(path)
    if folder is None:
        missing = ", ".join(schema_location.missing_schema_files(path))
        error_line(f"{path} does not hold the DUIS 5.4 schema: missing {missing} "
                   f"(nor is it in {path / 'schema'} or {path / 'duis' / 'schema'}); nothing recorded")
        raise typer.Exit(2)
    problem = _check_loads(folder)
    if problem is not None:
        error_line(f"{problem}; nothing recorded")
        raise typer.Exit(2)
    config = schema_location.config_file()
    try:
        schema_location.record_schema_dir(folder, config)
    except (schema_location.ConfigFileError, OSError) as exc:
        error_line(f"{exc}; nothing recorded")
        raise typer.Exit(2) from None
    out.print(f"DUIS schema: {folder} recorded in {config}")
    for name in (duis_schema.ENV_SCHEMA_DIR, duis_schema.ENV_SHARED_DIR):
        if os.environ.get(name):
            out.print(f"note: ${name} is set and takes precedence over the recorded folder")


async def _queues_without_pollers(address: str, namespace: str, queues: list[str], here_only: bool) -> list[str]:
    from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
    from temporalio.client import Client

    client = await Client.connect(address, namespace=namespace)
    host = socket.gethostname()
    now = dt.datetime.now(dt.UTC)
    idle = []
    for queue in queues:
        described = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
            namespace=namespace, task_queue=TaskQueue(name=queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
        live = [p for p in described.pollers
                if now - p.last_access_time.ToDatetime(dt.UTC) <= POLLER_FRESHNESS
                and (not here_only or p.identity.endswith(f"@{host}"))]
        if not live:
            idle.append(queue)
    return idle


def doctor(
    address: Annotated[str | None, typer.Option(
        help="also check that dccflow's workers poll this Temporal server's task queues (HOST:PORT)")] = None,
    workers_here: Annotated[bool, typer.Option(
        "--workers-here", help="count only workers on this host (the container's health check); the address "
                               "defaults to $DCCFLOW_TEMPORAL_ADDRESS")] = False,
    namespace: Annotated[str, typer.Option(envvar="DCCFLOW_NAMESPACE")] = "default",
) -> None:
    """Check this installation: the DUIS schema is found and loads; with --address, workers are polling.

    Exit 0 when everything checked is ready, 1 otherwise, one line per problem."""
    problems: list[str] = []
    try:
        folder = duis_schema.schema_dir()
    except duis_schema.DuisConfigError as exc:
        problems.append(str(exc))
    else:
        problem = _check_loads(folder)
        if problem is None:
            out.print(f"ok: DUIS schema in {folder} ({_source()})")
        else:
            problems.append(problem)
    if workers_here and address is None:
        address = os.environ.get("DCCFLOW_TEMPORAL_ADDRESS", "localhost:7233")
    queues = list(SYSTEM_TASK_QUEUES.values())
    if workers_here:  # this host's workers run the systems DCCFLOW_WORKER_SYSTEMS names; a deployment runs them all
        try:
            here = Settings().task_queues
        except ValidationError as exc:
            problems.append(f"DCCFLOW_WORKER_SYSTEMS: {exc.errors()[0]['msg']} (given "
                            f"{os.environ.get('DCCFLOW_WORKER_SYSTEMS')!r})")
            address = None
        else:
            queues = [q for q in queues if q in here]
    if address is not None:
        try:
            idle = asyncio.run(asyncio.wait_for(
                _queues_without_pollers(address, namespace, queues, workers_here), 20))
        except Exception as exc:  # noqa: BLE001 - any failure to reach the server is the answer
            problems.append(f"cannot reach Temporal at {address}: {str(exc).splitlines()[0] if str(exc) else exc!r}")
        else:
            where = " on this host" if workers_here else ""
            if idle:
                problems.append(f"no dccflow workers{where} polling {', '.join(idle)} at {address}")
            else:
                out.print(f"ok: dccflow workers{where} polling at {address}")
    for problem in problems:
        err.print(f"[red]problem:[/] {problem}")
    if problems:
        raise typer.Exit(1)
