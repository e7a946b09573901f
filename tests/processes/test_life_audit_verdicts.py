"""The obligations audit of the end-of-life processes (issue #14) says 'breached' only where the run breached: each
verdict against the Device the obligation is about, from the process steps' own refs (the real step registries)
and the DCC's records as ``dccflow_app.scenarios.audit`` reads them.

* a meter exchange's decommission rows are about the old meter, not the new one its end step names;
* a refused 8.3 gives the DCC nothing to do (H6.4, AD 3.8.100.5 "upon successful execution");
* the 'pending' GPF of an electricity-only CH is left as it is by the 8.3 of its CHF (AD 3.8.100.5(a));
* a CHF decommissioned without replacement (H6.6) and a replacement CH that never reached the SM WAN replaced
  nothing: AB 10.1's restore duties do not arise;
* AC 5.5 / 5.9 after a suspension and its AC 7.3 restoration: the restoration is no Commissioning.

Each has its true-breach twin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dccflow.audit import evaluate
from dccflow.audit_records import AlertRec, DccRecords, DeviceRec, DutyRec, PcInfoRec, PcReportRec, SmiChangeRec
from dccflow.domain.obligations import AUDIT_REGISTER
from dccflow.domain.smi import RESTORATION
from dccflow.events import ProcessEvent, StepRegistry
from workflows.decommission_steps import DECOMMISSION_STEPS
from workflows.meter_exchange_steps import METER_EXCHANGE_STEPS
from workflows.replace_communications_hub_steps import REPLACE_CH_STEPS

T0 = datetime(2026, 12, 7, 10, tzinfo=UTC)
CHF, GPF, ESME, NEW_ESME, NEW_CHF, NEW_GPF = "CHF-1", "GPF-1", "ESME-1", "ESME-2", "CHF-2", "GPF-2"
ED = "ED-1"


def _day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def _ev(steps: StepRegistry, bpmn_id: str, at: datetime, device_id: str | None) -> ProcessEvent:
    step = steps[bpmn_id]
    return ProcessEvent(bpmn_id=bpmn_id, actor=step.actor, at=at, refs=list(step.refs), device_id=device_id)


def _rows(events: list[ProcessEvent], rec: DccRecords, *obligations: str) -> dict[str, list[tuple]]:
    register = [o for o in AUDIT_REGISTER if o.id in obligations]
    out: dict[str, list[tuple]] = {}
    for v in evaluate(events, [], rec, register):
        out.setdefault(v.obligation, []).append((v.device_id, v.verdict, v.detail))
    return out


def _change(device_id: str, before: str | None, after: str, at: datetime, reason: str = "") -> SmiChangeRec:
    return SmiChangeRec(device_id=device_id, from_status=before, to_status=after, at=at, reason=reason)


# -- meter exchange: the old meter's decommissioning --------------------------------------------------------------
_DECOMMISSION_ROWS = ("decommission-mpxn", "decommission-n1-n2", "decommission-nd-update", "decommission-smi")


def _meter_exchange(n1_sent: bool) -> tuple[list[ProcessEvent], DccRecords]:
    at = _day(15)
    steps = METER_EXCHANGE_STEPS
    events = [_ev(steps, "start_meter_exchange", at, ESME), _ev(steps, "remove_from_chf_device_log", at, ESME),
              _ev(steps, "decommission_device", at, ESME), _ev(steps, "device_decommissioned_by_dcc", at, ESME),
              _ev(steps, "mpxn_link_ended", at, ESME), _ev(steps, "install_devices", at, NEW_ESME),
              _ev(steps, "update_han_device_log", at, NEW_ESME), _ev(steps, "commission_device", at, NEW_ESME),
              _ev(steps, "set_import_mpxn", at, NEW_ESME),
              # the end names the new meter and cites BAD 7.6.2.5.5 (the old one decommissioned)
              _ev(steps, "end_meter_exchanged", at, NEW_ESME)]
    rec = DccRecords(
        devices=[DeviceRec(device_id=ESME, device_type="ESME", smi_status="decommissioned"),
                 DeviceRec(device_id=NEW_ESME, device_type="ESME", smi_status="commissioned", chf_id=CHF)],
        smi_changes=[_change(ESME, "installed not commissioned", "commissioned", T0),
                     _change(ESME, "commissioned", "decommissioned", at),
                     _change(NEW_ESME, "installed not commissioned", "commissioned", at)],
        alerts=[AlertRec(code="N1", device_id=ESME, recipient=ED, at=at)] if n1_sent else [])
    return events, rec


def test_a_meter_exchange_is_judged_on_the_old_meter_it_decommissioned():
    rows = _rows(*_meter_exchange(n1_sent=True), *_DECOMMISSION_ROWS)
    for obligation in _DECOMMISSION_ROWS:
        assert [(d, v) for d, v, _ in rows[obligation]] == [(ESME, "met")], (obligation, rows[obligation])


def test_a_meter_exchange_without_the_n1_is_breached_for_the_old_meter():
    rows = _rows(*_meter_exchange(n1_sent=False), "decommission-n1-n2")
    assert rows["decommission-n1-n2"] == [(ESME, "breached", "no DCC Alert N1 sent")]


# -- a refused 8.3 ------------------------------------------------------------------------------------------------
def test_a_refused_decommission_leaves_the_dcc_nothing_to_do():
    at = _day(3)
    events = [_ev(DECOMMISSION_STEPS, "start_decommission", at, ESME),
              _ev(DECOMMISSION_STEPS, "decommission_rejected", at, ESME),
              _ev(DECOMMISSION_STEPS, "end_decommission_refused", at, ESME)]
    rec = DccRecords(devices=[DeviceRec(device_id=ESME, device_type="ESME", smi_status="commissioned")],
                     smi_changes=[_change(ESME, "installed not commissioned", "commissioned", T0)])
    dcc_rows = (*_DECOMMISSION_ROWS, "decommission-associations", "decommission-schedules",
                "decommission-future-dated", "decommission-gpf-with-chf", "decommission-chf-notice")
    rows = _rows(events, rec, *dcc_rows, "decommission-who", "decommission-reject")
    for obligation in dcc_rows:
        assert [v for _, v, _ in rows[obligation]] == ["not applicable"], (obligation, rows[obligation])
    # H6.2 held (nobody else decommissioned it) because the DCC refused the 8.3 (H6.5)
    assert rows["decommission-who"] == [(None, "met", "step decommission_rejected")]
    assert rows["decommission-reject"] == [(None, "met", "step decommission_rejected")]


# -- the old CH of an electricity-only replacement: its GPF never commissioned ----------------------------------
def _old_ch_decommissioned(gpf_before: str, gpf_decommissioned: bool) -> tuple[list[ProcessEvent], DccRecords]:
    at = _day(20)
    steps = REPLACE_CH_STEPS
    events = [_ev(steps, "decommission_old_ch", at, CHF), _ev(steps, "device_decommissioned_by_dcc", at, CHF),
              _ev(steps, "gpf_decommissioned_with_chf", at, GPF)]
    changes = [_change(GPF, None, "pending", T0 - timedelta(days=1)),
               _change(CHF, "pending", "commissioned", T0), _change(CHF, "commissioned", "decommissioned", at)]
    if gpf_before != "pending":
        changes.append(_change(GPF, "pending", gpf_before, T0))
    if gpf_decommissioned:
        changes.append(_change(GPF, gpf_before, "decommissioned", at))
    rec = DccRecords(devices=[DeviceRec(device_id=CHF, device_type="CHF", smi_status="decommissioned"),
                              DeviceRec(device_id=GPF, device_type="GPF", chf_id=CHF,
                                        smi_status="decommissioned" if gpf_decommissioned else gpf_before)],
                     smi_changes=changes)
    return events, rec


def test_the_pending_gpf_of_a_decommissioned_chf_is_not_applicable_with_the_reason():
    rows = _rows(*_old_ch_decommissioned("pending", gpf_decommissioned=False),
                 "decommission-gpf-with-chf", "decommission-nd-update")
    (gpf,) = rows["decommission-gpf-with-chf"]
    assert gpf[:2] == (GPF, "not applicable") and "'pending'" in gpf[2] and "AD 3.8.100.5(a)" in gpf[2]
    assert [(d, v) for d, v, _ in rows["decommission-nd-update"]] == [(CHF, "met"), (GPF, "not applicable")]


def test_a_commissioned_gpf_left_by_the_decommissioning_of_its_chf_is_breached():
    rows = _rows(*_old_ch_decommissioned("commissioned", gpf_decommissioned=False), "decommission-gpf-with-chf")
    assert [(d, v) for d, v, _ in rows["decommission-gpf-with-chf"]] == [(GPF, "breached")]
    rows = _rows(*_old_ch_decommissioned("commissioned", gpf_decommissioned=True), "decommission-gpf-with-chf")
    assert [(d, v) for d, v, _ in rows["decommission-gpf-with-chf"]] == [(GPF, "met")]


# -- AB 10.1 only after a CH was replaced -------------------------------------------------------------------------
_RESTORE_ROWS = ("ch-replace-restore-chf-log", "ch-replace-restore-gpf-log", "ch-replace-record-used",
                 "ch-replace-record-kept", "ch-returned", "ch-replace-newly-commissioned")


def test_a_chf_decommissioned_without_replacement_owes_no_restore():
    """``decommission-chf-orphans``: the DCC's H6.6 step cites BAD 7.6.1.6.8 (where the BAD sets the reasonable
    period) — no replacement happened, so AB 10.1 (a), (b) and the CH's return are not applicable."""
    at = _day(10)
    events = [_ev(DECOMMISSION_STEPS, "decommission_device", at, CHF),
              _ev(DECOMMISSION_STEPS, "device_decommissioned_by_dcc", at, CHF),
              _ev(DECOMMISSION_STEPS, "h6_6_period_elapsed", _day(38), CHF)]
    rows = _rows(events, DccRecords(devices=[DeviceRec(device_id=CHF, device_type="CHF")]), *_RESTORE_ROWS)
    for obligation in _RESTORE_ROWS:
        assert [v for _, v, _ in rows[obligation]] == ["not applicable"], (obligation, rows[obligation])


