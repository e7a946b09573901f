"""The simulated DCC's pipeline and handlers on PostgreSQL: the same tests as on SQLite (tests/dcc): every check
of the Service Request pipeline with its rejections, anti-replay and retransmissions, Critical requests and their
Pre-Commands, joins, enrolment, future-dated requests and Registration Data look-ups."""

from rerun import rerun
from sqlalchemy.engine import make_url

rerun(globals(), "test_dcc_rejections", "test_dcc_critical", "test_dcc_join_and_configure", "test_dcc_enrolment",
      "test_dcc_group_commit", "test_dcc_prepared")
rerun(globals(), "test_dcc_future_dated_and_registration",
      only=("test_a_future_dated_request_is_held_until_its_execution_time",
            "test_a_user_no_longer_eligible_at_execution_gets_n7_and_nothing_is_sent"))


async def test_the_stack_runs_on_postgresql(stack, database_on_postgres):
    """What the tests above run on: the stack's one database is this test's PostgreSQL database."""
    assert stack.runtime.engine.dialect.name == "postgresql"
    assert stack.runtime.engine.url.database == make_url(database_on_postgres).database
