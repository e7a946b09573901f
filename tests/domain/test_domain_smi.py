"""SMI Status vocabulary and the legal-transition table."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import (
    INITIAL_STATUS,
    SMI_TRANSITIONS,
    STATUSES_BY_TYPE,
    TRANSITION_RULES,
    IllegalSmiTransition,
    SmiStatus,
    allowed_next,
    check_restore,
    check_transition,
    is_legal,
    legal_pairs,
    transition_clauses,
)

S = SmiStatus
D = DeviceType
INC = S.INSTALLED_NOT_COMMISSIONED
WITH_STATUS = [d for d in DeviceType if not d.is_type2]


def test_statuses_are_the_nine_the_bad_lists() -> None:
    # BAD 7.1.1.1 lists exactly these nine SMI Statuses.
    assert [s.value for s in SmiStatus] == [
        "pending",
        "whitelisted",
        "installed not commissioned",
        "commissioned",
        "decommissioned",
        "withdrawn",
        "suspended",
        "recovery",
        "recovered",
    ]


def test_duis_names_are_exactly_the_schema_device_status_values(xsd_enum: Callable[[str], list[str]]) -> None:
    schema_values = xsd_enum("DeviceStatus")
    assert [s.duis_name for s in SmiStatus] == schema_values
    assert S.INSTALLED_NOT_COMMISSIONED.duis_name == "InstalledNotCommissioned"
    for value in schema_values:
        assert SmiStatus.from_duis(value).duis_name == value


def test_update_inventory_status_values_in_schema_are_legal_targets(
    xsd_enum: Callable[[str], list[str]],
) -> None:
    # 8.4 can set non-CH Devices to Pending / InstalledNotCommissioned, and a CHF to Commissioned,
    # Withdrawn or InstalledNotCommissioned: each must be reachable in the table for those Device Types.
    for value in xsd_enum("UpdateDeviceStatusExceptCH"):
        target = SmiStatus.from_duis(value)
        assert any(target in t for t in SMI_TRANSITIONS[D.ESME].values())
    for value in xsd_enum("UpdateDeviceStatusCH"):
        target = SmiStatus.from_duis(value)
        assert any(target in t for t in SMI_TRANSITIONS[D.CHF].values())


def test_from_duis_rejects_unknown_value_with_its_name() -> None:
    with pytest.raises(ValueError, match="'Installed'"):
        SmiStatus.from_duis("Installed")


def test_initial_status_is_pending_except_type2() -> None:
    for device_type in DeviceType:
        expected = None if device_type.is_type2 else S.PENDING
        assert INITIAL_STATUS[device_type] is expected


@pytest.mark.parametrize("device_type", list(DeviceType))
def test_cartesian_product_exactly_table_pairs_pass(device_type: DeviceType) -> None:
    table = SMI_TRANSITIONS[device_type]
    passed = set()
    for current, new in itertools.product(SmiStatus, SmiStatus):
        try:
            check_transition(device_type, current, new)
        except IllegalSmiTransition as exc:
            assert exc.device_type is device_type
            assert not is_legal(device_type, current, new)
            continue
        passed.add((current, new))
        assert new in table[current]
        assert is_legal(device_type, current, new)
    expected = {(s, t) for s, targets in table.items() for t in targets}
    assert passed == expected == legal_pairs(device_type)


@pytest.mark.parametrize("device_type", WITH_STATUS)
def test_every_legal_pair_cites_a_clause_and_no_illegal_pair_does(device_type: DeviceType) -> None:
    for current, new in itertools.product(SmiStatus, SmiStatus):
        clauses = transition_clauses(device_type, current, new)
        if is_legal(device_type, current, new):
            assert clauses and all(clauses)
        else:
            assert clauses == ()


def test_table_has_every_held_status_as_a_key_and_no_self_loops() -> None:
    for device_type in DeviceType:
        table = SMI_TRANSITIONS[device_type]
        assert set(table) == STATUSES_BY_TYPE[device_type]
        for current, targets in table.items():
            assert current not in targets
            assert targets <= STATUSES_BY_TYPE[device_type]


def test_every_rule_cites_a_source() -> None:
    for rule in TRANSITION_RULES:
        assert any(token in rule.clause for token in ("AC ", "AD ", "SEC ", "BAD ", "App L"))


# --- named examples from the Code ---

LEGAL = [
    (D.ESME, S.PENDING, S.WHITELISTED, "AC 4.3(c)"),
    (D.ESME, S.WHITELISTED, INC, "AC 4.4"),
    (D.GSME, S.WHITELISTED, INC, "AD 3.8.109.4(a)(i)"),
    (D.ESME, INC, S.COMMISSIONED, "AC 4.11-4.13"),
    (D.ESME, S.PENDING, INC, "AD 3.8.101.4.3bi.1"),
    (D.ESME, S.WHITELISTED, S.PENDING, "AC 7.1"),
    (D.GSME, S.DECOMMISSIONED, S.PENDING, "AC 7.1"),
    (D.ESME, S.COMMISSIONED, S.DECOMMISSIONED, "SEC H6.1-H6.4"),
    (D.ESME, S.RECOVERY, S.DECOMMISSIONED, "AD 3.8.100.5(a)"),
    (D.ESME, S.COMMISSIONED, S.SUSPENDED, "SEC H6.10"),
    (D.ESME, S.SUSPENDED, S.COMMISSIONED, "AC 7.3"),
    (D.CHF, S.PENDING, S.COMMISSIONED, "AC 4.1"),
    (D.CHF, INC, S.COMMISSIONED, "AC 4.1"),
    (D.CHF, S.COMMISSIONED, S.WITHDRAWN, "AD 3.8.101.4.3c"),
    (D.CHF, S.WITHDRAWN, S.PENDING, "AC 7.1"),
    (D.GPF, INC, S.COMMISSIONED, "BAD 7.2.2.6.8"),
    (D.GPF, S.PENDING, S.COMMISSIONED, "4.10"),
    (D.PPMID, S.PENDING, S.COMMISSIONED, "4.7(b)"),
    (D.HCALCS, INC, S.COMMISSIONED, "4.7(b)"),
    (D.HCALCS, S.COMMISSIONED, S.RECOVERY, "App L"),
    (D.GSME, S.RECOVERY, S.RECOVERED, "App L 4.2.2"),
]


@pytest.mark.parametrize(("device_type", "current", "new", "clause"), LEGAL)
def test_named_legal_transitions(
    device_type: DeviceType, current: SmiStatus, new: SmiStatus, clause: str
) -> None:
    check_transition(device_type, current, new)
    assert any(clause in c for c in transition_clauses(device_type, current, new))


ILLEGAL = [
    (D.ESME, S.PENDING, S.COMMISSIONED),  # must be seen on the HAN first (module decision 2)
    (D.GSME, S.WHITELISTED, S.COMMISSIONED),
    (D.ESME, S.PENDING, S.DECOMMISSIONED),  # AD 3.8.100.5(a): pending Devices are deleted, not decommissioned
    (D.ESME, S.WITHDRAWN, S.DECOMMISSIONED),  # AD 3.8.100.5(a)
    (D.ESME, S.DECOMMISSIONED, S.COMMISSIONED),  # SEC H5.3(b)
    (D.ESME, S.COMMISSIONED, INC),
    (D.ESME, INC, S.PENDING),  # AC 7.1 only from decommissioned, whitelisted or withdrawn
    (D.CHF, S.PENDING, S.WHITELISTED),  # the CHF is never on its own Device Log
    (D.CHF, S.PENDING, S.DECOMMISSIONED),
    (D.PPMID, S.COMMISSIONED, S.RECOVERY),  # BAD Table 2: no recovery for PPMIDs
    (D.PPMID, S.COMMISSIONED, S.WITHDRAWN),
    (D.PPMID, S.WHITELISTED, S.COMMISSIONED),  # AC 4.6(a) does not list 'whitelisted'
    (D.ESME, S.DECOMMISSIONED, S.SUSPENDED),  # module decision 5
    (D.ESME, S.COMMISSIONED, S.RECOVERED),  # recovered only follows recovery
]


@pytest.mark.parametrize(("device_type", "current", "new"), ILLEGAL)
def test_named_illegal_transitions(device_type: DeviceType, current: SmiStatus, new: SmiStatus) -> None:
    with pytest.raises(IllegalSmiTransition):
        check_transition(device_type, current, new)


def test_error_message_names_type_statuses_and_allowed_targets() -> None:
    with pytest.raises(IllegalSmiTransition) as info:
        check_transition(D.ESME, S.PENDING, S.COMMISSIONED)
    message = str(info.value)
    assert "ESME" in message and "'pending'" in message and "'commissioned'" in message
    for allowed in allowed_next(D.ESME, S.PENDING):
        assert f"'{allowed}'" in message
    assert info.value.allowed == allowed_next(D.ESME, S.PENDING)
    assert isinstance(info.value, ValueError)


def test_no_op_is_refused_unless_allowed() -> None:
    with pytest.raises(IllegalSmiTransition, match="no change"):
        check_transition(D.PPMID, S.COMMISSIONED, S.COMMISSIONED)
    check_transition(D.PPMID, S.COMMISSIONED, S.COMMISSIONED, allow_noop=True)


def test_type2_devices_have_no_statuses() -> None:
    for device_type in (D.IHD, D.CAD):
        assert SMI_TRANSITIONS[device_type] == {}
        assert allowed_next(device_type, S.PENDING) == frozenset()
        with pytest.raises(IllegalSmiTransition, match="Type 2"):
            check_transition(device_type, S.PENDING, S.COMMISSIONED)


def test_status_a_type_cannot_hold_is_reported() -> None:
    with pytest.raises(IllegalSmiTransition, match="never has the status 'whitelisted'"):
        check_transition(D.CHF, S.WHITELISTED, S.PENDING)


def test_restore_from_suspension_and_recovery_uses_the_prior_status() -> None:
    check_restore(D.ESME, S.SUSPENDED, S.COMMISSIONED)
    check_restore(D.PPMID, S.SUSPENDED, S.WHITELISTED)
    check_restore(D.GPF, S.RECOVERED, INC)
    check_restore(D.CHF, S.RECOVERY, S.COMMISSIONED)
    with pytest.raises(IllegalSmiTransition, match="cannot itself be"):
        check_restore(D.ESME, S.RECOVERED, S.RECOVERY)
    with pytest.raises(IllegalSmiTransition, match="only 'suspended'"):
        check_restore(D.ESME, S.COMMISSIONED, S.PENDING)
    with pytest.raises(IllegalSmiTransition):
        check_restore(D.CHF, S.SUSPENDED, S.WHITELISTED)


def test_every_held_status_is_reachable_from_pending() -> None:
    for device_type in WITH_STATUS:
        seen = {S.PENDING}
        frontier = [S.PENDING]
        while frontier:
            for target in SMI_TRANSITIONS[device_type][frontier.pop()]:
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
        assert seen == STATUSES_BY_TYPE[device_type], device_type
