"""Time-aware eligibility: Registration Data has history and future (SEC E2.1(c)), a future-dated request is
checked at its execution time when received (AB 6.1(f)(ii)) and again when the DCC executes it (BAD 7.8.5.4.1:
N7 if the User is no longer eligible)."""

from __future__ import annotations

from datetime import timedelta

from dcc_support import (
    CHF,
    DISTRIBUTOR,
    MPAN,
    NEW_ESME,
    SUPPLIER_A,
    SUPPLIER_B,
    add_to_chf,
    delivered,
    log_entry,
    now,
    premises,
    request_id,
    use_recording_wan,
    valid_and_signed_by_dcc,
)
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import UserRole
from dccflow.domain.smi import SmiStatus
from dccsim.inventory import Inventory, Registration
from dccsim.models import RegistrationData
from dccsim.records import ServiceLevelRecord
from dccsim.service import dcc_workflow_id

T0 = now().replace(microsecond=0)


def test_registration_holds_over_a_range_only_without_gaps_or_hand_overs(tmp_path):
    from dccflow.db import get_engine

    engine = get_engine(f"sqlite:///{tmp_path / 'r.db'}")
    with session_scope(engine) as s:
        reg = Registration(s)
        reg.add(mpxn=MPAN, fuel="electricity", supplier_id=SUPPLIER_A, network_operator_id=DISTRIBUTOR,
                effective_from=T0, effective_to=T0 + timedelta(days=10))
        reg.add(mpxn=MPAN, fuel="electricity", supplier_id=SUPPLIER_B, network_operator_id=DISTRIBUTOR,
                effective_from=T0 + timedelta(days=12))
        IS, ED = UserRole.IMPORT_SUPPLIER, UserRole.ELECTRICITY_DISTRIBUTOR
        assert reg.holds(MPAN, IS, SUPPLIER_A, T0 + timedelta(days=1), T0 + timedelta(days=9))
        assert not reg.holds(MPAN, IS, SUPPLIER_A, T0 + timedelta(days=1), T0 + timedelta(days=11))
        assert not reg.holds(MPAN, IS, SUPPLIER_B, T0 + timedelta(days=11))  # the gap
        assert reg.holds(MPAN, IS, SUPPLIER_B, T0 + timedelta(days=30))  # due to become registered
        assert reg.holds(MPAN, ED, DISTRIBUTOR, T0 + timedelta(days=1), T0 + timedelta(days=9))
        assert not reg.holds(MPAN, ED, DISTRIBUTOR, T0 + timedelta(days=1), T0 + timedelta(days=13))  # gap
        assert not reg.holds(MPAN, UserRole.GAS_SUPPLIER, SUPPLIER_A, T0 + timedelta(days=1))  # wrong fuel
        assert reg.at(MPAN, T0 + timedelta(days=10)) is None  # effective_to is exclusive


async def dcc_result(stack, rid: str) -> str:
    """Wait for the DCC's workflow, letting the test server skip its timers."""
    async with stack.env.time_skipping_unlocked():
        return await stack.client.get_workflow_handle(dcc_workflow_id(rid)).result()


def setup(rt):
    premises(rt)
    with session_scope(rt.engine) as s:
        Inventory(s).add(NEW_ESME, DeviceType.ESME, SmiStatus.PENDING, now(), reason="test")
    return use_recording_wan(rt)


async def test_a_future_dated_request_is_held_until_its_execution_time(stack):
    rt = stack.runtime
    wan = setup(rt)
    execute_at = now() + timedelta(hours=6)
    assert (await rt.dcc.submit(add_to_chf(rt, execution_datetime=execute_at), now())).code == "I99"
    rid = request_id(SUPPLIER_A, CHF, 11)
    assert wan.commands == []  # held by the DCC ('Future Dated Response Pattern (DSP)')
    await dcc_result(stack, rid)
    assert len(wan.commands) == 1
    with session_scope(rt.engine) as s:
        measured = s.exec(select(ServiceLevelRecord).where(ServiceLevelRecord.ref == rid)).one()
    assert measured.measure == "Future-Dated Service Response (CPM 2)"
    assert measured.started_at == execute_at.replace(microsecond=execute_at.microsecond)


async def test_a_user_no_longer_eligible_at_execution_gets_n7_and_nothing_is_sent(stack):
    rt = stack.runtime
    wan = setup(rt)
    assert (await rt.dcc.submit(add_to_chf(rt, execution_datetime=now() + timedelta(hours=6)), now())).code == "I99"
    with session_scope(rt.engine) as s:  # a late Registration Data update: Supplier A lost the MPAN
        row = s.exec(select(RegistrationData)).one()
        row.effective_to = now() + timedelta(hours=1)
        s.add(row)
    rid = request_id(SUPPLIER_A, CHF, 11)
    assert await dcc_result(stack, rid) == "N7"
    assert wan.commands == [] and log_entry(rt, rid).stage == "failed"
    (n7,) = delivered(rt, kind="dcc_alert", request_id=rid)
    parsed = valid_and_signed_by_dcc(n7.xml)
    assert (n7.recipient, parsed.dcc_alert_code) == (SUPPLIER_A, "N7")


def test_registration_rows_read_once_per_transaction_see_a_registration_added_meanwhile(tmp_path):
    """Rows are cached for the transaction (a request consults them many times); adding one refreshes them, and
    the next transaction reads the table afresh."""
    from sqlalchemy import event

    from dccflow.db import get_engine

    engine = get_engine(f"sqlite:///{tmp_path / 'r.db'}")
    selects: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: selects.append(statement) if "dcc_registration" in statement
                 and statement.lstrip().upper().startswith("SELECT") else None)
    with session_scope(engine) as s:
        reg = Registration(s)
        reg.add(mpxn=MPAN, fuel="electricity", supplier_id=SUPPLIER_A, network_operator_id=DISTRIBUTOR,
                effective_from=T0, effective_to=T0 + timedelta(days=10))
        assert reg.at(MPAN, T0 + timedelta(days=1)).supplier_id == SUPPLIER_A
        assert Registration(s).at(MPAN, T0 + timedelta(days=2)).supplier_id == SUPPLIER_A
        assert len(selects) == 1
        reg.add(mpxn=MPAN, fuel="electricity", supplier_id=SUPPLIER_B, network_operator_id=DISTRIBUTOR,
                effective_from=T0 + timedelta(days=10))
        assert reg.at(MPAN, T0 + timedelta(days=11)).supplier_id == SUPPLIER_B
    with session_scope(engine) as s:
        assert [r.supplier_id for r in Registration(s).rows(MPAN)] == [SUPPLIER_A, SUPPLIER_B]
