"""The ``dccflow`` command."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from dccflow.cli_output import console
from dccflow.cli_output import error_line as _error
from dccflow_app.cli_up import up
from dccflow_app.scenarios.catalogue import SCENARIOS, UnknownScenario
from devices.faults import UnknownFault, fault_usage

app = typer.Typer(help="GB smart metering business processes as durable Temporal workflows.",
                  no_args_is_help=True, add_completion=False)


def _subcommands() -> None:
    from dccflow_app.cli_duis import app as duis_app
    from dccsim.cli import app as dcc_app
    from devices.cli import app as fleet_app

    app.add_typer(duis_app, name="duis")
    app.add_typer(dcc_app, name="dcc")
    app.add_typer(fleet_app, name="fleet")
    from dccflow_app.cli_setup import app as setup_app
    from dccflow_app.cli_setup import doctor

    app.add_typer(setup_app, name="setup")
    app.command()(doctor)
    from dccflow_app.cli_scenario import app as scenario_app

    app.add_typer(scenario_app, name="scenario")
    from dccflow_app.cli_campaign import app as campaign_app

    app.add_typer(campaign_app, name="campaign")
    from dccflow_app.cli_drill import app as drill_app

    app.add_typer(drill_app, name="drill")
    from dccflow_app.cli_bpmn import app as bpmn_app

    app.add_typer(bpmn_app, name="bpmn")
    from dccflow_app.cli_audit import audit

    app.command()(audit)


_subcommands()
out = Console()


@app.command()
def scenarios() -> None:
    """List the scenarios: what each runs, what it expects (exit 0 when a run meets it), the faults it accepts."""
    from dccflow_app.scenarios.expectations import describe

    for s in SCENARIOS.values():
        faults = f" [faults: {fault_usage(s.faults)}]" if s.faults else ""
        out.print(f"{s.name}  {s.description} Expects: {describe(s)}.{faults}", highlight=False, soft_wrap=True,
                  markup=False)


def _report_json(report) -> dict:
    return {
        "workflow_id": report.workflow_id,
        "result": report.result,
        "end": report.end,
        "reason": report.reason,
        "expected_end_reached": report.expected_end_reached,
        "differences": [d.model_dump() for d in report.differences],
        "devices": [d.model_dump() for d in report.devices],
        "dcc_alerts": [a.model_dump() for a in report.dcc_alerts],
        "events": [{"bpmn_id": e.bpmn_id, "actor": e.actor, "at": e.at.isoformat(), "refs": e.refs}
                   for e in report.events],
        "obligations": [o.model_dump(mode="json") for o in report.obligations],
        "regulation": [v.model_dump(mode="json") for v in report.regulation],
        "post_commissioning": [pc.model_dump(mode="json") for pc in report.post_commissioning],
        "han_devices": [h.model_dump() for h in report.han_devices],
        "world_events": [w.model_dump(mode="json") for w in report.world_events],
        "refusals": [r.model_dump() for r in report.refusals],
        "processes": [p.model_dump(mode="json") for p in report.processes],
    }


def _print_report(report) -> None:
    # within 80 columns: the essentials here, everything (SEC/BAD references, details, seconds) in --json
    timeline = Table(title=f"{report.workflow_id}: timeline", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    timeline.add_column("at", no_wrap=True)
    timeline.add_column("step (BPMN id)", no_wrap=True)
    timeline.add_column("actor", no_wrap=True)
    for e in sorted([*report.events, *(e for p in report.processes for e in p.events)], key=lambda e: e.at):
        timeline.add_row(f"{e.at:%m-%d %H:%M}", e.bpmn_id, e.actor)
    out.print(timeline)
    table = Table(title=f"result: {report.result} ({report.end})", box=box.SIMPLE_HEAD, pad_edge=False,
                  show_edge=False)
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
        from dccflow.audit_table import breaches, regulation_summary, regulation_table

        out.print(regulation_table(report.regulation))
        for line in breaches(report.regulation):
            out.print(line, highlight=False, markup=False)
        out.print(regulation_summary(report.regulation), highlight=False)
    for pc in report.post_commissioning:
        out.print(f"Post Commissioning Obligations for {pc.device_id}: {pc.outcome} ({pc.end}) {pc.reason}")
    for h in report.han_devices:
        out.print(f"{h.device_type} {h.device_id}: {h.outcome}")
    for w in report.world_events:
        fault = f" {w.fault}" if w.fault else ""
        where = f"on the {w.device_type} {w.device_id}" if w.device_id else f"for {w.mpxn}: {w.supplier_id}"
        if w.event == "key_compromise":  # BAD 7.7.2.5.4
            where = f"of {w.user_id}: Organisation Certificate {', '.join(w.serials or [])} revoked"
        out.print(f"World event {w.at:%Y-%m-%d %H:%M}: {w.event}{fault} {where}", highlight=False, markup=False)
    for p in report.processes:
        out.print(f"{p.step_id} ({p.process}): {p.result} ({p.end}) {p.reason}", highlight=False, markup=False)
    if report.reason:
        out.print(report.reason)
    if report.differences:
        out.print(f"[red]not as {report.scenario} expects[/] ({len(report.differences)}):", highlight=False)
        for difference in report.differences:
            out.print(f"  {difference}", highlight=False, soft_wrap=True)


SHUTDOWN_GRACE_SECONDS = 30


async def _bounded(task: asyncio.Future, what: str) -> None:
    """Wait for a clean stop, but never hang the command once its result is in: the run's records are committed
    and the process exits anyway (``main`` ends it with ``os._exit``). Errors of the stop still surface."""
    done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_GRACE_SECONDS)
    if done:
        task.result()
    else:
        console.print(f"[yellow]warning:[/] {what} took over {SHUTDOWN_GRACE_SECONDS} s; left behind", highlight=False)


def _run_to_end(coro) -> int:
    """``asyncio.run``, except at the end: the tasks still running once ``coro`` has returned or raised (a workers' or
    server's stop that ``_bounded`` left behind) are cancelled and given ``SHUTDOWN_GRACE_SECONDS``, never waited
    for without bound. ``asyncio.run`` waits for every cancelled task to finish, so one task that does not stop
    would hang the command after its result was in (or after a test's timeout had already fired)."""
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(coro)
    finally:
        try:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=SHUTDOWN_GRACE_SECONDS))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()  # the default executor is shut down without waiting for its threads


