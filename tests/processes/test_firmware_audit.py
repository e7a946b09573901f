"""The obligations audit of Manage Firmware (BAD 7.5.3; register ``dccflow.domain.obligations_firmware``, checks
``dccflow.audit_firmware``): each row judged from the Supplier's steps and the DCC's records - met when the run
shows the duty done, breached when the records show it was not, not assessed while the DCC still waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dccflow.audit import evaluate
from dccflow.audit_firmware_records import ChUpgradeRec, DistributionRec, FirmwareRecords
from dccflow.audit_records import AlertRec, DccRecords, DeviceRec, RequestRec, SmiChangeRec
from dccflow.domain.obligations import AUDIT_REGISTER
from dccflow.domain.obligations_firmware import FIRMWARE_REGISTER
from dccflow.events import ProcessEvent
from workflows.firmware_upgrade_steps import FIRMWARE_UPGRADE_STEPS

T0 = datetime(2026, 12, 6, 10, tzinfo=UTC)
ESME, CHF, SUPPLIER, DCC = "ESME-1", "CHF-1", "SUPPLIER-A", "DCC"


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _step(bpmn_id: str, minutes: int, detail: str = "", device_id: str = ESME) -> ProcessEvent:
    step = FIRMWARE_UPGRADE_STEPS[bpmn_id]
    return ProcessEvent(bpmn_id=bpmn_id, actor=step.actor, at=_at(minutes), refs=list(step.refs), detail=detail,
                        device_id=device_id)


def _request(srv: str, minutes: int, target: str = ESME, **extra) -> RequestRec:
    return RequestRec(request_id=f"{SUPPLIER}:{target}:{minutes}", originator=SUPPLIER, target=target, srv=srv,
                      at=_at(minutes), **extra)


def _records(**kw) -> DccRecords:
    firmware = FirmwareRecords(**{k: kw.pop(k) for k in ("distributions", "ch_upgrades", "smi_versions") if k in kw})
    return DccRecords(devices=[DeviceRec(device_id=ESME, device_type="ESME"), DeviceRec(device_id=CHF,
                                                                                           device_type="CHF")],
                      firmware=firmware, **kw)


def _verdicts(obligation: str, events: list[ProcessEvent], rec: DccRecords) -> list[tuple[str, str]]:
    (o,) = [o for o in FIRMWARE_REGISTER if o.id == obligation]
    return [(v.verdict, v.detail) for v in evaluate(events, [], rec, [o])]


START = [_step("start_firmware_upgrade", 0, "to version 2.0.0")]


def test_the_firmware_rows_are_in_the_audit_register_once():
    ids = [o.id for o in AUDIT_REGISTER if o.id.startswith("FW-")]
    assert ids == [o.id for o in FIRMWARE_REGISTER] and len(set(ids)) == 14
    assert {o.ref for o in FIRMWARE_REGISTER} >= {"SEC Appendix AB 2.2(a)", "SEC Appendix AB 2.2(d)",
                                                  "SEC Appendix AB 5.1", "SEC Appendix AB 5.2"}


def test_ab_2_2_an_update_firmware_without_the_package_checks_is_breached():
    checked = [*START, _step("check_firmware_package", 1)]
    assert _verdicts("FW-02", checked, _records(requests=[_request("11.1", 2, DCC)]))[0][0] == "met"
    (verdict,) = _verdicts("FW-02", START, _records(requests=[_request("11.1", 2, DCC)]))
    assert verdict[0] == "breached" and "no step citing SEC Appendix AB 2.2(b)" in verdict[1]
    stopped = [*START, _step("package_checks_failed", 1, "S3: not on the CPL")]
    assert _verdicts("FW-04", stopped, _records()) == [("met", "no 11.1 sent (the checks stopped it: S3: not on "
                                                               "the CPL)")]


def test_activate_firmware_after_a_failed_receipt_is_breached():
    good = [*START, _step("distribution_receipt_success", 5)]
    bad = [*START, _step("distribution_receipt_failure", 5)]
    sent = _records(requests=[_request("11.3", 6)])
    assert _verdicts("FW-10", good, sent)[0][0] == "met"
    assert _verdicts("FW-10", bad, sent)[0][0] == "breached"
    assert _verdicts("FW-10", bad, _records()) == [("met", "no 11.3 after the 0x8F1C")]
    assert _verdicts("FW-10", START, _records())[0][0] == "not applicable"


def test_n22_and_n23_are_judged_from_the_dccs_distribution_record():
    undelivered = DistributionRec(request_id="R1", device_id=ESME, supplier_id=SUPPLIER, started_at=_at(1),
                                  attempts=7, alert="N22", alert_at=_at(720))
    n22 = AlertRec(code="N22", device_id=ESME, recipient=SUPPLIER, at=_at(720), request_id="R1")
    assert _verdicts("FW-08", START, _records(distributions=[undelivered], alerts=[n22]))[0][0] == "met"
    assert _verdicts("FW-08", START, _records(distributions=[undelivered]))[0][0] == "breached"
    waiting = undelivered.model_copy(update={"alert": None, "alert_at": None})
    assert _verdicts("FW-08", START, _records(distributions=[waiting]))[0][0] == "not assessed"
    stalled = undelivered.model_copy(update={"delivered_at": _at(1), "alert": "N23"})
    assert _verdicts("FW-09", START, _records(distributions=[stalled]))[0][0] == "breached"
    assert _verdicts("FW-08", START, _records(distributions=[stalled]))[0][0] == "not applicable"


def test_ch_firmware_activated_six_days_after_the_notice_breaches_ab_5_2():
    upgrade = ChUpgradeRec(chf_id=CHF, to_version="4.0", checks=dict.fromkeys("abcd", True), distributed_at=T0,
                           notice_at=T0, notified=[SUPPLIER], activated_at=T0 + timedelta(days=6), activated=True)
    (verdict,) = _verdicts("FW-06", START, _records(ch_upgrades=[upgrade]))
    assert verdict[0] == "breached"
    urgent = upgrade.model_copy(update={"security_urgent": True})
    assert _verdicts("FW-06", START, _records(ch_upgrades=[urgent]))[0][0] == "met"
    on_time = upgrade.model_copy(update={"activated_at": T0 + timedelta(days=7)})
    assert _verdicts("FW-06", START, _records(ch_upgrades=[on_time]))[0][0] == "met"
    unlisted = upgrade.model_copy(update={"checks": {**upgrade.checks, "d": False}})
    assert _verdicts("FW-05", START, _records(ch_upgrades=[unlisted]))[0][0] == "breached"


def test_the_smi_version_must_follow_a_successful_activation_only():
    activated = [*START, _step("read_firmware_version", 30, "runs 2.0.0")]
    assert _verdicts("FW-11", activated, _records(smi_versions={ESME: "2.0.0"}))[0][0] == "met"
    assert _verdicts("FW-11", activated, _records(smi_versions={ESME: "1.0.0"}))[0][0] == "breached"
    kept = [*START, _step("read_firmware_version", 30, "runs 1.0.0")]
    assert _verdicts("FW-11", kept, _records(smi_versions={ESME: "1.0.0"}))[0][0] == "met"
    assert _verdicts("FW-11", kept, _records(smi_versions={ESME: "2.0.0"}))[0][0] == "breached"


def test_only_firmware_requests_may_go_to_a_suspended_meter():
    suspended = [SmiChangeRec(device_id=ESME, from_status="commissioned", to_status="suspended", at=T0)]
    firmware_only = _records(smi_changes=suspended, requests=[_request("11.1", 5, ESME), _request("11.3", 6)])
    assert _verdicts("FW-13", START, firmware_only)[0][0] == "met"
    reading = _records(smi_changes=suspended, requests=[_request("4.1.1", 5)])
    assert _verdicts("FW-13", START, reading)[0][0] == "breached"
    restored = _records(smi_changes=[*suspended, SmiChangeRec(
        device_id=ESME, from_status="suspended", to_status="installed not commissioned", at=_at(9),
        reason="AC 7.3 restoration: firmware")])
    assert _verdicts("FW-12", START, restored)[0][0] == "breached"  # not the status before the suspension
