"""The obligations audit as the CLI prints it: a rich table of the verdicts that say something about the run
(met, breached, and deadlines the run ended before), then a count of the rest (``--json`` lists them all)."""

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
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for col in ("verdict", "reference", "actor", "device", "deadline", "actual", "detail"):
        table.add_column(col, no_wrap=col != "detail")
    for v in verdicts:
        if shown(v):
            actual = "never" if v.verdict == "breached" and v.actual is None else _t(v.actual)
            table.add_row(f"[{_STYLE[v.verdict]}]{v.verdict}[/]", v.ref, v.actor, v.device_id or "", _t(v.due),
                          actual, v.detail)
    return table


def regulation_summary(verdicts: Iterable[Verdict]) -> str:
    counts = summary(verdicts)
    return "Obligations: " + ", ".join(f"{counts[k]} {k}" for k in _STYLE if k in counts) + \
        " (not applicable: step not reached; not assessed: nothing in the simulation to judge; --json lists all)"
