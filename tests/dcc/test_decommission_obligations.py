"""The BAD 7.6 / SEC H6 obligation register (``dccflow.domain.obligations_life``) is data the audit can run: every
check it names exists, and every SEC clause it cites is one the BAD's governance tables 7.6.1.9 / 7.6.2.7 / 7.1.2.6
quote or SEC H6 (file 000) contains. And the DCC Alert bodies of ``dccsim.life_alerts`` are valid DUIS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dccflow.audit import CHECKS
from dccflow.domain.obligations_life import LIFE_REGISTER

REFERENCE = Path("/work/shared/reference")


def _text(prefix: str, first: int, last: int) -> str:
    (path,) = REFERENCE.glob(f"{prefix}_*.txt")
    return "\n".join(path.read_text(encoding="utf-8").splitlines()[first - 1:last])


def test_every_check_named_is_one_the_audit_has():
    assert [o.id for o in LIFE_REGISTER if o.check and o.check not in CHECKS] == []
    assert len({o.id for o in LIFE_REGISTER}) == len(LIFE_REGISTER)


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference texts are not on this machine")
def test_every_sec_clause_cited_is_quoted_in_the_governance_tables_or_in_h6():
    bad = _text("004", 3385, 3726) + _text("004", 876, 905)
    sec_h6 = _text("000", 1016, 1108)
    missing = []
    for o in LIFE_REGISTER:
        if o.document == "BAD":
            continue
        clause = o.clause
        if o.document == "SEC" and clause.startswith("H6"):
            number = re.match(r"H6\.\d+", clause).group(0)
            found = re.search(rf"^\s*{re.escape(number)}\b", sec_h6, re.M) is not None
        else:
            found = clause.split("(")[0] in bad
        if not found:
            missing.append((o.id, o.document, clause))
    assert missing == []


def test_every_end_of_life_alert_body_is_valid_duis():
    """Each DCC Alert body of ``dccsim.life_alerts`` (N1, N2, N6, N9, N28-N31, N33, N34, N40, N41, N43) against the
    DUIS 5.4 schema."""
    from datetime import UTC, datetime

    from dccflow.duis.schema import duis_schema
    from dccsim.life_alerts import LIFE_ALERT_BUILDERS

    data = {"mpxn": "1300000009011", "export_mpan": "1300000009029", "type1": [("00-DB-12-06-00-00-09-01", "PPMID")],
            "schedule_id": 7, "old_chf": "00-DB-12-01-00-00-09-01", "new_chf": "00-DB-12-01-00-00-09-02",
            "old_gpf": "00-DB-12-02-00-00-09-01", "new_gpf": "00-DB-12-02-00-00-09-02", "restored_date": "2026-12-06",
            "chf_id": "00-DB-12-01-00-00-09-01",
            "cancelled_request_id": "90-B3-D5-1F-30-01-00-00:00-DB-12-03-00-00-09-01:5"}
    schema = duis_schema()
    for code, build in LIFE_ALERT_BUILDERS.items():
        element = build(code, "00-DB-12-03-00-00-09-01", datetime.now(UTC), None, data)
        assert schema.validate(element), (code, schema.error_log)
