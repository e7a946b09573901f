"""The one campaign mechanism's rules (``workflows.campaign_model``), without a server: waves (the last size
repeating), the halt above the threshold (not after the last wave), the flags' parsing, and a rollover state carried
across continue-as-new by the rollover before it ran on the generic campaign."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflows.campaign_model import (
    CampaignCore,
    CampaignSettings,
    ItemFailure,
    advance_waves,
    parse_rate,
    parse_waves,
    record,
    start_item,
)
from workflows.org_cert_rollover_model import CampaignState

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _run_wave(st: CampaignCore, failing: set[str]) -> list[str]:
    advance_waves(st, NOW)
    started = []
    while (item := start_item(st)) is not None:
        started.append(item)
    for item in started:
        record(st, item, ItemFailure(item=item, reason="x", at=NOW) if item in failing else None)
    advance_waves(st, NOW)
    return started


def test_waves_take_the_sizes_given_the_last_repeating_and_a_bad_wave_halts_before_the_next():
    st = CampaignCore(inp=CampaignSettings(waves=[1, 2], halt_above=0.4), campaign_id="c",
                      pending=[f"d{i}" for i in range(7)])
    assert _run_wave(st, set()) == ["d0"]
    assert _run_wave(st, set()) == ["d1", "d2"]
    assert _run_wave(st, {"d3"}) == ["d3", "d4"]  # 1 of 2 failed: 50% > 40%
    assert st.halted == "wave 3: 1 of 2 failed (50.0%), above 40.0%" and st.paused and not st.wave_open
    assert start_item(st) is None and advance_waves(st, NOW) == (None, None)  # nothing starts while halted
    st.paused, st.halted = False, None  # resume
    assert _run_wave(st, {"d5", "d6"}) == ["d5", "d6"]  # the last wave: nothing left to protect, no halt
    assert st.halted is None and [w.size for w in st.waves] == [1, 2, 2, 2]
    assert st.last_halt.startswith("wave 3")


def test_no_waves_given_is_one_wave_of_everything_within_the_concurrency():
    st = CampaignCore(inp=CampaignSettings(concurrency=2), campaign_id="c", pending=["a", "b", "c"])
    advance_waves(st, NOW)
    assert (st.wave, st.wave_size) == (1, 3)
    assert [start_item(st), start_item(st), start_item(st)] == ["a", "b", None]  # 2 in flight at most


@pytest.mark.parametrize(("text", "value"), [("2%", 0.02), ("0.05", 0.05), ("150%", None), ("two", None)])
def test_rates(text, value):
    if value is None:
        with pytest.raises(ValueError):
            parse_rate(text)
    else:
        assert parse_rate(text) == pytest.approx(value)


def test_waves_text():
    assert parse_waves("1,10,100") == [1, 10, 100]
    for bad in ("", "0,5", "1,a"):
        with pytest.raises(ValueError):
            parse_waves(bad)


def test_a_rollover_state_from_before_the_generic_campaign_is_read_as_its_state():
    old = {"inp": {"supplier_id": "s", "concurrency": 2}, "campaign_id": "c", "phase": "rolling", "pending": ["d3"],
           "in_flight": [], "replaced": ["d1"], "runs": 2,
           "failed": [{"device_id": "d2", "outcome": "failed", "reason": "E5", "at": NOW.isoformat()}]}
    st = CampaignState.model_validate(old)
    assert (st.succeeded, [(f.item, f.reason) for f in st.failed], st.pending, st.runs) == (
        ["d1"], [("d2", "E5")], ["d3"], 2)
