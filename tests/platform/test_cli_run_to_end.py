"""`dccflow run`'s event loop ends even when a task refuses to stop (dccflow_app.cli._run_to_end): the command, or a
test running it under CliRunner, must not hang once the run's result is in or a timeout has fired."""

from __future__ import annotations

import asyncio

from dccflow_app import cli


async def _refuses_to_stop() -> None:
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            continue  # a stop that never completes (the hang seen once: a worker's shutdown ignoring cancellation)


def test_a_task_ignoring_cancellation_does_not_hang_the_end_of_the_run(monkeypatch):
    monkeypatch.setattr(cli, "SHUTDOWN_GRACE_SECONDS", 0.2)
    stopped_cleanly: list[str] = []

    async def polite() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            stopped_cleanly.append("polite")

    async def command() -> int:
        asyncio.ensure_future(_refuses_to_stop())
        asyncio.ensure_future(polite())
        await asyncio.sleep(0)
        return 7

    assert cli._run_to_end(command()) == 7
    assert stopped_cleanly == ["polite"]  # a task that does stop is cancelled and runs its clean-up


def test_an_error_of_the_command_still_surfaces(monkeypatch):
    monkeypatch.setattr(cli, "SHUTDOWN_GRACE_SECONDS", 0.2)

    async def command() -> int:
        asyncio.ensure_future(_refuses_to_stop())
        await asyncio.sleep(0)
        raise ValueError("bad input")

    try:
        cli._run_to_end(command())
    except ValueError as exc:
        assert str(exc) == "bad input"
    else:
        raise AssertionError("the command's error was swallowed")
