"""Configuration and server errors as a user meets them: one line naming the problem and exit code 2, in
seconds — never a traceback, a retry loop burning CPU or a run that waits forever (issue 11)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys

from port_support import free_port, free_ports

from dccflow.config import Settings
from dccflow_app.embedded import start_dev_server
from dccflow_app.scenarios.runner import run_scenario
from worker import run_workers

CLI = [sys.executable, "-m", "dccflow_app.cli"]




def _dccflow(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_run_without_the_duis_schema_exits_2_naming_the_file(tmp_path):
    empty = tmp_path / "schema"
    empty.mkdir()
    for variable in ("DCCFLOW_DUIS_SCHEMA_DIR", "DCCFLOW_SHARED_DIR"):
        result = _dccflow("run", "install-commission-electricity", "--data-dir", str(tmp_path / variable),
                          env={variable: str(empty)}, timeout=60)
        assert result.returncode == 2, result.stderr
        line = _one_line(result.stderr)
        assert "duis-5.4.xsd" in line and variable in line and "Traceback" not in line
        assert result.stdout == ""  # nothing started: no progress events


def test_run_with_an_unusable_database_url_exits_2_naming_it(tmp_path):
    url = f"sqlite:///{tmp_path}/no/such/folder/dccflow.db"
    result = _dccflow("run", "install-commission-electricity", env={"DCCFLOW_DATABASE_URL": url}, timeout=60)
    assert result.returncode == 2, result.stderr
    line = _one_line(result.stderr)
    assert url in line and "DCCFLOW_DATABASE_URL" in line


async def test_a_configuration_error_in_an_activity_fails_the_process_instead_of_retrying(stack, tmp_path,
                                                                                         monkeypatch):
    # the schema disappears after the workers started: the activity that needs it must fail once, not forever
    monkeypatch.setenv("DCCFLOW_DUIS_SCHEMA_DIR", str(tmp_path))
    report = await asyncio.wait_for(run_scenario(stack.client, "install-commission-electricity"), 60)
    assert report.result == "failed" and report.end == "end_service_request_failed"
    assert "DuisConfigError" in report.reason and "duis-5.4.xsd" in report.reason
    assert "attempts" not in report.reason  # failed at the first attempt, not after the transport retries
    assert not report.expected_end_reached


async def test_a_programming_error_in_an_activity_fails_the_process_instead_of_retrying(stack, monkeypatch):
    """A ``KeyError`` in an activity (a bug: a drill once retried one for minutes on the time-skipping server, where
    the back-off passes at once) fails the process at its first attempt, naming it."""
    import activities.duis_client as duis_client

    def broken(*_args, **_kwargs):
        raise KeyError("param_1")

    monkeypatch.setattr(duis_client, "compose_request", broken)
    report = await asyncio.wait_for(run_scenario(stack.client, "install-commission-electricity"), 60)
    assert report.result == "failed" and report.end == "end_service_request_failed"
    assert "KeyError" in report.reason and "param_1" in report.reason
    assert "attempts" not in report.reason


def test_an_unreachable_address_exits_2_with_one_line():
    port = free_port()  # nothing listens there
    result = _dccflow("run", "install-commission-electricity", "--address", f"127.0.0.1:{port}", timeout=60)
    assert result.returncode == 2, result.stderr
    line = _one_line(result.stderr)
    assert f"127.0.0.1:{port}" in line and "Connection refused" in line


async def test_an_address_without_dccflow_workers_is_refused_then_served_once_they_poll(tmp_path):
    port, ui_port = free_ports(2)
    env = await start_dev_server(tmp_path, port=port, ui_port=ui_port)
    args = ["run", "install-commission-electricity", "--fault", "no-wan", "--address", f"127.0.0.1:{port}"]
    try:
        refused = await _async_dccflow(*args, "--wait-workers", "1")
        assert refused.returncode == 2, refused.stderr
        line = _one_line(refused.stderr)
        assert "no dccflow workers" in line and "dccflow-users" in line and f"127.0.0.1:{port}" in line

        stop = asyncio.Event()
        workers = asyncio.ensure_future(run_workers(env.client, Settings(data_dir=tmp_path), stop))
        try:
            served = await _async_dccflow(*args, "--json")
        finally:
            stop.set()
            await workers
        # no-wan: the process ends in its Install and Leave branch (exit 1), run by the workers that now poll
        assert served.returncode == 1, served.stderr
        assert '"end": "end_install_and_leave"' in served.stdout
        # the dev server as `dccflow up` starts it keeps its history in write-ahead-log mode (issue 18, target 4)
        with sqlite3.connect(tmp_path / "temporal.db") as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert (tmp_path / "temporal.db-wal").exists()
    finally:
        await env.shutdown()


async def _async_dccflow(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    proc = await asyncio.create_subprocess_exec(*CLI, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


def test_a_failed_workflow_is_reported_down_to_the_activity_and_its_cause(capsys):
    """``dccflow run`` / ``drill start`` print why a process failed: which activity, and the error it raised, not
    Temporal's "Activity task failed" alone."""
    import typer
    from temporalio.client import WorkflowFailureError
    from temporalio.exceptions import ActivityError, ApplicationError, RetryState

    from dccflow_app.cli_runs import run_command

    async def failing():
        refused = ApplicationError("90-B3-D5-1F-30-02-00-00 is not a Supplier's User ID", type="NotASupplier")
        activity = ActivityError("Activity task failed", scheduled_event_id=5, started_event_id=6, identity="w",
                                 activity_type="rollover_issue_certificate", activity_id="1",
                                 retry_state=RetryState.NON_RETRYABLE_FAILURE)
        activity.__cause__ = refused
        raise WorkflowFailureError(cause=activity)

    try:
        run_command(failing(), "drill")
    except typer.Exit as exc:
        assert exc.exit_code == 1
    else:  # pragma: no cover
        raise AssertionError("run_command did not exit")
    printed = " ".join(capsys.readouterr().err.split())
    assert "the drill failed: Activity task failed (rollover_issue_certificate): " in printed
    assert printed.endswith("90-B3-D5-1F-30-02-00-00 is not a Supplier's User ID")


def test_an_unknown_worker_system_stops_the_worker_and_is_a_doctor_problem():
    env = {**os.environ, "DCCFLOW_WORKER_SYSTEMS": "dcc,billing"}
    worker = subprocess.run([sys.executable, "-m", "dccflow_app.worker"], env=env, capture_output=True, text=True,
                            timeout=90)
    assert worker.returncode == 2, worker.stderr
    assert worker.stderr.startswith("error:") and "worker_systems" in worker.stderr and "'billing'" in worker.stderr
    assert "Traceback" not in worker.stderr
    doctor = _dccflow("doctor", "--workers-here", env=env)
    assert doctor.returncode == 1
    assert "DCCFLOW_WORKER_SYSTEMS: Input should be 'user', 'dcc' or 'devices' (given 'dcc,billing')" in doctor.stderr
    assert "cannot reach Temporal" not in doctor.stderr
