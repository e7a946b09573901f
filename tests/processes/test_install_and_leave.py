"""Install and Leave (BAD 7.2.2), reactive, end to end on the time-skipping test server: the CH finds no SM WAN,
Commands go to the Devices by the installer's HHT and come back by SRV 8.13, and the process waits for the WAN."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from process_support import assert_valid_and_signed, run_messages
from sqlmodel import select
from temporalio.service import RPCError
from typer.testing import CliRunner

from dccflow.db import session_scope
from dccflow.domain.calendar import working_day_deadline
from dccflow.duis.messages import request_from_element
from dccflow.duis.schema import secure_parse
from dccflow_app.cli import app
from dccflow_app.scenarios.runner import run_scenario
from dccsim.models import DeliveredMessage, RequestLogEntry, SmiDevice, SmiStatusChange
from dccsim.processing import dcc_workflow_id
from dccsim.records import ChAssetRecord

SUPPLIER_ID = "90-B3-D5-1F-30-01-00-00"
GAS_SUPPLIER_ID = "90-B3-D5-1F-30-01-00-01"


def _statuses(report) -> dict[str, str]:
    return {d.device_type: d.smi_status for d in report.devices}


async def _dual_fuel_enrolled(stack, scenario: str):
    """Run a dual-fuel Install and Leave scenario and check it ended with both SMSs Enrolled: every Device
    'commissioned' but the PPMID, a Type 1 Device that stays 'installed not commissioned' (BAD 7.2.2.7)."""
    report = await run_scenario(stack.client, scenario)
    assert (report.result, report.end) == ("completed", "end_sms_enrolled"), report.reason
    assert report.expected_end_reached
    assert _statuses(report) == {"CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned",
                                 "GSME": "commissioned", "PPMID": "installed not commissioned"}
    return report


def _event(report, bpmn_id: str):
    return next(e for e in report.events if e.bpmn_id == bpmn_id)


def _history(s, device_id: str) -> list[str]:
    return [c.to_status for c in s.exec(select(SmiStatusChange).where(SmiStatusChange.device_id == device_id)
                                        .order_by(SmiStatusChange.id))]


async def test_wan_after_three_days_ends_with_chf_and_esme_commissioned(stack):
    report = await run_scenario(stack.client, "install-and-leave-wan-after-3-days")
    assert (report.result, report.end) == ("completed", "end_sms_enrolled"), report.reason
    assert report.expected_end_reached
    assert report.workflow_id.startswith("install-leave-")
    assert _statuses(report) == {"CHF": "commissioned", "GPF": "installed not commissioned",
                                 "ESME": "commissioned", "PPMID": "installed not commissioned"}
    ids = {d.device_type: d.device_id for d in report.devices}
    desc = await stack.client.get_workflow_handle(report.workflow_id).describe()
    attrs = {k.name: v for k, v in desc.typed_search_attributes}
    assert attrs["BadProcess"] == "install_and_leave" and set(attrs["DeviceIds"]) == set(ids.values())
    # the SM WAN came 3 days after the CH was fitted; only then Commission Device and Import MPxN
    fitted = _event(report, "install_communications_hub").at
    connected = _event(report, "sm_wan_connected").at
    assert timedelta(days=3) <= connected - fitted < timedelta(days=3, hours=1)
    order = [e.bpmn_id for e in report.events]
    assert order.index("return_local_command_response") < order.index("update_inventory_installed_not_commissioned") \
        < order.index("sm_wan_connected") < order.index("commission_device") \
        < order.index("set_device_configuration_import_mpxn") < order.index("end_sms_enrolled")
    # SEC Appendix I 4.8(d): SRV 8.14.2 within 3 Working Days of the installation — met
    (ob,) = report.obligations
    assert ob.met and ob.refs[0] == "SEC Appendix I 4.8(d)"
    assert ob.due == working_day_deadline(fitted, 3) and ob.actual <= ob.due
    verdicts = {v.obligation: v.verdict for v in report.regulation}
    assert verdicts["no-wan-report"] == "met" and verdicts["no-wan-incident"] == "met"
    assert verdicts["return-local-responses"] == "met"
    assert verdicts["enrolment"] == "met"  # electricity only: no gas SMS claimed (SEC H5.1)

    with session_scope(stack.runtime.engine) as s:
        log = list(s.exec(select(RequestLogEntry).order_by(RequestLogEntry.received_at)))
        srvs = Counter(e.srv for e in log)
        # 3 × 8.11 (HHT, ESME, PPMID), 8.7.2 + 8.7.1 (PPMID ↔ ESME), 8.13 per Response (5) and per CS14 (6)
        assert {k: srvs[k] for k in ("8.14.2", "8.11", "8.7.2", "8.7.1", "8.4", "8.1.1", "6.20.1")} == {
            "8.14.2": 1, "8.11": 3, "8.7.2": 1, "8.7.1": 1, "8.4": 1, "8.1.1": 1, "6.20.1": 1}
        assert srvs["8.13"] == 5 + 6 and srvs["8.2"] >= 1
        # the Commands for Local Delivery: CommandVariant 2, or 6 for the Signed Pre-Command; each answered by 8.13
        local = [e for e in log if e.srv in ("8.11", "8.7.1", "8.7.2")]
        for e in local:
            assert e.stage == "local_response_returned", (e.srv, e.stage)
            header = request_from_element(secure_parse(e.spc_xml or e.xml)).header
            assert header.command_variant == (6 if e.srv == "8.7.1" else 2)
            assert e.device_response["delivered"] is False
        # … and none of them went over the SM WAN: no DCC workflow carried them to a Device
        for e in local:
            try:
                await stack.client.get_workflow_handle(dcc_workflow_id(e.request_id)).describe()
                raise AssertionError(f"{e.request_id} was processed for the SM WAN")
            except RPCError:
                pass
        # the Incident of App I 4.10
        (asset,) = s.exec(select(ChAssetRecord).where(ChAssetRecord.srv == "8.14.2"))
        assert asset.incident_ref and asset.details["PremiseType"] == "Detached / Semi Detached"
        # the SMI as the returned Responses and CS14s say (BAD 7.2.2.6.4)
        esme, ppmid = s.get(SmiDevice, ids["ESME"]), s.get(SmiDevice, ids["PPMID"])
        assert esme.mpxn == report.events[0].detail.split()[-1] and esme.chf_id == ids["CHF"]
        assert ppmid.associated_with == ids["ESME"]
        assert _history(s, ids["ESME"]) == ["pending", "whitelisted", "installed not commissioned", "commissioned"]
        assert _history(s, ids["CHF"]) == ["pending", "installed not commissioned", "commissioned"]
        assert _history(s, ids["PPMID"]) == ["pending", "whitelisted", "installed not commissioned"]
        # the Device Alerts the CH held while off the SM WAN reached the Supplier when it connected
        alerts = list(s.exec(select(DeliveredMessage).where(DeliveredMessage.kind == "device_alert",
                                                            DeliveredMessage.recipient == SUPPLIER_ID)))
        assert {(a.device_id, a.device_alert_code) for a in alerts} >= {(ids["ESME"], 0x8183), (ids["ESME"], 0x8F69)}
    assert ("N16", "90-B3-D5-1F-30-02-00-00") in [(a.code, a.recipient) for a in report.dcc_alerts]


async def test_every_duis_message_is_schema_valid_and_signed(stack):
    await run_scenario(stack.client, "install-and-leave-wan-after-3-days")
    with session_scope(stack.runtime.engine) as s:
        local_commands = [r.xml for r in s.exec(select(DeliveredMessage)) if b"LocalCommand" in r.xml]
    assert len(local_commands) == 5
    messages = run_messages(stack.runtime.engine)
    assert len(messages) > 40
    assert_valid_and_signed(messages, stack.runtime.smki)


async def test_no_wan_ends_after_the_wait_limit_with_devices_installed_not_commissioned(stack):
    report = await run_scenario(stack.client, "install-and-leave-no-wan")
    assert (report.result, report.end) == ("failed", "end_no_sm_wan")
    assert report.expected_end_reached and report.differences == []  # the failure branch the scenario is for
    assert set(_statuses(report).values()) == {"installed not commissioned"}
    fitted = _event(report, "install_communications_hub").at
    assert _event(report, "end_no_sm_wan").at - fitted >= timedelta(days=90)
    checks = [e for e in report.events if e.bpmn_id == "check_sm_wan_connection"]
    assert len(checks) >= 90 // 7 and all("InstalledNotCommissioned" in e.detail for e in checks)
    (ob,) = report.obligations
    assert ob.met
    with session_scope(stack.runtime.engine) as s:
        srvs = {e.srv for e in s.exec(select(RequestLogEntry))}
    assert "8.1.1" not in srvs and "6.20.1" not in srvs and {"8.14.2", "8.13", "8.4"} <= srvs


async def test_late_install_no_sm_wan_report_breaches_the_three_working_day_obligation(stack):
    from dccflow.config import USER_TASK_QUEUE
    from dccflow_app.scenarios.install_leave import InstallLeaveActivities
    from workflows.install_and_leave import (
        InstallAndLeaveInput,
        InstallAndLeaveWorkflow,
        install_and_leave_workflow_id,
    )

    premises = await InstallLeaveActivities(stack.runtime).scenario_provision_install_leave(
        "install-and-leave-wan-after-3-days", [])
    result = await stack.client.execute_workflow(
        InstallAndLeaveWorkflow.run,
        InstallAndLeaveInput(premises=premises, supplier_id=SUPPLIER_ID, install_report_delay=timedelta(days=8)),
        id=install_and_leave_workflow_id(premises.chf_id), task_queue=USER_TASK_QUEUE)
    assert result.outcome == "completed"  # the process still completes…
    (ob,) = result.obligations  # …but the Supplier breached SEC Appendix I 4.8(d)
    fitted = next(e.at for e in result.events if e.bpmn_id == "install_communications_hub")
    assert not ob.met and ob.due == working_day_deadline(fitted, 3)
    assert ob.actual - fitted >= timedelta(days=8)


def test_cli_runs_the_no_wan_scenario_into_its_failure_branch(tmp_path):
    result = CliRunner().invoke(app, ["run", "install-and-leave-no-wan", "--json", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output  # the scenario exists to show this failure branch: it succeeds
    report = json.loads(result.stdout)
    assert report["workflow_id"].startswith("install-leave-")
    assert (report["result"], report["end"]) == ("failed", "end_no_sm_wan")
    assert {d["device_type"]: d["smi_status"] for d in report["devices"]}["ESME"] == "installed not commissioned"
    assert report["events"][-1]["bpmn_id"] == "end_no_sm_wan"


async def test_install_and_leave_takes_over_where_install_and_commission_found_no_sm_wan(stack):
    """BAD 7.2.2.6: Install and Commission ends at 'end_install_and_leave'; the Supplier decides to Install and
    Leave and starts it for the CH already fitted: the 3 Working Days run from that installation."""
    from dccflow.config import USER_TASK_QUEUE
    from dccflow_app.scenarios.install_leave import InstallLeaveActivities
    from workflows.install_and_leave import (
        InstallAndLeaveInput,
        InstallAndLeaveWorkflow,
        install_and_leave_workflow_id,
    )
    from workflows.install_commission import (
        ElectricityPremises,
        InstallCommissionInput,
        InstallCommissionWorkflow,
        install_commission_workflow_id,
    )

    premises = await InstallLeaveActivities(stack.runtime).scenario_provision_install_leave(
        "install-and-leave-wan-after-3-days", [])
    # no time skipping while Install and Commission runs (it sets no timer): the SM WAN, due 3 days after the CH
    # was powered, must not come before the installer is done with the HHT
    with stack.env.auto_time_skipping_disabled():
        ic = await stack.client.execute_workflow(
            InstallCommissionWorkflow.run,
            InstallCommissionInput(premises=ElectricityPremises(
                premises_id=premises.premises_id, chf_id=premises.chf_id, gpf_id=premises.gpf_id,
                esme_id=premises.esme_id, esme_install_code=premises.esme_install_code, mpan=premises.mpan),
                supplier_id=SUPPLIER_ID),
            id=install_commission_workflow_id(premises.chf_id), task_queue=USER_TASK_QUEUE)
    assert ic.end == "end_install_and_leave"
    fitted = next(e.at for e in ic.events if e.bpmn_id == "install_communications_hub")
    result = await stack.client.execute_workflow(
        InstallAndLeaveWorkflow.run,
        InstallAndLeaveInput(premises=premises, supplier_id=SUPPLIER_ID, ch_installed_at=fitted),
        id=install_and_leave_workflow_id(premises.chf_id), task_queue=USER_TASK_QUEUE)
    assert (result.outcome, result.end) == ("completed", "end_sms_enrolled"), result.reason
    assert "install_communications_hub" not in [e.bpmn_id for e in result.events]  # fitted once, by 7.2.1
    (ob,) = result.obligations
    assert ob.met and ob.due == working_day_deadline(fitted, 3)


async def test_dual_fuel_gas_joined_locally_then_gsme_and_gpf_commissioned_after_the_wan(stack):
    """BAD 7.2.2 dual fuel: the Gas Supplier's GSME added to the CHF Device Log (8.11) and joined to the GPF (8.7.2)
    by Commands for Local Delivery, returned by 8.13; after the SM WAN, 8.1.1 for the GSME and 'Update Inventory'
    (8.4) sets the GPF 'commissioned' (7.2.2.6.8), then 6.20.1."""
    report = await _dual_fuel_enrolled(stack, "install-and-leave-dual-fuel")
    ids = {d.device_type: d.device_id for d in report.devices}
    order = [e.bpmn_id for e in report.events]
    assert order.index("sm_wan_connected") < order.index("commission_device") \
        < order.index("commission_device_gsme") < order.index("update_inventory_gpf_commissioned") \
        < order.index("set_device_configuration_import_mpxn_gsme") < order.index("end_sms_enrolled")
    fitted = _event(report, "install_communications_hub").at
    assert timedelta(days=3) <= _event(report, "sm_wan_connected").at - fitted < timedelta(days=3, hours=1)
    verdicts = {v.obligation: v.verdict for v in report.regulation if v.verdict in ("met", "breached")}
    assert verdicts["gpf-commissioning"] == "met" and verdicts["return-local-responses"] == "met"
    enrolment = [v for v in report.regulation if v.obligation == "enrolment"]
    assert sorted(v.detail for v in enrolment) == ["electricity SMS Enrolled", "gas SMS Enrolled"]
    assert {v.verdict for v in enrolment} == {"met"}

    with session_scope(stack.runtime.engine) as s:
        log = list(s.exec(select(RequestLogEntry).order_by(RequestLogEntry.received_at)))
        by_request = {e.request_id: e for e in log}
        gas = [e for e in log if e.originator == GAS_SUPPLIER_ID]
        srvs = Counter(e.srv for e in log)
        assert {k: srvs[k] for k in ("8.14.2", "8.11", "8.7.2", "8.7.1", "8.4", "8.1.1", "6.20.1")} == {
            "8.14.2": 1, "8.11": 4, "8.7.2": 2, "8.7.1": 1, "8.4": 2, "8.1.1": 2, "6.20.1": 2}
        # the Gas Supplier's: 8.11 (GSME) and 8.7.2 (GSME -> GPF) for local delivery, their 8.13s, then 8.1.1,
        # 8.4 and 6.20.1 over the SM WAN / to the DCC
        assert [e.srv for e in gas if e.srv != "8.13"] == ["8.11", "8.7.2", "8.1.1", "8.4", "6.20.1"]
        gas_local = [e for e in gas if e.srv in ("8.11", "8.7.2")]
        assert {e.target for e in gas_local} == {ids["CHF"], ids["GSME"]}
        returned = [request_from_element(secure_parse(e.xml)).body for e in gas if e.srv == "8.13"]
        assert {b.get("OriginalRequestID") for b in returned} >= {e.request_id for e in gas_local}
        # the 8.4 for the GPF: sent after the GSME was commissioned, naming the CHF (AD 3.8.101.4), 'Commissioned'
        inventory = [e for e in log if e.srv == "8.4"]
        bodies = [request_from_element(secure_parse(e.xml)).body for e in inventory]
        assert [(b["DeviceID"], b["UpdateDeviceStatusCH"]) for b in bodies] == [
            (ids["CHF"], "InstalledNotCommissioned"), (ids["CHF"], "Commissioned")]
        assert inventory[1].originator == GAS_SUPPLIER_ID and inventory[1].response_code == "I0"
        gsme_commission = next(e for e in gas if e.srv == "8.1.1")
        assert gsme_commission.completed_at <= inventory[1].received_at
        # every Command for Local Delivery (CV 2, CV 6 for the Signed Pre-Command) answered by 8.13, none over the WAN
        local = [e for e in log if e.srv in ("8.11", "8.7.1", "8.7.2")]
        assert len(local) == 7
        for e in local:
            assert e.stage == "local_response_returned", (e.srv, e.stage)
            header = request_from_element(secure_parse(e.spc_xml or e.xml)).header
            assert header.command_variant == (6 if e.srv == "8.7.1" else 2)
            assert e.device_response["delivered"] is False and by_request[e.request_id] is e
            try:
                await stack.client.get_workflow_handle(dcc_workflow_id(e.request_id)).describe()
                raise AssertionError(f"{e.request_id} was processed for the SM WAN")
            except RPCError:
                pass
        # the SMI: the GSME whitelisted, joined and commissioned; the GPF joined to it, 'commissioned' by the 8.4
        gsme, gpf = s.get(SmiDevice, ids["GSME"]), s.get(SmiDevice, ids["GPF"])
        assert gsme.chf_id == ids["CHF"] and gsme.mpxn and gpf.associated_with == ids["GSME"]
        assert _history(s, ids["GSME"]) == ["pending", "whitelisted", "installed not commissioned", "commissioned"]
        assert _history(s, ids["GPF"]) == ["pending", "installed not commissioned", "commissioned"]
        last = s.exec(select(SmiStatusChange).where(SmiStatusChange.device_id == ids["GPF"])
                      .order_by(SmiStatusChange.id.desc())).first()
        assert inventory[1].request_id in last.reason and "BAD 7.2.2.6.8" in last.reason
    # every DUIS message of the run: schema-valid and signed
    messages = run_messages(stack.runtime.engine)
    assert len(messages) > 50
    assert_valid_and_signed(messages, stack.runtime.smki)


async def test_handover_and_krp_for_local_delivery_before_the_joins(stack):
    """BAD 7.2.2.6.2-3: the DCC's certificate in the ESME's Supplier cell (6.21, CV 2) and the Supplier's other
    MPID's in the GSME's (6.15.1, Signed Pre-Command CV 6 signed with that MPID's key): the HHT sends the CS02b
    Commands after the HAN joins and before the join Commands; they are not returned by 8.13; the meters, now
    holding the Supplier's own certificates, are commissioned over the SM WAN."""
    from dccflow.security.pki import entity_id_of
    from devices.anchors import RESOLVER

    report = await _dual_fuel_enrolled(stack, "install-and-leave-handover")
    ids = {d.device_type: d.device_id for d in report.devices}
    order = [e.bpmn_id for e in report.events]
    assert order.index("send_device_log_commands_locally") < order.index("send_credential_commands_locally") \
        < order.index("send_join_commands_locally") < order.index("commission_device")
    with session_scope(stack.runtime.engine) as s:
        log = list(s.exec(select(RequestLogEntry).order_by(RequestLogEntry.received_at)))
        credentials = {(e.srv, e.originator, e.target): e for e in log if e.srv in ("6.21", "6.15.1")}
        assert set(credentials) == {("6.21", SUPPLIER_ID, ids["ESME"]), ("6.15.1", GAS_SUPPLIER_ID, ids["GSME"])}
        returned = {request_from_element(secure_parse(e.xml)).body.get("OriginalRequestID")
                    for e in log if e.srv == "8.13"}
        for (srv, _user, _target), e in credentials.items():
            header = request_from_element(secure_parse(e.spc_xml or e.xml)).header
            assert header.command_variant == (6 if srv == "6.15.1" else 2)
            assert e.stage == "local_command_returned" and e.request_id not in returned  # not an 8.13 item
            try:
                await stack.client.get_workflow_handle(dcc_workflow_id(e.request_id)).describe()
                raise AssertionError(f"{e.request_id} was processed for the SM WAN")
            except RPCError:
                pass
        owners = {t: entity_id_of(RESOLVER.cert(s, stack.runtime.fleet.get(ids[t]).anchors["Supplier"]))
                  for t in ("ESME", "GSME")}
    assert owners == {"ESME": SUPPLIER_ID, "GSME": GAS_SUPPLIER_ID}
    # local 6.21 / 6.15.1 and their LocalCommands
    assert_valid_and_signed(run_messages(stack.runtime.engine), stack.runtime.smki)


def test_cli_runs_the_dual_fuel_scenario_to_its_expected_end(tmp_path):
    result = CliRunner().invoke(app, ["run", "install-and-leave-dual-fuel", "--json", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["result"], report["end"]) == ("completed", "end_sms_enrolled")
    assert {d["device_type"]: d["smi_status"] for d in report["devices"]} == {
        "CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned", "GSME": "commissioned",
        "PPMID": "installed not commissioned"}
    gpf = [v for v in report["regulation"] if v["obligation"] == "gpf-commissioning"]
    assert gpf and {v["verdict"] for v in gpf} == {"met"}
