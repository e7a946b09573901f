"""Shared fixtures: a fresh time-skipping Temporal test server and a fresh dccflow stack per test."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from dccflow.config import Settings
from dccflow_app.embedded import start_time_skipping
from dccflow_app.runtime import Runtime, register_search_attributes


class Stack:
    def __init__(self, env, runtime: Runtime):
        self.env = env
        self.client = env.client
        self.runtime = runtime


@pytest.fixture
async def stack(tmp_path: Path):
    env = await start_time_skipping()
    try:
        await register_search_attributes(env.client)
        runtime = Runtime(Settings(data_dir=tmp_path), env.client)
        async with contextlib.AsyncExitStack() as es:
            for w in runtime.workers():
                await es.enter_async_context(w)
            yield Stack(env, runtime)
    finally:
        await env.shutdown()
        await asyncio.sleep(0)
