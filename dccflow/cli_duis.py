"""``dccflow duis …``: check, sign and verify DUIS messages."""

from __future__ import annotations

import typer

app = typer.Typer(help="Check, sign and verify DUIS XML messages.", no_args_is_help=True)
