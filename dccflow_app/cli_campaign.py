"""``dccflow campaign``: a Supplier's Organisation Certificate rollover over every Device it serves (BAD 7.7.2.5.6,
SRV 6.15.1 round trips; ``workflows.org_cert_rollover``).

    dccflow campaign rollover --supplier 90-B3-D5-1F-30-01-00-00 --address 127.0.0.1:7233   # on `dccflow up`
    dccflow campaign rollover --supplier 90-B3-D5-1F-30-01-00-00 --fleet 20                 # embedded, 20 SMS
    dccflow campaign status --supplier 90-B3-D5-1F-30-01-00-00 --address 127.0.0.1:7233
    dccflow campaign pause  --supplier … --address …      # returns once nothing is in flight
    dccflow campaign resume --supplier … --address …

Exit codes: 0 every Device holds the new certificate (``status``/``pause``/``resume``: the command worked), 1 some
Device failed (each listed with its reason), 2 bad input, configuration or server problems (one line).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="Campaigns over a Supplier's Devices: the Organisation Certificate rollover (BAD 7.7.2).",
                  no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

Supplier = Annotated[str | None, typer.Option(help="the Supplier's User ID (e.g. 90-B3-D5-1F-30-01-00-00)")]
Address = Annotated[str | None, typer.Option(help="HOST:PORT of a Temporal server running dccflow's workers "
                                             "(`dccflow up`)")]
CampaignId = Annotated[str | None, typer.Option("--campaign", help="the campaign's workflow id (default: the "
                                                "Supplier's newest)")]


def _fail(message: object, code: int = 2) -> typer.Exit:
    from rich.markup import escape

    err.print(f"[red]error:[/] {escape(str(message))}")
    return typer.Exit(code)


def print_report(report, as_json: bool = False) -> None:
    if as_json:
        out.print_json(report.model_dump_json())
        return
    out.print(f"campaign {report.campaign_id}: certificate {report.previous_serial} → {report.new_serial}"
              f"{' (now the Supplier signs with the new key)' if report.activated else ''}")
    out.print(f"  {report.replaced} of {report.total} Devices hold the new certificate; {report.failed} failed")
    if report.released_from_quarantine:
        out.print(f"  {len(report.released_from_quarantine)} quarantined by the DCC and released by the Supplier")
    if report.failed_devices:
        table = Table("Device", "reason", title="failed")
        for o in report.failed_devices:
            table.add_row(o.device_id, o.reason)
        out.print(table)


def print_progress(p) -> None:
    out.print(f"{p.campaign_id}: {p.phase}{' (paused)' if p.paused else ''}; {p.replaced} replaced, {p.failed} "
              f"failed, {p.in_flight} in flight, {p.pending} pending of {p.total}; new certificate {p.new_serial}")


async def _follow(handle) -> object:
    from dccflow_app.campaigns import follow

    with Progress(TextColumn("[bold]rolling over"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[what]}"), TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("devices", total=None, what="")

        def show(p) -> None:
            bar.update(task, total=p.total or None, completed=p.replaced + p.failed,
                       what=f"{p.failed} failed, {p.in_flight} in flight{', paused' if p.paused else ''}")

        return await follow(handle, show)


async def _rollover(inp, address: str | None, data_dir: Path | None, fleet: int, detach: bool) -> object:
    from dccflow.config import Settings, check_configuration
    from dccflow_app.campaigns import build_in_service_fleet, start_rollover
    from dccflow_app.preflight import connect_to, wait_for_workers

    if address is not None:
        if fleet:
            raise ValueError("--fleet builds a fleet in an embedded run's database; with --address create it with "
                             "`dccflow fleet create --in-service` before `dccflow up`")
        client = await connect_to(address)
        await wait_for_workers(client, address)
        handle = await start_rollover(client, inp)
        err.print(f"campaign {handle.id}")
        return None if detach else await _follow(handle)
    from dccflow_app.embedded import start_time_skipping
    from dccflow_app.runtime import Runtime, register_search_attributes

    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dccflow-campaign-")))
        settings = Settings(data_dir=data_dir)
        check_configuration(settings)
        env = await start_time_skipping()
        try:
            await register_search_attributes(env.client)
            runtime = Runtime(settings, env.client)
            if fleet:
                build_in_service_fleet(runtime.engine, fleet, datetime.now(UTC))
            async with runtime.serving():
                handle = await start_rollover(env.client, inp)
                err.print(f"campaign {handle.id} on an embedded time-skipping Temporal server")
                return await _follow(handle)
        finally:
            await env.shutdown()


@app.command()
def rollover(
    supplier: Annotated[str, typer.Option(help="the Supplier's User ID (e.g. 90-B3-D5-1F-30-01-00-00)")],
    address: Address = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Devices in flight at once")] = 50,
    fleet: Annotated[int, typer.Option(min=0, help="embedded run: first build this many SMS in service")] = 0,
    data_dir: Annotated[Path | None, typer.Option(help="embedded run: keep state here (default: temporary)")] = None,
    paused: Annotated[bool, typer.Option("--paused", help="start paused (`resume` starts it)")] = False,
    detach: Annotated[bool, typer.Option("--detach", help="with --address: print the campaign's id, return")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
) -> None:
    """Issue the Supplier a new Organisation Certificate (SMKI) and put it in the Supplier cell of every Device it
    serves (SRV 6.15.1), pacing under its Anomaly Detection Threshold; then print each Device's outcome."""
    from temporalio.client import WorkflowFailureError

    from dccflow.config import ConfigurationError
    from dccflow.domain.roles import UserRole
    from dccflow.parties import USERS
    from dccflow_app.preflight import ServerProblem
    from workflows.org_cert_rollover_model import CampaignInput

    user = USERS.get(supplier)
    if user is None or user.role not in (UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER):
        known = ", ".join(u for u, d in USERS.items() if d.role in (UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER))
        raise _fail(f"--supplier {supplier!r} is not the User ID of an Import or Gas Supplier (known: {known})")
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    inp = CampaignInput(supplier_id=supplier, concurrency=concurrency, paused=paused)
    try:
        report = asyncio.run(_rollover(inp, address, data_dir, fleet, detach))
    except (ValueError, ConfigurationError, ServerProblem) as exc:
        raise _fail(exc) from None
    except WorkflowFailureError as exc:
        raise _fail(f"the campaign failed: {exc.cause or exc}", 1) from None
    if report is None:
        return
    print_report(report, as_json)
    raise typer.Exit(0 if report.failed == 0 else 1)


