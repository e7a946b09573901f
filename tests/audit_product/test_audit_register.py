"""Issue #17: the register the audit judges with, held against the BAD's governance tables for 7.1 (7.2's tables:
tests/processes/test_obligations.py::test_register_covers_every_row_of_the_governance_tables); and the audit never
says "met" for a rule it did not check."""

from __future__ import annotations

import re

from audit_support import load, report_of

from dccflow.audit_report import AUDIT_SCOPE, NO_RECORDS, SCOPE_BY_ID, needs_records
from dccflow.domain.obligation_model import Judged
from dccflow.domain.obligations_inventory import INVENTORY_REGISTER


def _bad_text() -> str:
    from dccflow.duis.schema import shared_dir

    return sorted((shared_dir() / "reference").glob("004_*.txt"))[0].read_text(encoding="utf-8")


def _table_rows(text: str, table: str) -> set[tuple[str, str]]:
    """(BAD step, "<document> <clause>") of one governance table of the BAD text (tab-separated rows)."""
    rows, step, inside = set(), None, False
    for line in text.splitlines():
        if line.startswith(f"{table} Governance"):
            inside = True
            continue
        if inside and (re.match(r"^7\.\d+(\.\d+)? [A-Z]", line) and "\t" not in line or line.startswith("-----")):
            break
        parts = line.split("\t")
        if not inside or not parts[0]:
            continue
        if re.match(r"^7\.\d+\.\d+\.\d+\.\d+ ", parts[0]):
            step = parts[0].split(" ")[0]
        elif len(parts) >= 3 and step and parts[2].strip():
            doc = parts[1].split(" - ")[0].strip()
            clause = parts[2].strip().removeprefix("Section ")
            rows.add((step, f"{'SEC' if doc == 'Smart Energy Code' else doc} {clause}"))
    return rows


def _registered(rows: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(step, ref) for step, ref in rows
            if any(o.bad_step == step and ref in o.refs for o in AUDIT_SCOPE)}


def test_the_register_holds_every_row_of_the_7_1_governance_tables():
    """BAD 7.1.1.9 (Manage Inventory) and 7.1.2.6 (the CPL; Suspend / Unsuspend Device): every row has an entry in
    the register the audit judges with (7.2's tables: tests/processes/test_obligations.py)."""
    text = _bad_text()
    for table in ("7.1.1.9", "7.1.2.6"):
        rows = _table_rows(text, table)
        assert len(rows) > 20, table
        assert rows - _registered(rows) == set(), table


def test_an_entry_no_process_can_show_is_not_assessed_with_its_reason(dual_fuel_run):
    report = report_of(load(dual_fuel_run))
    inventory = {o.id: o for o in INVENTORY_REGISTER}
    rows = [r for r in report.obligations if r.obligation in inventory]
    assert len(rows) == len(inventory)
    assert all(r.verdict == "not assessed" and r.why == inventory[r.obligation].why for r in rows)


def test_every_entry_says_how_it_is_judged_and_an_unassessable_one_why():
    for o in AUDIT_SCOPE:
        assert o.judged in Judged
        if o.judged is Judged.NOT_ASSESSABLE:
            assert o.why and o.check is None
        else:
            assert o.check or o.timing


def test_without_the_dccs_records_nothing_that_needs_them_is_met(dual_fuel_run):
    data = load(dual_fuel_run)
    with_records = report_of(data)
    data.units[0].records = None
    without = report_of(data)
    outcomes = [x for c in data.units[0].cases for x in c.outcomes]
    for v in without.verdicts:
        o = SCOPE_BY_ID.get(v.obligation)
        if v.verdict in ("met", "breached"):
            assert not needs_records(o, outcomes), v
        if o is not None and o.judged is Judged.NOT_ASSESSABLE:
            assert v.verdict == "not assessed" and v.detail == o.why
    reached = [v for v in without.verdicts if NO_RECORDS in v.detail]
    assert reached and all(v.verdict == "not assessed" for v in reached)
    assert without.summary["verdicts"]["met"] < with_records.summary["verdicts"]["met"]
    # what the events alone prove is still met: the SRV 8.14.1 deadline (a workflow Deadline outcome)
    assert any(v.obligation == "install-success-report" and v.verdict == "met" for v in without.verdicts)
