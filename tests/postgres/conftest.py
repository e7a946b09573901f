"""The tests under tests/postgres run on a real PostgreSQL server (``pg_server``): one server per pytest process
(each pytest-xdist worker has its own, on a Unix socket in its own temporary directory) and a fresh database per
test, given to everything the test builds through ``DCCFLOW_DATABASE_URL`` (``dccflow.config.Settings``), so the
``stack`` fixture's Runtime, the CLI subprocesses a test starts and ``Settings().db_url`` all use it.

The test modules here import tests from tests/dcc, tests/fleet, tests/processes and tests/platform, so the same
test code runs on SQLite where it lives and on PostgreSQL here. Without PostgreSQL or psycopg these tests are
skipped, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from pg_server import PostgresServer, unavailable

from dccflow.db import dispose_engine

_TESTS = Path(__file__).resolve().parents[1]
for _folder in ("dcc", "fleet", "processes", "platform"):  # the imported tests' own helper modules (dcc_support, …)
    if str(_TESTS / _folder) not in sys.path:
        sys.path.insert(0, str(_TESTS / _folder))


@pytest.fixture(scope="session")
def postgres_server():
    reason = unavailable()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}", pytrace=False)
        pytest.skip(reason)
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the server; dropped after the test."""
    url = postgres_server.create_database()
    yield url
    dispose_engine(url)
    postgres_server.drop_database(url)


@pytest.fixture(autouse=True)
def database_on_postgres(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Autouse, so it is set before the test's other fixtures (``stack``) read the settings."""
    monkeypatch.setenv("DCCFLOW_DATABASE_URL", postgres_url)
    return postgres_url
