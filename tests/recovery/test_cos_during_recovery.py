"""A Change of Supplier during SMKI Recovery (a decision where the Code is silent; docs/smki-recovery.md): the DCC
refuses the Gaining Supplier's SRV 6.23 while the Device is in 'recovery' (its SMI status check, DUIS E5); the Device's
Responsible Supplier at the handover — by then the Gaining Supplier — hands it back with SRV 6.21; the 6.23 sent again
once the status is back completes."""

from __future__ import annotations

from pathlib import Path

from recovery_support import detail, device, recovery, run, status_history


def test_the_dcc_refuses_the_cos_in_recovery_and_the_gaining_supplier_sends_it_again(tmp_path: Path) -> None:
    from dccflow.domain.roles import UserRole
    from dccflow.parties import PARTIES

    data = tmp_path / "data"
    report = run("cos-during-recovery", data)
    assert report["differences"] == []
    by_step = {p["step_id"]: p for p in report["processes"]}
    assert by_step["cos_refused"]["end"] == "end_cos_rejected" and "E5" in by_step["cos_refused"]["reason"]
    assert by_step["cos_sent_again"]["end"] == "end_cos_completed"
    supplier_b = PARTIES["supplier-b"].user_ids[UserRole.IMPORT_SUPPLIER]
    assert f"by {supplier_b}" in detail(recovery(report), "handover_requested")
    esme = device(report, "ESME")["device_id"]
    # 'recovery' when the 6.23 came, then 'recovered', then its status before; no change while in recovery
    history = status_history(data, esme)
    assert history[-3:] == ["recovery", "recovered", "commissioned"]
