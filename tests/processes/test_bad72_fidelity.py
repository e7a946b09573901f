"""BAD 7.2 read beside the runs (issue 10, part 2): the ESME fitted before the CH it powers (7.2.1.6.4), the GPF's
Device Log Alert kept by the DCC (7.2.1.6.12), and the obligations audit judging only what it checked."""

from __future__ import annotations

from sqlmodel import select

from dccflow.db import session_scope
from dccflow_app.scenarios.runner import run_scenario
from dccsim.gpf_device_log import gpf_device_log_to_restore
from dccsim.models import GpfDeviceLogBackup


def _id(report, device_type: str) -> str:
    return next(d.device_id for d in report.devices if d.device_type == device_type)


def _verdicts(report, obligation: str, device_id: str | None = None):
    return [v for v in report.regulation if v.obligation == obligation and device_id in (None, v.device_id)]


async def test_the_esme_is_fitted_before_the_ch_it_powers_dual_fuel(stack):
    report = await run_scenario(stack.client, "install-commission-dual-fuel")
    assert report.expected_end_reached, report.reason
    fitted = [(e.bpmn_id, e.device_id) for e in report.events
              if e.bpmn_id in ("install_electricity_smart_meter", "install_communications_hub", "install_devices")]
    assert fitted == [("install_electricity_smart_meter", _id(report, "ESME")),
                      ("install_communications_hub", _id(report, "CHF")),
                      ("install_devices", _id(report, "GSME"))]


async def test_the_gas_only_install_powers_the_ch_from_a_hot_shoe(stack):
    report = await run_scenario(stack.client, "install-commission-gas-hot-shoe")
    assert report.expected_end_reached, report.reason
    ids = [e.bpmn_id for e in report.events]
    assert "install_electricity_smart_meter" not in ids
    assert ids.index("install_communications_hub") < ids.index("install_devices")


async def test_the_dcc_stores_the_gpf_device_log_alert_for_replace_ch(stack):
    report = await run_scenario(stack.client, "install-commission-ppmid-ihd")
    assert report.expected_end_reached, report.reason
    gpf, chf = _id(report, "GPF"), _id(report, "CHF")
    with session_scope(stack.runtime.engine) as s:
        (row,) = s.exec(select(GpfDeviceLogBackup)).all()
        restore = gpf_device_log_to_restore(s, gpf)
    assert row.gpf_id == gpf and row.chf_id == chf and row.received_via == "sm-wan"
    # the latest GCS62: the GPF's Device Log with the PPMID and the IHD joined to it
    logged = {e["device_id"] for e in restore or []}
    assert {_id(report, "PPMID"), _id(report, "IHD")} <= logged
    (verdict,) = _verdicts(report, "device-log-record", gpf)
    assert verdict.verdict == "met" and "GCS62" in verdict.detail


async def test_the_audit_says_met_only_for_what_it_checked(stack):
    report = await run_scenario(stack.client, "install-commission-electricity")
    assert report.expected_end_reached, report.reason
    chf, esme = _id(report, "CHF"), _id(report, "ESME")
    # AC 4.2(a), (b): judged on the SMI status history; 4.2(c), the CHF's communication genuine and unaltered:
    # nothing in the simulated SM WAN to authenticate, so not assessed, with the reason
    (listed,) = _verdicts(report, "chf-commissioning-checks")
    assert (listed.verdict, listed.device_id) == ("met", chf) and "pending" in listed.detail
    (authentic,) = _verdicts(report, "chf-communication-authentic")
    assert authentic.verdict == "not assessed" and authentic.ref == "SEC Appendix AC 4.2(c)"
    assert "no message or signature to authenticate" in authentic.detail
    # Appendix I 4.4 (the CH fitted by the Annex A procedure): the installer's report says nothing of it
    assert {v.verdict for v in _verdicts(report, "ch-fitting")} == {"not assessed"}
    # AC 4.3(b): the N16 *and* the MPxN on the SMI
    (n16,) = _verdicts(report, "mpxn-recorded-n16", esme)
    assert n16.verdict == "met" and "MPxN 1" in n16.detail and "N16" in n16.detail
