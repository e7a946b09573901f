"""``dccflow dcc report``: the month's service levels after a run, against the Target Response Times (SEC H3.14)
and the Code Performance Measures' Target / Minimum Service Levels (SEC H13.1, H13.4)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from dccflow_app.cli import app

runner = CliRunner()


def figures(output: str) -> dict[str, list[str]]:
    """measure → the table row's other cells."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line) if c.strip()]
        if len(cells) >= 5 and cells[1][0].isdigit():
            rows[cells[0]] = cells[1:]
    return rows


def test_report_prints_the_months_figures_after_a_scenario_run(tmp_path):
    run = runner.invoke(app, ["run", "install-commission-electricity", "--json", "--data-dir", str(tmp_path)])
    assert run.exit_code == 0, run.output
    result = runner.invoke(app, ["dcc", "report", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert re.search(r"DCC service levels, \d{4}-\d{2}", result.stdout)  # the month of the run
    rows = figures(result.stdout)
    # one Critical request (8.1.1): its Pre-Command within 3 s (H3.14(a))
    assert rows["Pre-Command (Critical Service Request)"][:4] == ["3 s", "1", "1", "100.0%"]
    # 8.11, 8.1.1 and 6.20.1 answered on demand; 8.14.1 answered as a Non-Device request
    assert rows["On-Demand Service Response (CPM 1)"][:4] == ["30 s", "3", "3", "100.0%"]
    assert rows["On-Demand Service Response (CPM 1)"][-2:] == ["99% / 96%", "meets Target"]
    assert rows["Non-Device Service Response"][:3] == ["30 s", "1", "1"]
    assert rows["Future-Dated Service Response (CPM 2)"][:2] == ["24 h", "0"]
    alerts = rows["Alerts (CPM 3)"]
    assert alerts[0] == "60 s" and int(alerts[1]) >= 3 and alerts[1] == alerts[2]  # N16, N24, 0x8183 …


def test_report_for_a_month_without_activity_and_for_a_missing_database(tmp_path):
    runner.invoke(app, ["run", "install-commission-electricity", "--json", "--data-dir", str(tmp_path)])
    empty = runner.invoke(app, ["dcc", "report", "--data-dir", str(tmp_path), "--month", "2020-01"])
    assert empty.exit_code == 0 and "DCC service levels, 2020-01" in empty.stdout
    assert all(cells[1] == "0" for cells in figures(empty.stdout).values())
    bad = runner.invoke(app, ["dcc", "report", "--data-dir", str(tmp_path), "--month", "January"])
    assert bad.exit_code == 2
    missing = runner.invoke(app, ["dcc", "report", "--data-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no dccflow database" in missing.output


def test_a_database_that_cannot_be_used_is_one_line_and_exit_2(tmp_path, monkeypatch) -> None:
    """`dcc report` and `fleet create` check the database first, as `run` and `up` do: no traceback."""
    from typer.testing import CliRunner

    from dccflow_app.cli import app

    (tmp_path / "dccflow.db").write_text("junk")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    runner = CliRunner()
    for args in (["dcc", "report", "--data-dir", str(tmp_path)],
                 ["fleet", "create", "--sms", "1", "--data-dir", str(tmp_path)],
                 ["fleet", "create", "--sms", "1", "--data-dir", str(a_file)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error: database ") and "cannot be used" in result.stderr, result.output
        assert len(result.stderr.strip().splitlines()) == 1
    monkeypatch.setenv("DCCFLOW_DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:1/x")
    result = runner.invoke(app, ["dcc", "report"])
    assert result.exit_code == 2 and "cannot be used" in result.stderr and "secret" not in result.output
    fleet = runner.invoke(app, ["fleet", "create", "--sms", "99999999999999999999", "--data-dir", str(tmp_path / "f")])
    assert fleet.exit_code == 2 and fleet.stderr.startswith("error: sms: Input should be less than or equal to")
    assert len(fleet.stderr.strip().splitlines()) == 1
