"""Post Commissioning Obligations (BAD 7.2.3) for the GSME and the GPF, and completed late (day 9), as catalogued
scenarios on the time-skipping server; AC 5.13 judged as the Supplier's duty from the DCC's records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from process_support import assert_valid_and_signed, run_messages
from sqlmodel import select

from dccflow.audit import evaluate
from dccflow.audit_records import DccRecords, DeviceRec, DutyRec, PcInfoRec, RequestRec, SmiChangeRec
from dccflow.db import session_scope
from dccflow.events import ProcessEvent
from dccflow_app.scenarios.runner import run_scenario
from dccsim.post_commissioning import PostCommissioningInfo


def _at(report, bpmn_id, device_id=None):
    return next(e.at for e in report.events if e.bpmn_id == bpmn_id and device_id in (None, e.device_id))


def _verdicts(report, obligation, device_id=None):
    return [v for v in report.regulation if v.obligation == obligation and device_id in (None, v.device_id)]


async def test_gsme_and_gpf_meet_their_obligations_with_the_gpf_network_operator_cell(stack):
    report = await run_scenario(stack.client, "post-commissioning-dual-fuel")
    assert report.expected_end_reached, report.differences
    ids = {d.device_type: d.device_id for d in report.devices}
    assert {pc.device_id: pc.outcome for pc in report.post_commissioning} == {
        ids["ESME"]: "met", ids["GSME"]: "met", ids["GPF"]: "met"}
    gpf = ids["GPF"]
    gpf_steps = [e.bpmn_id for e in report.events if e.device_id == gpf and e.at >= _at(report, "join_gsme_to_gpf")]
    # the Supplier cell first (the DCC's ACB certificate, Table 4 (b)), then the keys, then the NO cell (6.21)
    assert gpf_steps[gpf_steps.index("request_handover_supplier_cell"):] == [
        "request_handover_supplier_cell", "issue_security_credentials", "obtain_device_certificate",
        "update_security_credentials_device", "update_network_operator_certificate", "end_post_commissioning_met"]
    assert "replace_organisation_certificate" not in gpf_steps  # AC 5.2(c): Smart Meters only
    # the DCC recorded each step (AC 5.4), for the GPF the Gas Transporter's certificate in the NO cell (5.2(a))
    with session_scope(stack.runtime.engine) as s:
        info = {r.device_id: r for r in s.exec(select(PostCommissioningInfo))}
    assert info[gpf].network_operator_cell_at is not None and info[gpf].keys_regenerated_at is not None
    assert info[ids["GSME"]].organisation_certificate_replaced_at is not None
    for device in (ids["ESME"], ids["GSME"], gpf):
        (v,) = _verdicts(report, "device-post-commissioning", device)
        assert v.verdict == "met" and v.actual <= v.due
        (r,) = _verdicts(report, "supplier-restriction", device)
        assert r.verdict == "not applicable"
    # the DCC's own duties (AC 5.1 for the CHF; AC 5.3 for the CHF, the GPF and both meters), done at once
    (chf_keys,) = _verdicts(report, "chf-post-commissioning")
    assert (chf_keys.verdict, chf_keys.device_id) == ("met", ids["CHF"]) and "CS02c" in chf_keys.detail
    recovery = {v.device_id: v for v in _verdicts(report, "recovery-cell-interrogation")}
    assert set(recovery) == {ids["CHF"], ids["GPF"], ids["ESME"], ids["GSME"]}
    assert all(v.verdict == "met" and v.actual <= v.due and "DCC Recovery Certificate" in v.detail
               for v in recovery.values())
    (incident,) = _verdicts(report, "chf-incident")
    assert incident.verdict == "not applicable"
    # AC 5.2(a) on the DCC's records: the ESME's Network Operator cell seen holding the Distributor's certificate
    # by the DCC's interrogation at commissioning; the GPF's once the Gas Supplier handed it over (6.21, day 2)
    no_cell = {v.device_id: v for v in _verdicts(report, "network-operator-credentials")}
    assert set(no_cell) == {ids["ESME"], gpf} and all(v.verdict == "met" for v in no_cell.values())
    assert no_cell[ids["ESME"]].actual - _at(report, "commission_device") < timedelta(days=1)
    assert timedelta(days=2) <= no_cell[gpf].actual - _at(report, "join_gsme_to_gpf") < timedelta(days=3)
    # every DUIS message (the GPF's 6.21 handovers, 6.17, 6.15.2 and their responses included): schema-valid, and
    # its signature verified by signxml and by DCC's own signing tool
    assert_valid_and_signed(run_messages(stack.runtime.engine), stack.runtime.smki)


async def test_steps_completed_on_day_9_breach_ac_5_2_and_restrict_the_supplier_from_day_7(stack):
    report = await run_scenario(stack.client, "post-commissioning-late")
    assert report.expected_end_reached, report.differences
    (pc,) = report.post_commissioning
    assert (pc.outcome, pc.end) == ("not met", "end_post_commissioning_not_met")
    commissioned = _at(report, "commission_device")
    assert timedelta(days=7) <= _at(report, "post_commissioning_overdue") - commissioned < timedelta(days=8)
    done = _at(report, "replace_organisation_certificate")
    assert timedelta(days=9) <= done - commissioned < timedelta(days=10)
    assert "restricted_after_14_days" not in [e.bpmn_id for e in report.events]  # done before day 14
    (v,) = _verdicts(report, "device-post-commissioning")
    assert v.verdict == "breached" and v.actual > v.due and v.due - commissioned <= timedelta(days=7)
    (r,) = _verdicts(report, "supplier-restriction")
    assert r.verdict == "met" and r.due - commissioned <= timedelta(days=7) and "restricted from" in r.detail


# -- the AC 5.13 check on the DCC's records --------------------------------------------------------------------
T0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
_STEPS = {"ESME": ["keys_regenerated", "device_certificate_stored", "organisation_certificate_replaced"],
          "GSME": ["keys_regenerated", "device_certificate_stored", "organisation_certificate_replaced"],
          "GPF": ["keys_regenerated", "device_certificate_stored"]}


def _records(pc: PcInfoRec, *requests: RequestRec) -> DccRecords:
    return DccRecords(devices=[DeviceRec(device_id="GPF1", device_type="GPF", responsible_supplier="GS")],
                      smi_changes=[SmiChangeRec(device_id="GPF1", from_status="installed not commissioned",
                                                to_status="commissioned", at=T0)],
                      pc_info=[pc], requests=list(requests), exempt_srvs=["6.17", "6.15.2", "6.21"],
                      restricting_steps=_STEPS)


def _restriction(records: DccRecords, end: datetime):
    events = [ProcessEvent(bpmn_id="start_post_commissioning", actor="Supplier", at=T0, refs=["BAD 7.2.3.4"],
                           device_id="GPF1"),
              ProcessEvent(bpmn_id="x", actor="Supplier", at=end, refs=["BAD 7.2.3"], device_id="GPF1")]
    (v,) = [v for v in evaluate(events, [], records) if v.obligation == "supplier-restriction"]
    return v


def test_the_gpf_network_operator_cell_does_not_restrict_the_supplier():
    """AC 5.13(a) names 5.2(b) (and 5.2(c) for Smart Meters) only: a GPF whose keys and certificates were done on
    day 2 but whose NO cell (5.2(a)) never was does not restrict its Supplier's requests on day 10."""
    read = RequestRec(request_id="r1", originator="GS", target="GPF1", srv="4.1.1", at=T0 + timedelta(days=10))
    keys_done = PcInfoRec(device_id="GPF1", keys_regenerated_at=T0 + timedelta(days=2),
                          device_certificate_stored_at=T0 + timedelta(days=2), network_operator_cell_at=None)
    assert _restriction(_records(keys_done, read), T0 + timedelta(days=11)).verdict == "not applicable"
    # keys not regenerated by day 7: the same request breaches AC 5.13
    no_keys = PcInfoRec(device_id="GPF1", network_operator_cell_at=T0 + timedelta(days=1))
    v = _restriction(_records(no_keys, read), T0 + timedelta(days=11))
    assert v.verdict == "breached" and v.due == T0 + timedelta(days=7) and "SRV 4.1.1" in v.detail
    # an exempt request (completing the steps, AC 5.13(i)) is no breach; the run ending by day 7 is not assessed
    exempt = RequestRec(request_id="r2", originator="GS", target="GPF1", srv="6.17", at=T0 + timedelta(days=10))
    assert _restriction(_records(no_keys, exempt), T0 + timedelta(days=11)).verdict == "met"
    assert _restriction(_records(no_keys, read), T0 + timedelta(days=3)).verdict == "not assessed"


