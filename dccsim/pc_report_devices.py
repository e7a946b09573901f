"""The Devices each Post Commissioning report lists, indexed: a Device's reports are found without reading every
report the DCC compiled.

A report (``dccsim.records.DccPcReport``: the day's Post Commissioning Information, each Supplier's daily report,
the monthly one; SEC Appendix AC 5.5, 5.8, 5.9) keeps its listing as JSON, one entry per Device. The day's listing
names every Device still within its obligation period, so over a fleet and months of the Code's time the reports
hold the fleet many times over; the audit (``dccflow_app.scenarios.audit``) used to read all of them to find the
few Devices a scenario audits. When the DCC compiles a report (``dccsim.post_commissioning_reports``) it now
writes, in the same transaction, one row per Device the report lists, replacing the rows of a report compiled
again; ``reports_listing`` reads them.

Reports compiled before this index existed have no rows: the first reader fills them in once (``ensure_indexed``)
and records that it did, as ``dccsim.request_devices`` and ``dccsim.rejection_devices`` do.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from dccsim.index_backfill import index_missing
from dccsim.models import insert_values
from dccsim.records import DccPcReport, PcReportDeviceIndexComplete, PcReportListedDevice


def listed_in(content: dict | None) -> list[str]:
    """The Device IDs a report's content lists (its ``devices`` entries), once each, in its order."""
    devices = (content or {}).get("devices", [])
    return list(dict.fromkeys(d["device_id"] for d in devices if isinstance(d, dict) and d.get("device_id")))


def record(session: Session, report_id: int, device_ids: Iterable[str]) -> None:
    """The rows of one report, in the caller's transaction (the one compiling it): those of an earlier compilation
    of the same report replaced."""
    session.exec(delete(PcReportListedDevice).where(PcReportListedDevice.report_id == report_id))
    for device_id in dict.fromkeys(device_ids):
        insert_values(session, PcReportListedDevice, {"report_id": report_id, "device_id": device_id})


def reports_listing(session: Session, device_ids: Iterable[str]) -> dict[int, list[str]]:
    """Report id -> the ``device_ids`` it lists, sorted (``ensure_indexed`` first)."""
    found: dict[int, list[str]] = {}
    for report_id, device_id in session.exec(
            select(PcReportListedDevice.report_id, PcReportListedDevice.device_id)
            .where(PcReportListedDevice.device_id.in_(list(device_ids)))
            .order_by(PcReportListedDevice.report_id, PcReportListedDevice.device_id)):
        found.setdefault(report_id, []).append(device_id)
    return found


def ensure_indexed(engine: Engine) -> int:
    """Give every report compiled before the index existed its rows, once, in a transaction of its own; the number
    of reports read (0 once done, or when another reader did it meanwhile)."""
    return index_missing(engine, PcReportDeviceIndexComplete, "reports_read",
                         indexed=select(PcReportListedDevice.report_id).distinct(),
                         source=select(DccPcReport.id, DccPcReport.content),
                         record=lambda s, row: record(s, row[0], listed_in(row[1])),
                         what="Post Commissioning reports")