async def _run(name: str, faults: list[str], address: str | None, data_dir: Path | None,
               as_json: bool, wait_workers: float = 10, definition=None, save: Path | None = None) -> int:
    from dccflow.config import Settings, check_configuration
    from dccflow_app.embedded import start_time_skipping
    from dccflow_app.preflight import connect_to, wait_for_workers
    from dccflow_app.runtime import register_search_attributes
    from dccflow_app.scenarios.runner import run_scenario, validate_request
    from dccflow_app.worker import run_workers

    validate_request(name, faults, definition)
    # the SDK warns when a cancelled activity (a slow-wan delivery) has already finished: nothing for a user
    warnings.filterwarnings("ignore", message="Cannot find activity to cancel", category=UserWarning)
    # a business rejection is an expected outcome of some scenarios: keep the SDK's failure logs off the terminal
    logging.getLogger("temporalio").setLevel(logging.ERROR)

    def show(event) -> None:
        if not as_json:
            console.print(f"  [dim]{event.at:%Y-%m-%d %H:%M:%S}[/] {event.bpmn_id} ({event.actor})", highlight=False)

    if address is not None:
        client = await connect_to(address)
        await wait_for_workers(client, address, timeout=wait_workers)
        report = await run_scenario(client, name, faults, on_event=show, definition=definition)
        if save is not None:  # `dccflow audit DIR` reads it
            from dccflow_app.audit_collect import open_records_database
            from dccflow_app.cli_audit import save_run

            await save_run(client, report.workflow_id, save, _report_json(report),
                           open_records_database(None, data_dir))
    else:
        tmp = None
        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="dccflow-run-")
            data_dir = Path(tmp.name)
        settings = Settings(data_dir=data_dir)
        try:
            check_configuration(settings)  # once, before any server or worker starts
            env = await start_time_skipping()  # a missing [embedded] extra is a ConfigurationError too
        except BaseException:
            if tmp is not None:
                tmp.cleanup()
            raise
        try:
            await register_search_attributes(env.client)
            stop = asyncio.Event()
            workers = asyncio.ensure_future(run_workers(env.client, settings, stop))
            try:
                with console.status(f"running {name} on an embedded time-skipping Temporal server…",
                                    spinner="dots") if not as_json else _null():
                    report = await run_scenario(env.client, name, faults, on_event=show,
                                                definition=definition)
                if save is not None:  # `dccflow audit DIR` reads it
                    from dccflow_app.cli_audit import save_run
                    from dccflow_app.database import open_database

                    await save_run(env.client, report.workflow_id, save, _report_json(report),
                                   open_database(settings.db_url))
            finally:
                stop.set()
                await _bounded(workers, "stopping the workers")
        finally:
            await _bounded(asyncio.ensure_future(env.shutdown()), "stopping the embedded Temporal server")
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


def _faults_by_scenario() -> str:
    """``run --help``: the faults each scenario accepts (``NAME[:PARAM]``, see ``dccflow fleet faults``)."""
    lines = [f"{s.name}: {fault_usage(s.faults)}" for s in SCENARIOS.values()]
    return "Faults each scenario accepts (--fault NAME[:PARAM]; `dccflow fleet faults` describes them):\n\n" + \
        "\n\n".join(lines)


