"""The obligations audit judges an obligation against what held when it arose, not at the end of the run: each
day's AC 5.9 report against the Responsible Supplier on that day (AC 5.7(d)), after a Change of Supplier or a CH
replacement; AC 4.3(a), (b) against the SMI when the Device was added, after 8.3 ended its links (H6.4(b),
AD 3.8.100.5(b)). Built from the DCC's records as ``dccflow_app.scenarios.audit`` reads them, and once end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from dccflow.audit import evaluate
from dccflow.audit_records import (
    AlertRec,
    DccRecords,
    DeviceRec,
    LinkChangeRec,
    PcReportRec,
    RegistrationRec,
    RequestRec,
    SmiChangeRec,
)
from dccflow.db import session_scope
from dccflow.domain.obligations import AUDIT_REGISTER
from dccflow.events import ProcessEvent
from dccflow_app.scenarios.runner import run_scenario
from dccsim.models import SmiLinkChange

T0 = datetime(2026, 12, 6, 10, tzinfo=UTC)
CHF, NEW_CHF, GPF, ESME, GSME = "CHF-OLD", "CHF-NEW", "GPF-OLD", "ESME-1", "GSME-1"
MPAN, MPRN = "1300000000016", "0000000101"


def _day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def _judge(obligation: str, rec: DccRecords, events: list[ProcessEvent]):
    (o,) = [o for o in AUDIT_REGISTER if o.id == obligation]
    return {v.device_id: v for v in evaluate(events, [], rec, [o])}


def _commissioned(device_id: str, at: datetime = T0) -> SmiChangeRec:
    return SmiChangeRec(device_id=device_id, from_status="installed not commissioned", to_status="commissioned", at=at)


def _daily(supplier: str, first: int, last: int, *devices: str) -> list[PcReportRec]:
    """The AC 5.9 reports the DCC compiled for ``supplier`` on the days ``first``..``last`` after T0."""
    out = []
    for n in range(first, last + 1):
        day = _day(n).date()
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        out.append(PcReportRec(kind="daily-supplier", period=day.isoformat(), recipient=supplier, compiled_at=end,
                               available_until=end + timedelta(days=30), marking="CONFIDENTIAL",
                               device_ids=list(devices)))
    return out


_COMMISSIONING_STEP = ProcessEvent(bpmn_id="commission", actor="DCC", at=T0, refs=["SEC Appendix AC 4.1"])


def test_daily_supplier_report_goes_to_the_supplier_registered_on_that_day():
    # a Change of Supplier from the start of day 10: days 7-8 are reported to the old Import Supplier, from day 9
    # (which ends when the new registration starts, AC 5.7(d) "at the time") to the new one; at the end of the run
    # the Registration Data names only the new one
    rec = DccRecords(
        devices=[DeviceRec(device_id=ESME, device_type="ESME", smi_status="commissioned", chf_id=CHF, mpxn=MPAN,
                           responsible_supplier="NEW-IS")],
        smi_changes=[_commissioned(ESME)],
        registrations=[RegistrationRec(mpxn=MPAN, fuel="electricity", supplier_id="OLD-IS", effective_from=_day(-30),
                                       effective_to=_day(10).replace(hour=0)),
                       RegistrationRec(mpxn=MPAN, fuel="electricity", supplier_id="NEW-IS",
                                       effective_from=_day(10).replace(hour=0))],
        pc_reports=_daily("OLD-IS", 7, 8, ESME) + _daily("NEW-IS", 9, 14, ESME))
    end = ProcessEvent(bpmn_id="end", actor="DCC", at=_day(15) + timedelta(hours=5), refs=[])
    verdict = _judge("pc-daily-supplier-report", rec, [_COMMISSIONING_STEP, end])[ESME]
    assert verdict.verdict == "met", verdict.detail
    assert "OLD-IS, NEW-IS" in verdict.detail
    # the reports for days 7-8 sent to the new Supplier instead are a breach: it was not its Device then
    rec.pc_reports = _daily("NEW-IS", 7, 14, ESME)
    verdict = _judge("pc-daily-supplier-report", rec, [_COMMISSIONING_STEP, end])[ESME]
    assert verdict.verdict == "breached" and "no report to OLD-IS" in verdict.detail


def test_daily_supplier_report_of_a_replaced_chs_gpf_goes_to_the_gas_supplier_of_its_gsme_then():
    # CH replaced on day 20: 8.12.1 moved the GSME to the new CHF, 8.3 decommissioned the old CHF and its GPF; the
    # old GPF was listed (and reported to the Gas Supplier) from day 7 to day 19 while its GSME was on its CH
    replaced = _day(20)
    rec = DccRecords(
        devices=[DeviceRec(device_id=CHF, device_type="CHF", smi_status="decommissioned"),
                 DeviceRec(device_id=GPF, device_type="GPF", smi_status="decommissioned", chf_id=CHF),
                 DeviceRec(device_id=GSME, device_type="GSME", smi_status="commissioned", chf_id=NEW_CHF, mpxn=MPRN,
                           responsible_supplier="GS")],
        smi_changes=[_commissioned(GPF), _commissioned(GSME),
                     SmiChangeRec(device_id=GPF, from_status="commissioned", to_status="decommissioned",
                                  at=replaced + timedelta(hours=1))],
        link_changes=[LinkChangeRec(device_id=GSME, field="chf_id", from_value=CHF, to_value=NEW_CHF, at=replaced)],
        registrations=[RegistrationRec(mpxn=MPRN, fuel="gas", supplier_id="GS", effective_from=_day(-30))],
        pc_reports=_daily("GS", 7, 19, GPF, GSME) + _daily("GS", 20, 24, GSME))
    end = ProcessEvent(bpmn_id="end", actor="DCC", at=_day(25) + timedelta(hours=5), refs=[])
    verdicts = _judge("pc-daily-supplier-report", rec, [_COMMISSIONING_STEP, end])
    # the GPF is listed only while commissioned: the days up to its decommissioning, each to the Gas Supplier
    assert verdicts[GPF].verdict == "met", verdicts[GPF].detail
    assert "to GS" in verdicts[GPF].detail
    assert rec.responsible_supplier_at(GPF, replaced + timedelta(days=1)) is None  # its CH serves no meter now
    assert verdicts[GSME].verdict == "met", verdicts[GSME].detail


def test_the_losing_supplier_restricted_before_a_change_of_supplier_is_judged_on_its_own_requests():
    # AC 5.13(a): the ESME's post-commissioning steps never done, so from day 7 its Responsible Supplier sends only
    # the exempt requests; the old Import Supplier sent a non-exempt 4.1.1 on day 8, while the Device was still its
    # own: the Change of Supplier on day 10 does not excuse it
    rec = DccRecords(
        devices=[DeviceRec(device_id=ESME, device_type="ESME", smi_status="commissioned", chf_id=CHF, mpxn=MPAN,
                           responsible_supplier="NEW-IS")],
        smi_changes=[_commissioned(ESME)],
        registrations=[RegistrationRec(mpxn=MPAN, fuel="electricity", supplier_id="OLD-IS", effective_from=_day(-30),
                                       effective_to=_day(10)),
                       RegistrationRec(mpxn=MPAN, fuel="electricity", supplier_id="NEW-IS", effective_from=_day(10))],
        requests=[RequestRec(request_id="OLD-IS:ESME-1:1", originator="OLD-IS", target=ESME, srv="4.1.1", at=_day(8))],
        restricting_steps={"ESME": ["keys_regenerated", "device_certificate_stored"]})
    end = ProcessEvent(bpmn_id="end", actor="Supplier", at=_day(12), refs=["BAD 7.2.3"])
    verdict = _judge("supplier-restriction", rec, [_COMMISSIONING_STEP, end])[ESME]
    assert verdict.verdict == "breached" and "SRV 4.1.1" in verdict.detail


def _decommissioned_gsme_records() -> DccRecords:
    """A GSME added (8.11) and commissioned on day 0, decommissioned (8.3) on day 120: the SMI ended its CHF
    Association and removed its MPxN then."""
    gone = _day(120)
    return DccRecords(
        devices=[DeviceRec(device_id=CHF, device_type="CHF", smi_status="commissioned"),
                 DeviceRec(device_id=GSME, device_type="GSME", smi_status="decommissioned")],
        smi_changes=[_commissioned(GSME), SmiChangeRec(device_id=GSME, from_status="commissioned",
                                                       to_status="decommissioned", at=gone)],
        link_changes=[LinkChangeRec(device_id=GSME, field="mpxn", from_value=MPRN, to_value=None, at=gone),
                      LinkChangeRec(device_id=GSME, field="chf_id", from_value=CHF, to_value=None, at=gone)],
        alerts=[AlertRec(code="N16", device_id=GSME, recipient="GT", at=T0 + timedelta(seconds=5))])


def test_chf_association_and_mpxn_are_judged_when_the_device_was_added():
    rec = _decommissioned_gsme_records()
    events = [ProcessEvent(bpmn_id="add_device", actor="DCC", at=T0 + timedelta(seconds=5), refs=["SRV 8.11"],
                           device_id=GSME),
              ProcessEvent(bpmn_id="decommission", actor="Gas Supplier", at=_day(120), refs=["SRV 8.3"],
                           device_id=GSME)]
    association = _judge("chf-association", rec, events)[GSME]
    assert (association.verdict, association.detail) == ("met", f"Associated with {CHF}")
    n16 = _judge("mpxn-recorded-n16", rec, events)[GSME]
    assert n16.verdict == "met" and f"MPxN {MPRN} on the SMI" in n16.detail
    # had the SMI never held them, both are breached still
    rec.link_changes = []
    assert _judge("chf-association", rec, events)[GSME].verdict == "breached"
    assert _judge("mpxn-recorded-n16", rec, events)[GSME].verdict == "breached"


async def test_a_decommissioned_gsme_keeps_its_commissioning_verdicts_end_to_end(stack):
    report = await run_scenario(stack.client, "decommission-gsme")
    assert report.expected_end_reached, report.differences
    gsme = next(d.device_id for d in report.devices if d.device_type == "GSME")
    # 8.3 kept the links it ended in the DCC's link history (H6.4(b); AD 3.8.100.5(b))
    with session_scope(stack.runtime.engine) as s:
        ended = {(c.field, c.to_value) for c in s.exec(select(SmiLinkChange).where(SmiLinkChange.device_id == gsme))}
    assert {("mpxn", None), ("chf_id", None)} <= ended
    rows = {(v.obligation, v.device_id): v.verdict for v in report.regulation}
    assert rows[("chf-association", gsme)] == "met"
    assert rows[("mpxn-recorded-n16", gsme)] == "met"
    assert rows[("pc-daily-supplier-report", gsme)] == "met"


async def test_the_replaced_chs_gpf_was_reported_to_the_gas_supplier_of_its_days(stack):
    report = await run_scenario(stack.client, "ch-replace-dual-fuel")
    assert report.expected_end_reached, report.differences
    old_chf = next(d.device_id for d in report.devices if d.device_type == "CHF" and d.smi_status == "decommissioned")
    old_gpf = next(d.device_id for d in report.devices if d.device_type == "GPF" and d.smi_status == "decommissioned")
    gsme = next(d.device_id for d in report.devices if d.device_type == "GSME")
    # 8.12.1 moved the GSME to the new CHF: the old GPF's CH serves no meter at the end of the run
    with session_scope(stack.runtime.engine) as s:
        moved = [(c.from_value, c.reason[:10]) for c in s.exec(select(SmiLinkChange).where(
            SmiLinkChange.device_id == gsme, SmiLinkChange.field == "chf_id"))]
    assert moved == [(old_chf, "SRV 8.12.1")]
    rows = {v.device_id: v for v in report.regulation if v.obligation == "pc-daily-supplier-report"}
    # each of its listed days reported to the Gas Supplier, the GSME's too (AC 5.7(d): a GPF's is the gas one)
    assert rows[old_gpf].verdict == "met", rows[old_gpf].detail
    assert rows[gsme].verdict == "met", rows[gsme].detail
    assert rows[old_gpf].detail.rsplit(" to ", 1)[1] == rows[gsme].detail.rsplit(" to ", 1)[1]
