"""What the commands that start a long run share (``dccflow campaign``, ``dccflow drill``): the ``--address``
option, the error line, a server's client (no ``--fleet`` there), an embedded time-skipping run over a fleet built
first, and running the command's coroutine with its errors mapped to exit codes (2: the request, 1: the run)."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from dccflow.cli_output import error_line

err = Console(stderr=True, highlight=False, soft_wrap=True)
Address = Annotated[str | None, typer.Option(help="HOST:PORT of a Temporal server running dccflow's workers "
                                             "(`dccflow up`)")]


def fail(message: object, code: int = 2) -> typer.Exit:
    """Print ``message`` as an error; the exit to raise."""
    error_line(message)
    return typer.Exit(code)


async def server_client(address: str, fleet: int):
    """A client of the server at ``address``, once dccflow's workers poll it."""
    from dccflow_app.preflight import connect_to, wait_for_workers

    if fleet:
        raise ValueError("--fleet builds a fleet in an embedded run's database; with --address create it with "
                         "`dccflow fleet create --in-service` before `dccflow up`")
    client = await connect_to(address)
    await wait_for_workers(client, address)
    return client


@contextlib.asynccontextmanager
async def embedded_runtime(data_dir: Path | None, prefix: str, fleet: int,
                           faults: list[tuple[str, object, float]] | None = None) -> AsyncIterator[Any]:
    """dccflow's workers serving an embedded time-skipping server, over ``fleet`` SMS in service built first in
    ``data_dir`` (default: a temporary folder named ``prefix``…): the ``Runtime``."""
    from dccflow.config import Settings, check_configuration
    from dccflow_app.campaigns import build_in_service_fleet
    from dccflow_app.embedded import start_time_skipping
    from dccflow_app.runtime import Runtime, register_search_attributes

    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
        settings = Settings(data_dir=data_dir)
        check_configuration(settings)
        env = await start_time_skipping()
        try:
            await register_search_attributes(env.client)
            runtime = Runtime(settings, env.client)
            if fleet:
                build_in_service_fleet(runtime.engine, fleet, datetime.now(UTC), faults=faults)
            async with runtime.serving():
                yield runtime
        finally:
            await env.shutdown()


def run_command(run: Coroutine[Any, Any, Any], what: str) -> Any:
    """``run``'s result; a bad request or configuration or an unusable server exits 2, the ``what`` failing 1."""
    from temporalio.client import WorkflowFailureError

    from dccflow.config import ConfigurationError
    from dccflow_app.preflight import ServerProblem

    try:
        return asyncio.run(run)
    except (ValueError, ConfigurationError, ServerProblem) as exc:
        raise fail(exc) from None
    except WorkflowFailureError as exc:
        raise fail(f"the {what} failed: {_failure_chain(exc)}", 1) from None


def _failure_chain(exc: BaseException) -> str:
    """What failed, down to the first cause: "Activity task failed" alone does not say which activity, nor why."""
    parts: list[str] = []
    cause = exc.cause if hasattr(exc, "cause") else exc.__cause__
    while cause is not None and len(parts) < 5:
        activity_type = getattr(cause, "activity_type", None)
        text = f"{cause}" + (f" ({activity_type})" if activity_type else "")
        if text not in parts:
            parts.append(text)
        cause = getattr(cause, "cause", None) or cause.__cause__
    return ": ".join(parts) or str(exc)