def test_a_replacement_ch_off_the_wan_replaced_nothing_but_a_commissioned_one_owes_the_restores():
    at = _day(20)
    steps = REPLACE_CH_STEPS
    started = [_ev(steps, "start_replace_ch", at, CHF), _ev(steps, "install_replacement_ch", at, NEW_CHF)]
    rec = DccRecords(devices=[DeviceRec(device_id=CHF, device_type="CHF", smi_status="commissioned"),
                              DeviceRec(device_id=NEW_CHF, device_type="CHF", smi_status="pending")],
                     smi_changes=[_change(CHF, "pending", "commissioned", T0), _change(NEW_CHF, None, "pending", T0)])
    off_wan = _rows([*started, _ev(steps, "end_new_ch_not_on_wan", at, NEW_CHF)], rec, *_RESTORE_ROWS)
    for obligation in _RESTORE_ROWS:
        assert [v for _, v, _ in off_wan[obligation]] == ["not applicable"], (obligation, off_wan[obligation])
    # the new CHF commissioned, the Supplier stops there: AB 10.1(a), (b) and the return are breached
    rec.smi_changes.append(_change(NEW_CHF, "pending", "commissioned", at))
    stopped = _rows([*started, _ev(steps, "new_chf_commissioned_by_dcc", at, NEW_CHF)], rec, *_RESTORE_ROWS)
    for obligation in ("ch-replace-restore-chf-log", "ch-replace-restore-gpf-log", "ch-returned"):
        assert [v for _, v, _ in stopped[obligation]] == ["breached"], (obligation, stopped[obligation])


