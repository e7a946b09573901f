"""An ``http_stack``: the ``stack`` of tests/conftest.py, but with ``DCCFLOW_DCC_TRANSPORT=http``: the DCC User
Interface and the Users' receiving endpoint are served by uvicorn on 127.0.0.1 (ephemeral ports) inside this
process, and the User side and the DCC reach each other only through them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dccflow.config import Settings
from dccflow_app.embedded import start_time_skipping
from dccflow_app.runtime import Runtime, register_search_attributes


class HttpStack:
    def __init__(self, env, runtime: Runtime):
        self.env = env
        self.client = env.client
        self.runtime = runtime

    @property
    def dcc_url(self) -> str:
        return self.runtime.http.dcc_server.url

    @property
    def user_url(self) -> str:
        return self.runtime.http.user_server.url


@pytest.fixture
async def http_stack(tmp_path: Path):
    env = await start_time_skipping()
    try:
        await register_search_attributes(env.client)
        settings = Settings(data_dir=tmp_path, dcc_transport="http", http_host="127.0.0.1",
                            dcc_http_port=0, user_http_port=0)
        runtime = Runtime(settings, env.client)
        async with runtime.serving():
            yield HttpStack(env, runtime)
    finally:
        await env.shutdown()
        await asyncio.sleep(0)
