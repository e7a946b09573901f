"""The other branches of Install and Commission (BAD 7.2.1) on the time-skipping server: gas only on a hot-shoe,
PPMID / IHD / HCALCS / CAD joins in child workflows (one never joins), Request Handover (6.21) and KRP (6.15.1)
before commissioning, and Set Import MPxN (6.20.1) after it."""

from __future__ import annotations

from process_support import assert_valid_and_signed, run_messages
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.roles import UserRole
from dccflow.parties import ELECTRICITY_DISTRIBUTOR, GAS_TRANSPORTER, SUPPLIER
from dccflow.security.pki import entity_id_of
from dccflow_app.scenarios.runner import run_scenario
from dccsim.models import RequestLogEntry
from devices.anchors import RESOLVER

ELEC = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]
GAS = SUPPLIER.user_ids[UserRole.GAS_SUPPLIER]
ED = ELECTRICITY_DISTRIBUTOR.user_ids[UserRole.ELECTRICITY_DISTRIBUTOR]
GT = GAS_TRANSPORTER.user_ids[UserRole.GAS_TRANSPORTER]


def _statuses(report) -> dict[str, str | None]:
    return {d.device_type: d.smi_status for d in report.devices}


def _ids(report) -> dict[str, str]:
    return {d.device_type: d.device_id for d in report.devices}


def _alerts(report) -> set[tuple[str, str | None, str]]:
    return {(a.code, a.device_id, a.recipient) for a in report.dcc_alerts}


def _log(stack) -> list[tuple[str, str, str, str | None]]:
    """(SRV, originator, target, response code) of every request the DCC took, in order."""
    with session_scope(stack.runtime.engine) as s:
        rows = s.exec(select(RequestLogEntry).order_by(RequestLogEntry.received_at, RequestLogEntry.counter)).all()
        return [(r.srv, r.originator, r.target, r.response_code) for r in rows]


def _cell_owner(stack, device_id: str, cell: str = "Supplier") -> str:
    with session_scope(stack.runtime.engine) as s:
        return entity_id_of(RESOLVER.cert(s, stack.runtime.fleet.get(device_id).anchors[cell]))


async def test_gas_only_on_a_hot_shoe_is_the_gas_suppliers(stack):
    report = await run_scenario(stack.client, "install-commission-gas-hot-shoe")
    assert report.result == "completed", report.reason
    assert report.expected_end_reached
    assert _statuses(report) == {"CHF": "commissioned", "GPF": "commissioned", "GSME": "commissioned"}
    ids = _ids(report)
    assert "ESME" not in ids
    hub = next(e for e in report.events if e.bpmn_id == "install_communications_hub")
    assert "hot-shoe" in hub.detail
    log = _log(stack)
    # every request is the Gas Supplier's: 8.14.1 (with the MPRN), 8.11, 8.1.1, 6.20.1, 8.7.2 GSME -> GPF
    assert [(srv, who) for srv, who, _t, _c in log] == [
        ("8.14.1", GAS), ("8.11", GAS), ("8.1.1", GAS), ("6.20.1", GAS), ("8.7.2", GAS)]
    assert all(code == "I0" for *_x, code in log)
    assert ("N24", ids["GSME"], GAS) in _alerts(report) and ("N16", ids["GSME"], GT) in _alerts(report)
    # the GSME displays its MPRN (SRV 6.20.1, AC 4.14)
    assert stack.runtime.fleet.get(ids["GSME"]).mpxn is not None


