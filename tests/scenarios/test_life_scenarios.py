"""The end of a device's life as scenarios (issue #14): Replace Communications Hub (BAD 7.6.1), Remove and
Decommission Device (BAD 7.6.2, SEC H6) and Suspension (H6.10-H6.11), run from the library with ``dccflow run …
--json``, checked as a user sees them: the final SMI status of the old and the new Devices, the DCC Alerts and their
recipients, the process steps, and the Device Logs the new CH holds. Each library scenario also runs (exit 0) in the
platform's scenario test."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from dccflow.config import Settings
from dccflow.db import get_engine, session_scope
from dccflow.domain.roles import UserRole
from dccflow.parties import ELECTRICITY_DISTRIBUTOR, GAS_TRANSPORTER, PARTIES, SUPPLIER
from dccflow_app.cli import app
from dccsim.records import DccPcReport

runner = CliRunner()
A_IMPORT, A_GAS = SUPPLIER.user_ids.values()
ED = next(iter(ELECTRICITY_DISTRIBUTOR.user_ids.values()))
GT = next(iter(GAS_TRANSPORTER.user_ids.values()))


def _run(target: str, data: Path, expect_exit: int = 0) -> dict:
    result = runner.invoke(app, ["run", target, "--json", "--data-dir", str(data)])
    assert result.exit_code == expect_exit, result.output
    return json.loads(result.stdout)


def _statuses(report: dict) -> list[tuple[str, str, str | None]]:
    return [(d["device_type"], d["device_id"], d["smi_status"]) for d in report["devices"]]


def _process(report: dict, step_id: str) -> dict:
    return next(p for p in report["processes"] if p["step_id"] == step_id)


def _steps(process: dict) -> list[str]:
    return [e["bpmn_id"] for e in process["events"]]


def _alerts(report: dict, code: str) -> set[tuple[str, str]]:
    return {(a["device_id"], a["recipient"]) for a in report["dcc_alerts"] if a["code"] == code}


def _verdicts(report: dict, obligation: str) -> set[str]:
    return {v["verdict"] for v in report["regulation"] if v["obligation"] == obligation}


def test_ch_replacement_moves_the_sms_to_the_new_ch_and_restores_the_recorded_logs(tmp_path: Path) -> None:
    report = _run("ch-replace-dual-fuel", tmp_path)
    (old_chf, old_gpf, esme, gsme, new_chf, new_gpf) = report["devices"]
    # --json lists the old and the new CH: the old decommissioned, the new commissioned, the meters still serving
    assert [(d["device_type"], d["smi_status"]) for d in report["devices"]] == [
        ("CHF", "decommissioned"), ("GPF", "decommissioned"), ("ESME", "commissioned"), ("GSME", "commissioned"),
        ("CHF", "commissioned"), ("GPF", "commissioned")]
    assert new_chf["device_id"] not in (old_chf["device_id"], old_gpf["device_id"])
    replace = _process(report, "replace_communications_hub")
    steps = _steps(replace)
    # AB 10.1: (a) and (b) before (c), (c) before (d); then the return (BAD 7.6.1.6.9)
    order = ["restore_han_device_log", "restore_gpf_device_log", "unjoin_gsme_from_old_gpf", "join_gsme_to_new_gpf",
             "decommission_old_ch", "return_old_ch", "end_ch_replaced"]
    assert [s for s in steps if s in order] == order
    # N30 / N31 to the other Responsible Supplier (the Gas Supplier's User ID), not to the Import Supplier that sent
    assert _alerts(report, "N30") == {(new_chf["device_id"], A_GAS)}
    assert _alerts(report, "N31") == {(new_gpf["device_id"], A_GAS)}
    assert (old_chf["device_id"], ED) in _alerts(report, "N9")
    assert _verdicts(report, "ch-replace-n30") == _verdicts(report, "ch-replace-n31") == {"met"}
    # the new CH holds what the DCC recorded of the old one (AC 8.1-8.2) and the meters are on it
    from dccsim.models import LatestCs14
    from devices.models import DeviceState

    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        recorded = s.get(LatestCs14, old_chf["device_id"])
        chf = s.get(DeviceState, new_chf["device_id"])
        restored = [e["device_id"] for e in chf.device_log]
        meters = {d.device_id: d.chf_id for d in s.exec(select(DeviceState).where(
            DeviceState.device_id.in_([esme["device_id"], gsme["device_id"]])))}
    assert set(restored) == {e["device_id"] for e in recorded.device_log} >= {esme["device_id"], gsme["device_id"]}
    assert set(meters.values()) == {new_chf["device_id"]}


def test_electricity_only_restores_an_empty_gpf_log_and_leaves_the_pending_gpf(tmp_path: Path) -> None:
    report = _run("ch-replace-electricity-only", tmp_path)
    assert [(d["device_type"], d["smi_status"]) for d in report["devices"]] == [
        ("CHF", "decommissioned"), ("GPF", "pending"), ("ESME", "commissioned"), ("CHF", "commissioned"),
        ("GPF", "pending")]
    steps = _steps(_process(report, "replace_communications_hub"))
    assert "restore_gpf_device_log" in steps and "unjoin_gsme_from_old_gpf" not in steps
    assert not _alerts(report, "N30") and not _alerts(report, "N31")  # the sender is the only RS
    # AB 10.4 / 10.5 bind the DCC only towards another Supplier: with none, not applicable (not 'breached')
    assert _verdicts(report, "ch-replace-n30") == _verdicts(report, "ch-replace-n31") == {"not applicable"}


def test_a_device_missing_from_a_stale_recorded_log_is_found_and_added_to_the_new_ch(tmp_path: Path) -> None:
    """Digest 04 §B.7 item 5: the IHD's CS14s were lost (fault ``cs14-lost``), so the DCC's record lacks it; the
    restore leaves it off the new HAN, the Supplier's 8.2 against its own inventory finds it, 8.11 adds it (N24)."""
    from dccsim.models import LatestCs14, SmiDevice
    from devices.models import DeviceState

    report = _run("ch-replace-stale-log", tmp_path)
    old_chf, _old_gpf, _esme, _gsme, ihd, new_chf, _new_gpf = (d["device_id"] for d in report["devices"])
    assert (ihd, A_IMPORT) in _alerts(report, "N25")  # at install: the DCC never saw the IHD join
    steps = _steps(_process(report, "replace_communications_hub"))
    order = ["restore_han_device_log", "read_inventory_new_ch", "add_missing_han_device", "restore_gpf_device_log",
             "decommission_old_ch", "end_ch_replaced"]
    assert [s for s in steps if s in order] == order
    assert (ihd, A_IMPORT) in _alerts(report, "N24")  # the 8.11 Add on the new CHF: joined
    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        recorded = {e["device_id"] for e in s.get(LatestCs14, old_chf).device_log}
        old_log = {e["device_id"] for e in s.get(DeviceState, old_chf).device_log}
        new_log = {e["device_id"]: e["joined"] for e in s.get(DeviceState, new_chf).device_log}
        display = s.get(DeviceState, ihd)
        on_smi = s.get(SmiDevice, ihd).chf_id
    assert ihd in old_log and ihd not in recorded  # the stale record: the IHD had joined the old CH
    assert new_log.get(ihd) is True and display.chf_id == new_chf and display.han_joined
    assert on_smi == new_chf


