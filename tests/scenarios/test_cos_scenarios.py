"""Transitional Change of Supplier (BAD 7.7.1) as scenarios: follow-on process steps after the install, the
``registration_data_change`` world event, and what a user sees of each outcome (cells, DCC Alerts, the signed 6.23).
Each library scenario also runs in ``tests/platform/test_scenario_expectations.py`` (exit 0)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from scenario_support import LIBRARY, runner
from scenario_support import copy_scenario as _copy
from scenario_support import run_scenario as _run
from sqlmodel import select

from dccflow.config import Settings
from dccflow.db import get_engine, session_scope
from dccflow.parties import SUPPLIER, SUPPLIER_B, SUPPLIER_C
from dccflow_app.cli import app

A_IMPORT, A_GAS = SUPPLIER.user_ids.values()
B_IMPORT = SUPPLIER_B.user_ids[next(iter(SUPPLIER_B.user_ids))]
C_GAS = list(SUPPLIER_C.user_ids.values())[1]


def _cells(report: dict) -> dict[str, dict[str, str]]:
    return {d["device_type"]: d["cells"] for d in report["devices"]}


def _alerts(report: dict) -> set[tuple[str, str, str]]:
    types = {d["device_id"]: d["device_type"] for d in report["devices"]}
    return {(a["code"], types.get(a["device_id"]), a["recipient"]) for a in report["dcc_alerts"]}


def _cos(report: dict, step_id: str = "change_of_supplier") -> dict:
    return next(p for p in report["processes"] if p["step_id"] == step_id)


def _ids(process: dict) -> list[str]:
    return [e["bpmn_id"] for e in process["events"]]


def test_cos_electricity_puts_the_gaining_suppliers_signed_certificate_in_the_cell(tmp_path: Path) -> None:
    from activities.store import UserOutboxEntry
    from dccflow.duis.messages import request_from_element
    from dccflow.duis.schema import secure_parse, validate
    from dccflow.security.certinfo import entity_id_of
    from dccflow.security.xmldsig import verify
    from dccsim.smki import SmkiRepository
    from devices.anchors import decode_cert

    report = _run("cos-electricity", tmp_path)
    assert report["differences"] == []
    cells = _cells(report)
    assert cells["ESME"]["Supplier"] == B_IMPORT  # --json shows each Device's cells
    assert A_IMPORT not in {holder for device in cells.values() for holder in device.values()}
    assert ("N27", "ESME", A_IMPORT) in _alerts(report)
    cos = _cos(report)
    assert (cos["result"], cos["end"]) == ("completed", "end_cos_completed")
    assert cos["workflow_id"].startswith("change-of-supplier-")
    # BAD 7.7.1.5.5-6: the Gaining Supplier's name and tariff on the meter (SRV 3.4, the Critical SRV 1.1.1)
    assert {"update_supplier_name", "configure_tariff"} <= set(_ids(cos))
    assert not {"update_supplier_name_not_done", "configure_tariff_not_done"} & set(_ids(cos))

    engine = get_engine(Settings(data_dir=tmp_path).db_url)
    with session_scope(engine) as s:
        [entry] = s.exec(select(UserOutboxEntry).where(UserOutboxEntry.srv == "6.23")).all()
        xml = entry.xml
    root = secure_parse(xml)
    validate(root)  # schema-valid DUIS
    assert entity_id_of(verify(root, SmkiRepository(engine).find)) == B_IMPORT  # signed by the Gaining Supplier
    body = request_from_element(root).body
    assert entity_id_of(decode_cert(body["SupplierReplacementCertificates"]["DigitalSigningCertificate"])) == B_IMPORT
    assert body["ImportMPxN"] == next(e for e in report["world_events"])["mpxn"]


def test_cos_dual_fuel_to_two_gaining_suppliers(tmp_path: Path) -> None:
    report = _run("cos-dual-fuel", tmp_path)
    cells = _cells(report)
    assert (cells["ESME"]["Supplier"], cells["GSME"]["Supplier"], cells["GPF"]["Supplier"]) == \
        (B_IMPORT, C_GAS, C_GAS)
    assert {("N27", "ESME", A_IMPORT), ("N27", "GSME", A_GAS), ("N27", "GPF", A_GAS)} <= _alerts(report)
    assert [(p["step_id"], p["end"]) for p in report["processes"]] == [
        ("cos_electricity", "end_cos_completed"), ("cos_gas", "end_cos_completed")]
    gas = [e for e in _cos(report, "cos_gas")["events"] if e["bpmn_id"] == "update_security_credentials_cos"]
    assert [e["detail"].split()[0] for e in gas] == ["GSME", "GPF"]  # one 6.23 per Device of the fuel


def test_a_future_dated_cos_changes_the_cell_at_the_execution_time(tmp_path: Path) -> None:
    from dccsim.models import RegistrationData

    report = _run("cos-future-dated", tmp_path)
    start = min(_t(e["at"]) for e in report["events"])
    at = {e["bpmn_id"]: (_t(e["at"]) - start) for e in _cos(report)["events"]}
    assert abs(at["update_security_credentials_cos"] - timedelta(days=20)) < timedelta(hours=1)
    assert abs(at["cos_credentials_replaced"] - timedelta(days=25)) < timedelta(hours=1)  # not before day 25
    # registration recorded on day 20, in force from day 25 (the previous registration stays for the past)
    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        rows = s.exec(select(RegistrationData).where(RegistrationData.fuel == "electricity")
                      .order_by(RegistrationData.effective_from)).all()
        assert [r.supplier_id for r in rows] == [A_IMPORT, B_IMPORT]
        assert abs(_t(rows[1].effective_from) - start - timedelta(days=25)) < timedelta(minutes=1)


def test_n26_leaves_the_cells_unchanged_and_sends_no_n27(tmp_path: Path) -> None:
    report = _run("cos-not-registered-n26", tmp_path)
    assert _cells(report)["ESME"]["Supplier"] == A_IMPORT
    alerts = _alerts(report)
    assert ("N26", "ESME", B_IMPORT) in alerts and not [a for a in alerts if a[0] == "N27"]
    cos = _cos(report)
    assert (cos["result"], cos["end"]) == ("failed", "end_cos_refused_n26")
    assert "retry_update_security_credentials_cos" not in _ids(cos)  # a refusal is not resent


def test_a_device_that_rejects_the_cos_is_retried_once_then_reported(tmp_path: Path) -> None:
    report = _run("cos-device-rejects", tmp_path)
    assert _cells(report)["ESME"]["Supplier"] == A_IMPORT
    assert not [a for a in _alerts(report) if a[0] == "N27"]
    ids = _ids(_cos(report))
    assert ids.count("cos_device_failed") == 2 and ids.count("retry_update_security_credentials_cos") == 1
    assert "mixed_supplier_cells" not in ids  # one Device, unchanged: no mixed ownership


def test_mixed_ownership_is_reported_and_the_retry_completes(tmp_path: Path) -> None:
    report = _run("cos-partial-cell-failure", tmp_path)
    ids = _ids(_cos(report))
    assert ids.index("cos_device_failed") < ids.index("mixed_supplier_cells") < \
        ids.index("retry_update_security_credentials_cos")
    assert (_cells(report)["GSME"]["Supplier"], _cells(report)["GPF"]["Supplier"]) == (C_GAS, C_GAS)


def test_a_device_that_keeps_refusing_leaves_the_cos_partial(tmp_path: Path) -> None:
    path = _copy(tmp_path, "cos-partial-cell-failure", ('faults: ["reject-cos:1"]', "faults: [reject-cos]"),
                 ("      end: end_cos_completed\n      result: completed\n",
                  "      end: end_cos_partial\n      result: failed\n"),
                 ("    - {device: gpf, cell: Supplier, holder: supplier-c}\n",
                  "    - {device: gpf, cell: Supplier, holder: gas_supplier}\n"),
                 ("  not_in_cells: [gas_supplier]\n", ""),
                 ("    - {code: N27, device: gpf, to: gas_supplier}\n", ""))
    report = _run(str(path), tmp_path / "data")
    assert (_cells(report)["GSME"]["Supplier"], _cells(report)["GPF"]["Supplier"]) == (C_GAS, A_GAS)
    assert ("N27", "GPF", A_GAS) not in _alerts(report)
    assert "mixed_supplier_cells" in _ids(_cos(report))


def test_the_losing_suppliers_certificate_left_in_a_cell_is_a_difference(tmp_path: Path) -> None:
    path = _copy(tmp_path, "cos-device-rejects", ("    - {device: esme, cell: Supplier, holder: import_supplier}",
                                                  "    - {device: esme, cell: Supplier, holder: import_supplier}\n"
                                                  "  not_in_cells: [supplier-a]"))
    result = runner.invoke(app, ["run", str(path), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert f"ESME Supplier cell: expected not {A_IMPORT}, got {A_IMPORT}" in result.output


def test_a_cos_step_with_a_party_of_no_supply_is_named() -> None:
    from dccflow_app.scenarios.loader import ScenarioFileError, load_text

    text = (LIBRARY / "cos-electricity.yaml").read_text(encoding="utf-8").replace(
        "with: {supplier: supplier-b}", "with: {supplier: supplier-z, fuel: gas}")
    with pytest.raises(ScenarioFileError) as caught:
        load_text(text, "x.yaml")
    problems = [str(p) for p in caught.value.problems]
    assert any('supplier: "supplier-z" is not a party of the simulator' in p for p in problems), problems
    assert any("the premises has no GSME, so no gas supply" in p for p in problems), problems


def test_the_follow_on_processes_are_the_registrys() -> None:
    from dccflow_app.scenarios.processes import REGISTRY
    from dccflow_app.scenarios.spec import PROCESSES
    from dccflow_app.scenarios.to_catalogue import FOLLOW_ON

    assert "change_of_supplier" in FOLLOW_ON
    assert set(FOLLOW_ON) == set(REGISTRY) and all(PROCESSES[name].params is not None for name in REGISTRY)


def _t(text: str | datetime) -> datetime:
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=datetime.now().astimezone().tzinfo)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_6_23_the_dcc_rejects_ends_the_cos_rejected_and_is_not_resent(tmp_path: Path) -> None:
    # executing 35 days after it is sent: beyond the DCC's 30-day horizon for future-dated requests (SEC H3.12)
    path = _copy(tmp_path, "cos-future-dated", ("execution: 25 days", "execution: 55 days"),
                 ("      end: end_cos_completed\n      result: completed\n",
                  "      end: end_cos_rejected\n      result: failed\n"),
                 ("steps: [update_security_credentials_cos, cos_credentials_replaced]",
                  "steps: [cos_request_rejected]"),
                 ("    - {device: esme, cell: Supplier, holder: supplier-b}\n",
                  "    - {device: esme, cell: Supplier, holder: import_supplier}\n"),
                 ("  not_in_cells: [import_supplier]\n", ""),
                 ("  dcc_alerts:\n    - {code: N27, device: esme, to: import_supplier}\n", ""))
    report = _run(str(path), tmp_path / "data")
    assert [(r["srv"], r["sender"], r["code"]) for r in report["refusals"]] == [("6.23", B_IMPORT, "E31")]
    assert _ids(_cos(report)).count("cos_request_rejected") == 1
    assert _cells(report)["ESME"]["Supplier"] == A_IMPORT
