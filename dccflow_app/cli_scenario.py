"""``dccflow scenario …``: scenario files (``dccflow_app.scenarios.spec``).

* ``check FILE|FOLDER...``: validate without running; each problem on its own line as
  ``FILE:LINE:COLUMN: PATH: MESSAGE``; exit 2 if any file has one (a folder: its ``*.yaml`` / ``*.yml`` files).
* ``schema``: print the JSON Schema of a scenario file (the one published as
  ``dccflow_app/scenarios/scenario.schema.json``).
* ``new NAME [-o FILE] [--force]``: write a commented starting file (``NAME.yaml``) that validates.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dccflow.cli_output import write_output

app = typer.Typer(help="Scenario files: check them, print their JSON Schema, start a new one.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

TEMPLATE = """\
# yaml-language-server: $schema=scenario.schema.json
# A dccflow scenario. `dccflow scenario check __NAME__.yaml` validates it; `dccflow scenario schema >
# scenario.schema.json` writes the JSON Schema your editor reads (the line above tells it where).
# Durations: 0 or N minutes|hours|days|working days|weeks|years, from the start.
name: __NAME__
description: >-
  Electricity Install and Commission (BAD 7.2.1), then the Post Commissioning Obligations (BAD 7.2.3) on day 2.

# Who is who: the simulator's Parties by User Role (these are the defaults; `supplier-b` is another Supplier).
parties:
  import_supplier: supplier-a
  gas_supplier: supplier-a
  electricity_distributor: distributor-a
  gas_transporter: transporter-a

# The premises: its devices by the names the rest of the file uses. An ESME makes it electricity, a GSME gas.
premises:
  devices:
    chf: {type: CHF}      # the Communications Hub: a CHF and a GPF
    gpf: {type: GPF}
    esme: {type: ESME}    # supplier_cell: DCC | other-mpid (BAD Table 4); faults: [join-delay:30]
    # gsme: {type: GSME}
    # ihd: {type: IHD, faults: [join-timeout]}   # `dccflow fleet faults` lists the faults

# Faults `dccflow run __NAME__ --fault NAME[:PARAM]` may add.
accepts_faults: [join-timeout, join-delay]

# The timeline: each step at a duration from the start, never before the step above it.
timeline:
  - at: 0
    process: install_commission     # also: install_and_leave, post_commissioning, service_request
    actor: import_supplier
  - at: 2 days
    process: post_commissioning     # with: {steps: never} for a Supplier that never does them
  # - at: 3 working days
  #   event: fault_on               # also: fault_off, ch_off_wan, ch_on_wan, registration_data_change,
  #   device: esme                  #       cpl_change, key_compromise
  #   fault: join-timeout

# What the run must show (`dccflow run` exits 0 only when all of it holds).
expect:
  processes:
    install_commission: {end: end_sms_enrolled, result: completed}
    post_commissioning: {outcome: met}
  statuses:
    chf: commissioned
    esme: commissioned
  verdicts:
    device-post-commissioning: met   # obligation ids of dccflow/domain/obligations.py: met | breached | ...
  # dcc_alerts: [{code: N24, device: esme, to: import_supplier}]
  # refusals: [{srv: "6.20.1", by: import_supplier, code: E5}]
  # trust_anchors: [{device: esme, cell: Supplier, holder: import_supplier}]
"""


def _files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    return files


@app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(help="scenario files, or folders of them")],
) -> None:
    """Validate scenario files without running them.

    Exit 0 if every file is valid, 2 if any is not; each problem on its own line: FILE:LINE:COLUMN: PATH: MESSAGE."""
    from dccflow_app.scenarios.loader import ScenarioFileError, load_file  # here: `dccflow --help` stays quick

    bad = 0
    files = _files(paths)
    if not files:
        err.print("error: no scenario files (*.yaml) in " + ", ".join(str(p) for p in paths), markup=False)
        raise typer.Exit(2)
    for file in files:
        try:
            spec = load_file(file)
        except ScenarioFileError as exc:
            bad += 1
            for problem in exc.problems:
                err.print(str(problem), markup=False)
            continue
        steps = len(spec.timeline)
        out.print(f"{file}: ok ({spec.name}, {steps} step{'' if steps == 1 else 's'})", markup=False)
        if (misfit := _not_runnable(spec)) is not None:
            err.print(f"{file}: note: valid, but `dccflow run` cannot run it yet: {misfit}", markup=False)
    if bad:
        err.print(f"{bad} of {len(files)} files are not valid scenarios", markup=False)
        raise typer.Exit(2)


def _not_runnable(spec) -> str | None:
    """Why ``dccflow run`` would refuse a valid file (exit 2), or None: it runs it (a fleet file runs a campaign)."""
    from dccflow_app.scenarios.to_catalogue import NotACatalogueScenario, to_catalogue_scenario

    if spec.fleet is not None:
        return None
    try:
        to_catalogue_scenario(spec)
    except NotACatalogueScenario as exc:
        return str(exc)
    return None


@app.command()
def schema() -> None:
    """Print the JSON Schema of a scenario file (for editors: `dccflow scenario schema > scenario.schema.json`)."""
    from dccflow_app.scenarios.spec import schema_text

    typer.echo(schema_text(), nl=False)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="the scenario's name: lower-case letters, digits and '-'")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write (default: NAME.yaml)")] = None,
    force: Annotated[bool, typer.Option(help="overwrite the file if it exists")] = False,
) -> None:
    """Write a commented starting scenario file (NAME.yaml) that validates.

    Exit 2 if NAME is not a valid name, if the file exists and --force is not given, or if it cannot be written."""
    if not _NAME.fullmatch(name):
        err.print(f"error: {name!r} is not a scenario name (lower-case letters, digits and '-', e.g. my-install)",
                  markup=False)
        raise typer.Exit(2)
    target = output or Path(f"{name}.yaml")
    try:
        exists = target.exists()
    except OSError:  # e.g. a name too long for the file system: writing it says so
        exists = False
    if exists and not force:
        err.print(f"error: {target} exists (--force overwrites it)", markup=False)
        raise typer.Exit(2)
    write_output(target, TEMPLATE.replace("__NAME__", name))
    out.print(f"wrote {target}; check it with: dccflow scenario check {target}", markup=False)
