"""Stragglers (SEC Appendix L 3.1(c); digest 05 §D.12): a Device whose Communications Hub is off the SM WAN when the
DCC's Recovery-signed Commands go out is retried until the PMA-approved recovery deadline — caught up when it
returns within it, else reported to its Responsible Supplier and left in 'recovery'."""

from __future__ import annotations

from pathlib import Path

from recovery_support import copy, detail, device, recovery, run, status_history, steps

OFF_WAN = """    with: {subscriber_can_sign: false, replacement_certificates: false}
  - at: 50 hours
    event: ch_off_wan                                         # before the DCC's Recovery-signed Commands
    device: chf
"""


def test_a_device_off_the_sm_wan_is_caught_up_when_it_returns(tmp_path: Path) -> None:
    path = copy(tmp_path, "recovery-method2-acb-handback",
                ("    with: {subscriber_can_sign: false, replacement_certificates: false}\n",
                 OFF_WAN + "  - at: 6 days\n    event: ch_on_wan\n    device: chf\n"))
    report = run(path, tmp_path / "data")
    assert report["differences"] == []
    rec = recovery(report)
    assert rec["end"] == "end_recovered"
    ids = steps(rec)
    assert ids.index("device_unreachable") < ids.index("device_recovered")
    recovered_at = next(e["at"] for e in rec["events"] if e["bpmn_id"] == "device_recovered")
    back_at = next(e["at"] for e in report["world_events"] if e["event"] == "ch_on_wan")
    assert recovered_at > back_at  # caught up on return, on the DCC's next retry
    assert "attempt 1" not in detail(rec, "recovery_commands_sent")
    assert detail(rec, "attacker_probe_after") == "1 refused"


def test_a_device_still_off_at_the_deadline_is_reported_not_recovered(tmp_path: Path) -> None:
    path = copy(tmp_path, "recovery-method2-acb-handback",
                ("    with: {subscriber_can_sign: false, replacement_certificates: false}\n",
                 OFF_WAN.replace("replacement_certificates: false}", "replacement_certificates: false,\n"
                                 "           recovery_deadline: 3 days}")),
                ("      end: end_recovered\n      result: completed", "      end: end_recovered_partly\n"
                                                                     "      result: failed"),
                ("steps: [incident_raised", "steps: [device_unreachable, devices_not_recovered_reported, "
                                            "incident_raised"),
                ("    esme: commissioned", "    esme: recovery"),
                ("  trust_anchors:\n    - {device: esme, cell: Supplier, holder: import_supplier}\n", ""),
                ("  dcc_alerts:\n    - {code: N44, device: esme, to: import_supplier}\n", ""),
                ("key_activation_ceremony, device_recovered, handover_requested,\n"
                 "              previous_status_restored, attacker_probe_after, legitimate_command_accepted, ",
                 "key_activation_ceremony, "))
    report = run(path, tmp_path / "data")
    assert report["differences"] == []
    rec = recovery(report)
    esme = device(report, "ESME")["device_id"]
    assert status_history(tmp_path / "data", esme)[-1] == "recovery"
    assert esme in detail(rec, "devices_not_recovered_reported")
    assert detail(rec, "attacker_probe_after") == "1 unreachable"
    assert "off the SM WAN" in rec["reason"]
