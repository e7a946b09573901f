"""Manage Firmware (BAD 7.5.3) as scenarios, run from the library with ``dccflow run … --json`` and checked as a user
sees them: the process's steps and end, the version the meter runs (the fleet) and the one the SMI records (the
DCC), and what the DCC and the Supplier sent (or did not send)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from dccflow.config import Settings
from dccflow.db import get_engine, session_scope
from dccflow_app.cli import app
from dccsim.models import RequestLogEntry, SmiDevice
from devices.models import DeviceState

runner = CliRunner()


def _run(target: str, data: Path) -> dict:
    result = runner.invoke(app, ["run", target, "--json", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _firmware(report: dict) -> tuple[dict, list[str]]:
    process = next(p for p in report["processes"] if p["process"] == "firmware_upgrade")
    return process, [e["bpmn_id"] for e in process["events"]]


def _esme(data: Path) -> tuple[str, str, list[str]]:
    """The ESME's version in the SMI and on the meter, and the SRVs sent about firmware."""
    with session_scope(get_engine(Settings(data_dir=data).db_url)) as s:
        smi = s.exec(select(SmiDevice).where(SmiDevice.device_type == "ESME")).one()
        meter = s.get(DeviceState, smi.device_id)
        srvs = [e.srv for e in s.exec(select(RequestLogEntry).order_by(RequestLogEntry.received_at))
                if e.srv.startswith("11.")]
        return smi.firmware_version, meter.firmware_version, srvs


def test_upgrade_activates_the_new_version_on_the_meter_and_in_the_smi(tmp_path: Path) -> None:
    process, steps = _firmware(_run("firmware-upgrade-esme", tmp_path))
    assert process["end"] == "end_firmware_upgraded" and process["result"] == "completed"
    assert steps.index("distribution_receipt_success") < steps.index("activate_firmware") \
        < steps.index("read_firmware_version")
    assert _esme(tmp_path) == ("2.0.0", "2.0.0", ["11.1", "11.3", "11.2"])


def test_future_dated_activation_is_stored_then_reported_with_0x00ca(tmp_path: Path) -> None:
    process, steps = _firmware(_run("firmware-future-dated-activation", tmp_path))
    assert process["end"] == "end_firmware_upgraded"
    assert steps[steps.index("activation_stored"):] == ["activation_stored", "future_dated_activation_alert",
                                                        "read_firmware_version", "end_firmware_upgraded"]
    events = {e["bpmn_id"]: e["at"] for e in process["events"]}
    assert events["future_dated_activation_alert"] >= events["activation_stored"]
    assert _esme(tmp_path)[:2] == ("2.0.0", "2.0.0")  # the SMI updated on the 0x00CA (BAD 7.5.3.6.3)


def test_a_release_not_on_the_cpl_is_never_sent(tmp_path: Path) -> None:
    process, steps = _firmware(_run("firmware-not-on-cpl", tmp_path))
    assert process["end"] == "end_package_rejected" and process["result"] == "failed"
    assert "update_firmware" not in steps
    smi_version, meter_version, srvs = _esme(tmp_path)
    assert srvs == [] and smi_version != "2.0.0" and meter_version == "1.0.0"


def test_an_image_damaged_on_download_is_rejected_by_the_meter(tmp_path: Path) -> None:
    process, steps = _firmware(_run("firmware-hash-mismatch", tmp_path))
    assert process["end"] == "end_not_distributed" and "distribution_receipt_failure" in steps
    assert _esme(tmp_path)[1:] == ("1.0.0", ["11.1"])  # no 11.3 after 0x8F1C


def test_a_failed_activation_keeps_the_old_firmware(tmp_path: Path) -> None:
    process, steps = _firmware(_run("firmware-activation-fails", tmp_path))
    assert process["end"] == "end_activation_failed" and process["result"] == "failed"
    assert "activation_failed" in steps and "read_firmware_version" in steps
    smi_version, meter_version, srvs = _esme(tmp_path)
    assert meter_version == "1.0.0" and smi_version != "2.0.0" and srvs == ["11.1", "11.3", "11.2"]


def test_the_dcc_upgrades_the_ch_itself_and_the_meter_is_upgraded_through_it(tmp_path: Path) -> None:
    report = _run("firmware-ch-dcc-initiated", tmp_path)
    (event,) = [e for e in report["world_events"] if e["event"] == "ch_firmware_upgrade"]
    assert event["dcc_workflow_id"] == f"dcc-ch-firmware-{event['device_id']}-4.0.0"
    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        chf = s.get(SmiDevice, event["device_id"])
        assert (chf.firmware_version, s.get(DeviceState, chf.device_id).firmware_version) == ("4.0.0", "4.0.0")
        # no Service Request: the DCC's own Commands (BAD 7.5.3.6.5)
        assert [e.srv for e in s.exec(select(RequestLogEntry)) if e.target == chf.device_id
                and e.srv.startswith("11.")] == []
    assert _firmware(report)[0]["end"] == "end_firmware_upgraded"


