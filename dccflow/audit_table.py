"""The obligations audit as the CLI prints it, within 80 columns: a table of the verdicts that say something about
the run (met, breached, and deadlines the run ended before) with their reference, Device and deadline, what was
breached in a line each, then a count of the rest (``--json`` lists every verdict with its actor, times and
detail)."""

from __future__ import annotations

from collections.abc import Iterable

from rich import box
from rich.table import Table

from dccflow.audit import Verdict, summary

_STYLE = {"met": "green", "breached": "bold red", "not assessed": "yellow", "not applicable": "dim"}


def _t(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


def shown(v: Verdict) -> bool:
    return v.verdict in ("met", "breached") or (v.verdict == "not assessed" and v.due is not None)


def regulation_table(verdicts: Iterable[Verdict], title: str = "obligations (BAD 7.2 governance tables)") -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for col in ("verdict", "reference", "device", "due"):
        table.add_column(col, no_wrap=col != "reference", min_width=10 if col == "due" else None)
    for v in verdicts:
        if shown(v):
            due = f"{v.due:%Y-%m-%d}" if v.due else "-"
            table.add_row(f"[{_STYLE[v.verdict]}]{v.verdict}[/]", v.ref,
                          v.device_id or "", due)
    return table


def breaches(verdicts: Iterable[Verdict]) -> list[str]:
    """One line for each breach: the reference, the Device, when it was due and what happened."""
    lines = []
    for v in verdicts:
        if v.verdict == "breached":
            when = f" (due {_t(v.due)}, actual {_t(v.actual) if v.actual else 'never'})" if v.due else ""
            device = f" {v.device_id}" if v.device_id else ""
            lines.append(f"breached {v.ref}{device}{when}: {v.detail}")
    return lines


def regulation_summary(verdicts: Iterable[Verdict]) -> str:
    counts = summary(verdicts)
    return "Obligations: " + ", ".join(f"{counts[k]} {k}" for k in _STYLE if k in counts) + \
        " (not applicable: step not reached; not assessed: nothing in the simulation to judge; --json lists all)"
