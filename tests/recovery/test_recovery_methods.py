"""SMKI Recovery Methods 1-3 and the PMA's refusal (BAD 7.7.3.4.1-4; SEC Appendix L 3-4) as drill scenarios: what a
user sees — the process's steps and end, the Devices' SMI status path, the cells, the DCC Alerts (schema-valid, signed
DUIS) and the attacker's Command signed with the compromised key, accepted before recovery and refused after, while
the legitimate Supplier's own Critical Command is accepted."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from recovery_support import detail, device, engine, recovery, run, status_history, steps, supplier_cell_serial
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.duis.schema import duis_schema
from dccflow.parties import SUPPLIER

IMPORT = next(iter(SUPPLIER.user_ids.values()))
DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"


def _revoked(data: Path, serial: str) -> bool:
    from dccsim.models import SmkiCertificate

    with session_scope(engine(data)) as s:
        row = s.exec(select(SmkiCertificate).where(SmkiCertificate.serial == serial)).one()
        return row.revoked_at is not None


def _compromised_serial(process: dict) -> str:
    return detail(process, "ocnf_submitted").rsplit("serial(s) ", 1)[1]


def test_method2_acb_then_handback_closes_the_hole(tmp_path: Path) -> None:
    report = run("recovery-method2-acb-handback", tmp_path)
    assert report["differences"] == []
    rec = recovery(report)
    assert (rec["result"], rec["end"]) == ("completed", "end_recovered")
    esme = device(report, "ESME")["device_id"]
    # the SMI status path: recovery → recovered → the status before (L 4.2.1.3, 4.2.2.5, 4.2.2.8)
    assert status_history(tmp_path, esme)[-3:] == ["recovery", "recovered", "commissioned"]
    # the attacker's Command: accepted before, refused after (GBCS 0x8F30); the Supplier's own 6.15.1 accepted
    assert detail(rec, "attacker_probe_before") == "1 accepted"
    assert detail(rec, "attacker_probe_after") == "1 refused"
    assert "legitimate_command_accepted" in steps(rec)
    # the compromised certificate revoked; the cell holds the Supplier's replacement, not it
    compromised = _compromised_serial(rec)
    assert _revoked(tmp_path, compromised)
    assert supplier_cell_serial(tmp_path, esme) != compromised
    assert device(report, "ESME")["cells"]["Supplier"] == IMPORT
    # N44 to the Responsible Supplier: a schema-valid, signed DUIS DCC Alert naming the Device
    from dccsim.models import DeliveredMessage

    with session_scope(engine(tmp_path)) as s:
        n44 = s.exec(select(DeliveredMessage).where(DeliveredMessage.dcc_alert_code == "N44")).all()
    assert [(m.recipient, m.device_id) for m in n44] == [(IMPORT, esme)]
    doc = etree.fromstring(n44[0].xml)
    assert duis_schema().validate(doc), duis_schema().error_log
    assert doc.find(DS_SIGNATURE) is not None
    assert b"RecoveryCompleteACBCredentials" in n44[0].xml
    # the Code's clocks as the workflow's deadlines: 24 hours, the PMA's decision, 3 Working Days — all met
    assert {o["obligation"].split()[0]: o["met"] for o in rec["obligations"]} == {
        "RCV-07": True, "RCV-19": True, "RCV-05": True}


def test_method1_subscriber_replaces_its_own_certificates(tmp_path: Path) -> None:
    report = run("recovery-method1-subscriber", tmp_path)
    assert report["differences"] == []
    rec = recovery(report)
    esme = device(report, "ESME")["device_id"]
    assert detail(rec, "method_chosen").startswith("method-1")
    assert "recovery" not in status_history(tmp_path, esme)  # no SMI status change (L 4.1)
    assert detail(rec, "attacker_probe_before") == "1 accepted"
    assert detail(rec, "attacker_probe_after") == "1 refused"
    compromised = _compromised_serial(rec)
    assert _revoked(tmp_path, compromised)  # revoked once the replacements are done (decision 2)
    assert supplier_cell_serial(tmp_path, esme) != compromised
    ids = steps(rec)
    assert ids.index("subscriber_replaced_certificates") < ids.index("subscriber_certificate_revoked")


def test_method3_dcc_installs_the_new_certificate(tmp_path: Path) -> None:
    report = run("recovery-method3-new-certs", tmp_path)
    assert report["differences"] == []
    rec = recovery(report)
    esme = device(report, "ESME")["device_id"]
    assert status_history(tmp_path, esme)[-2:] == ["recovery", "commissioned"]  # no 'recovered' (L 4.3.2.7)
    assert ("N45", esme, IMPORT) in {(a["code"], a["device_id"], a["recipient"]) for a in report["dcc_alerts"]}
    assert not [a for a in report["dcc_alerts"] if a["code"] == "N44"]
    assert detail(rec, "attacker_probe_after") == "1 refused"
    assert supplier_cell_serial(tmp_path, esme) == detail(rec, "replacement_certificates_obtained").split()[-1]


def test_pma_declines_restores_the_status_and_changes_no_cell(tmp_path: Path) -> None:
    report = run("recovery-pma-declines", tmp_path)
    assert report["differences"] == []
    rec = recovery(report)
    assert (rec["result"], rec["end"]) == ("failed", "end_pma_declined")
    esme = device(report, "ESME")["device_id"]
    assert status_history(tmp_path, esme)[-2:] == ["recovery", "commissioned"]  # L 4.2.2.1
    assert supplier_cell_serial(tmp_path, esme) == _compromised_serial(rec)  # nothing replaced
    assert "key_activation_ceremony" not in steps(rec)
    assert "attacker_probe_after" not in steps(rec)
