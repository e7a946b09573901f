"""The scenario audit's reader (``dccflow_app.scenarios.audit.read_dcc_records``) takes from the DCC's request log
and rejections exactly the entries that concern the audited Devices, and loads only those as objects: the log
holds every request the DCC ever took, and an audit must not grow with it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import select

import dccflow_app.database  # noqa: F401 - every system's tables
from dccflow.db import dispose_engine, get_engine, session_scope
from dccflow.duis.schema import NS_SR
from dccflow.parties import DCC_ID
from dccflow_app.scenarios.audit import read_dcc_records
from dccsim import rejection_devices, request_devices
from dccsim.models import RequestDeviceIndexComplete, RequestLogEntry
from dccsim.records import RejectedRequest, RejectionDeviceIndexComplete

AT = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
AUDITED, OTHER = "00-DB-12-03-00-00-00-01", "00-DB-12-03-00-00-00-02"


@contextmanager
def _statements(engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` sends to the driver inside the block."""
    statements: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def _entry(counter: int, target: str, names: str, srv: str) -> RequestLogEntry:
    return RequestLogEntry(request_id=f"{SUPPLIER}:{target}:{counter}", originator=SUPPLIER, target=target,
                           counter=counter, srv=srv, digest=str(counter), received_at=AT + timedelta(seconds=counter),
                           xml=f'<sr:Request xmlns:sr="{NS_SR}"><sr:Body><sr:CHFDeviceID>{names}</sr:CHFDeviceID>'
                               f'</sr:Body></sr:Request>'.encode())


