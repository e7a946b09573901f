"""``dccflow campaign``: fleet campaigns on the one campaign mechanism (``workflows.campaign``): a Supplier's
Organisation Certificate rollover over every Device it serves (BAD 7.7.2.5.6, SRV 6.15.1 round trips;
``workflows.org_cert_rollover``) and a firmware wave campaign over every Device of a model (BAD 7.5.3;
``workflows.firmware_campaign``).

    dccflow campaign rollover --supplier 90-B3-D5-1F-30-01-00-00 --address 127.0.0.1:7233   # on `dccflow up`
    dccflow campaign rollover --supplier 90-B3-D5-1F-30-01-00-00 --fleet 20                 # embedded, 20 SMS
    dccflow campaign firmware --model ESME --to 2.0.0 --waves 1,10,100 --halt-above 2% --address 127.0.0.1:7233
    dccflow campaign firmware --model ESME --to 2.0.0 --fleet 50 --fleet-fault firmware-corrupt:download=0.1
    dccflow campaign status --supplier 90-B3-D5-1F-30-01-00-00 --address 127.0.0.1:7233
    dccflow campaign status --model ESME --to 2.0.0 --address …   # or --campaign ID
    dccflow campaign pause  --supplier … --address …      # returns once nothing is in flight
    dccflow campaign resume --supplier … --address …      # after a pause, or a halt: the next wave
    dccflow campaign cancel --model … --to … --address …  # start nothing more; returns once nothing is in flight

Exit codes: 0 every Device holds the new certificate / runs the new firmware (``status``/``pause``/``resume``/
``cancel``: the command worked), 1 some Device failed (each listed with its reason) or the campaign halted, 2 bad
input, configuration or server problems (one line).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dccflow.domain.firmware import MAX_SIMULATED_IMAGE
from dccflow_app.cli_runs import Address, embedded_runtime, run_command, server_client
from dccflow_app.cli_runs import fail as _fail

app = typer.Typer(help="Campaigns over a Supplier's Devices: the Organisation Certificate rollover (BAD 7.7.2), "
                       "firmware in waves (BAD 7.5.3).", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

Supplier = Annotated[str | None, typer.Option(help="the Supplier's User ID (e.g. 90-B3-D5-1F-30-01-00-00)")]
CampaignId = Annotated[str | None, typer.Option("--campaign", help="the campaign's workflow id (default: the "
                                                "Supplier's newest rollover)")]
Model = Annotated[str | None, typer.Option(help="a firmware campaign's Device Model (with --to)")]
ToVersion = Annotated[str | None, typer.Option("--to", help="a firmware campaign's version (with --model)")]




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


def print_firmware_report(report, as_json: bool = False) -> None:
    if as_json:
        out.print_json(json.dumps({**report.model_dump(mode="json"),
                                   "devices": [r.model_dump(mode="json") for r in report.rows()]}))
        return
    out.print(f"campaign {report.campaign_id}: {report.manufacturer or ''} {report.model} to {report.to_version}: "
              f"{report.outcome} ({report.end})")
    out.print(f"  {report.upgraded} of {report.total} Devices upgraded; {report.failed} failed; "
              f"{report.not_started} not started; {len(report.already_at_version)} already at {report.to_version}"
              + (f"; {len(report.excluded)} of the selection left out" if report.excluded else ""))
    if report.halted:
        out.print(f"  halted: {report.halted}")
    out.print("  waves: " + ", ".join(f"{w.number}: {w.failed}/{w.size} failed" for w in report.waves))
    rows = report.rows()
    shown = rows if len(rows) <= 50 else [r for r in rows if r.outcome == "failed"]
    table = Table(title=None if shown is rows else f"failed Devices ({len(rows) - len(shown)} others: --json)")
    for name in ("Device", "outcome", "firmware", "alerts"):
        table.add_column(name, no_wrap=True)
    table.add_column("reason")
    for r in shown:
        table.add_row(r.device_id, r.outcome, r.firmware_version or "-", ", ".join(r.alerts), r.reason)
    out.print(table)


def print_progress(p) -> None:
    state = f"{p.phase}{' (paused)' if p.paused and not p.halted else ''}"
    if hasattr(p, "new_serial"):
        out.print(f"{p.campaign_id}: {state}; {p.replaced} replaced, {p.failed} failed, {p.in_flight} in flight, "
                  f"{p.pending} pending of {p.total}; new certificate {p.new_serial}")
        return
    out.print(f"{p.campaign_id}: {state}; wave {p.wave}; {p.succeeded} upgraded, {p.failed} failed, {p.in_flight} "
              f"in flight, {p.pending} pending of {p.total}" + (f"; halted: {p.halted}" if p.halted else ""))


async def _follow(handle, label: str = "rolling over", stop_at_halt: bool = False) -> object:
    """The campaign's report, with a progress bar meanwhile; with ``stop_at_halt``, its progress once it halts."""
    from dccflow_app.campaigns import follow

    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[what]}"), TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("devices", total=None, what="")

        def show(p) -> None:
            wave = f"wave {p.wave}, " if p.waves or p.wave > 1 else ""
            bar.update(task, total=p.total or None, completed=p.succeeded + p.failed,
                       what=f"{wave}{p.failed} failed, {p.in_flight} in flight{', paused' if p.paused else ''}")

        return await follow(handle, show, until=(lambda p: p.halted is not None) if stop_at_halt else None)


