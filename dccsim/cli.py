"""``dccflow dcc …``: the simulated DCC's reports."""

from __future__ import annotations

import typer

app = typer.Typer(help="The simulated DCC: service-level reports.", no_args_is_help=True)
