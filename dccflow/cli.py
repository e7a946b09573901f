"""The ``dccflow`` command."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dccflow.scenarios.catalogue import SCENARIOS, UnknownScenario
from devices.faults import UnknownFault

app = typer.Typer(help="GB smart metering business processes as durable Temporal workflows.",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=True)


def _subcommands() -> None:
    from dccflow.cli_duis import app as duis_app
    from dccsim.cli import app as dcc_app
    from devices.cli import app as fleet_app

    app.add_typer(duis_app, name="duis")
    app.add_typer(dcc_app, name="dcc")
    app.add_typer(fleet_app, name="fleet")


_subcommands()
out = Console()


@app.command()
def scenarios() -> None:
    """List the scenarios."""
    for s in SCENARIOS.values():
        faults = f" [faults: {', '.join(s.faults)}]" if s.faults else ""
        out.print(f"{s.name}  {s.description}{faults}", highlight=False, soft_wrap=True)


def _report_json(report) -> dict:
    return {
        "workflow_id": report.workflow_id,
        "result": report.result,
        "end": report.end,
        "reason": report.reason,
        "expected_end_reached": report.expected_end_reached,
        "devices": [d.model_dump() for d in report.devices],
        "dcc_alerts": [a.model_dump() for a in report.dcc_alerts],
        "events": [{"bpmn_id": e.bpmn_id, "actor": e.actor, "at": e.at.isoformat(), "refs": e.refs}
                   for e in report.events],
        "obligations": [o.model_dump(mode="json") for o in report.obligations],
        "regulation": [v.model_dump(mode="json") for v in report.regulation],
        "post_commissioning": [pc.model_dump() for pc in report.post_commissioning],
        "han_devices": [h.model_dump() for h in report.han_devices],
    }


def _print_report(report) -> None:
    timeline = Table(title=f"{report.workflow_id}: timeline")
    timeline.add_column("at", no_wrap=True)
    timeline.add_column("step (BPMN id)", no_wrap=True)
    timeline.add_column("actor")
    timeline.add_column("refs")
    for e in report.events:
        timeline.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", e.bpmn_id, e.actor, "; ".join(e.refs))
    out.print(timeline)
    table = Table(title=f"result: {report.result} ({report.end})")
    for col in ("device", "type", "SMI status"):
        table.add_column(col)
    for d in report.devices:
        table.add_row(d.device_id, d.device_type, d.smi_status or "none (Type 2)")
    out.print(table)
    if report.dcc_alerts:
        alerts = ", ".join(f"{a.code} ({a.device_id} → {a.recipient})" for a in report.dcc_alerts)
        out.print(f"DCC Alerts: {alerts}")
    # the regulation audit already shows every workflow deadline; print them alone only when there is no audit
    for o in [] if report.regulation else report.obligations:
        verdict = "[green]met[/]" if o.met else "[red]breached[/]"
        actual = f"{o.actual:%Y-%m-%d %H:%M}" if o.actual else "never"
        out.print(f"Obligation {verdict}: {o.obligation} ({', '.join(o.refs)}); "
                  f"due {o.due:%Y-%m-%d %H:%M}, actual {actual}")
    if report.regulation:
        from dccflow.audit_table import regulation_summary, regulation_table

        out.print(regulation_table(report.regulation))
        out.print(regulation_summary(report.regulation), highlight=False)
    for pc in report.post_commissioning:
        out.print(f"Post Commissioning Obligations for {pc.device_id}: {pc.outcome} ({pc.end}) {pc.reason}")
    for h in report.han_devices:
        out.print(f"{h.device_type} {h.device_id}: {h.outcome}")
    if report.reason:
        out.print(report.reason)


async def _run(name: str, faults: list[str], address: str | None, data_dir: Path | None,
               as_json: bool) -> int:
    from dccflow.config import Settings
    from dccflow.embedded import connect, start_time_skipping
    from dccflow.runtime import register_search_attributes
    from dccflow.scenarios.runner import run_scenario, validate_request
    from worker import run_workers

    validate_request(name, faults)
    # a business rejection is an expected outcome of some scenarios: keep the SDK's failure logs off the terminal
    logging.getLogger("temporalio").setLevel(logging.ERROR)

    def show(event) -> None:
        if not as_json:
            console.print(f"  [dim]{event.at:%Y-%m-%d %H:%M:%S}[/] {event.bpmn_id} ({event.actor})", highlight=False)

    if address is not None:
        client = await connect(address)
        report = await run_scenario(client, name, faults, on_event=show)
    else:
        tmp = None
        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="dccflow-run-")
            data_dir = Path(tmp.name)
        settings = Settings(data_dir=data_dir)
        env = await start_time_skipping()
        try:
            await register_search_attributes(env.client)
            stop = asyncio.Event()
            workers = asyncio.ensure_future(run_workers(env.client, settings, stop))
            try:
                with console.status(f"running {name} on an embedded time-skipping Temporal server…",
                                    spinner="dots") if not as_json else _null():
                    report = await run_scenario(env.client, name, faults, on_event=show)
            finally:
                stop.set()
                await workers
        finally:
            await env.shutdown()
            if tmp is not None:
                tmp.cleanup()
    if as_json:
        out.print_json(json.dumps(_report_json(report)))
    else:
        _print_report(report)
    return 0 if report.expected_end_reached else 1


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="scenario name (see `dccflow scenarios`)")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object instead of tables")] = False,
    fault: Annotated[list[str] | None, typer.Option("--fault", help="inject a fault (repeatable)")] = None,
    address: Annotated[str | None, typer.Option(help="HOST:PORT of a Temporal server running dccflow's "
                                                "workers (e.g. `dccflow up`); default: embedded")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="embedded run: keep state here (default: temporary)")] = None,
) -> None:
    """Run one lifecycle scenario and wait for it. Exit code 0 only if it reached its expected end state."""
    try:
        code = asyncio.run(_run(scenario, list(fault or []), address, data_dir, as_json))
    except (UnknownScenario, UnknownFault, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    raise typer.Exit(code)


@app.command()
def up(
    data_dir: Annotated[Path | None, typer.Option(
        help="where Temporal's SQLite file and dccflow's database live (default: $DCCFLOW_DATA_DIR or .dccflow)",
    )] = None,
    port: Annotated[int, typer.Option(help="Temporal frontend port")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Temporal Web UI port")] = 8233,
) -> None:
    """Start the embedded stack in the foreground: Temporal dev server (SQLite, Web UI), workers, DCC."""
    asyncio.run(_up((data_dir or Path(os.environ.get("DCCFLOW_DATA_DIR", ".dccflow"))).resolve(), port, ui_port))


async def _up(data_dir: Path, port: int, ui_port: int) -> None:
    from dccflow.config import Settings
    from dccflow.embedded import start_dev_server
    from worker import run_workers

    env = await start_dev_server(data_dir, port=port, ui_port=ui_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    console.print(f"Temporal at 127.0.0.1:{port}; Web UI http://127.0.0.1:{ui_port}; data in {data_dir}")
    console.print(f"Run a scenario against it: dccflow run install-commission-electricity --address 127.0.0.1:{port}")
    try:
        await run_workers(env.client, Settings(data_dir=data_dir), stop)
    finally:
        await env.shutdown()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
