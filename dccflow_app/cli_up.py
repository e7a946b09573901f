"""``dccflow up``: the embedded stack in the foreground (Temporal dev server with its Web UI, the workers, the DCC),
refusing to start on a port in use or with an unusable configuration."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Annotated

import typer

from dccflow.cli_output import console, error_line


def up(
    data_dir: Annotated[Path | None, typer.Option(
        help="where Temporal's SQLite file and dccflow's database live (default: $DCCFLOW_DATA_DIR or .dccflow)",
    )] = None,
    port: Annotated[int, typer.Option(help="Temporal frontend port")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Temporal Web UI port")] = 8233,
    pki: Annotated[str, typer.Option(help="'generated' (dccflow's own SMKI) or 'zaz1' (DCC Boxed's published "
                                          "test PKI: dccflow in place of DCC Boxed, dccflow_app.boxed)")] = "generated",
    dcc_port: Annotated[int | None, typer.Option(help="serve the DCC's HTTP interface on this loopback port "
                                                      "(default $DCCFLOW_DCC_HTTP_PORT or 8480)")] = None,
    response_url: Annotated[list[str] | None, typer.Option(
        help="with --pki zaz1: USER_ID=URL, where the DCC POSTs that User's responses and alerts (repeatable)")] = None,
    tool_jar: Annotated[Path | None, typer.Option(
        help="with --pki zaz1: DCC's signing tool (tool.jar of @smartdcc/duis-sign-wrap), which carries the ZAZ1 "
             "certificates (default $DCCFLOW_DCC_SIGNING_TOOL, then the interop tests' cache)")] = None,
) -> None:
    """Start the embedded stack in the foreground: Temporal dev server (SQLite, Web UI), workers, DCC.
    Exit 2 with one line if the configuration is unusable or a port is in use."""
    from dccflow.config import ConfigurationError
    from dccflow_app.preflight import ServerProblem

    try:
        from dccflow_app.boxed import pki_profile

        profile = pki_profile(pki, response_url or [], tool_jar)
        code = asyncio.run(_up((data_dir or Path(os.environ.get("DCCFLOW_DATA_DIR", ".dccflow"))).resolve(),
                               port, ui_port, profile, dcc_port))
    except (ConfigurationError, ServerProblem) as exc:
        error_line(exc)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


async def _up(data_dir: Path, port: int, ui_port: int, profile=None, dcc_port: int | None = None) -> int:
    from dccflow.config import Settings, check_configuration
    from dccflow_app.boxed import BoxedProfile
    from dccflow_app.codec_server import start_codec_endpoint
    from dccflow_app.embedded import start_dev_server
    from dccflow_app.preflight import check_ports_free
    from dccflow_app.worker import run_workers

    settings = Settings(data_dir=data_dir)
    if profile is not None or dcc_port is not None:  # the DCC's HTTP interface is served
        settings = BoxedProfile.settings(settings, dcc_port)
    check_configuration(settings)  # once, before any server or worker starts
    # every port this command serves on is free, or nothing starts (never attach to another stack's server)
    check_ports_free([("Temporal frontend (gRPC), --port", port), ("Temporal Web UI, --ui-port", ui_port),
                      ("Web UI codec endpoint, --ui-port + 1", ui_port + 1)])
    if settings.dcc_transport == "http":
        check_ports_free([("DCC User Interface, DCCFLOW_DCC_HTTP_PORT", settings.dcc_http_port),
                          ("Users' receiving endpoint, DCCFLOW_USER_HTTP_PORT", settings.user_http_port)],
                         host=settings.http_host)
    codec = await start_codec_endpoint(data_dir, ui_port)  # the Web UI shows encrypted payloads through it
    try:
        env = await start_dev_server(data_dir, port=port, ui_port=ui_port, codec_endpoint=codec.url)
    except BaseException:
        await codec.stop()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    console.print(f"Temporal at 127.0.0.1:{port}; Web UI http://127.0.0.1:{ui_port}; data in {data_dir}")
    console.print(f"Run a scenario against it: dccflow run install-commission-electricity --address 127.0.0.1:{port}")
    watch = asyncio.ensure_future(_watch_server(port, stop))
    try:
        if profile is not None:
            console.print(f"DCC Boxed's interface (ZAZ1 PKI) at http://{settings.http_host}:{settings.dcc_http_port}"
                          "/api/v1/serviceD, serviceS, serviceT")
        await (profile.run_workers if profile is not None else run_workers)(env.client, settings, stop)
    finally:
        watch.cancel()
        await env.shutdown()
        await codec.stop()
    if watch.done() and not watch.cancelled() and watch.result() is not None:
        error_line(watch.result())
        return 1
    return 0


async def _watch_server(port: int, stop: asyncio.Event, every: float = 5) -> str | None:
    """Stop the workers if the Temporal server this command started is gone: they must never go on with a
    server another command starts on the port later."""
    from dccflow_app.preflight import ServerProblem, check_server_is_ours

    while not stop.is_set():
        await asyncio.sleep(every)
        try:
            check_server_is_ours(port)
        except ServerProblem:
            stop.set()
            return f"the Temporal server on port {port} has stopped; the workers stopped with it"
    return None
