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
