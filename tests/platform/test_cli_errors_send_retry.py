"""The User's send retry policy is bounded (issue 11): a DCC that keeps answering HTTP 503 gets the request a
fixed number of times, then the process ends in its failure branch naming the fault — not resent forever."""

from __future__ import annotations

import asyncio

from activities.http_transport import DccUnavailable
from dccflow_app.scenarios.runner import run_scenario
from workflows.base import SEND_MAX_ATTEMPTS


class AlwaysUnavailable:
    """A DCC User Interface that never accepts anything (every attempt: HTTP 503)."""

    def __init__(self) -> None:
        self.attempts = 0

    async def submit(self, xml: bytes, at):
        self.attempts += 1
        raise DccUnavailable("the DCC answered HTTP 503: Service Unavailable")


async def test_a_permanently_unavailable_dcc_ends_the_process_in_its_failure_branch(stack):
    transport = AlwaysUnavailable()
    stack.runtime.duis_client.transport = transport
    report = await asyncio.wait_for(run_scenario(stack.client, "install-commission-electricity"), 120)
    assert report.result == "failed" and report.end == "end_service_request_failed"
    assert not report.expected_end_reached
    assert f"after {SEND_MAX_ATTEMPTS} attempts" in report.reason and "HTTP 503" in report.reason
    assert report.reason.startswith("SRV 8.14.1")  # the first request of Install and Commission (BAD 7.2.1.6.4)
    assert transport.attempts == SEND_MAX_ATTEMPTS == 10