def test_a_failed_dcc_interrogation_restricts_the_supplier_from_day_14_unless_it_interrogated():
    """AC 5.13(b): the DCC failed its AC 5.3 interrogation and the Supplier did not interrogate (6.24.x) within
    14 days: from day 14 its other requests are restricted, even with the 5.2(b) steps done."""
    keys_done = PcInfoRec(device_id="GPF1", keys_regenerated_at=T0 + timedelta(days=2),
                          device_certificate_stored_at=T0 + timedelta(days=2))
    failed = DutyRec(device_id="GPF1", duty="recovery-interrogation", commissioned_at=T0, due=T0 + timedelta(days=7),
                     outcome="overdue", attempts=7)
    day_15 = RequestRec(request_id="r1", originator="GS", target="GPF1", srv="4.1.1", at=T0 + timedelta(days=15))
    records = _records(keys_done, day_15)
    records.dcc_duties = [failed]
    v = _restriction(records, T0 + timedelta(days=16))
    assert v.verdict == "breached" and v.due == T0 + timedelta(days=14) and "AC 5.13(b)" in v.detail
    # the Supplier's own interrogation on day 10 lifts it
    own = RequestRec(request_id="r0", originator="GS", target="GPF1", srv="6.24.2", at=T0 + timedelta(days=10))
    records.requests = [own, day_15]
    assert _restriction(records, T0 + timedelta(days=16)).verdict == "not applicable"
