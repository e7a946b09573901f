"""The end-of-life processes' inputs as a scenario step builds them (``dccflow_app.scenarios.life_processes``): who
sends, which Devices, the replacement Devices' ids and the workflow ids from the business key. The processes
themselves run end to end in ``tests/scenarios/test_life_scenarios.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dccflow.parties import ELECTRICITY_DISTRIBUTOR, SUPPLIER
from dccflow_app.scenarios.durations import parse_duration
from dccflow_app.scenarios.life_processes import (
    decommission_input,
    meter_exchange_input,
    replace_ch_input,
    replacement_ids,
)
from dccflow_app.scenarios.processes import REGISTRY, FollowOnContext, FollowOnPremises
from dccflow_app.scenarios.scenario import FollowOn
from devices.premises import premises_ids
from workflows.decommission import decommission_workflow_id
from workflows.replace_communications_hub import replace_communications_hub_workflow_id

IDS = premises_ids(7)
A_IMPORT, A_GAS = SUPPLIER.user_ids.values()
ED = next(iter(ELECTRICITY_DISTRIBUTOR.user_ids.values()))


def _ctx(gas: bool = True) -> FollowOnContext:
    devices = {"CHF": IDS.chf_id, "GPF": IDS.gpf_id, "ESME": IDS.esme_id, "PPMID": IDS.ppmid_id}
    if gas:
        devices["GSME"] = IDS.gsme_id
    return FollowOnContext(premises=FollowOnPremises(premises_id=IDS.premises_id, devices=devices, mpan=IDS.mpan,
                                                     mprn=IDS.mprn if gas else None),
                           start=datetime(2026, 12, 1, tzinfo=UTC))


def _step(process: str, actor: str, step_id: str | None = None, **params) -> FollowOn:
    return FollowOn(step_id=step_id or process, process=process, at=parse_duration("10 days"), actor=actor,
                    params=params)


def test_the_replacement_ch_has_ids_no_premises_takes_and_the_same_ones_on_a_replay():
    new_chf, new_gpf = replacement_ids(IDS.chf_id)
    assert (new_chf, new_gpf) == replacement_ids(IDS.chf_id)
    # the same manufacturer and Device Type octets, the premises number with its top bit set (the harness numbers
    # premises from 1 up, so it never reaches 2**31)
    assert new_chf != IDS.chf_id and new_chf.split("-")[:4] == IDS.chf_id.split("-")[:4]
    assert new_gpf.split("-")[4:] == new_chf.split("-")[4:]
    assert new_chf.split("-")[4:] == ["80", "00", "00", "07"]


def test_a_replacement_by_the_import_supplier_moves_the_gsme_with_the_gas_suppliers_id():
    inp = replace_ch_input(_ctx(), _step("replace_communications_hub", "import_supplier"))
    assert (inp.old_chf_id, inp.old_gpf_id, inp.esme_id, inp.gsme_id) == (IDS.chf_id, IDS.gpf_id, IDS.esme_id,
                                                                          IDS.gsme_id)
    assert (inp.supplier_id, inp.gas_supplier_id) == (A_IMPORT, A_GAS)
    assert replace_communications_hub_workflow_id(inp) == f"replace-communications-hub-{IDS.chf_id}"
    electricity = replace_ch_input(_ctx(gas=False), _step("replace_communications_hub", "import_supplier",
                                                          new_ch_faults=["no-wan"], ch_return="no_fault"))
    assert (electricity.gsme_id, electricity.gas_supplier_id, electricity.new_ch_faults,
            electricity.ch_return) == (None, None, ["no-wan"], "no_fault")


def test_a_decommission_step_names_its_unjoins_by_device_type_and_sender_role():
    step = _step("decommission", "import_supplier", "remove_ppmid", device="ppmid", remove_from_chf=True,
                 unjoins=[{"srv": "8.8.1", "target": "esme", "other": "ppmid"},
                          {"srv": "8.8.2", "target": "gsme", "other": "ppmid", "by": "gas_supplier"}])
    inp = decommission_input(_ctx(), step)
    assert (inp.device_id, inp.device_type, inp.supplier_id, inp.chf_id, inp.gpf_id) == (
        IDS.ppmid_id, "PPMID", A_IMPORT, IDS.chf_id, None)
    assert [(u.srv, u.target, u.other, u.sender_id) for u in inp.unjoins] == [
        ("8.8.1", IDS.esme_id, IDS.ppmid_id, None), ("8.8.2", IDS.gsme_id, IDS.ppmid_id, A_GAS)]
    assert decommission_workflow_id(inp) == f"decommission-{IDS.ppmid_id}-remove_ppmid"


def test_a_chf_decommission_watches_the_h6_6_period_and_names_its_gpf():
    inp = decommission_input(_ctx(), _step("decommission", "electricity_distributor", device="chf",
                                           watch_orphans="29 days"))
    assert (inp.gpf_id, inp.h6_6_period, inp.supplier_id) == (IDS.gpf_id, timedelta(days=29), ED)
    assert decommission_workflow_id(inp) == f"decommission-{IDS.chf_id}"


def test_a_step_naming_a_device_the_premises_lacks_is_refused_by_name():
    ctx = _ctx(gas=False)
    with pytest.raises(ValueError, match="decommission: the premises has no GSME"):
        decommission_input(ctx, _step("decommission", "gas_supplier", device="gsme"))


def test_a_meter_exchange_gets_a_new_meter_id_on_the_same_ch_and_mpan():
    inp = meter_exchange_input(_ctx(), _step("meter_exchange", "import_supplier", device="esme"))
    assert (inp.chf_id, inp.old_meter_id, inp.mpxn, inp.supplier_id, inp.network_operator_id) == (
        IDS.chf_id, IDS.esme_id, IDS.mpan, A_IMPORT, ED)
    assert inp.new_meter_id.split("-")[:4] == IDS.esme_id.split("-")[:4]
    assert inp.new_meter_id.split("-")[4:] == replacement_ids(IDS.chf_id)[0].split("-")[4:] != IDS.esme_id.split(
        "-")[4:]


def test_every_end_of_life_process_is_in_the_registry():
    assert {"replace_communications_hub", "decommission", "meter_exchange", "device_reuse"} <= set(REGISTRY)


def _events(*ids: str) -> list:
    from dccflow.events import ProcessEvent
    from workflows.replace_communications_hub_steps import REPLACE_CH_STEPS

    at = datetime(2026, 12, 1, tzinfo=UTC)
    return [ProcessEvent(bpmn_id=s.bpmn_id, actor=s.actor, at=at, refs=list(s.refs), device_id=IDS.chf_id)
            for s in (REPLACE_CH_STEPS[i] for i in ids)]


def _order_verdicts(events: list) -> dict[str, list[str]]:
    from dccflow.audit import DccRecords, evaluate
    from dccflow.domain.obligations_life import BY_ID

    rows = evaluate(events, [], DccRecords(), [BY_ID["ch-replace-order-c"], BY_ID["ch-replace-order-d"]])
    out: dict[str, list[str]] = {}
    for v in rows:
        out.setdefault(v.obligation, []).append(v.verdict)
    return out


def test_the_audit_judges_the_ab_10_1_order_the_dcc_does_not_enforce():
    """Digest 04 §B.4: (a), (b) before (c); (c) before (d) — an 8.3 of the old CHF before the GSME moved is accepted
    by the DCC, and only the audit flags it (scenario idea 5)."""
    in_order = _events("start_replace_ch", "restore_han_device_log", "restore_gpf_device_log",
                       "unjoin_gsme_from_old_gpf", "join_gsme_to_new_gpf", "decommission_old_ch")
    assert _order_verdicts(in_order) == {"ch-replace-order-c": ["met"], "ch-replace-order-d": ["met"]}
    early_8_3 = _events("start_replace_ch", "restore_han_device_log", "restore_gpf_device_log",
                        "decommission_old_ch", "unjoin_gsme_from_old_gpf", "join_gsme_to_new_gpf")
    assert _order_verdicts(early_8_3) == {"ch-replace-order-c": ["met"], "ch-replace-order-d": ["breached"]}
    join_first = _events("start_replace_ch", "restore_han_device_log", "join_gsme_to_new_gpf",
                         "restore_gpf_device_log", "decommission_old_ch")
    assert _order_verdicts(join_first) == {"ch-replace-order-c": ["breached"], "ch-replace-order-d": ["met"]}
    electricity = _events("start_replace_ch", "restore_han_device_log", "restore_gpf_device_log",
                          "decommission_old_ch")
    assert _order_verdicts(electricity) == {"ch-replace-order-c": ["not applicable"], "ch-replace-order-d": ["met"]}
