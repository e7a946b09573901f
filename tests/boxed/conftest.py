"""A ``zaz1_stack``: dccflow as ``dccflow up --pki zaz1`` runs it (``dccflow_app.boxed``), on a time-skipping
Temporal test server, its DCC's HTTP interface on a free loopback port, and a response endpoint of the test's own
for the ZAZ1 Supplier and Network Operator (what a DCC Boxed user configures)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from boxed_support import NETWORK_OPERATOR, SUPPLIER, ResponseEndpoint
from interop_tools import dcc_tool_jar

from dccflow.config import Settings
from dccflow_app.boxed import BoxedProfile
from dccflow_app.embedded import start_time_skipping
from dccflow_app.http_stack import LoopbackServer
from dccflow_app.runtime import register_search_attributes


class Zaz1Stack:
    def __init__(self, runtime, endpoint: ResponseEndpoint, http: httpx.AsyncClient):
        self.runtime = runtime
        self.endpoint = endpoint
        self.http = http

    @property
    def dcc_url(self) -> str:
        return self.runtime.http.dcc_server.url

    async def post(self, path: str, xml: bytes) -> httpx.Response:
        return await self.http.post(self.dcc_url + path, content=xml, headers={"Content-Type": "application/xml"})


@pytest.fixture
async def zaz1_stack(tmp_path: Path):
    endpoint = ResponseEndpoint()
    receiver = LoopbackServer(endpoint.app)
    await receiver.start()
    env = await start_time_skipping()
    try:
        await register_search_attributes(env.client)
        url = receiver.url + "/response"
        profile = BoxedProfile.load(dcc_tool_jar(), [f"{SUPPLIER}={url}", f"{NETWORK_OPERATOR}={url}"])
        settings = Settings(data_dir=tmp_path, http_host="127.0.0.1", dcc_http_port=0, user_http_port=0)
        runtime = profile.runtime(settings, env.client)
        async with runtime.serving(), httpx.AsyncClient(timeout=60) as http:
            profile.register_response_urls(runtime)
            yield Zaz1Stack(runtime, endpoint, http)
    finally:
        await env.shutdown()
        await receiver.stop()
        await asyncio.sleep(0)
