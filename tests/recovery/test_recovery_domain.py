"""The method selection table of SMKI Recovery as data (``dccflow.domain.recovery``; digest 05 §D.0)."""

from __future__ import annotations

import pytest

from dccflow.domain.alerts import DccAlert
from dccflow.domain.recovery import (
    METHODS,
    CompromisedKey,
    MethodNotAvailable,
    RecoveryMethod,
    choose_method,
)
from dccflow.domain.smi import SmiStatus

K, M = CompromisedKey, RecoveryMethod


@pytest.mark.parametrize(("can_sign", "ready", "method"), [
    (True, False, M.METHOD_1), (True, True, M.METHOD_1), (False, True, M.METHOD_3), (False, False, M.METHOD_2)])
def test_an_organisation_key_is_recovered_by_the_method_its_subscriber_can_use(can_sign, ready, method) -> None:
    row = choose_method(K.ORGANISATION, subscriber_can_sign=can_sign, replacement_certificates=ready)
    assert row.method is method


def test_the_table_gives_each_method_its_status_path_alert_and_user_requests() -> None:
    assert METHODS[M.METHOD_1].smi_path == () and METHODS[M.METHOD_1].user_srvs == ("6.15.1",)
    assert not METHODS[M.METHOD_1].pma_gate  # L 4.1 has no PMA decision
    assert METHODS[M.METHOD_2].smi_path == (SmiStatus.RECOVERY, SmiStatus.RECOVERED)
    assert METHODS[M.METHOD_2].alert is DccAlert.N44 and METHODS[M.METHOD_2].user_srvs == ("6.21",)
    assert METHODS[M.METHOD_3].smi_path == (SmiStatus.RECOVERY,) and METHODS[M.METHOD_3].alert is DccAlert.N45


def test_a_forced_method_must_fit_the_key() -> None:
    assert choose_method(K.ORGANISATION, forced=M.METHOD_2).method is M.METHOD_2
    with pytest.raises(MethodNotAvailable, match="recovers a compromised organisation"):
        choose_method(K.ROOT_OCA, forced=M.METHOD_2)


def test_a_compromised_contingency_key_is_rolled_over_by_a_root_the_existing_root_signs() -> None:
    row = choose_method(K.CONTINGENCY)
    assert row.method is M.CONTINGENCY_KEY_ROLLOVER and "existing Root OCA Private Key" in row.dcc_signs_with
    assert row.smi_path == () and row.alert is None and row.user_srvs == ("6.15.1",)  # §D.6 notes


def test_a_compromised_recovery_key_is_rolled_over_by_the_dcc_with_the_replaced_key() -> None:
    row = choose_method(K.RECOVERY)
    assert row.method is M.RECOVERY_KEY_ROLLOVER and row.dcc_signs_with == "the replaced Recovery Private Key"
    assert row.smi_path == () and row.alert is None  # no status change, no alert named (§D.7 notes)


def test_a_compromised_root_is_recovered_with_the_contingency_key() -> None:
    row = choose_method(K.ROOT_OCA)
    assert row.method is M.CONTINGENCY and row.dcc_signs_with == "Contingency Private Key"
    assert row.smi_path == (SmiStatus.RECOVERY, SmiStatus.RECOVERED) and row.alert is DccAlert.N44


def test_every_governance_row_shown_by_a_step_is_named_by_one() -> None:
    import re

    from dccflow.domain.recovery_obligations import RECOVERY_OBLIGATIONS
    from workflows.smki_recovery_steps import SMKI_RECOVERY_STEPS as STEPS

    named = {m for i in STEPS.ids for m in re.findall(r"RCV-\d+", STEPS[i].name)}
    by_step = {o.id for o in RECOVERY_OBLIGATIONS.values() if o.shown_by == "step"}
    assert named <= set(RECOVERY_OBLIGATIONS)
    assert by_step - named <= {"RCV-01", "RCV-04", "RCV-14"}  # the whole workflow / its history / the RS notice
