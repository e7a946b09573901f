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


# ----------------------------------------------------------------------------- the SDK's workflow deadlock detector
# The Python SDK fails a workflow task whose activation has not yielded within 2 s ("[TMPRL1101] Potential deadlock
# detected") and interrupts its thread. With two test workers a core (below), a garbage collection of a worker's heap
# in a starved process once took longer than that: the activation was stopped in a weakref callback, and every later
# task of that run timed out, so the time-skipping server never skipped again and the test hung (a 7-day
# post-commissioning watch that could not start its timers). Under test the detector waits 15 s: a real deadlock is
# still reported, a busy machine's pause is not taken for one. Production workers keep the SDK's 2 s.
TEST_DEADLOCK_SECONDS = 15


def _patient_deadlock_detector() -> None:
    from temporalio.worker import _workflow as sdk_workflow

    init = sdk_workflow._WorkflowWorker.__init__
    if getattr(init, "_dccflow_patient", False):
        return

    def patient_init(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        if self._deadlock_timeout_seconds is not None:
            self._deadlock_timeout_seconds = TEST_DEADLOCK_SECONDS

    patient_init._dccflow_patient = True
    sdk_workflow._WorkflowWorker.__init__ = patient_init


_patient_deadlock_detector()


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
