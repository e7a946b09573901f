"""What the ``dccflow`` commands print on stderr (``dccflow_app.cli`` and its sub-commands, ``dccsim.cli``,
``devices.cli``): progress and notes through ``console``, and a failure as one line in one form (``error_line``):
``error: …``, the message printed as it is (never read as markup) and never wrapped, so that scripts and logs see
one line."""

from __future__ import annotations

from rich.console import Console

console = Console(stderr=True)


def error_line(message: object) -> None:
    """One line on stderr, never wrapped (so scripts and logs see one line)."""
    from rich.markup import escape

    console.print(f"[red]error:[/] {escape(str(message))}", soft_wrap=True, highlight=False)
