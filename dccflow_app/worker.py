"""Run dccflow's workers (User side, simulated DCC, simulated fleet) against a Temporal server.

    python worker.py            # address from DCCFLOW_TEMPORAL_ADDRESS (default localhost:7233)
    python -m dccflow_app.worker    # the same, from an installed dccflow

State goes to DCCFLOW_DATABASE_URL (any SQLAlchemy URL, e.g. postgresql+psycopg://…) or, by default, a
SQLite file under DCCFLOW_DATA_DIR. ``dccflow up`` runs the same workers next to an embedded dev server.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from pydantic import ValidationError
from temporalio.client import Client

from dccflow.config import ConfigurationError, Settings, check_configuration
from dccflow_app.embedded import connect
from dccflow_app.runtime import Runtime, register_search_attributes

log = logging.getLogger("dccflow.worker")


async def run_workers(client: Client, settings: Settings, stop: asyncio.Event | None = None) -> None:
    runtime = Runtime(settings, client)
    stop = stop or asyncio.Event()
    async with runtime.serving():  # the workers, plus the HTTP servers when DCCFLOW_DCC_TRANSPORT=http
        log.info("workers running: %s", ", ".join(settings.worker_systems))
        await stop.wait()


async def main() -> None:
    logging.basicConfig(level=logging.INFO)
    try:
        settings = Settings()
        check_configuration(settings)  # once, before connecting: the DUIS schema and the database
    except (ValidationError, ConfigurationError) as exc:  # e.g. an unknown system in DCCFLOW_WORKER_SYSTEMS
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    client = await connect(settings.temporal_address, settings.namespace, data_dir=settings.data_dir, create_key=True)
    await register_search_attributes(client, settings.namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_workers(client, settings, stop)


if __name__ == "__main__":
    asyncio.run(main())