async def test_ppmid_and_ihd_join_electricity_and_gas(stack):
    report = await run_scenario(stack.client, "install-commission-ppmid-ihd")
    assert report.result == "completed", report.reason
    assert report.expected_end_reached
    ids = _ids(report)
    assert _statuses(report) == {"CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned",
                                 "GSME": "commissioned", "PPMID": "commissioned", "IHD": None}
    associated = {d.device_type: d.associated_with for d in report.devices}
    # the PPMID follows the ESME (AC 4.7(b)); the IHD, Type 2, is only Associated (AC 4.8(c))
    assert associated["PPMID"] == ids["ESME"] and associated["IHD"] == ids["ESME"]
    assert [(h.device_type, h.outcome) for h in report.han_devices] == [("PPMID", "joined"), ("IHD", "joined")]
    for device in ("PPMID", "IHD"):
        assert ("N24", ids[device], ELEC) in _alerts(report)
    joins = [(srv, who, target) for srv, who, target, _c in _log(stack) if srv.startswith("8.7")]
    # BAD 7.2.1.6.12: PPMID<-ESME (8.7.2 CS03A2, then 8.7.1 CS03A1), ESME->IHD; with gas GPF->PPMID, PPMID->GSME,
    # GSME->PPMID (8.7.1), GPF->IHD; and the GSME->GPF join that commissioned the GPF
    assert sorted(joins) == sorted([
        ("8.7.2", GAS, ids["GSME"]),
        ("8.7.2", ELEC, ids["PPMID"]), ("8.7.1", ELEC, ids["ESME"]), ("8.7.2", GAS, ids["GPF"]),
        ("8.7.2", GAS, ids["PPMID"]), ("8.7.1", GAS, ids["GSME"]),
        ("8.7.2", ELEC, ids["ESME"]), ("8.7.2", GAS, ids["GPF"])])
    # HAN devices are joined only after the SMSs are Enrolled; PPMID before its 8.7.1 on the ESME
    events = [e.bpmn_id for e in report.events]
    assert events.index("join_gsme_to_gpf") < events.index("join_han_devices")
    assert all(code == "I0" for *_x, code in _log(stack))
    # the PPMID's device log holds the ESME and the GSME, both joined
    log = {e["device_id"]: e["joined"] for e in stack.runtime.fleet.get(ids["PPMID"]).device_log}
    assert log == {ids["ESME"]: True, ids["GSME"]: True}
    assert_valid_and_signed(run_messages(stack.runtime.engine), stack.runtime.smki)  # the Join Service traffic too


async def test_join_timeout_of_one_device_leaves_the_others_joined(stack):
    report = await run_scenario(stack.client, "install-commission-join-timeout-one-device")
    # the electricity SMS is Enrolled; the IHD is reported, the process does not fail
    assert report.result == "completed" and report.end == "end_sms_enrolled"
    assert report.expected_end_reached
    ids = _ids(report)
    assert _statuses(report) == {"CHF": "commissioned", "GPF": "pending", "ESME": "commissioned",
                                 "PPMID": "commissioned", "IHD": None, "HCALCS": "commissioned", "CAD": None}
    outcomes = {h.device_type: h.outcome for h in report.han_devices}
    assert outcomes == {"PPMID": "joined", "IHD": "not joined", "HCALCS": "joined", "CAD": "joined"}
    assert f"IHD {ids['IHD']}" in report.reason
    alerts = _alerts(report)
    assert ("N25", ids["IHD"], ELEC) in alerts
    assert not any(code == "N24" and dev == ids["IHD"] for code, dev, _r in alerts)
    for device in ("PPMID", "HCALCS", "CAD"):
        assert ("N24", ids[device], ELEC) in alerts
        assert not any(code == "N25" and dev == ids[device] for code, dev, _r in alerts)
    associated = {d.device_type: d.associated_with for d in report.devices}
    assert associated["IHD"] is None
    assert associated["CAD"] == associated["HCALCS"] == associated["PPMID"] == ids["ESME"]
    # no Join Service was sent for the IHD; the HCALCS got its two Critical joins (BAD 7.2.1.6.12)
    log = _log(stack)
    assert not [row for row in log if row[0].startswith("8.7") and ids["IHD"] in row[2]]
    assert ("8.7.1", ELEC, ids["HCALCS"], "I0") in log and ("8.7.2", ELEC, ids["ESME"], "I0") in log
    n25 = [e for e in report.events if e.bpmn_id == "n25_whitelist_update_unsuccessful_han"]
    assert [e.device_id for e in n25] == [ids["IHD"]]


async def test_handover_and_krp_before_commissioning(stack):
    report = await run_scenario(stack.client, "install-commission-handover")
    assert report.result == "completed", report.reason
    assert report.expected_end_reached
    ids = _ids(report)
    log = _log(stack)
    srvs = [(srv, target) for srv, _w, target, _c in log]
    # 6.21 on the ESME (the DCC's certificate was in its Supplier cell) and 6.15.1 on the GSME (the Supplier's
    # electricity MPID's certificate), each before that meter's 8.1.1 (BAD 7.2.1.6.8-10)
    assert srvs.index(("6.21", ids["ESME"])) < srvs.index(("8.1.1", ids["ESME"]))
    assert srvs.index(("6.15.1", ids["GSME"])) < srvs.index(("8.1.1", ids["GSME"]))
    assert ("6.21", ELEC, ids["ESME"], "I0") in log and ("6.15.1", GAS, ids["GSME"], "I0") in log
    # the Supplier cells now hold the Supplier's own certificates for each fuel
    assert _cell_owner(stack, ids["ESME"]) == ELEC
    assert _cell_owner(stack, ids["GSME"]) == GAS
    assert _statuses(report) == {"CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned",
                                 "GSME": "commissioned"}
    # 6.21 and 6.15.1 (Pre-Command round trip)
    assert_valid_and_signed(run_messages(stack.runtime.engine), stack.runtime.smki)
