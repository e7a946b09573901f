"""Two more verdicts of the end-of-life audit (issue #14), each with its true-breach twin, from the real step
registries' refs and the DCC's records as ``dccflow_app.scenarios.audit`` reads them:

* ``remove-whitelisted-pending`` ("AB 3.8.101.4", digest 04 §D.3): judged for the Device a successful 8.11 Remove
  took off the CHF Device Log, against its status then — a later re-use ('decommissioned' → 'pending' by 12.2) is
  not this clause's 'met';
* ``device-post-commissioning`` (AC 5.2) in a CH replacement: the original meters and GPF are judged against their
  own commissioning, beside the new GPF's Deadline."""

from __future__ import annotations

from datetime import timedelta

from test_life_audit_verdicts import CHF, ESME, GPF, NEW_GPF, T0, _change, _day, _ev, _rows

from dccflow.audit import evaluate
from dccflow.audit_records import DccRecords, DeviceRec, RequestRec
from dccflow.domain.obligations import AUDIT_REGISTER
from dccflow.events import ObligationOutcome
from workflows.decommission_steps import DECOMMISSION_STEPS
from workflows.install_commission_steps import INSTALL_COMMISSION_STEPS
from workflows.post_commissioning_steps import POST_COMMISSIONING_STEPS
from workflows.replace_communications_hub_steps import REPLACE_CH_STEPS

PPMID, GSME = "PPMID-1", "GSME-1"
_REMOVE = "remove-whitelisted-pending"


# -- 8.11 Remove: a 'whitelisted' Device back to 'pending' ----------------------------------------------------------
def _removal(device_id: str, status: str, *, set_pending: bool, step: str = "remove_from_chf_device_log"):
    sent, done = _day(10), _day(10) + timedelta(minutes=2)
    events = [_ev(DECOMMISSION_STEPS, "start_decommission", sent, device_id),
              _ev(DECOMMISSION_STEPS, step, done, device_id)]
    changes = [_change(device_id, None, "pending", T0 - timedelta(days=1)), _change(device_id, "pending", status, T0)]
    if set_pending:
        changes.append(_change(device_id, status, "pending", sent + timedelta(minutes=1)))
    rec = DccRecords(devices=[DeviceRec(device_id=device_id, device_type="PPMID", smi_status="pending", chf_id=CHF)],
                     smi_changes=changes,
                     requests=[RequestRec(request_id="R-811", originator="S", target=CHF, srv="8.11", at=sent)])
    return events, rec


def test_a_whitelisted_device_removed_by_8_11_goes_back_to_pending():
    rows = _rows(*_removal(PPMID, "whitelisted", set_pending=True), _REMOVE)[_REMOVE]
    assert [(d, v) for d, v, _ in rows] == [(PPMID, "met")]
    # the twin: the DCC left it 'whitelisted'
    (row,) = _rows(*_removal(PPMID, "whitelisted", set_pending=False), _REMOVE)[_REMOVE]
    assert row[:2] == (PPMID, "breached") and "'whitelisted' at the 8.11 Remove" in row[2]


def test_a_commissioned_device_removed_then_reused_is_no_remove_to_pending():
    events, rec = _removal(ESME, "commissioned", set_pending=False)
    rec.devices[0].device_type = "ESME"
    # decommissioned (8.3) and re-used (12.2: 'decommissioned' → 'pending', AD 3.8.101.5) later
    events += [_ev(DECOMMISSION_STEPS, "decommission_device", _day(11), ESME),
               _ev(DECOMMISSION_STEPS, "device_decommissioned_by_dcc", _day(11), ESME)]
    rec.smi_changes += [_change(ESME, "commissioned", "decommissioned", _day(11)),
                        _change(ESME, "decommissioned", "pending", _day(20))]
    rows = _rows(events, rec, _REMOVE, "decommission-reuse")
    (remove,) = rows[_REMOVE]
    assert remove[:2] == (ESME, "not applicable") and "'commissioned' at the 8.11 Remove" in remove[2]
    assert [(d, v) for d, v, _ in rows["decommission-reuse"]] == [(ESME, "met")]


def test_a_failed_remove_is_not_judged_as_one():
    events, rec = _removal(PPMID, "whitelisted", set_pending=False, step="remove_not_done")
    (row,) = _rows(events, rec, _REMOVE)[_REMOVE]
    assert (row[0], row[1]) == (None, "not applicable")


# -- AC 5.2 in a CH replacement: each original Device against its own commissioning --------------------------------
def _replacement(esme_post_commissioning_day: float | None):
    events = [_ev(INSTALL_COMMISSION_STEPS, "commission_device", T0, ESME),
              _ev(INSTALL_COMMISSION_STEPS, "commission_device_gsme", T0, GSME),
              _ev(INSTALL_COMMISSION_STEPS, "join_gsme_to_gpf", T0, GPF),
              _ev(REPLACE_CH_STEPS, "join_gsme_to_new_gpf", _day(20), NEW_GPF),
              _ev(REPLACE_CH_STEPS, "post_commissioning_new_gpf", _day(20), NEW_GPF),
              _ev(REPLACE_CH_STEPS, "end_ch_replaced", _day(21), CHF)]
    if esme_post_commissioning_day is not None:
        events.append(_ev(POST_COMMISSIONING_STEPS, "replace_organisation_certificate",
                          _day(esme_post_commissioning_day), ESME))
    # the replacement's Post Commissioning of the new GPF (BAD 7.6.1.6.10) reports its Deadline
    outcome = ObligationOutcome(obligation="Post Commissioning Obligations for the GPF within 7 days",
                                actor="Supplier", refs=["SEC Appendix AC 5.2", "BAD 7.2.3.1"], due=_day(27),
                                actual=_day(20), met=True)
    rec = DccRecords(devices=[DeviceRec(device_id=d, device_type=t) for d, t in
                              ((ESME, "ESME"), (GSME, "GSME"), (GPF, "GPF"), (NEW_GPF, "GPF"))])
    register = [o for o in AUDIT_REGISTER if o.id == "device-post-commissioning"]
    return {v.device_id: (v.verdict, v.due) for v in evaluate(events, [outcome], rec, register)}


def test_a_ch_replacement_judges_the_original_devices_post_commissioning_too():
    rows = _replacement(esme_post_commissioning_day=None)
    # before, only the new GPF's Deadline was reported; now each original Device from its own commissioning (day 0)
    assert rows == {NEW_GPF: ("met", _day(27)), ESME: ("breached", _day(7)), GSME: ("breached", _day(7)),
                    GPF: ("breached", _day(7))}
    # the twin: the ESME's steps done on day 2 (its own commissioning's 7 days), late on day 9
    assert _replacement(esme_post_commissioning_day=2)[ESME] == ("met", _day(7))
    assert _replacement(esme_post_commissioning_day=9)[ESME] == ("breached", _day(7))