def _distribution(data: Path):
    """The DCC's record of the 11.1's distribution to the ESME (dccsim.firmware_records)."""
    from dccsim.firmware_records import FirmwareDistribution

    with session_scope(get_engine(Settings(data_dir=data).db_url)) as s:
        (row,) = s.exec(select(FirmwareDistribution)).all()
        return row


def test_a_ch_off_the_wan_is_tried_again_then_n22_and_no_11_3(tmp_path: Path) -> None:
    report = _run("firmware-device-off-wan", tmp_path)
    process, steps = _firmware(report)
    assert process["end"] == "end_not_distributed" and process["reason"].startswith("N22")
    assert steps[steps.index("update_firmware"):] == ["update_firmware", "image_not_delivered", "end_not_distributed"]
    row = _distribution(tmp_path)  # 1 + 6 attempts, 2 hours apart, on the DCC's durable timers
    assert (row.attempts, row.delivered_at, row.alert) == (7, None, "N22")
    assert (row.alert_at - row.started_at).total_seconds() >= 12 * 3600
    assert _esme(tmp_path)[1:] == ("1.0.0", ["11.1"])


def test_a_ch_back_on_the_wan_takes_the_image_on_a_later_attempt(tmp_path: Path) -> None:
    report = _run("firmware-device-back-on-wan", tmp_path)
    assert _firmware(report)[0]["end"] == "end_firmware_upgraded"
    row = _distribution(tmp_path)  # off the SM WAN at the first two attempts, back for the third (4 hours on)
    assert (row.attempts, row.alert) == (3, None) and (row.delivered_at - row.started_at).total_seconds() >= 4 * 3600
    assert _esme(tmp_path) == ("2.0.0", "2.0.0", ["11.1", "11.3", "11.2"])


def test_a_download_that_never_completes_is_n23(tmp_path: Path) -> None:
    process, steps = _firmware(_run("firmware-download-stalls", tmp_path))
    assert process["end"] == "end_not_distributed" and "download_not_confirmed" in steps
    row = _distribution(tmp_path)
    assert row.delivered_at is not None and row.download_completed_at is None and row.alert == "N23"
    assert (row.alert_at - row.delivered_at).total_seconds() >= 6 * 3600
    assert _esme(tmp_path)[1:] == ("1.0.0", ["11.1"])


def test_the_supplier_cancels_a_stored_activation_with_the_duis_3000_12_31_date(tmp_path: Path) -> None:
    process, steps = _firmware(_run("firmware-activation-cancelled", tmp_path))
    assert (process["end"], process["outcome"]) == ("end_activation_cancelled", "cancelled")
    assert steps.index("activation_stored") < steps.index("cancel_activation") < steps.index("read_firmware_version")
    smi_version, meter_version, srvs = _esme(tmp_path)
    assert meter_version == "1.0.0" and smi_version != "2.0.0" and srvs == ["11.1", "11.3", "11.3", "11.2"]
    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        cancel = [e for e in s.exec(select(RequestLogEntry).order_by(RequestLogEntry.received_at))
                  if e.srv == "11.3"][-1]
        assert b"3000-12-31" in cancel.xml and cancel.response_code == "I0"
        meter = s.exec(select(DeviceState).where(DeviceState.device_type == "ESME")).one()
        assert meter.firmware_state == "STORED_VERIFIED" and "cancelled" in meter.firmware_job


def test_a_change_of_supplier_cancels_the_stored_activation(tmp_path: Path) -> None:
    process, steps = _firmware(_run("firmware-cos-cancels-activation", tmp_path))
    assert (process["end"], process["outcome"]) == ("end_activation_cancelled", "cancelled")
    assert steps.index("activation_stored") < steps.index("activation_cancelled_by_cos")
    smi_version, meter_version, srvs = _esme(tmp_path)
    assert meter_version == "1.0.0" and srvs == ["11.1", "11.3"]  # no 11.2 from the Losing Supplier
    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        meter = s.exec(select(DeviceState).where(DeviceState.device_type == "ESME")).one()
        assert "Supplier changed" in meter.firmware_job.get("cancelled", "")