def test_a_new_ch_off_the_wan_restores_nothing(tmp_path: Path) -> None:
    report = _run("ch-replace-new-ch-no-wan", tmp_path)
    replace = _process(report, "replace_communications_hub")
    assert replace["result"] == "failed" and replace["end"] == "end_new_ch_not_on_wan"
    assert "restore_han_device_log" not in _steps(replace)
    assert [(t, s) for t, _, s in _statuses(report)][-2:] == [("CHF", "pending"), ("GPF", "pending")]
    assert [s for t, _, s in _statuses(report)][:4] == ["commissioned"] * 4


def test_refused_decommissions_change_nothing(tmp_path: Path) -> None:
    report = _run("decommission-by-non-rs-rejected", tmp_path)
    for step_id, code in (("by_distributor", "E2"), ("by_losing_supplier", "E4")):
        p = _process(report, step_id)
        assert (p["result"], p["end"]) == ("failed", "end_decommission_refused")
        rejected = next(e for e in p["events"] if e["bpmn_id"] == "decommission_rejected")
        assert rejected["detail"].startswith(code) and "SEC H6.5" in rejected["refs"]
        assert "device_decommissioned_by_dcc" not in _steps(p)
    assert {s for _, _, s in _statuses(report)} == {"commissioned"}
    assert not _alerts(report, "N1") and not _alerts(report, "N9")


