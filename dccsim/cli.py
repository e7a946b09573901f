"""``dccflow dcc …``: the simulated DCC's reports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dccflow.cli_output import error_line

app = typer.Typer(help="The simulated DCC: service-level reports.", no_args_is_help=True)
err = Console(stderr=True)


def _seconds(value: float) -> str:
    if value >= 3600 and value % 3600 == 0:
        return f"{value / 3600:g} h"
    return f"{value:g} s"


def _month(text: str) -> date:
    try:
        parsed = datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a month as YYYY-MM") from None
    return date(parsed.year, parsed.month, 1)


@app.callback()
def _main() -> None:
    """The simulated DCC."""


@app.command()
def report(
    month: Annotated[str | None, typer.Option(help="the month to report, YYYY-MM (default: the latest month "
                                                   "with measurements)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="where the run kept its state (default: $DCCFLOW_DATA_DIR "
                                                       "or .dccflow; DCCFLOW_DATABASE_URL wins)")] = None,
) -> None:
    """The month's service levels against the Target Response Times (SEC H3.14) and the Code Performance
    Measures' Target / Minimum Service Levels (SEC H13.1, H13.4)."""
    from dccflow.config import ConfigurationError, Settings, check_database
    from dccflow.db import get_engine, session_scope
    from dccsim.servicelevels import latest_month, monthly_figures

    settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    if not settings.database_url and not (settings.data_dir / "dccflow.db").is_file():
        error_line(f"no dccflow database in {settings.data_dir}")
        raise typer.Exit(2)
    try:
        check_database(settings)  # one line, not a traceback, for a database that cannot be used
    except ConfigurationError as exc:
        error_line(exc)
        raise typer.Exit(2) from None
    chosen = _month(month) if month else None
    with session_scope(get_engine(settings.db_url)) as s:
        chosen = chosen or latest_month(s) or date.today().replace(day=1)
        figures = monthly_figures(s, chosen)
    now = datetime.now(UTC)
    table = Table(title=f"DCC service levels, {chosen:%Y-%m}")
    for column in ("measure", "target", "count", "within target", "% within target", "CPM target / minimum",
                   "H13.4"):
        table.add_column(column, justify="left" if column in ("measure", "H13.4") else "right")
    for f in figures:
        percent = f"{f.percent:.1f}%" if f.percent is not None else "–"
        levels = f"{f.levels[0]:g}% / {f.levels[1]:g}%" if f.levels else ""
        table.add_row(f.measure, _seconds(f.target_seconds), str(f.count), str(f.within), percent, levels,
                      f.verdict)
    out = Console(width=max(Console().width, 150))
    out.print(table)
    out.print(f"Measured in the DCC's (simulation) time; quarantine time excluded (SEC H3.15(b)). Reported "
              f"{now:%Y-%m-%d %H:%M} UTC.", highlight=False)
