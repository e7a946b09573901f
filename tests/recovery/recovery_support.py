"""What the SMKI Recovery tests share: running a drill scenario (``dccflow run NAME --json``) in a data directory,
and reading what the DCC recorded there."""

from __future__ import annotations

from pathlib import Path

from scenario_support import copy_scenario, run_scenario
from sqlmodel import select

from dccflow.config import Settings
from dccflow.db import get_engine, session_scope

run = run_scenario
copy = copy_scenario


def recovery(report: dict) -> dict:
    return next(p for p in report["processes"] if p["process"] == "smki_recovery")


def steps(process: dict) -> list[str]:
    return [e["bpmn_id"] for e in process["events"]]


def detail(process: dict, bpmn_id: str) -> str:
    return next(e["detail"] for e in process["events"] if e["bpmn_id"] == bpmn_id)


def device(report: dict, device_type: str) -> dict:
    return next(d for d in report["devices"] if d["device_type"] == device_type)


def engine(data: Path):
    return get_engine(Settings(data_dir=data).db_url)


def status_history(data: Path, device_id: str) -> list[str]:
    from dccsim.models import SmiStatusChange

    with session_scope(engine(data)) as s:
        return [r.to_status for r in s.exec(select(SmiStatusChange).where(SmiStatusChange.device_id == device_id)
                                            .order_by(SmiStatusChange.id))]


def supplier_cell_serial(data: Path, device_id: str) -> str:
    from devices.anchors import RESOLVER
    from devices.models import DeviceState

    with session_scope(engine(data)) as s:
        return str(RESOLVER.cert(s, s.get(DeviceState, device_id).anchors["Supplier"]).serial_number)