def test_decommissioning_a_meter_ends_its_mpxn_link_and_tells_its_network_operator(tmp_path: Path) -> None:
    report = _run("decommission-gsme", tmp_path)
    statuses = {t: s for t, _, s in _statuses(report)}
    assert statuses == {"CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned",
                        "GSME": "decommissioned"}
    gsme = next(d for d in report["devices"] if d["device_type"] == "GSME")
    assert _alerts(report, "N2") == {(gsme["device_id"], GT)}
    assert not _alerts(report, "N1")


def test_a_chf_without_replacement_takes_its_sms_with_it_after_the_reasonable_period(tmp_path: Path) -> None:
    report = _run("decommission-chf-orphans", tmp_path)
    assert {s for _, _, s in _statuses(report)} == {"decommissioned"}
    p = _process(report, "decommission")
    at = {e["bpmn_id"]: e["at"] for e in p["events"]}
    assert at["h6_6_period_elapsed"] > at["decommission_device"]
    esme = next(d["device_id"] for d in report["devices"] if d["device_type"] == "ESME")
    assert (esme, ED) in _alerts(report, "N1")


def test_a_ppmid_on_both_meters_is_unjoined_removed_and_decommissioned(tmp_path: Path) -> None:
    report = _run("remove-ppmid-dual-fuel", tmp_path)
    ppmid = next(d for d in report["devices"] if d["device_type"] == "PPMID")
    assert ppmid["smi_status"] == "decommissioned"
    steps = _steps(_process(report, "decommission"))
    assert steps.index("unjoin_critical") < steps.index("remove_from_chf_device_log") < steps.index(
        "decommission_device")
    assert _alerts(report, "N43") == {(ppmid["device_id"], A_GAS)}  # the other RS, not the sender (BAD 7.6.2.5.4)


def test_a_model_off_the_cpl_suspends_its_devices_only(tmp_path: Path) -> None:
    report = _run("cpl-removal-suspends-model", tmp_path)
    assert {t: s for t, _, s in _statuses(report)} == {"CHF": "commissioned", "GPF": "commissioned",
                                                       "ESME": "suspended", "GSME": "commissioned"}
    esme = next(d["device_id"] for d in report["devices"] if d["device_type"] == "ESME")
    assert {(esme, A_IMPORT), (esme, ED)} <= _alerts(report, "N28")
    (event,) = report["world_events"]
    assert event["event"] == "cpl_change" and event["dcc_workflow_id"].startswith("dcc-cpl-extract-")


