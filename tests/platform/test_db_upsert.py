"""``dccflow.db.upsert``: one statement inserts new rows and updates the named columns of existing ones."""

from sqlmodel import select

from activities.store import AlertRoute
from dccflow.db import get_engine, session_scope, upsert


def test_upsert_inserts_then_updates_only_the_named_columns(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'u.db'}")
    with session_scope(engine) as s:
        upsert(s, AlertRoute, [dict(recipient="S1", device_id="D1", workflow_id="wf-a", device_alerts=True),
                               dict(recipient="S1", device_id="D2", workflow_id="wf-a", device_alerts=True)],
               update=["workflow_id", "device_alerts"])
    with session_scope(engine) as s:
        upsert(s, AlertRoute, [dict(recipient="S1", device_id="D2", workflow_id="wf-b", device_alerts=False)],
               update=["workflow_id"])
        upsert(s, AlertRoute, [], update=["workflow_id"])  # nothing to write
    with session_scope(engine) as s:
        rows = {r.device_id: (r.workflow_id, r.device_alerts) for r in s.exec(select(AlertRoute))}
    assert rows == {"D1": ("wf-a", True), "D2": ("wf-b", True)}  # device_alerts not named: kept


def test_a_failed_transaction_leaves_no_upserted_row(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'u.db'}")
    try:
        with session_scope(engine) as s:
            upsert(s, AlertRoute, [dict(recipient="S1", device_id="D1", workflow_id="wf-a", device_alerts=True)],
                   update=["workflow_id"])
            raise RuntimeError("rejected later in the same transaction")
    except RuntimeError:
        pass
    with session_scope(engine) as s:
        assert s.exec(select(AlertRoute)).all() == []


def test_update_row_sets_the_named_columns_of_one_row_in_the_transaction(tmp_path):
    """``dccflow.db.update_row``: the named columns (a JSON one through its type), of the keyed row only, rolled back
    with the transaction."""
    from datetime import UTC, datetime

    import pytest

    from dccflow.db import update_row
    from dccsim.models import RequestLogEntry

    engine = get_engine(f"sqlite:///{tmp_path / 'u.db'}")
    at = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        for rid in ("R1", "R2"):
            s.add(RequestLogEntry(request_id=rid, originator="O", target="T", counter=1, srv="6.21", digest="d",
                                  received_at=at, xml=b"<x/>"))
    with session_scope(engine) as s:
        update_row(s, RequestLogEntry, "R1", stage="responded", device_response={"response": None, "delivered": True})
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        update_row(s, RequestLogEntry, "R2", stage="failed")
        raise RuntimeError("rejected later in the same transaction")
    with session_scope(engine) as s:
        rows = {r.request_id: (r.stage, r.device_response) for r in s.exec(select(RequestLogEntry))}
    assert rows == {"R1": ("responded", {"response": None, "delivered": True}), "R2": ("accepted", None)}