# -- AC 5.5 / 5.9 around a suspension and its restoration (AC 7.3) ------------------------------------------------
def _suspended_and_restored(interrogated: bool) -> tuple[list[ProcessEvent], DccRecords]:
    """An ESME commissioned on day 0 with its Post Commissioning steps on day 2, suspended on day 10, restored on day
    12; the DCC interrogated it on day 0 (or never) and — as it did before it knew better — opened a second set of
    duties at the restoration, done on day 12."""
    restored = _day(12)
    first = DutyRec(device_id=ESME, duty="recovery-interrogation", commissioned_at=T0, due=_day(7),
                    done_at=T0 if interrogated else None, outcome="done" if interrogated else "overdue",
                    recovery_certificate=True if interrogated else None)
    again = DutyRec(device_id=ESME, duty="recovery-interrogation", commissioned_at=restored, due=_day(19),
                    done_at=restored, outcome="done", recovery_certificate=True)
    rec = DccRecords(
        devices=[DeviceRec(device_id=ESME, device_type="ESME", smi_status="commissioned")],
        smi_changes=[_change(ESME, "installed not commissioned", "commissioned", T0),
                     _change(ESME, "commissioned", "suspended", _day(10)),
                     _change(ESME, "suspended", "commissioned", restored, f"{RESTORATION}: firmware activated")],
        dcc_duties=[first, again],
        pc_info=[PcInfoRec(device_id=ESME, keys_regenerated_at=_day(2), device_certificate_stored_at=_day(2),
                           organisation_certificate_replaced_at=_day(2))],
        # the DCC's daily information: the ESME listed on no day
        pc_reports=[PcReportRec(kind="daily-information", period=_day(n).date().isoformat(), recipient="DCC",
                                compiled_at=_day(n + 1), marking="CONFIDENTIAL") for n in range(7, 13)])
    commissioning = ProcessEvent(bpmn_id="commission_device", actor="Supplier", at=T0,
                                 refs=["BAD 7.2.1.6.10"], device_id=ESME)
    end = ProcessEvent(bpmn_id="end", actor="Supplier", at=_day(13), refs=[])
    return [commissioning, end], rec