def test_a_meter_exchange_decommissions_the_old_meter_and_commissions_the_new_one_on_the_same_ch(
        tmp_path: Path) -> None:
    report = _run("meter-exchange-esme", tmp_path)
    chf, gpf, old, new = report["devices"]
    assert (old["device_type"], old["smi_status"]) == ("ESME", "decommissioned")
    assert (new["device_type"], new["smi_status"]) == ("ESME", "commissioned") and new["device_id"] != old["device_id"]
    assert chf["smi_status"] == "commissioned"
    steps = _steps(_process(report, "meter_exchange"))
    # the removal half (BAD 7.6.2) before the install half (BAD 7.2.1), as Install and Commission names its steps
    assert steps.index("decommission_device") < steps.index("install_devices") < steps.index(
        "update_han_device_log") < steps.index("commission_device") < steps.index("set_import_mpxn")
    assert (old["device_id"], ED) in _alerts(report, "N1")
    from devices.models import DeviceState

    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        fitted = s.get(DeviceState, new["device_id"])
        assert fitted.chf_id == chf["device_id"] and fitted.han_joined and fitted.mpxn
        assert not s.get(DeviceState, old["device_id"]).installed


def test_a_decommissioned_meter_is_refused_as_it_is_and_reused_after_pre_notification(tmp_path: Path) -> None:
    report = _run("decommission-then-reuse", tmp_path)
    esme = next(d for d in report["devices"] if d["device_type"] == "ESME")
    assert esme["smi_status"] == "commissioned"
    reuse = _process(report, "device_reuse")
    refused = next(e for e in reuse["events"] if e["bpmn_id"] == "commission_refused_while_decommissioned")
    assert refused["detail"].startswith("E")  # a DUIS rejection code: the DCC refused it (H5.3)
    from dccsim.models import SmiStatusChange

    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        path = [c.to_status for c in s.exec(select(SmiStatusChange).where(
            SmiStatusChange.device_id == esme["device_id"]).order_by(SmiStatusChange.id))]
    # never 'decommissioned' → 'commissioned' (H5.3): back through 'pending' (AC 7.1) and the install statuses
    i = path.index("decommissioned")
    assert path[i:] == ["decommissioned", "pending", "whitelisted", "installed not commissioned", "commissioned"]


def test_the_model_back_on_the_cpl_restores_the_status_held_before_with_n29(tmp_path: Path) -> None:
    """AC 7.3: no longer suspended, the Device goes back to the status it held immediately before."""
    library = Path(__file__).resolve().parents[2] / "dccflow_app" / "scenarios" / "library"
    text = (library / "cpl-removal-suspends-model.yaml").read_text(encoding="utf-8")
    text = text.replace("name: cpl-removal-suspends-model", "name: my-cpl-restore").replace(
        "expect:\n", "  - at: 12 days\n    event: cpl_change\n    device: esme\n    change: added\nexpect:\n").replace(
        "    esme: suspended", "    esme: commissioned")
    path = tmp_path / "my-cpl-restore.yaml"
    path.write_text(text, encoding="utf-8")
    report = _run(str(path), tmp_path / "data")
    esme = next(d["device_id"] for d in report["devices"] if d["device_type"] == "ESME")
    assert {t: s for t, _, s in _statuses(report)}["ESME"] == "commissioned"
    assert (esme, A_IMPORT) in _alerts(report, "N28") and (esme, A_IMPORT) in _alerts(report, "N29")
    assert [(w["event"], w["change"]) for w in report["world_events"]] == [("cpl_change", "removed"),
                                                                           ("cpl_change", "added")]


def test_a_ch_model_off_the_cpl_suspends_the_chf_and_its_gpf(tmp_path: Path) -> None:
    """H6.11: a CH Model's removal suspends the CHF and the GPF with it; the meters, of other Models, stay."""
    library = Path(__file__).resolve().parents[2] / "dccflow_app" / "scenarios" / "library"
    text = (library / "cpl-removal-suspends-model.yaml").read_text(encoding="utf-8")
    for old, new in (("name: cpl-removal-suspends-model", "name: my-cpl-ch"),
                     ("    event: cpl_change\n    device: esme", "    event: cpl_change\n    device: chf"),
                     ("    chf: commissioned\n    gpf: commissioned\n    esme: suspended",
                      "    chf: suspended\n    gpf: suspended\n    esme: commissioned"),
                     ("    - {code: N28, device: esme, to: import_supplier}\n"
                      "    - {code: N28, device: esme, to: electricity_distributor}\n",
                      "    - {code: N28, device: chf, to: import_supplier}\n")):
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "my-cpl-ch.yaml"
    path.write_text(text, encoding="utf-8")
    report = _run(str(path), tmp_path / "data")
    assert {t: s for t, _, s in _statuses(report)} == {"CHF": "suspended", "GPF": "suspended",
                                                       "ESME": "commissioned", "GSME": "commissioned"}


