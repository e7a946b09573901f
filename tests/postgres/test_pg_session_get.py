"""``dccflow.session.Session.get`` on PostgreSQL: the same tests as on SQLite (tests/platform/test_session_get.py),
on the fresh database ``database_on_postgres`` gives each test."""

import pytest
from rerun import rerun

rerun(globals(), "test_session_get")


@pytest.fixture
def db_url(database_on_postgres: str) -> str:
    return database_on_postgres
