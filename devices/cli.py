"""``dccflow fleet …``: build simulated fleets."""

from __future__ import annotations

import typer

app = typer.Typer(help="The simulated device fleet.", no_args_is_help=True)
