"""Choosing the transport, and the embedded HTTP servers' life cycle."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from dccflow.config import Settings
from dccflow_app.http_stack import LoopbackServer, base_url


def test_transport_and_ports_come_from_the_environment(monkeypatch, tmp_path):
    assert Settings(data_dir=tmp_path).dcc_transport == "inprocess"  # the default
    monkeypatch.setenv("DCCFLOW_DCC_TRANSPORT", "http")
    monkeypatch.setenv("DCCFLOW_DCC_HTTP_PORT", "9001")
    monkeypatch.setenv("DCCFLOW_USER_HTTP_PORT", "0")
    settings = Settings(data_dir=tmp_path)
    assert (settings.dcc_transport, settings.http_host, settings.dcc_http_port, settings.user_http_port) == (
        "http", "127.0.0.1", 9001, 0)
    monkeypatch.setenv("DCCFLOW_DCC_TRANSPORT", "carrier-pigeon")
    with pytest.raises(ValidationError, match="inprocess"):
        Settings(data_dir=tmp_path)


def test_wildcard_binds_are_reached_on_loopback():
    assert base_url("0.0.0.0", 80) == "http://127.0.0.1:80"
    assert base_url("::1", 81) == "http://[::1]:81"


async def test_server_serves_on_loopback_until_stopped():
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict:
        return {"pong": True}

    server = LoopbackServer(app)
    await server.start()
    url = server.url
    assert url.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/ping")).json() == {"pong": True}
    assert server.requests_served == 1
    await server.stop()
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/ping")


async def test_a_port_in_use_is_an_os_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            await LoopbackServer(FastAPI(), port=taken.getsockname()[1]).start()
