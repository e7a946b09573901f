"""The time-skipping test server's virtual clock, moved on in bounded steps.

With auto time skipping the server jumps to the next timer whenever it sees nothing running; once a scenario has
left long-lived timers (the DCC's, the processes after the install) such a jump can take the clock years on, past
the SMKI issuing CA's validity, and the Devices' Certification Path Validation (CS02b) then fails. With auto
skipping disabled the clock runs in real time instead, so a Device's 20-second SM HAN join
(``devices.catalogue.DEFAULT_JOIN_DELAY_SECONDS``) costs 20 real seconds. ``bounded_skips`` does neither: while the
work runs, the clock is moved on at most ``step`` at a time (``WorkflowEnvironment.sleep``: a timer due sooner
fires on the way, none further off), so the clock stays near where the work leaves it and the wait is short.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

T = TypeVar("T")

#: one skip at most: shorter than any timer the tests rely on not firing early (the DCC's join watch, the
#: Users' Service Response and alert waits are minutes)
STEP = timedelta(seconds=1)


async def bounded_skips(env, work: Awaitable[T], step: timedelta = STEP) -> T:
    """``work``'s result, the clock skipped at most ``step`` at a time while it runs (see the module docstring)."""
    task = asyncio.ensure_future(work)
    with env.auto_time_skipping_disabled():
        try:
            while not (await asyncio.wait([task], timeout=0.02))[0]:
                await env.sleep(step)  # returns at once when nothing runs; in real time while something does
        finally:
            task.cancel()
    return task.result()