async def _campaign(kind: str, inp, address: str | None, data_dir: Path | None, fleet: int, detach: bool,
                    fleet_faults: list[tuple[str, object, float]] | None = None) -> object:
    """Start a campaign (``rollover`` or ``firmware``) on the server at ``address``, or on an embedded
    time-skipping server over a fleet built first, and follow it: its report (with ``--address``, a firmware
    campaign's progress once it halts)."""
    from dccflow_app.campaigns import start_firmware_campaign, start_rollover

    start, label = {"rollover": (start_rollover, "rolling over"),
                    "firmware": (start_firmware_campaign, "upgrading")}[kind]
    if detach and address is None:
        raise ValueError("--detach needs --address: an embedded campaign lasts only as long as this command")
    if address is not None:
        handle = await start(await server_client(address, fleet), inp)
        err.print(f"campaign {handle.id}")
        return None if detach else await _follow(handle, label, stop_at_halt=kind == "firmware")
    async with embedded_runtime(data_dir, "dccflow-campaign-", fleet, fleet_faults) as runtime:
        handle = await start(runtime.client, inp)
        err.print(f"campaign {handle.id} on an embedded time-skipping Temporal server")
        return await _follow(handle, label)


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

    from dccflow.domain.roles import UserRole
    from dccflow.parties import USERS
    from workflows.org_cert_rollover_model import CampaignInput

    user = USERS.get(supplier)
    if user is None or user.role not in (UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER):
        known = ", ".join(u for u, d in USERS.items() if d.role in (UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER))
        raise _fail(f"--supplier {supplier!r} is not the User ID of an Import or Gas Supplier (known: {known})")
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    inp = CampaignInput(supplier_id=supplier, concurrency=concurrency, paused=paused)
    report = run_command(_campaign("rollover", inp, address, data_dir, fleet, detach), "campaign")
    if report is None:
        return
    print_report(report, as_json)
    raise typer.Exit(0 if report.failed == 0 else 1)


async def _steer(address: str, supplier: str | None, campaign: str | None, what: str):
    from dccflow_app.campaigns import KINDS, campaign_handle, find_campaign, kind_of
    from dccflow_app.preflight import connect_to

    client = await connect_to(address)
    handle = campaign_handle(client, await find_campaign(client, supplier, campaign))
    workflow_class = KINDS[kind_of(handle.id)][0]
    if what == "status":
        description = await handle.describe()
        if description.status is not None and description.status.name == "COMPLETED":
            return await handle.result()
        return await handle.query(workflow_class.progress)
    return await handle.execute_update(getattr(workflow_class, what))


def _steering(what: str, address: str | None, supplier: str | None, campaign: str | None, as_json: bool,
              model: str | None = None, to_version: str | None = None) -> None:
    from workflows.firmware_campaign_model import campaign_workflow_id

    if address is None:
        raise _fail("--address is needed: campaigns to steer run on a Temporal server (`dccflow up`)")
    if (model is None) != (to_version is None):
        raise _fail("a firmware campaign is named by --model and --to together")
    campaign = campaign or (campaign_workflow_id(model, to_version) if model and to_version else None)
    if supplier is None and campaign is None:
        raise _fail("give --supplier or --campaign")
    try:
        result = asyncio.run(_steer(address, supplier, campaign, what))
    except Exception as exc:  # noqa: BLE001 - one line: the server, an unknown campaign, a finished one
        raise _fail(getattr(exc, "message", None) or exc) from None
    if hasattr(result, "upgraded_devices"):
        print_firmware_report(result, as_json)
    elif as_json:
        out.print_json(json.dumps(result.model_dump(mode="json")))
    elif hasattr(result, "replaced_devices"):
        print_report(result)
    else:
        print_progress(result)


