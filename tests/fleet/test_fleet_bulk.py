"""The fleet builder's fast path (``devices.fleet_rows``: rows converted beforehand, raw ``executemany`` on
SQLite; for a large fleet made in a second process and copied from its scratch files, ``devices.fleet_stream``)
writes exactly the rows the Core ``insert`` of dicts writes; a clash in a later chunk is refused with the earlier
chunks kept, and the build leaves the connection's synchronous mode, page cache and automatic checkpoints as it
found them."""

from __future__ import annotations

import random
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dccflow.config import Settings
from dccflow.domain.mpxn import validate_mpan, validate_mprn
from dccflow_app.database import open_database
from devices import builder, fleet_rows
from devices.builder import FleetExists, FleetSpec, build_fleet, build_premises
from devices.cli import prepare_market
from devices.fleet_rows import Mpxns
from devices.models import DeviceState
from devices.premises import premises_values, seed_block_start

AT = datetime(2026, 3, 2, 9, 0, 1, 234567, tzinfo=UTC)
TABLES = ("device_state", "smi_device", "smi_status_change", "dcc_registration")
SPECS = (
    FleetSpec(sms=50, dual_fuel=True),
    FleetSpec(sms=50, dual_fuel=True, ppmid=True, ihd=True, dual_band_share=0.3, supplier_b_share=0.4, seed=3,
              faults=[("join-timeout", None, 0.2), ("slow-wan", 30, 0.1)]),
    FleetSpec(sms=20, dual_fuel=True, in_service=True, seed=5),
    FleetSpec(sms=20, gas_only=True, cad=True, hcalcs=True, prenotify_type2=True, supplier_cells={"ESME": "DCC"},
              seed=6),
)


def _engine(data_dir: Path):
    engine = open_database(Settings(data_dir=data_dir).db_url)
    prepare_market(engine)
    return engine


def _rows(engine) -> dict[str, list[tuple]]:
    with sqlite3.connect(engine.url.database) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}  # noqa: S608


def _build(data_dir: Path, raw: bool, parallel: bool | None = None) -> dict[str, list[tuple]]:
    engine = _engine(data_dir)
    for spec in SPECS:
        build_fleet(engine, spec, AT, raw=raw, parallel=parallel)
    return _rows(engine)


def test_the_fast_path_writes_the_rows_the_core_insert_writes(tmp_path):
    fast, core = _build(tmp_path / "fast", raw=True), _build(tmp_path / "core", raw=False)
    assert {t: len(rows) for t, rows in fast.items()} == {"device_state": 680, "smi_device": 630,
                                                          "smi_status_change": 530, "dcc_registration": 260}
    assert fast == core  # every column of every row, autoincrement ids included
    # what SQLAlchemy's types made of the Python values: JSON text, 0/1, UTC datetimes as text
    chf = fast["device_state"][0]
    assert chf[:2] == ("00-DB-12-01-00-20-00-00", "CHF") and chf[9] == "[]" and chf[5] == 0
    first_change = fast["smi_status_change"][0]
    assert first_change[1:] == ("00-DB-12-01-00-20-00-00", None, "pending", "2026-03-02 09:00:01.234567",
                                "pre-notified (fleet build; BAD 7.1.1.6.2)")


def test_rows_made_in_a_second_process_are_the_rows_the_core_insert_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(builder, "CHUNK", 7)  # several scratch files per fleet, the last one short
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    two = _build(tmp_path / "two", raw=True, parallel=True)
    core = _build(tmp_path / "core", raw=False)
    assert len(two["device_state"]) == 680
    assert two == core
    assert list(scratch.iterdir()) == []  # the scratch files are gone


def test_a_clash_stops_the_second_process_and_keeps_the_earlier_chunks(tmp_path, monkeypatch):
    engine = _engine(tmp_path)
    start = seed_block_start(1)
    build_premises(engine, start + 25, AT, dual_fuel=True)
    monkeypatch.setattr(builder, "CHUNK", 10)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(FleetExists, match=f"premises {start + 20}-{start + 29} clash"):
        build_fleet(engine, FleetSpec(sms=60, dual_fuel=True), AT, parallel=True)
    assert list(scratch.iterdir()) == []
    rows = _rows(engine)
    assert len(rows["device_state"]) == 4 * 20 + 4
    with engine.connect() as conn:  # the scratch file was detached: the connection is the pool's again
        # no scratch file left attached ('temp', SQLite's own temporary schema, is listed once a sort has used it)
        assert [r[1] for r in conn.exec_driver_sql("PRAGMA database_list") if r[1] != "temp"] == ["main"]


def test_a_clash_in_a_later_chunk_is_refused_and_earlier_chunks_stay(tmp_path, monkeypatch):
    engine = _engine(tmp_path)
    start = seed_block_start(1)
    build_premises(engine, start + 25, AT, dual_fuel=True)  # inside the fleet's third chunk
    monkeypatch.setattr(builder, "CHUNK", 10)
    with engine.connect() as conn:
        before = conn.exec_driver_sql("PRAGMA synchronous").scalar()
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        automatic = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    with pytest.raises(FleetExists, match=f"premises {start + 20}-{start + 29} clash"):
        build_fleet(engine, FleetSpec(sms=40, dual_fuel=True), AT)
    rows = _rows(engine)
    assert len(rows["device_state"]) == 4 * 20 + 4  # two chunks committed, the third rolled back whole
    assert len(rows["dcc_registration"]) == 2 * 20 + 2
    with engine.connect() as conn:  # the pooled connection got its pragma back
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == before == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == cache == -2000  # SQLite's default
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == automatic == 1000


def test_the_row_maker_makes_the_mpxns_premises_values_makes():
    """MPANs and MPRNs (check digits worked out from tables) are those of ``premises_values``, across every
    10,000-number boundary a block's numbers cross and at random numbers of the whole range."""
    mpxns = Mpxns()
    start = seed_block_start(1)
    numbers = [*range(start, start + 30_100, 7), *random.Random(18).sample(range(2**32), 2_000), 0, 2**32 - 1,
               9_999, 10_000, 99_999_999, 100_000_000]
    for number in numbers:
        values = premises_values(number)
        assert mpxns(number) == (values["mpan"], values["mprn"]), number
        assert validate_mpan(values["mpan"]) and validate_mprn(values["mprn"])


def test_a_fleet_with_more_faults_than_the_row_maker_takes_is_built_the_reference_way(tmp_path, monkeypatch):
    monkeypatch.setattr(fleet_rows, "MAX_FAULTS", 1)
    spec = FleetSpec(sms=30, dual_fuel=True, seed=4, faults=[("join-timeout", None, 0.3), ("slow-wan", 30, 0.2),
                                                               ("join-timeout", None, 0.5)])
    built = {}
    for raw in (True, False):
        engine = _engine(tmp_path / str(raw))
        build_fleet(engine, spec, AT, raw=raw)
        built[raw] = _rows(engine)
    assert built[True] == built[False]
    faults = DeviceState.__table__.columns.keys().index("faults")
    assert any(row[faults] != "{}" for row in built[True]["device_state"])  # some devices drew a fault
