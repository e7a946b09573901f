"""Shared fixtures: a fresh time-skipping Temporal test server and a fresh dccflow stack per test; and how the
tests are shared out among pytest-xdist's workers (``pytest -n``)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
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


# ------------------------------------------------------------------------------------------------ pytest-xdist
# ``pytest -n auto``: every test is safe beside any other. Each ``stack`` has a time-skipping server of its own on a
# port the SDK picks and its state in its own tmp_path; the servers tests start themselves are on free ports; DCC's
# signing tool is fetched into its cache under a lock (tests/interop_tools.py).

_WIDER_FIXTURE = re.compile(r"""scope\s*=\s*["'](?:module|class|package)["']""")
_REAL_TIME = ("start_dev_server(", "start_local(", "_start_worker(")


@functools.cache
def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _shares_a_fixture(test_file: Path, root: Path) -> bool:
    """The file, or a conftest.py on its way up, defines a fixture made once for a module (or class) of tests."""
    conftests = [d / "conftest.py" for d in test_file.parents if d.is_relative_to(root)]
    return any(_WIDER_FIXTURE.search(_source(f)) for f in (test_file, *conftests))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers a core. The tests mostly wait (on Temporal servers, workers polling, subprocesses),
    so a core keeps two busy."""
    return 2 * (os.cpu_count() or 1)


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # before xdist's own
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``-n`` with xdist's default ``--dist load``: each test goes on its own to whichever worker is free, except
    that the tests of a file sharing a module- or class-scoped fixture (a built wheel, a scenario run on the dev
    server) go together, so it is made once (xdist's ``loadgroup`` would do this, but its marks are lost on pytest
    9.2: pytest-dev/pytest-xdist#1386). The files that start the real-time dev server (the longest tests) go out
    first, then those sharing a fixture, then the rest in order."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    root = config.rootpath

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            test_file = nodeid.split("::", 1)[0]
            return test_file if _shares_a_fixture(root / test_file, root) else nodeid

        def _assign_work_unit(self, node) -> None:
            if not getattr(self, "_ranked", False):  # the first: real-time files, then shared fixtures, then the rest
                self._ranked = True
                ranked = sorted(self.workqueue.items(), key=lambda unit: (
                    not any(marker in _source(root / unit[0].split("::", 1)[0]) for marker in _REAL_TIME),
                    len(unit[1]) == 1))
                self.workqueue.clear()
                self.workqueue.update(ranked)
            super()._assign_work_unit(node)

    return SharedFixtureScheduling(config, log)