@app.command()
def status(supplier: Supplier = None, address: Address = None, campaign: CampaignId = None, model: Model = None,
           to_version: ToVersion = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The campaign's progress (phase ``halted`` with its reason when a wave halted it), or its report once
    finished."""
    _steering("status", address, supplier, campaign, as_json, model, to_version)


@app.command()
def pause(supplier: Supplier = None, address: Address = None, campaign: CampaignId = None, model: Model = None,
          to_version: ToVersion = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Start no more Devices; returns once none is in flight."""
    _steering("pause", address, supplier, campaign, as_json, model, to_version)


@app.command()
def resume(supplier: Supplier = None, address: Address = None, campaign: CampaignId = None, model: Model = None,
           to_version: ToVersion = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Go on with the pending Devices (after a halt: the next wave)."""
    _steering("resume", address, supplier, campaign, as_json, model, to_version)


@app.command()
def cancel(supplier: Supplier = None, address: Address = None, campaign: CampaignId = None, model: Model = None,
           to_version: ToVersion = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Start no more Devices (those left are reported 'not started'); returns once none is in flight."""
    _steering("cancel", address, supplier, campaign, as_json, model, to_version)


@app.command()
def firmware(
    model: Annotated[str, typer.Option(help="the Device Model (the SMI's; the simulator's meters: ESME or GSME)")],
    to_version: Annotated[str, typer.Option("--to", help="the Firmware Version to install (1-8 characters)")],
    waves: Annotated[str, typer.Option(help="wave sizes, the canary first; the last size repeats")] = "1,10,100",
    halt_above: Annotated[str, typer.Option(help="halt when a wave's failure rate is above this (2% or 0.02)")] = "2%",
    device: Annotated[list[str] | None, typer.Option(help="a selection of Devices (repeat; default: every "
                                                          "commissioned Device of the model the Supplier serves)")]
    = None,
    supplier: Annotated[str, typer.Option(help="the Supplier's User ID")] = "90-B3-D5-1F-30-01-00-00",
    manufacturer: Annotated[str | None, typer.Option(help="the model's manufacturer (default: any)")] = None,
    address: Address = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Devices in flight at once")] = 50,
    image_size: Annotated[int, typer.Option(min=1, max=MAX_SIMULATED_IMAGE, help="the Manufacturer Image's size in "
                                            "octets (the DCC refuses one over 750 KiB with N20)")] = 4096,
    fleet: Annotated[int, typer.Option(min=0, help="embedded run: first build this many SMS in service")] = 0,
    fleet_fault: Annotated[list[str] | None, typer.Option(help="embedded run: a fault of the fleet's meters, "
                                                               "NAME[:PARAM][=RATE] (repeat)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="embedded run: keep state here (default: temporary)")] = None,
    paused: Annotated[bool, typer.Option("--paused", help="start paused (`resume` starts it)")] = False,
    detach: Annotated[bool, typer.Option("--detach", help="with --address: print the campaign's id, return")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
) -> None:
    """Upgrade the firmware of every commissioned Device of a model (or a selection) in waves, the canary first,
    each Device by Manage Firmware (BAD 7.5.3: 11.1, 11.3, 11.2); halt when a wave's failure rate passes
    --halt-above (`dccflow campaign resume --model M --to V` goes on); then print each Device's outcome, firmware
    version and alerts. The campaign's id is its business key, firmware-campaign-MODEL-VERSION: starting it again
    finds the one running."""

    from dccflow.domain.ids import normalise_eui64
    from dccflow.parties import USERS
    from devices.faults import parse_fault_option
    from workflows.campaign_model import parse_rate, parse_waves
    from workflows.firmware_campaign_model import FirmwareCampaignInput

    user = USERS.get(supplier)
    if user is None or not user.role.is_supplier:
        raise _fail(f"--supplier {supplier!r} is not the User ID of a Supplier")
    try:
        faults = [parse_fault_option(f) for f in fleet_fault or []]
        devices = [normalise_eui64(d) for d in device or []]  # InvalidEui64 names the value
        inp = FirmwareCampaignInput(supplier_id=supplier, model=model, manufacturer=manufacturer,
                                    to_version=to_version, device_ids=devices or None, waves=parse_waves(waves),
                                    halt_above=parse_rate(halt_above), concurrency=concurrency,
                                    image_size=image_size, paused=paused)
    except ValueError as exc:
        raise _fail(exc) from None
    if not 1 <= len(to_version) <= 8:
        raise _fail(f"--to {to_version!r}: a Firmware Version is 1-8 characters (DUIS FirmwareVersion)")
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    result = run_command(_campaign("firmware", inp, address, data_dir, fleet, detach, faults), "campaign")
    if result is None:
        return
    if not hasattr(result, "upgraded_devices"):  # it halted (followed on a server of one's own)
        print_progress(result)
        err.print(f"resume: dccflow campaign resume --model {model} --to {to_version} --address {address}; "
                  f"stop: dccflow campaign cancel …")
        raise typer.Exit(1)
    if result.total == 0 and not result.already_at_version:  # nothing the campaign could upgrade: bad input
        left_out = f" ({', '.join(result.excluded)} left out: not its commissioned Smart Meters)" \
            if result.excluded else ""
        raise _fail(f"--model {model!r}: no commissioned Smart Meter of this model in {supplier}'s estate{left_out}")
    print_firmware_report(result, as_json)
    raise typer.Exit(0 if result.end == "end_campaign_complete" else 1)