def test_a_restoration_from_suspension_is_no_commissioning_for_the_daily_information():
    rows = _rows(*_suspended_and_restored(interrogated=True), "pc-daily-update")
    assert rows["pc-daily-update"] == [(ESME, "not applicable", "never listed under AC 5.6")]


def test_a_device_never_interrogated_is_listed_before_its_suspension_and_missing_from_the_reports():
    ((device_id, verdict, detail),) = _rows(*_suspended_and_restored(interrogated=False), "pc-daily-update")[
        "pc-daily-update"]
    assert (device_id, verdict) == (ESME, "breached")
    # days 7-9 commissioned and listed (AC 5.6(a)); suspended from day 10, not 'commissioned': not listed
    assert detail.count("not in the report") == 3 and _day(7).date().isoformat() in detail


# -- a replacement CH that never reached the SM WAN (ch-replace-new-ch-no-wan) -------------------------------------
def _no_wan_replacement(end_day: int) -> tuple[list[ProcessEvent], DccRecords]:
    from workflows.install_commission_steps import INSTALL_COMMISSION_STEPS as INSTALL

    events = [_ev(INSTALL, "install_communications_hub", T0, CHF), _ev(INSTALL, "chf_commissioned_by_dcc", T0, CHF),
              _ev(INSTALL, "update_han_device_log", T0, ESME),
              _ev(REPLACE_CH_STEPS, "start_replace_ch", _day(20), CHF),
              _ev(REPLACE_CH_STEPS, "install_replacement_ch", _day(20), NEW_CHF),
              _ev(REPLACE_CH_STEPS, "end_new_ch_not_on_wan", _day(20), NEW_CHF),
              ProcessEvent(bpmn_id="end", actor="Supplier", at=_day(end_day), refs=[])]
    rec = DccRecords(devices=[DeviceRec(device_id=CHF, device_type="CHF", smi_status="commissioned"),
                              DeviceRec(device_id=NEW_CHF, device_type="CHF", smi_status="pending")],
                     smi_changes=[_change(CHF, "pending", "commissioned", T0), _change(NEW_CHF, None, "pending", T0)],
                     device_logs={CHF: T0})
    return events, rec


