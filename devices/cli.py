"""``dccflow fleet …``: build simulated fleets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dccflow.cli_output import error_line

app = typer.Typer(help="The simulated device fleet.", no_args_is_help=True)
console = Console(stderr=True)


def prepare_market(engine) -> None:
    """The SMKI and the Parties' Organisation Certificates the cells are filled from (as ``Runtime`` does),
    and the DCC's certificates for its own cells."""
    from activities.credentials import UserKeyStore
    from dccflow.parties import DCC_ID
    from dccsim.smki import SmkiRepository
    from devices.anchors import ensure_dcc_anchor_credentials

    smki = SmkiRepository(engine)
    smki.ensure_authorities(DCC_ID)
    UserKeyStore(engine).ensure_parties(smki)
    ensure_dcc_anchor_credentials(engine)


@app.command()
def create(
    sms: Annotated[int, typer.Option("--sms", min=1, help="number of premises (Smart Metering Systems)")],
    dual_fuel: Annotated[bool, typer.Option("--dual-fuel", help="a GSME too at every premises")] = False,
    seed: Annotated[int, typer.Option(help="same seed, same fleet (ids, codes, choices)")] = 1,
    data_dir: Annotated[Path | None, typer.Option(help="where the database lives (default: $DCCFLOW_DATA_DIR "
                                                  "or .dccflow)")] = None,
    ppmid: Annotated[bool, typer.Option("--ppmid", help="a PPMID at every premises")] = False,
    ihd: Annotated[bool, typer.Option("--ihd", help="an IHD at every premises")] = False,
    dual_band: Annotated[float, typer.Option(help="share of Dual Band CHs (0-1)")] = 0.0,
    supplier_b: Annotated[float, typer.Option(help="share of premises supplied by Supplier B (0-1)")] = 0.0,
    fault: Annotated[list[str] | None, typer.Option(
        "--fault", help="NAME[:PARAM][=RATE], e.g. join-timeout=0.01, slow-wan:30=0.05 (repeatable)")] = None,
    in_service: Annotated[bool, typer.Option("--in-service", help="installed and commissioned already, the CH on the "
                                             "SM WAN (a Supplier's estate, e.g. for `dccflow campaign`)")] = False,
) -> None:
    """Create SMS premises: CH (CHF+GPF) and meters, MPxNs, Registration Data, SMI pre-notification and
    trust anchor cells (BAD 7.2.1.5)."""
    from dccflow.config import ConfigurationError, Settings, check_database
    from dccflow.db import get_engine
    from devices.builder import FleetExists, FleetSpec, build_fleet
    from devices.faults import UnknownFault, parse_fault_option

    try:
        faults = [parse_fault_option(f) for f in fault or []]
        spec = FleetSpec(sms=sms, dual_fuel=dual_fuel, seed=seed, ppmid=ppmid, ihd=ihd, dual_band_share=dual_band,
                         supplier_b_share=supplier_b, faults=faults, in_service=in_service)
    except (UnknownFault, ValueError) as exc:
        error_line(exc)
        raise typer.Exit(2) from None
    settings = Settings(data_dir=data_dir) if data_dir else Settings()
    try:
        check_database(settings)  # one line, not a traceback, for a folder or database that cannot be used
    except ConfigurationError as exc:
        error_line(exc)
        raise typer.Exit(2) from None
    engine = get_engine(settings.db_url)
    prepare_market(engine)
    with Progress(TextColumn("[bold]building fleet"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task("premises", total=sms)
        try:
            report = build_fleet(engine, spec, datetime.now(UTC), lambda n: progress.advance(task, n))
        except FleetExists as exc:
            error_line(exc)
            raise typer.Exit(1) from None
    typer.echo(f"created {report.premises} premises ({report.devices} devices), premises numbers "
               f"{report.first_number}-{report.last_number}, in {report.seconds:.1f} s; database {settings.db_url}")


@app.command()
def faults() -> None:
    """List the faults devices can be given (``--fault`` of ``create``; ``Fleet.set_fault``)."""
    from devices.faults import FAULTS

    for spec in FAULTS.values():
        default = "all" if spec.default is True else spec.default  # a count without one: every such Command
        param = f" [{spec.param}, default {default}]" if spec.param else ""
        typer.echo(f"{spec.name}{param} ({', '.join(spec.applies_to)}): {spec.description}")