def test_the_audit_takes_and_loads_only_the_entries_naming_its_devices(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = get_engine(url)
    try:
        with session_scope(engine) as s:
            s.add(_entry(1, AUDITED, AUDITED, "8.11"))  # the Device's own request
            s.add(_entry(2, DCC_ID, AUDITED, "8.14.1"))  # a Non-Device request naming it
            for counter in range(3, 203):  # the rest of the DCC's history
                s.add(_entry(counter, DCC_ID if counter % 2 else OTHER, OTHER, "8.14.1" if counter % 2 else "8.11"))
            s.add(RejectedRequest(at=AT, request_id=f"{SUPPLIER}:{AUDITED}:900", originator=SUPPLIER, srv="6.15.1",
                                  check="E", code="E1", reason="certificate revoked", size=10))
            s.add(RejectedRequest(at=AT, request_id=None, originator=SUPPLIER, srv="8.14.1", check="H", code="E11",
                                  reason=f"{AUDITED} is not a CHF", size=10))
            for n in range(50):
                s.add(RejectedRequest(at=AT, request_id=f"{SUPPLIER}:{OTHER}:{1000 + n}", originator=SUPPLIER,
                                      srv="6.15.1", check="E", code="E1", reason=f"{OTHER} refused", size=10))
        loaded: list[type] = []

        def on_load(target, _context) -> None:
            loaded.append(type(target))

        for model in (RequestLogEntry, RejectedRequest):
            event.listen(model, "load", on_load)
        try:
            records = read_dcc_records(engine, [AUDITED])
        finally:
            for model in (RequestLogEntry, RejectedRequest):
                event.remove(model, "load", on_load)
        taken = [(r.request_id, r.target, r.rejected) for r in records.requests]
        assert taken == [(f"{SUPPLIER}:{AUDITED}:900", AUDITED, True), (None, AUDITED, True),  # in time order
                         (f"{SUPPLIER}:{AUDITED}:1", AUDITED, False), (f"{SUPPLIER}:{DCC_ID}:2", DCC_ID, False)]
        assert sorted(t.__name__ for t in loaded) == ["RejectedRequest"] * 2 + ["RequestLogEntry"] * 2
        # those entries were logged without the index (``dccsim.request_devices``): the first audit read the 101
        # Non-Device ones once to index them; no later audit reads them again
        with session_scope(engine) as s:
            assert s.get(RequestDeviceIndexComplete, 1).requests_read == 101
        assert request_devices.ensure_indexed(engine) == 0
        # so were the 52 rejections (``dccsim.rejection_devices``); from then on the audit asks the rejection log for
        # the ids the index gives, never the whole log
        with session_scope(engine) as s:
            assert s.get(RejectionDeviceIndexComplete, 1).rejections_read == 52
        assert rejection_devices.ensure_indexed(engine) == 0
        with _statements(engine) as statements:
            again = [(r.request_id, r.target, r.rejected) for r in read_dcc_records(engine, [AUDITED]).requests]
        assert again == taken
        reads = [st for st in statements if "FROM dcc_rejected_request" in st]
        assert reads and all("dcc_rejection_device" in st or "WHERE dcc_rejected_request.id IN" in st for st in reads)
        assert [r.request_id for r in read_dcc_records(engine, [OTHER]).requests
                if not r.rejected and r.target == DCC_ID][:2] == [f"{SUPPLIER}:{DCC_ID}:3", f"{SUPPLIER}:{DCC_ID}:5"]
    finally:
        dispose_engine(url)



def test_the_audit_takes_only_the_audited_devices_and_the_parties_certificates(tmp_path) -> None:
    """The SMKI Repository holds every Device Certificate of the fleet; the audit loads the audited Devices' (and
    the simulated Parties' Organisation Certificates), not the rest."""
    from dccflow.domain.credentials import KeyUsageKind
    from dccflow.domain.roles import UserRole
    from dccflow.parties import SUPPLIER as SUPPLIER_PARTY
    from dccflow.security.pki import (
        create_issuing_ca,
        create_root,
        issue_device_certificate,
        issue_organisation_certificate,
        make_device_csr,
        new_private_key,
    )
    from dccsim.models import SmkiCertificate
    from dccsim.smki import _cert_row

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = get_engine(url)
    try:
        ca = create_issuing_ca(create_root(not_before=AT), "Issuing OCA", not_before=AT)
        user_id = SUPPLIER_PARTY.user_ids[UserRole.IMPORT_SUPPLIER]
        with session_scope(engine) as s:
            for device_id in (AUDITED, *(f"00-DB-12-03-00-00-01-{n:02X}" for n in range(30))):
                csr = make_device_csr(new_private_key(), device_id)
                s.add(_cert_row(issue_device_certificate(ca, csr, device_id=device_id,
                                                         usage=KeyUsageKind.DIGITAL_SIGNING, not_before=AT)))
            s.add(_cert_row(issue_organisation_certificate(ca, entity_id=user_id, role_code="2",
                                                           usage=KeyUsageKind.DIGITAL_SIGNING, organisation="S",
                                                           not_before=AT).cert))
        loaded: list[str | None] = []

        def on_load(target, _context) -> None:
            loaded.append(target.subject_entity_id)

        event.listen(SmkiCertificate, "load", on_load)
        try:
            records = read_dcc_records(engine, [AUDITED])
        finally:
            event.remove(SmkiCertificate, "load", on_load)
        assert [(c.device_id, c.user_id) for c in records.smki.certificates] == [(AUDITED, None), (None, user_id)]
        assert sorted(loaded) == sorted([AUDITED, user_id])  # none of the other 30 Devices' certificates
    finally:
        dispose_engine(url)


def test_the_audit_takes_the_post_commissioning_reports_listing_its_devices_from_the_index(tmp_path) -> None:
    """Reports compiled before the index existed are indexed once by the first audit; from then on the audit finds
    a Device's reports, and each day's listing, without reading any report's listing (``dccsim.pc_report_devices``);
    a report compiled again replaces its rows."""
    from dccsim import pc_report_devices
    from dccsim.records import DccPcReport, PcReportDeviceIndexComplete

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = get_engine(url)

    def report(kind: str, day: int, recipient: str, *listed: str) -> DccPcReport:
        return DccPcReport(kind=kind, period=f"2026-12-{day:02d}", recipient=recipient, compiled_at=AT,
                           content={"devices": [{"device_id": d, "device_type": "ESME"} for d in listed]})

    try:
        with session_scope(engine) as s:  # as a database from before the index holds them: no index rows
            for day in range(1, 31):
                s.add(report("daily-information", day, "DCC", OTHER, *((AUDITED,) if day in (3, 4) else ())))
                s.add(report("daily-supplier", day, SUPPLIER, OTHER, *((AUDITED,) if day == 4 else ())))
        taken = [(r.kind, r.period, r.device_ids) for r in read_dcc_records(engine, [AUDITED]).pc_reports]
        assert [t for t in taken if t[2]] == [("daily-information", "2026-12-03", [AUDITED]),
                                              ("daily-information", "2026-12-04", [AUDITED]),
                                              ("daily-supplier", "2026-12-04", [AUDITED])]
        assert len([t for t in taken if t[0] == "daily-information"]) == 30  # each day's listing: who is missing
        assert all(kind != "daily-supplier" or devices for kind, _, devices in taken)  # none not listing it
        with session_scope(engine) as s:
            assert s.get(PcReportDeviceIndexComplete, 1).reports_read == 60
        assert pc_report_devices.ensure_indexed(engine) == 0
        with _statements(engine) as statements:
            again = [(r.kind, r.period, r.device_ids) for r in read_dcc_records(engine, [AUDITED]).pc_reports]
        assert again == taken
        assert not [st for st in statements if "dcc_pc_report.content" in st]  # no listing read
        # compiled again (``post_commissioning_reports._put``): the report's rows are replaced
        with session_scope(engine) as s:
            fourth = s.exec(select(DccPcReport).where(DccPcReport.kind == "daily-supplier",
                                                      DccPcReport.period == "2026-12-04")).one()
            pc_report_devices.record(s, fourth.id, [OTHER])
        with session_scope(engine) as s:
            assert fourth.id not in pc_report_devices.reports_listing(s, [AUDITED])
            assert pc_report_devices.reports_listing(s, [OTHER])[fourth.id] == [OTHER]
    finally:
        dispose_engine(url)
