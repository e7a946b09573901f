"""Helpers for the campaign tests: an in-service fleet's ESMEs, and what the DCC's request log shows per Device."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.roles import UserRole
from dccflow.duis.messages import request_from_element
from dccflow.duis.schema import secure_parse
from dccflow.parties import SUPPLIER
from dccflow_app.campaigns import build_in_service_fleet
from dccsim.models import RequestLogEntry
from devices.premises import premises_ids

SUPPLIER_ID = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]


def fleet_esmes(engine, count: int, *, seed: int = 1, faults=None) -> list[str]:
    report = build_in_service_fleet(engine, count, datetime.now(UTC), seed=seed, faults=faults)
    return sorted(premises_ids(n).esme_id for n in range(report.first_number, report.last_number + 1))


def firmware_requests(engine) -> tuple[Counter, Counter]:
    """(SRV 11.1 'Update Firmware' per Device named in its DeviceIDList, SRV 11.3 'Activate Firmware' per Device)
    as the DCC logged them."""
    update, activate = Counter(), Counter()
    with session_scope(engine) as s:
        for entry in s.exec(select(RequestLogEntry).where(RequestLogEntry.srv.in_(("11.1", "11.3")))):
            if entry.srv == "11.3":
                activate[entry.target] += 1
                continue
            body = request_from_element(secure_parse(entry.xml)).body
            for device_id in str(body.get("DeviceIDList", "")).split(","):
                if device_id.strip():
                    update[device_id.strip()] += 1
    return update, activate


def assert_upgraded_exactly_once(report, engine, esmes: list[str], waves: list[int]) -> None:
    """The campaign completed in ``waves`` with every ESME on 2.0.0, each sent the image once (one SRV 11.1 naming
    it) and activated once (one SRV 11.3, CS06), and the DCC refused nothing (no RequestID sent twice)."""
    from dccflow_app.campaigns import firmware_versions
    from dccsim.records import RejectedRequest

    assert (report.end, report.upgraded, report.failed) == ("end_campaign_complete", len(esmes), 0)
    assert [(w.size, w.failed) for w in report.waves] == [(size, 0) for size in waves]
    assert firmware_versions(engine, esmes) == {d: "2.0.0" for d in esmes}
    update, activate = firmware_requests(engine)
    assert update == {d: 1 for d in esmes}  # one 11.1 naming each Device
    assert activate == {d: 1 for d in esmes}  # one image activation (11.3, CS06) each
    with session_scope(engine) as s:
        assert s.exec(select(RejectedRequest)).all() == []
