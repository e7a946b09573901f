"""Time as the simulation sees it.

Workflows use ``workflow.now()``. Activities use the time the server scheduled their current attempt, which
is the same (possibly skipped) clock, so the DCC's timestamps and deadlines agree with the workflows' under
the time-skipping test server as in production.
"""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio import activity

from dccflow.moments import as_utc


def activity_now() -> datetime:
    if activity.in_activity():
        scheduled = activity.info().current_attempt_scheduled_time
        if scheduled is not None:
            return as_utc(scheduled)
    return datetime.now(UTC)
