"""Recorded histories replay against the current workflow code: a change that would break running
workflows fails here (use ``workflow.patched`` for such changes, then re-record)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from dccflow_app.runtime import WORKFLOWS

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))


def test_histories_are_recorded():
    assert {p.stem for p in HISTORIES} >= {"install_commission_happy", "install_commission_join_timeout",
                                            "install_commission_no_wan", "install_commission_dual_fuel",
                                            "post_commissioning_missed", "install_and_leave_wan_after_3_days",
                                            "install_and_leave_dual_fuel", "install_and_leave_handover",
                                            "change_of_supplier_partial_cell_failure",
                                            "change_of_supplier_future_dated_n26"}
    # the DCC's per-request workflow, before and after its steps became local activities ("dcc-local-steps")
    assert {p.stem for p in HISTORIES} >= {f"dcc_service_request_{srv}_{when}" for srv in ("8_11", "8_1_1", "6_20_1")
                                            for when in ("before_local_steps", "local_steps")}


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_replay(path: Path):
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    # every system's workflows: the Users' processes and the DCC's own (``dccsim.workflows``)
    replayer = Replayer(workflows=[cls for classes in WORKFLOWS.values() for cls in classes],
                        data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