@app.command(epilog=_faults_by_scenario())
def run(
    scenario: Annotated[str, typer.Argument(
        help="a built-in scenario's name (see `dccflow scenarios`) or a scenario file (see `dccflow scenario new`)")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object instead of tables")] = False,
    fault: Annotated[list[str] | None, typer.Option(
        "--fault", help="inject a fault NAME[:PARAM], e.g. wan-after:3 (repeatable; the scenarios' faults are below)",
    )] = None,
    address: Annotated[str | None, typer.Option(help="HOST:PORT of a Temporal server running dccflow's "
                                                "workers (e.g. `dccflow up`); default: embedded")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="embedded run: keep state here (default: temporary)")] = None,
    wait_workers: Annotated[float, typer.Option(help="with --address: seconds to wait for dccflow's workers to "
                                                "poll the server's task queues before giving up (exit 2)")] = 10,
    save: Annotated[Path | None, typer.Option(help="also save the run for `dccflow audit DIR` (its process "
                                              "workflows' histories and the DCC's records) in this directory")]
    = None,
) -> None:
    """Run one scenario, built-in or from a file, and wait for it. Exit code 0 when the run met everything the
    scenario expects (a failure branch included, when that is what it is for); 1 when it did not, listing each
    difference (with --fault: 0 only when the process completed); 2 for a file that is not a valid scenario, and
    for bad input, configuration or server problems (one line naming it)."""
    from temporalio.client import WorkflowFailureError

    from dccflow.config import ConfigurationError
    from dccflow_app.preflight import ServerProblem

    if (code := _fleet_run(scenario, address, data_dir, as_json)) is not None:
        raise typer.Exit(code)
    definition = _scenario_file(scenario) if _names_a_file(scenario) else None
    name = definition.name if definition is not None else scenario
    try:
        if save is not None:
            from dccflow_app.cli_audit import prepare_save_directory

            prepare_save_directory(save)
        code = _run_to_end(_run(name, list(fault or []), address, data_dir, as_json, wait_workers, definition,
                                save))
    except UnknownScenario as exc:
        folder = Path(scenario).is_dir()  # a folder that is no built-in scenario's name
        _error(f"{scenario} is a directory: give one scenario file or a built-in scenario's name (`dccflow "
               "scenario check DIR` checks a folder of them)" if folder else exc)
        raise typer.Exit(2) from None
    except (UnknownFault, ValueError, ConfigurationError, ServerProblem) as exc:
        _error(exc)
        raise typer.Exit(2) from None
    except WorkflowFailureError as exc:
        _error(f"{_root_cause(exc)} (workflow failed)")
        raise typer.Exit(1) from None
    raise typer.Exit(code)


def _fleet_run(scenario: str, address: str | None, data_dir: Path | None, as_json: bool) -> int | None:
    """A fleet scenario's exit code (``dccflow_app.scenarios.fleet_run``), or None: not a fleet scenario."""
    from dccflow.config import ConfigurationError
    from dccflow_app.scenarios import fleet_run
    from dccflow_app.scenarios.loader import ScenarioFileError

    try:
        spec = fleet_run.fleet_scenario(scenario)
    except ScenarioFileError:
        return None  # reported by the scenario file's own path
    if spec is None:
        return None
    if address is not None:
        _error(f"{spec.name}: a fleet scenario builds its fleet in the embedded run's database; on a server of your "
               "own use `dccflow fleet create --in-service` and `dccflow campaign rollover --address`")
        return 2
    try:
        return asyncio.run(fleet_run.run_fleet(spec, data_dir, as_json, console))
    except (ValueError, ConfigurationError) as exc:
        _error(exc)
        return 2


def _names_a_file(argument: str) -> bool:
    return argument.endswith((".yaml", ".yml")) or Path(argument).is_file()


def _scenario_file(path: str):
    """The scenario of a user's file, or exit 2 with each problem on its own line (FILE:LINE:COLUMN: PATH: …)."""
    from dccflow_app.scenarios.catalogue import scenario_from_file
    from dccflow_app.scenarios.loader import ScenarioFileError
    from dccflow_app.scenarios.to_catalogue import NotACatalogueScenario, what_runs

    try:
        return scenario_from_file(path)
    except ScenarioFileError as exc:
        for problem in exc.problems:
            console.print(str(problem), markup=False, soft_wrap=True, highlight=False)
    except NotACatalogueScenario as exc:
        _error(f"{path}: {exc}; `dccflow run` runs today: {what_runs()}")
    raise typer.Exit(2)


def _root_cause(exc: BaseException) -> str:
    while getattr(exc, "cause", None) is not None:
        exc = exc.cause
    return " ".join(str(getattr(exc, "message", None) or exc).split())


app.command()(up)  # after run: the order `dccflow --help` lists them in


def main() -> None:
    """The ``dccflow`` console command. Once the command has finished and its output is flushed, the process
    exits at once: the Temporal SDK's native threads may otherwise still hold a client while the interpreter
    finalizes, which aborts the process (SIGABRT) after a correct run and loses its exit code."""
    try:
        app()
        code: int = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