def test_the_whole_life_replaces_its_ch_after_a_change_of_supplier(tmp_path: Path) -> None:
    """Day 90 of whole-life-dual-fuel: the Gas Supplier replaces the CH after the electricity moved to Supplier B. It
    may decommission the old CHF (H6.2: an RS of the SMSs it served), N30 goes to Supplier B, no N31 is due (AB 10.5:
    the Gas Supplier restored its own GPF), and the DCC does the new CHF's AC 5.1 / 5.3 duties too (AC 8.3)."""
    report = _run("whole-life-dual-fuel", tmp_path)
    old_chf, _old_gpf, _esme, _gsme, new_chf, _new_gpf = (d["device_id"] for d in report["devices"])
    assert _process(report, "replace_communications_hub")["end"] == "end_ch_replaced"
    assert [(d["device_type"], d["smi_status"]) for d in report["devices"]][-2:] == [
        ("CHF", "commissioned"), ("GPF", "commissioned")]
    b_import = PARTIES["supplier-b"].user_ids[UserRole.IMPORT_SUPPLIER]
    assert _alerts(report, "N30") == {(new_chf, b_import)} and not _alerts(report, "N31")
    assert (old_chf, ED) in _alerts(report, "N9")
    duties = {(v["device_id"], v["verdict"]) for v in report["regulation"]
              if v["obligation"] == "chf-post-commissioning"}
    assert duties == {(old_chf, "met"), (new_chf, "met")}
    assert _verdicts(report, "ch-replace-n30") == {"met"} and _verdicts(report, "ch-replace-n31") == {"not applicable"}


def test_the_gas_supplier_does_the_post_commissioning_steps_of_the_replacement_gpf(tmp_path: Path) -> None:
    """BAD 7.6.1.6.10, AC 8.3: the new GPF is newly Commissioned, so AC 5.2 binds its Responsible Supplier, the Gas
    Supplier: its Post Commissioning steps run when the GSME has joined it, its Network Operator cell gets the Gas
    Transporter's certificate within 7 days, and the DCC never lists it (AC 5.6), so no AC 5.9 report is due."""
    report = _run("whole-life-dual-fuel", tmp_path)
    new_gpf = report["devices"][-1]["device_id"]
    replace = _process(report, "replace_communications_hub")
    assert f"Post Commissioning of GPF {new_gpf}: met" in replace["reason"]
    assert _steps(replace)[-2:] == ["post_commissioning_new_gpf", "end_ch_replaced"]  # after the return (7.6.1.6.10)
    rows = {v["obligation"]: v for v in report["regulation"] if v["device_id"] == new_gpf}
    operator = rows["network-operator-credentials"]
    assert operator["verdict"] == "met" and operator["actual"] <= operator["due"]
    assert rows["supplier-restriction"]["verdict"] == "not applicable"  # 6.17 / 6.15.2 done in the 7 days
    assert rows["pc-daily-supplier-report"]["verdict"] == "not applicable"
    assert _verdicts(report, "network-operator-credentials") == {"met"}
    pc = next(o for o in replace["obligations"] if o["obligation"].startswith("Post Commissioning"))
    assert pc["met"] is True
    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        reported = [r.kind for r in s.exec(select(DccPcReport)) if new_gpf in json.dumps(r.content)]
    assert reported == []