async def _steer(address: str, supplier: str | None, campaign: str | None, what: str):
    from dccflow_app.campaigns import find_campaign
    from dccflow_app.preflight import connect_to
    from workflows.org_cert_rollover import OrgCertRolloverWorkflow
    from workflows.org_cert_rollover_model import CampaignReport

    client = await connect_to(address)
    handle = client.get_workflow_handle(await find_campaign(client, supplier, campaign), result_type=CampaignReport)
    if what == "status":
        description = await handle.describe()
        if description.status is not None and description.status.name == "COMPLETED":
            return await handle.result()
        return await handle.query(OrgCertRolloverWorkflow.progress)
    return await handle.execute_update(getattr(OrgCertRolloverWorkflow, what))


def _steering(what: str, address: str | None, supplier: str | None, campaign: str | None, as_json: bool) -> None:
    if address is None:
        raise _fail("--address is needed: campaigns to steer run on a Temporal server (`dccflow up`)")
    if supplier is None and campaign is None:
        raise _fail("give --supplier or --campaign")
    try:
        result = asyncio.run(_steer(address, supplier, campaign, what))
    except Exception as exc:  # noqa: BLE001 - one line: the server, an unknown campaign, a finished one
        raise _fail(getattr(exc, "message", None) or exc) from None
    if as_json:
        out.print_json(json.dumps(result.model_dump(mode="json")))
    elif hasattr(result, "replaced_devices"):
        print_report(result)
    else:
        print_progress(result)


@app.command()
def status(supplier: Supplier = None, address: Address = None, campaign: CampaignId = None,
           as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The campaign's progress, or its report once finished."""
    _steering("status", address, supplier, campaign, as_json)


@app.command()
def pause(supplier: Supplier = None, address: Address = None, campaign: CampaignId = None,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Start no more Devices; returns once none is in flight."""
    _steering("pause", address, supplier, campaign, as_json)


@app.command()
def resume(supplier: Supplier = None, address: Address = None, campaign: CampaignId = None,
           as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Go on with the pending Devices."""
    _steering("resume", address, supplier, campaign, as_json)
