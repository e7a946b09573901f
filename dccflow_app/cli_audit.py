"""``dccflow audit``: the compliance audit of the process instances on a Temporal server, or of a saved run, as text,
JSON, XES or one HTML page (``dccflow.audit_report``); and ``dccflow run --save DIR``'s writer (:func:`save_run`).

The audit reads (``dccflow_app.audit_collect``), judges with the obligations audit ``dccflow run`` uses, replays each
case on its BPMN model (``bpmn/<process>.bpmn``) and draws the models with the deviating steps highlighted
(``bpmn.render``, when present)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dccflow.audit_report import AuditInput, AuditReport, CaseConformance, ProcessCase, as_text, build_report
from dccflow.cli_output import console, error_line, write_output
from dccflow.moments import as_utc


class Format(StrEnum):
    text = "text"
    json = "json"
    html = "html"
    xes = "xes"


def replay_case(case: ProcessCase) -> CaseConformance:
    """The case on its BPMN model (``bpmn/<process>.bpmn``), or why it could not be replayed."""
    import bpmn
    from dccflow.audit_report_conformance import replay

    model = bpmn.MODEL_DIR / f"{case.process}.bpmn"
    if not model.is_file():
        return CaseConformance(method="none", note=f"no BPMN model for process {case.process}")
    return replay(model.read_bytes(), case.events, bpmn.STEP_KINDS, running=case.status == "running")


def diagram(process: str, highlight: Iterable[str], marks: Mapping[str, str]) -> str | None:
    """The process's BPMN model as inline SVG with ``highlight`` drawn as deviations; None when the renderer (or
    the model's diagram interchange) is not there."""
    try:
        from bpmn.render import render_svg
    except ImportError:
        return None
    try:
        return render_svg(process, highlight=highlight, marks=dict(marks))
    except (ValueError, OSError):
        return None


def _within(case: ProcessCase, since: datetime | None, until: datetime | None) -> bool:
    start = case.started or min((e.at for e in case.events), default=None)
    if start is None:
        return True
    return (since is None or start >= since) and (until is None or start < until)


def render(report: AuditReport, fmt: Format) -> bytes:
    if fmt is Format.json:
        return report.model_dump_json(indent=2).encode()
    if fmt is Format.xes:
        from dccflow.audit_report_xes import to_xes

        return to_xes(report)
    if fmt is Format.html:
        from dccflow.audit_report_html import to_html

        return to_html(report, diagram).encode()
    return (as_text(report) + "\n").encode()


async def read_server(address: str, namespace: str, query: str, data_dir: Path | None) -> list:
    from dccflow_app.audit_collect import from_server
    from dccflow_app.embedded import connect
    from dccflow_app.preflight import ServerProblem

    try:
        client = await asyncio.wait_for(connect(address, namespace, data_dir=data_dir), 15)
    except Exception as exc:  # noqa: BLE001 - one line for the user, as `dccflow run --address` does
        raise ServerProblem(f"cannot reach a Temporal server at {address}: {' '.join(str(exc).split())}") from None
    return await from_server(client, query)


def audit(
    saved: Annotated[Path | None, typer.Argument(
        help="a saved run: a `dccflow run --save DIR` directory, its audit-input.json, or `dccflow run --json` "
             "output; omit it with --address")] = None,
    address: Annotated[str | None, typer.Option(help="HOST:PORT of a Temporal server (`dccflow up`, a cluster)")]
    = None,
    namespace: Annotated[str, typer.Option(help="the Temporal namespace")] = "default",
    query: Annotated[str | None, typer.Option(help="a Temporal visibility query narrowing the workflows, e.g. "
                                              "\"BadProcess = 'install_commission'\" or \"Mpxns = '…'\"")] = None,
    since: Annotated[datetime | None, typer.Option(help="only processes started at or after this time (UTC)")]
    = None,
    until: Annotated[datetime | None, typer.Option(help="only processes started before this time (UTC)")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text, json, html (one file) or xes (IEEE 1849)")]
    = Format.text,
    out: Annotated[Path | None, typer.Option(help="write the report here instead of standard output")] = None,
    data_dir: Annotated[Path | None, typer.Option(
        help="the stack's data directory: its codec key and the DCC's database (default: $DCCFLOW_DATA_DIR or "
             ".dccflow, as `dccflow up`)")] = None,
    database_url: Annotated[str | None, typer.Option(help="the DCC's database (default: DCCFLOW_DATABASE_URL or "
                                                     "the data directory's)")] = None,
) -> None:
    """Audit the process instances of a Temporal server or a saved run: each obligation of the register met,
    breached, not assessed (with why) or not applicable; each instance replayed on its BPMN model (fitness, the
    steps out of order, missing or not in the model). Exit 0 with a report, 2 for bad input or an unreachable
    server."""
    from dccflow.config import ConfigurationError
    from dccflow_app.audit_collect import attach_records, from_saved, open_records_database, visibility_query
    from dccflow_app.preflight import ServerProblem

    since, until = as_utc(since), as_utc(until)
    try:
        if saved is not None:
            if address is not None:
                raise ValueError("give a saved run or --address, not both")
            data = from_saved(saved)
        elif address is not None:
            units = asyncio.run(read_server(address, namespace, visibility_query(query, since, until), data_dir))
            attach_records(units, open_records_database(database_url, data_dir))
            data = AuditInput(source=f"{address}/{namespace}" + (f" ({query})" if query else ""), units=units)
        else:
            raise ValueError("give a saved run (a `dccflow run --save` directory) or --address HOST:PORT")
    except (ValueError, OSError, ConfigurationError, ServerProblem) as exc:
        error_line(exc)
        raise typer.Exit(2) from None
    for unit in data.units:
        unit.cases = [c for c in unit.cases if _within(c, since, until)]
    data.units = [u for u in data.units if u.cases]
    body = render(build_report(data, replay_case), fmt)
    if out is not None:
        write_output(out, body, "--out")
        console.print(f"{fmt.value} report written to {out}", highlight=False)
    else:
        typer.echo(body.decode(), nl=False)


#: what ``dccflow run --json`` prints, saved beside the audit's input
RUN_FILE = "run.json"


def prepare_save_directory(directory: Path) -> None:
    """``dccflow run --save DIR`` before the run starts: DIR made (if new) and writable, and not already a saved
    run (which the new one would overwrite); else ``ValueError`` naming the problem, and nothing is run."""
    from dccflow_app.audit_collect import INPUT_FILE

    if directory.exists() and not directory.is_dir():
        raise ValueError(f"--save {directory}: exists and is not a directory")
    held = [name for name in (RUN_FILE, INPUT_FILE) if (directory / name).exists()]
    if held:
        raise ValueError(f"--save {directory}: already holds a saved run ({', '.join(held)}); give a new directory "
                         "or remove that one")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".dccflow-save-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ValueError(f"--save {directory}: cannot be written ({exc.strerror or exc})") from None


async def save_run(client, workflow_id: str, directory: Path, report_json: dict, engine) -> None:
    """``dccflow run --save DIR``: the run's JSON (``run.json``) and what the audit reads (``audit-input.json``:
    the scenario's process workflows from their histories, the DCC's records about their Devices)."""
    from dccflow_app.audit_collect import INPUT_FILE, attach_records, from_tree

    root = (await client.get_workflow_handle(workflow_id).describe()).parent_id or workflow_id
    units = await from_tree(client, root)
    attach_records(units, engine)
    (directory / RUN_FILE).write_text(json.dumps(report_json, indent=2))
    (directory / INPUT_FILE).write_text(AuditInput(source=f"dccflow run {root}", units=units)
                                        .model_dump_json(indent=1))
