"""``dccflow.db.HeldConnection`` on PostgreSQL: the same tests as on SQLite (tests/platform/test_db_held_connection.py),
on the fresh database ``database_on_postgres`` gives each test."""

import pytest
from rerun import rerun

rerun(globals(), "test_db_held_connection")


@pytest.fixture
def db_url(database_on_postgres: str) -> str:
    return database_on_postgres