def test_a_replacement_ch_left_off_the_wan_owes_its_own_no_wan_report_not_the_first_chs():
    rows = _rows(*_no_wan_replacement(end_day=20), "no-wan-report", "device-log-record")
    # the CH installed on day 0 reached the SM WAN: no 8.14.2 was ever due for it (nor for its meter)
    assert [(d, v) for d, v, _ in rows["no-wan-report"]] == [(NEW_CHF, "not assessed")]
    # AC 8.1: the DCC never heard from the new CHF, so it has no Device Log to record
    assert [(d, v) for d, v, _ in rows["device-log-record"]] == [(CHF, "met"), (NEW_CHF, "not applicable")]
    # three Working Days later still no 8.14.2: breached
    rows = _rows(*_no_wan_replacement(end_day=27), "no-wan-report")
    assert [(d, v) for d, v, _ in rows["no-wan-report"]] == [(NEW_CHF, "breached")]


def test_a_commissioned_chf_without_a_device_log_record_is_breached():
    events, rec = _no_wan_replacement(end_day=20)
    rec.device_logs = {}
    rows = _rows(events, rec, "device-log-record")
    assert [(d, v) for d, v, _ in rows["device-log-record"]] == [(CHF, "breached"), (NEW_CHF, "not applicable")]


# -- the DCC: a restoration opens no post-commissioning duties -----------------------------------------------------
def test_the_dcc_opens_no_new_duties_when_ac_7_3_restores_a_suspended_device_but_does_for_a_reuse(tmp_path):
    from dccflow.db import get_engine, session_scope
    from dccsim.models import SmiDevice, SmiStatusChange
    from dccsim.post_commissioning import commissioned_at
    from dccsim.post_commissioning_duties import PostCommissioningDuties

    engine = get_engine(f"sqlite:///{tmp_path / 'dcc.db'}")

    def history(*rows) -> None:
        with session_scope(engine) as s:
            if s.get(SmiDevice, ESME) is None:
                s.add(SmiDevice(device_id=ESME, device_type="ESME", smi_status="commissioned"))
            for before, after, at, reason in rows:
                s.add(SmiStatusChange(device_id=ESME, from_status=before, to_status=after, at=at, reason=reason))

    duties = PostCommissioningDuties(engine, smki=None)
    history(("installed not commissioned", "commissioned", T0, "SRV 8.1.1 executed"))
    (found,) = duties.newly_commissioned()
    assert found.commissioned_at == T0
    duties.open(found)
    # suspended on day 10 (H6.10), restored on day 12 (AC 7.3): the DCC's next look finds no new Commissioning
    history(("commissioned", "suspended", _day(10), "Device Model removed from the CPL"),
            ("suspended", "commissioned", _day(12), f"{RESTORATION}: firmware 2.0.0 activated"))
    assert duties.newly_commissioned() == []
    with session_scope(engine) as s:
        assert commissioned_at(s, ESME) == T0  # AC 5.6's 7 days run from the Commissioning
    # re-used after 8.3 and 12.2 (AD 3.8.101.5): Commissioned again, with its own duties
    history(("commissioned", "decommissioned", _day(20), "SRV 8.3"), ("decommissioned", "pending", _day(21), "12.2"),
            ("installed not commissioned", "commissioned", _day(22), "SRV 8.1.1 executed"))
    (again,) = duties.newly_commissioned()
    assert again.commissioned_at == _day(22)
    with session_scope(engine) as s:
        assert commissioned_at(s, ESME) == _day(22)


