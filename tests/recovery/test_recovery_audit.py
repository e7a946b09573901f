"""The obligations audit judges the SMKI Recovery rows (digest 05 §D.10; ``dccflow.audit_recovery``) from the drill's
steps and the DCC's records: met with the evidence, breached when the evidence is missing, not applicable for another
method's rows or a stage the drill never reached, not assessed for what the simulation cannot show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dccflow.audit import evaluate
from dccflow.audit_records import AlertRec, DccRecords, DeviceRec, SmiChangeRec
from dccflow.domain.recovery_obligations import RECOVERY_REGISTER
from dccflow.events import ProcessEvent
from workflows.smki_recovery_steps import SMKI_RECOVERY_STEPS

T0 = datetime(2026, 1, 5, tzinfo=UTC)
ESME = "00-DB-12-03-00-00-00-01"
STEPS = {s.bpmn_id: s for s in SMKI_RECOVERY_STEPS}


def _event(bpmn_id: str, hours: float, detail: str = "", device_id: str | None = None) -> ProcessEvent:
    step = STEPS[bpmn_id]
    return ProcessEvent(bpmn_id=bpmn_id, actor=step.actor, at=T0 + timedelta(hours=hours), refs=list(step.refs),
                        detail=detail, device_id=device_id)


def _method2(*, commands_before_approval: bool = False) -> list[ProcessEvent]:
    approved = 30
    return [_event("compromise_notified", 0), _event("incident_raised", 0), _event("compromise_confirmed", 2),
            _event("responsible_suppliers_informed", 2), _event("method_chosen", 2, "method-2: DCC installs ACB"),
            _event("ocnf_submitted", 2), _event("devices_to_recovery", 2),
            _event("recovery_commands_sent", 10 if commands_before_approval else 40, device_id=ESME),
            _event("pma_approved", approved), _event("device_recovered", 41, device_id=ESME),
            _event("recovery_complete", 70), _event("end_recovered", 70)]


def _records(*, alert: bool) -> DccRecords:
    return DccRecords(
        devices=[DeviceRec(device_id=ESME, device_type="ESME", smi_status="recovered")],
        smi_changes=[SmiChangeRec(device_id=ESME, from_status="commissioned", to_status="recovery", at=T0),
                     SmiChangeRec(device_id=ESME, from_status="recovery", to_status="recovered",
                                  at=T0 + timedelta(hours=41))],
        alerts=[AlertRec(code="N44", device_id=ESME, recipient="supplier", at=T0 + timedelta(hours=41))] if alert
        else [])


def _verdicts(events, records) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in evaluate(events, [], records, RECOVERY_REGISTER):
        out.setdefault(v.obligation, []).append(v.verdict)
    return out


def test_a_method2_drill_meets_its_rows_and_leaves_the_others_not_applicable() -> None:
    v = _verdicts(_method2(), _records(alert=True))
    assert v["RCV-16"] == ["met"] and v["RCV-27"] == ["met"] and v["RCV-28"] == ["met"] and v["RCV-01"] == ["met"]
    assert v["RCV-23"] == ["not applicable"]  # Method 1's
    assert v["RCV-21"] == ["not applicable"]  # the PMA did not decline
    assert v["RCV-37"] == ["not applicable"]  # the Contingency method: not run
    assert v["RCV-12"] == ["not assessed"]  # ADT files: not simulated
    assert v["RCV-29"] == ["breached"]  # no 6.21 in the records: the Responsible Supplier never handed back


def test_commands_before_the_pma_approval_and_a_missing_alert_are_breaches() -> None:
    v = _verdicts(_method2(commands_before_approval=True), _records(alert=False))
    assert v["RCV-01"] == ["breached"]
    assert v["RCV-28"] == ["breached"]


def test_no_row_is_met_in_a_drill_that_never_started() -> None:
    v = _verdicts([_event("compromise_notified", 0)], DccRecords())
    assert all("met" not in verdicts for verdicts in v.values())
