"""Install and Leave — BAD 7.2.2, reactive: the SM WAN is expected at the premises but the CH finds none on the day.

The installer fits the CH (no SM WAN), the ESME and any Type 1 Device (a PPMID). Within 3 Working Days of the
installation the Supplier sends SRV 8.14.2 (SEC Appendix I 4.8(d), with the App I 4.9 site conditions; the DCC
raises an Incident, App I 4.10) — concurrently with the work on site. The Supplier obtains Commands for Local
Delivery (BAD 7.2.2.6.2): SRV 8.11 for the HHT and for each Device (CommandVariant 2), and the joins of Table 5
(8.7.2 with CV 2; 8.7.1 Critical, its Signed Pre-Command with CV 6); the DCC returns each GBCS Command to the
Supplier and sends nothing to a Device. The installer's HHT delivers them over the inter-PAN / SM HAN (its own
CCS01 first), waits for the HAN joins, then brings the Responses and Device Alerts back (7.2.2.6.3). The Supplier
returns each of them that DUIS lists with SRV 8.13 (7.2.2.6.4; AC 2.11) and the DCC updates the SMI; SRV 8.4 sets
the CHF (and its GPF) 'installed not commissioned' (7.2.2.6.5; the Meter and PPMID got there by the returned
CS14, AC 4.4).

Then the Supplier waits for the SM WAN (7.2.2.6.6): it wakes on the Device Alerts the CH sends when it connects
(buffered while off the WAN) and checks every ``wan_check_interval`` with SRV 8.2 whether the DCC has set the CHF
'commissioned'. Once it has: Commission Device 8.1.1 for the ESME (7.2.2.6.7) and Set Device Configuration
(Import MPxN) 6.20.1 (7.2.2.6.9); the electricity SMS is Enrolled, the PPMID stays 'installed not commissioned'
(7.2.2.7).

DECISION (the BAD is silent): the Supplier waits at most ``wan_wait_limit`` (90 days by default). If the SM WAN
has not come by then, the process ends at ``end_no_sm_wan``: the devices stay 'installed not commissioned' (no
SMS Enrolled, SEC H5), the DCC's Incident stays open, and a later WAN connection is handled by a new process.
Dual fuel (GSME, GPF commissioned by SRV 8.4, 7.2.2.6.8) is not implemented here.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import ServiceRequestSpec
    from activities.hht import CollectedAlert, HhtActivities, LocalCommand, LocalResponse
    from activities.installer import InstallerActivities
    from dccflow.domain.alerts import DeviceAlert
    from dccflow.domain.calendar import working_day_deadline
    from dccflow.gbcs import parse_returned
    from dccflow.parties import DCC_ID
    from workflows.base import Deadline, ProcessResult, ProcessWorkflow, ServiceRequestFailed
    from workflows.install_and_leave_steps import INSTALL_AND_LEAVE_STEPS

INSTALLER_TIMEOUT = timedelta(minutes=10)
#: the Device Alerts returned by SRV 8.13 (BAD 7.2.2.6.4)
RETURNED_ALERTS = frozenset({DeviceAlert.CHF_DEVICE_LOG_CHANGED, DeviceAlert.GPF_DEVICE_LOG_CHANGED})


class InstallLeavePremises(BaseModel):
    """The premises of a reactive Install and Leave: the CH, the ESME, optionally a PPMID, and the HHT the
    installer brings (a Type 2 Device on the SMI, added to the CHF Device Log first, BAD 7.2.2.6.2)."""

    premises_id: str
    chf_id: str
    gpf_id: str
    esme_id: str
    esme_install_code: str
    mpan: str
    ppmid_id: str | None = None
    ppmid_install_code: str | None = None
    hht_id: str
    hht_install_code: str


class SiteConditions(BaseModel):
    """What SRV 8.14.2 must indicate (SEC Appendix I 4.9)."""

    premise_type: str = "Detached / Semi Detached"
    significant_metallic_obstruction: bool = False
    substantial_stone_walls: bool = False
    shared_or_communal_area: bool = False


class InstallAndLeaveInput(BaseModel):
    premises: InstallLeavePremises
    supplier_id: str
    #: when the CH was fitted without SM WAN by a process that ended there (Install and Commission's
    #: ``end_install_and_leave``, BAD 7.2.2.6); None: the installer fits it in this process
    ch_installed_at: datetime | None = None
    site: SiteConditions = Field(default_factory=SiteConditions)
    #: how long the back office takes to send SRV 8.14.2 after the CH was installed (3 Working Days allowed)
    install_report_delay: timedelta = timedelta(0)
    #: Join Time Period of each SRV 8.11 (DUIS: 1–3600 s); the installer waits this long for the HAN joins
    join_time_period: int = 300
    #: how often the Supplier checks the CHF's SMI Status (SRV 8.2) while it waits for the SM WAN
    wan_check_interval: timedelta = timedelta(days=7)
    #: how long the Supplier waits for the SM WAN before it ends the process (the module's DECISION)
    wan_wait_limit: timedelta = timedelta(days=90)
    response_timeout: timedelta = timedelta(hours=2)


class InstallAndLeaveResult(ProcessResult):
    outcome: Literal["completed", "failed"]


def install_and_leave_workflow_id(chf_id: str) -> str:
    return f"install-leave-{chf_id}"


@workflow.defn(name="InstallAndLeave")
class InstallAndLeaveWorkflow(ProcessWorkflow):
    steps = INSTALL_AND_LEAVE_STEPS

    @workflow.run
    async def run(self, inp: InstallAndLeaveInput) -> InstallAndLeaveResult:
        self.inp = inp
        try:
            return await self._run(inp)
        except ServiceRequestFailed as exc:
            return self._end("failed", "end_service_request_failed", str(exc))

    def _end(self, outcome: str, end: str, reason: str = "", device_id: str | None = None) -> InstallAndLeaveResult:
        self.record(end, detail=reason, device_id=device_id)
        return InstallAndLeaveResult(outcome=outcome, end=end, reason=reason, events=self.events,
                                     obligations=self.obligations)

    def _spec(self, step: str, srv: str, target: str, params: dict, route: list[str], *,
              local: bool = False) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step, user_id=self.inp.supplier_id, srv=srv, target=target, params=params,
                                  route_devices=route, local_delivery=local)

    async def _run(self, inp: InstallAndLeaveInput) -> InstallAndLeaveResult:
        p = inp.premises
        self.record("start_install_and_leave", detail=f"premises {p.premises_id}, MPAN {p.mpan}")
        installed_at = inp.ch_installed_at
        if installed_at is None:
            report = await workflow.execute_activity_method(
                InstallerActivities.installer_install_communications_hub, p.chf_id,
                start_to_close_timeout=INSTALLER_TIMEOUT)
            self.record("install_communications_hub", device_id=p.chf_id,
                        detail="SM WAN indicator on" if report.sm_wan_connected else "SM WAN indicator off")
            if report.sm_wan_connected:
                return self._end("failed", "end_sm_wan_available", "the CH is on the SM WAN: Install and "
                                 "Commission (BAD 7.2.1) applies, not Install and Leave", p.chf_id)
            installed_at = workflow.now()
        # 7.2.2.6.1 — SRV 8.14.2 within 3 Working Days, while the installer carries on
        deadline = Deadline(self, "Communications Hub Status Update - Install No SM WAN within 3 Working Days",
                            "Supplier", ("SEC Appendix I 4.8(d)", "BAD 7.2.2.6.1"),
                            working_day_deadline(installed_at, 3))
        no_wan_report = asyncio.ensure_future(self._report_no_sm_wan(inp, installed_at, deadline))

        for device_id in [*self._fitted(p), p.hht_id]:  # the Meters and Type 1 Devices; the HHT switched on
            await workflow.execute_activity_method(InstallerActivities.installer_install_device, device_id,
                                                   start_to_close_timeout=INSTALLER_TIMEOUT)
            self.record("install_devices", device_id=device_id, detail="the installer's HHT" if device_id == p.hht_id
                        else "")

        # 7.2.2.6.2 — Commands for Local Delivery: the CHF Device Log (HHT first), then the joins of Table 5
        log_commands = [await self._obtain_device_log_command(inp, device_id, code, mpxn)
                        for device_id, code, mpxn in self._whitelist(p)]
        join_commands = [await self._obtain_join_command(srv, target, other) for srv, target, other in self._joins(p)]

        # 7.2.2.6.3 — the HHT delivers them; the installer waits for the HAN joins between the two rounds
        responses = await self._send_locally("send_device_log_commands_locally", log_commands)
        await workflow.sleep(timedelta(seconds=inp.join_time_period))
        if join_commands:
            responses += await self._send_locally("send_join_commands_locally", join_commands)
        alerts: list[CollectedAlert] = await workflow.execute_activity_method(
            HhtActivities.installer_hht_collect_alerts, p.chf_id, start_to_close_timeout=INSTALLER_TIMEOUT)
        self.record("download_responses_and_alerts", device_id=p.chf_id,
                    detail=f"{len(responses)} Responses, {len(alerts)} Device Alerts")

        # 7.2.2.6.4 — SRV 8.13 for each Response and each listed Device Alert (AC 2.11)
        await self._return_local(responses, alerts)
        joined = _joined(alerts, p.chf_id)
        if p.esme_id not in joined:
            await no_wan_report
            return self._end("failed", "end_join_unsuccessful", "the ESME never joined the SM HAN: no CS14 shows "
                             "it joined", p.esme_id)

        # 7.2.2.6.5 — SRV 8.4: the CHF (and its GPF) 'installed not commissioned'
        await self.service_request(self._spec(
            "update_inventory_installed_not_commissioned", "8.4", DCC_ID,
            {"device_id": p.chf_id, "device_status_ch": "InstalledNotCommissioned"}, []), inp.response_timeout)
        self.record("update_inventory_installed_not_commissioned", device_id=p.chf_id)

        # 7.2.2.6.6 — wait for the SM WAN (the 8.14.2 report, if still to come, goes on meanwhile)
        connected = await self._wait_for_sm_wan(inp)
        await no_wan_report
        if not connected:
            return self._end("failed", "end_no_sm_wan",
                             f"no SM WAN within {inp.wan_wait_limit.days} days: the Devices stay 'installed not "
                             "commissioned', no SMS Enrolled; the DCC's Incident stays open", p.chf_id)

        # 7.2.2.6.7 and 7.2.2.6.9 — Commission Device, then Set Device Configuration (Import MPxN)
        await self.service_request(self._spec(
            "commission_device", "8.1.1", p.esme_id,
            {"current_datetime": workflow.now().isoformat(), "tolerance_period": 60}, [p.esme_id]),
            inp.response_timeout)
        self.record("commission_device", device_id=p.esme_id)
        await self.service_request(self._spec(
            "set_device_configuration_import_mpxn", "6.20.1", p.esme_id, {"import_mpan": p.mpan}, [p.esme_id]),
            inp.response_timeout)
        self.record("set_device_configuration_import_mpxn", device_id=p.esme_id, detail=f"MPAN {p.mpan}")
        return self._end("completed", "end_sms_enrolled", "ESME commissioned after the SM WAN came: electricity "
                         "SMS Enrolled", p.esme_id)

    # -- the premises -------------------------------------------------------------------------------------
    @staticmethod
    def _fitted(p: InstallLeavePremises) -> list[str]:
        return [d for d in (p.esme_id, p.ppmid_id) if d]

    @staticmethod
    def _whitelist(p: InstallLeavePremises) -> list[tuple[str, str, str | None]]:
        """The CHF Device Log additions: the HHT first (BAD 7.2.2.6.3), then the ESME and the PPMID."""
        rows = [(p.hht_id, p.hht_install_code, None), (p.esme_id, p.esme_install_code, p.mpan)]
        if p.ppmid_id:
            rows.append((p.ppmid_id, p.ppmid_install_code or "", None))
        return rows

    @staticmethod
    def _joins(p: InstallLeavePremises) -> list[tuple[str, str, str]]:
        """BAD Table 5 for a PPMID with an ESME: the PPMID records the ESME (CS03A2, 8.7.2 as this project's DCC
        has it, ``dccsim.handlers.join``), then the ESME joins the PPMID (CS03A1, 8.7.1)."""
        return [("8.7.2", p.ppmid_id, p.esme_id), ("8.7.1", p.esme_id, p.ppmid_id)] if p.ppmid_id else []

    # -- the steps ----------------------------------------------------------------------------------------
    async def _report_no_sm_wan(self, inp: InstallAndLeaveInput, installed_at: datetime, deadline: Deadline) -> None:
        p, site = inp.premises, inp.site
        if inp.install_report_delay:
            await workflow.sleep(inp.install_report_delay)
        await self.service_request(self._spec(
            "ch_status_update_install_no_sm_wan", "8.14.2", DCC_ID,
            {"chf_id": p.chf_id, "mpxn": p.mpan, "premise_type": site.premise_type,
             "install_datetime": installed_at.isoformat(),
             "metal_obstruction_check": site.significant_metallic_obstruction,
             "connectivity_obstruction_check": site.substantial_stone_walls,
             "shared_obstruction_check": site.shared_or_communal_area}, []), inp.response_timeout)
        outcome = deadline.met()
        self.record("ch_status_update_install_no_sm_wan", device_id=p.chf_id,
                    detail=f"{'within' if outcome.met else 'after'} 3 Working Days; App I 4.9 conditions: "
                           f"metal {site.significant_metallic_obstruction}, stone walls {site.substantial_stone_walls},"
                           f" shared area {site.shared_or_communal_area}")

    async def _obtain_device_log_command(self, inp: InstallAndLeaveInput, device_id: str, install_code: str,
                                         mpxn: str | None) -> LocalCommand:
        p = inp.premises
        params = {"device_id": device_id, "install_code": install_code, "join_time_period": inp.join_time_period}
        if mpxn:
            params["import_mpxn"] = mpxn
        step = f"update_han_device_log_local/{device_id}"
        reply = await self.service_request(self._spec(step, "8.11", p.chf_id, params, [device_id, p.chf_id],
                                                      local=True), inp.response_timeout)
        self.record("update_han_device_log_local", device_id=device_id, detail="CCS01 returned for local delivery")
        return LocalCommand(request_id=reply.request_id or "", gbcs_payload=reply.body["LocalCommand"]["GBCSPayload"])

    async def _obtain_join_command(self, srv: str, target: str, other: str) -> LocalCommand:
        reply = await self.service_request(self._spec(
            f"join_service_local/{target}/{other}", srv, target, {"other_device_id": other}, [target], local=True),
            self.inp.response_timeout)
        self.record("join_service_local", device_id=target, detail=f"SRV {srv} with {other}: returned for local "
                                                                   "delivery")
        return LocalCommand(request_id=reply.request_id or "", gbcs_payload=reply.body["LocalCommand"]["GBCSPayload"])

    async def _send_locally(self, step: str, commands: list[LocalCommand]) -> list[LocalResponse]:
        responses: list[LocalResponse] = await workflow.execute_activity_method(
            HhtActivities.installer_hht_send_commands, commands, start_to_close_timeout=INSTALLER_TIMEOUT)
        failed = [f"{r.use_case} on {r.device_id}: {r.reason}" for r in responses if not r.success]
        detail = f"{len(commands)} Commands by the HHT" + (f"; failed: {'; '.join(failed)}" if failed else "")
        self.record(step, device_id=self.inp.premises.chf_id, detail=detail)
        return responses

    async def _return_local(self, responses: list[LocalResponse], alerts: list[CollectedAlert]) -> None:
        for r in responses:
            await self.service_request(self._spec(
                f"return_local_command_response/{r.request_id}", "8.13", DCC_ID,
                {"original_request_id": r.request_id, "device_gbcs_response": r.gbcs_response}, []),
                self.inp.response_timeout)
            self.record("return_local_command_response", device_id=r.device_id,
                        detail=f"{r.use_case} Response to {r.request_id}")
        for n, alert in enumerate(a for a in alerts if a.alert_code in RETURNED_ALERTS):
            await self.service_request(self._spec(
                f"return_local_command_response/alert/{n}", "8.13", DCC_ID,
                {"device_gbcs_response": alert.gbcs_payload}, []), self.inp.response_timeout)
            self.record("return_local_command_response", device_id=alert.device_id,
                        detail=f"Device Alert {alert.alert_code:04X}")

    async def _wait_for_sm_wan(self, inp: InstallAndLeaveInput) -> bool:
        """Wake on the Alerts the CH sends when it reaches the SM WAN, or every ``wan_check_interval``; each time
        ask the DCC (SRV 8.2) whether the CHF is 'commissioned'. False when ``wan_wait_limit`` passed first."""
        p = inp.premises
        limit = workflow.now() + inp.wan_wait_limit
        ours = {p.chf_id, p.esme_id, *([p.ppmid_id] if p.ppmid_id else [])}

        def over_the_wan() -> int:
            return sum(1 for m in self.inbox if m.kind == "device_alert" and m.device_id in ours)

        check, seen = 0, 0  # Alerts that came before the wait (the WAN arrived during the visit) count as news
        while True:
            remaining = limit - workflow.now()
            if over_the_wan() <= seen and remaining > timedelta(0):
                try:
                    await workflow.wait_condition(lambda seen=seen: over_the_wan() > seen,
                                                  timeout=min(inp.wan_check_interval, remaining))
                except TimeoutError:
                    pass
            seen = over_the_wan()
            check += 1
            status = await self._chf_status(check)
            self.record("check_sm_wan_connection", device_id=p.chf_id, detail=f"CHF '{status}'")
            if status == "Commissioned":
                self.record("sm_wan_connected", device_id=p.chf_id,
                            detail=f"{over_the_wan()} buffered Device Alerts received over the SM WAN")
                return True
            if workflow.now() >= limit:
                return False

    async def _chf_status(self, check: int) -> str:
        p = self.inp.premises
        reply = await self.service_request(self._spec(f"check_sm_wan_connection/{check}", "8.2", DCC_ID,
                                                      {"device_id": p.chf_id}, []), self.inp.response_timeout)
        devices = reply.body.get("DSPInventory", {}).get("Device", [])
        for dev in devices if isinstance(devices, list) else [devices]:
            if dev.get("DeviceID") == p.chf_id:
                return str(dev.get("DeviceStatus"))
        return "unknown"


def _joined(alerts: list[CollectedAlert], chf_id: str) -> set[str]:
    """The Devices the last CS14 from the CHF shows joined."""
    cs14 = [a for a in alerts if a.alert_code == DeviceAlert.CHF_DEVICE_LOG_CHANGED and a.device_id == chf_id]
    if not cs14:
        return set()
    _kind, data = parse_returned(cs14[-1].gbcs_payload)
    return {e["device_id"] for e in data.get("device_log") or [] if e.get("joined")}
