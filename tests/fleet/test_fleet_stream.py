"""The second process that makes a large fleet's rows (``devices.fleet_stream``): an error there stops the build
with its message, nothing of the failed chunk is written, and its scratch files are removed."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime

import pytest

from dccflow.config import Settings
from dccflow_app.database import open_database
from devices.anchors import AnchorIds
from devices.builder import FleetSpec, _Rows
from devices.cli import prepare_market
from devices.fleet_stream import RowMakerFailed, stream

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_error_in_the_row_process_stops_the_stream_and_its_files_go(tmp_path, monkeypatch):
    engine = open_database(Settings(data_dir=tmp_path / "db").db_url)
    prepare_market(engine)
    with engine.connect() as conn:
        maker, _copies = _Rows(FleetSpec(sms=1, dual_fuel=True), AnchorIds(engine), AT).row_maker(conn.dialect)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    last = 2**32 - 1  # premises numbers end here: the second chunk runs past it
    chunks = stream(maker, last - 3, 8, 4, parallel=True)
    numbers, shard = next(chunks)
    assert numbers == range(last - 3, last + 1) and shard.devices == 16 and shard.path.exists()
    with pytest.raises(RowMakerFailed, match="out of range"):
        next(chunks)
    assert list(scratch.iterdir()) == []
