"""What the ``dccflow`` commands print on stderr (``dccflow_app.cli`` and its sub-commands, ``dccsim.cli``,
``devices.cli``): progress and notes through ``console``, and a failure as one line in one form (``error_line``):
``error: …``, the message printed as it is (never read as markup) and never wrapped, so that scripts and logs see
one line."""

from __future__ import annotations

from rich.console import Console

console = Console(stderr=True)


def error_line(message: object) -> None:
    """One line on stderr, never wrapped (so scripts and logs see one line); pydantic's validation error as its
    first complaint (:func:`first_error`)."""
    from pydantic import ValidationError
    from rich.markup import escape

    text = first_error(message) if isinstance(message, ValidationError) else " ".join(str(message).split())
    console.print(f"[red]error:[/] {escape(text)}", soft_wrap=True, highlight=False)


def first_error(exc) -> str:
    """A pydantic ``ValidationError`` on one line: where its first complaint is, what it says, and how many more."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    more = exc.error_count() - 1
    return (f"{where}: " if where else "") + first["msg"] + (f" (and {more} more)" if more else "")


def write_output(path, data: bytes | str, option: str = "") -> None:
    """Write a command's output file; one line and exit 2 when it cannot be (a folder, a missing parent, no
    permission), naming ``option`` (e.g. ``--out``) beside the path."""
    import typer

    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as exc:
        error_line(f"{option + ' ' if option else ''}{path}: cannot be written ({exc.strerror or exc})")
        raise typer.Exit(2) from None