# -- 'pending' by 8.11 Remove or by re-use, not by being added to the SMI ------------------------------------------
def test_a_device_added_to_the_smi_as_pending_is_no_remove_and_no_reuse():
    at = _day(10)
    events = [_ev(DECOMMISSION_STEPS, "remove_from_chf_device_log", at, ESME),
              _ev(DECOMMISSION_STEPS, "decommission_device", at, ESME)]
    added = _change(ESME, None, "pending", T0 - timedelta(days=1))
    rec = DccRecords(devices=[DeviceRec(device_id=ESME, device_type="ESME", smi_status="decommissioned")],
                     smi_changes=[added, _change(ESME, "pending", "commissioned", T0),
                                  _change(ESME, "commissioned", "decommissioned", at)])
    rows = _rows(events, rec, "remove-whitelisted-pending", "decommission-reuse")
    assert [v for _, v, _ in rows["remove-whitelisted-pending"]] == ["not applicable"]
    assert [v for _, v, _ in rows["decommission-reuse"]] == ["not applicable"]
    # re-used: 12.2 takes it from 'decommissioned' to 'pending' (AD 3.8.101.5) — and never from 'commissioned'
    rec.smi_changes.append(_change(ESME, "decommissioned", "pending", _day(20)))
    assert [(d, v) for d, v, _ in _rows(events, rec, "decommission-reuse")["decommission-reuse"]] == [(ESME, "met")]
    rec.smi_changes.append(_change(ESME, "commissioned", "pending", _day(30)))
    assert [v for _, v, _ in _rows(events, rec, "decommission-reuse")["decommission-reuse"]] == ["met", "breached"]


# -- end to end: the scenarios of issue #14 as `dccflow run … --json` shows them --------------------------------
def _run(scenario: str, data) -> dict:
    import json

    from typer.testing import CliRunner

    from dccflow_app.cli import app

    result = CliRunner().invoke(app, ["run", scenario, "--json", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _regulation(report: dict, obligation: str) -> list[tuple[str | None, str]]:
    return [(v["device_id"], v["verdict"]) for v in report["regulation"] if v["obligation"] == obligation]


def test_the_meter_exchange_run_judges_the_decommissioning_on_the_old_meter(tmp_path):
    report = _run("meter-exchange-esme", tmp_path)
    old, new = (d["device_id"] for d in report["devices"] if d["device_type"] == "ESME")
    for obligation in ("decommission-mpxn", "decommission-n1-n2", "decommission-nd-update"):
        assert _regulation(report, obligation) == [(old, "met")], obligation
    assert "breached" not in {v["verdict"] for v in report["regulation"]}
    assert new not in {v["device_id"] for v in report["regulation"] if v["obligation"].startswith("decommission-")}


def test_the_suspended_and_restored_meter_keeps_one_commissioning_and_no_false_listing(tmp_path):
    from sqlmodel import select

    from dccflow.config import Settings
    from dccflow.db import get_engine, session_scope
    from dccsim.records import DccPostCommissioningDuty

    report = _run("cpl-suspended-firmware-restores", tmp_path)
    esme = next(d["device_id"] for d in report["devices"] if d["device_type"] == "ESME")
    assert _regulation(report, "pc-daily-update")[-1] == (esme, "not applicable")
    assert (esme, "not applicable") in _regulation(report, "pc-daily-supplier-report")
    assert "breached" not in {v["verdict"] for v in report["regulation"]}
    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        duties = s.exec(select(DccPostCommissioningDuty).where(DccPostCommissioningDuty.device_id == esme)).all()
    assert [d.duty for d in duties] == ["recovery-interrogation"]  # one Commissioning, one AC 5.3 duty


def test_the_restore_alerts_arrive_when_the_dcc_processes_the_restores(tmp_path):
    """AB 10.4 / 10.5: N30 with the 8.12.1's outcome, N31 with the 8.12.2's — not at the end of the run."""
    report = _run("ch-replace-dual-fuel", tmp_path)
    replace = next(p for p in report["processes"] if p["step_id"] == "replace_communications_hub")
    at = {e["bpmn_id"]: datetime.fromisoformat(e["at"]) for e in replace["events"]}
    (n30,) = [v for v in report["regulation"] if v["obligation"] == "ch-replace-n30"]
    (n31,) = [v for v in report["regulation"] if v["obligation"] == "ch-replace-n31"]
    assert n30["verdict"] == n31["verdict"] == "met"
    n30_at, n31_at = datetime.fromisoformat(n30["actual"]), datetime.fromisoformat(n31["actual"])
    # the Supplier records each restore step once the DCC answered it: the alert is already out by then
    assert n30_at <= at["restore_han_device_log"] < at["han_device_rejoined"]
    assert at["restore_han_device_log"] < n31_at <= at["restore_gpf_device_log"] < at["decommission_old_ch"]
