"""Every DUIS message of the processes after the install — Change of Supplier (6.23 via the CoS Party, 3.4, the
Critical 1.1.1), CH replacement (8.12.1/8.12.2, 8.8.2, 8.3, 8.14.3), decommission and firmware (11.1, 11.3, 11.2)
— validates against the DUIS 5.4 schema, and its signature verifies in signxml and in DCC's own signing tool."""

from __future__ import annotations

import pytest
from process_support import assert_valid_and_signed, run_messages

from dccflow_app.scenarios.runner import run_scenario


@pytest.mark.parametrize("scenario", ["cos-dual-fuel", "ch-replace-dual-fuel", "firmware-upgrade-esme",
                                      "firmware-activation-cancelled", "firmware-download-stalls"])
async def test_every_duis_message_of_the_run_is_schema_valid_and_verifies_independently(stack, scenario):
    report = await run_scenario(stack.client, scenario)
    assert report.expected_end_reached, report.differences
    messages = run_messages(stack.runtime.engine)
    assert len(messages) > 20
    assert_valid_and_signed(messages, stack.runtime.smki)
