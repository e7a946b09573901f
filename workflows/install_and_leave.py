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

Dual fuel (a GSME besides the ESME; the Gas Supplier's requests): the GSME is added to the CHF Device Log (8.11,
with the MPRN) and joined to the GPF (8.7.2, CS03B on the GSME) by Commands for Local Delivery, their Responses
(and any GPF Device Log Alert, GCS62) returned by 8.13; a PPMID is joined to the ESME only (``local_joins``). Table 5
lists 'Gas Smart Meter to GPF' as 8.7.1 CS03C; this project's DCC follows the BAD's process text (7.2.1.6.12)
there, 8.7.2 with CS03B (``dccsim.handlers.join``), and so does this workflow. After the SM WAN: Commission Device
for the ESME and 6.20.1, then for the GSME (GCS28), 'Update Inventory' (8.4) to set the GPF 'commissioned'
(7.2.2.6.8: the GSME-GPF join was made while the GSME was not commissioned, so it did not commission the GPF,
AC 4.10), and 6.20.1 for the GSME; both SMSs are Enrolled.

The Supplier's own Organisation Certificate in each Meter's Supplier cell (BAD 7.2.2.6.2, as 7.2.1.6.8-9 and
``InstallCommission`` decide it from ``supplier_cell_holders``): where the DCC's certificate is there, 'Request
Handover of DCC Controlled Device' (6.21, CommandVariant 2; the DCC signs the CS02b with its ACB key); where another
MPID's is, 'Update Security Credentials (KRP)' (6.15.1, its Signed Pre-Command with CommandVariant 6, signed with that
MPID's key). The HHT sends these CS02b Commands after the Devices joined the SM HAN and before the join Commands
(7.2.2.6.3); their Responses are not returned by 8.13 (not in the list of 7.2.2.6.4), so the Supplier checks them
itself and the DCC learns of the new certificates only from later traffic.

DECISION (the BAD is silent): the Supplier waits at most ``wan_wait_limit`` (90 days by default). If the SM WAN
has not come by then, the process ends at ``end_no_sm_wan``: the devices stay 'installed not commissioned' (no
SMS Enrolled, SEC H5), the DCC's Incident stays open, and a later WAN connection is handled by a new process.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import workflows.install_and_leave_plan as plan
    from activities.duis_client import ServiceRequestSpec
    from activities.hht import CollectedAlert, HhtActivities, LocalCommand, LocalResponse
    from activities.installer import InstallerActivities
    from dccflow.domain.alerts import DeviceAlert
    from dccflow.domain.calendar import working_day_deadline
    from dccflow.messages import InboundMessage
    from dccflow.parties import DCC_ID
    from workflows.base import (
        Deadline,
        ProcessResult,
        ProcessWorkflow,
        ServiceRequestFailed,
        commission_device_params,
        import_mpxn_params,
        supplier_cell_replacement,
    )
    from workflows.han_device_join import JoinRequest
    from workflows.install_and_leave_plan import InstallLeavePremises
    from workflows.install_and_leave_steps import INSTALL_AND_LEAVE_STEPS

INSTALLER_TIMEOUT = timedelta(minutes=10)
#: workflow.patched id: the ESME is fitted before the CH, which it powers (BAD 7.2.1.6.4, which 7.2.2.6 follows);
#: histories recorded before it fitted the CH first
PATCH_ESME_BEFORE_CH = "esme-fitted-before-ch"
#: the Device Alerts returned by SRV 8.13 (BAD 7.2.2.6.4)
RETURNED_ALERTS = frozenset({DeviceAlert.CHF_DEVICE_LOG_CHANGED, DeviceAlert.GPF_DEVICE_LOG_CHANGED})


class SiteConditions(BaseModel):
    """What SRV 8.14.2 must indicate (SEC Appendix I 4.9)."""

    premise_type: str = "Detached / Semi Detached"
    significant_metallic_obstruction: bool = False
    substantial_stone_walls: bool = False
    shared_or_communal_area: bool = False


class InstallAndLeaveInput(BaseModel):
    premises: InstallLeavePremises
    #: the Import Supplier's User ID
    supplier_id: str
    #: the Gas Supplier's User ID (dual fuel; None: the Import Supplier's)
    gas_supplier_id: str | None = None
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
              local: bool = False, user_id: str | None = None, signer: str | None = None) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step, user_id=user_id or self.inp.supplier_id, srv=srv, target=target,
                                  params=params, route_devices=route, route_device_alerts=True,
                                  local_delivery=local, command_signer=signer)

    @property
    def _gas_user(self) -> str:
        return self.inp.gas_supplier_id or self.inp.supplier_id

    async def _run(self, inp: InstallAndLeaveInput) -> InstallAndLeaveResult:
        p = inp.premises
        #: RequestID of each Command obtained for local delivery -> its sender (who returns its Response)
        self.local_senders: dict[str, str] = {}
        #: RequestIDs of the CS02b Commands for local delivery (their Responses are not returned by 8.13)
        self.not_returned: set[str] = set()
        self.record("start_install_and_leave", detail=f"premises {p.premises_id}, MPAN {p.mpan}")
        installed_at = inp.ch_installed_at
        esme_first = False
        if installed_at is None:
            # 7.2.1.6.4 (7.2.2.6 follows it) — the ESME first: it is the CH's power source
            esme_first = workflow.patched(PATCH_ESME_BEFORE_CH)
            if esme_first:
                await workflow.execute_activity_method(InstallerActivities.installer_install_device, p.esme_id,
                                                       start_to_close_timeout=INSTALLER_TIMEOUT)
                self.record("install_electricity_smart_meter", device_id=p.esme_id,
                            detail="fitted before the CH: the CH's power source")
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

        fitted = [d for d in plan.fitted(p) if not (esme_first and d == p.esme_id)]
        for device_id in [*fitted, p.hht_id]:  # the Meters and Type 1 Devices; the HHT switched on
            await workflow.execute_activity_method(InstallerActivities.installer_install_device, device_id,
                                                   start_to_close_timeout=INSTALLER_TIMEOUT)
            self.record("install_devices", device_id=device_id, detail="the installer's HHT" if device_id == p.hht_id
                        else "")

        # 7.2.2.6.2 — Commands for Local Delivery: the CHF Device Log (HHT first), then the joins of Table 5
        log_commands = [await self._obtain_device_log_command(inp, device_id, code, mpxn, user)
                        for device_id, code, mpxn, user in plan.whitelist(p, inp.supplier_id, self._gas_user)]
        credential_commands = [await self._obtain_credential_command(meter, user, holder)
                               for meter, user, holder in plan.foreign_supplier_cells(p, inp.supplier_id,
                                                                                      self._gas_user)]
        join_commands = [await self._obtain_join_command(join)
                         for join in plan.local_joins(p, inp.supplier_id, self._gas_user)]

        # 7.2.2.6.3 — the HHT delivers them; the installer waits for the HAN joins between the two rounds
        responses = await self._send_locally("send_device_log_commands_locally", log_commands)
        await workflow.sleep(timedelta(seconds=inp.join_time_period))
        if credential_commands:  # CS02b before the joins (BAD 7.2.2.6.3)
            responses += await self._send_locally("send_credential_commands_locally", credential_commands)
        if join_commands:
            responses += await self._send_locally("send_join_commands_locally", join_commands)
        alerts: list[CollectedAlert] = await workflow.execute_activity_method(
            HhtActivities.installer_hht_collect_alerts, p.chf_id, start_to_close_timeout=INSTALLER_TIMEOUT)
        self.record("download_responses_and_alerts", device_id=p.chf_id,
                    detail=f"{len(responses)} Responses, {len(alerts)} Device Alerts")

        # 7.2.2.6.4 — SRV 8.13 for each Response and each listed Device Alert (AC 2.11)
        await self._return_local(responses, alerts)
        joined = plan.joined(alerts, p.chf_id)
        for meter, name in ((p.esme_id, "ESME"), (p.gsme_id, "GSME")):
            if meter is not None and meter not in joined:
                await no_wan_report
                return self._end("failed", "end_join_unsuccessful", f"the {name} never joined the SM HAN: no CS14 "
                                 "shows it joined", meter)

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
            commission_device_params(), [p.esme_id]),
            inp.response_timeout)
        self.record("commission_device", device_id=p.esme_id)
        await self.service_request(self._spec(
            "set_device_configuration_import_mpxn", "6.20.1", p.esme_id, import_mpxn_params(p.mpan, gas=False),
            [p.esme_id]),
            inp.response_timeout)
        self.record("set_device_configuration_import_mpxn", device_id=p.esme_id, detail=f"MPAN {p.mpan}")
        if p.gsme_id is None:
            return self._end("completed", "end_sms_enrolled", "ESME commissioned after the SM WAN came: electricity "
                             "SMS Enrolled", p.esme_id)
        await self._commission_gas(inp)
        return self._end("completed", "end_sms_enrolled", "ESME, GSME and GPF commissioned after the SM WAN came: "
                         "electricity and gas SMSs Enrolled", p.gsme_id)

    async def _commission_gas(self, inp: InstallAndLeaveInput) -> None:
        """Dual fuel, after the electricity (BAD 7.2.2.6.7-9): Commission Device for the GSME (GCS28), 'Update
        Inventory' to set the GPF 'commissioned' (the DCC checks the GSME joined and commissioned, AC 4.10), then
        the MPRN on the GSME's display (6.20.1)."""
        p, gas = inp.premises, self._gas_user
        assert p.gsme_id is not None
        await self.service_request(self._spec(
            "commission_device_gsme", "8.1.1", p.gsme_id,
            commission_device_params(), [p.gsme_id], user_id=gas),
            inp.response_timeout)
        self.record("commission_device_gsme", device_id=p.gsme_id)
        await self.service_request(self._spec(
            "update_inventory_gpf_commissioned", "8.4", DCC_ID,
            {"device_id": p.chf_id, "device_status_ch": "Commissioned"}, [], user_id=gas), inp.response_timeout)
        self.record("update_inventory_gpf_commissioned", device_id=p.gpf_id,
                    detail=f"SRV 8.4 on CHF {p.chf_id}: GPF commissioned with the GSME")
        await self.service_request(self._spec(
            "set_device_configuration_import_mpxn_gsme", "6.20.1", p.gsme_id,
            import_mpxn_params(p.mprn or "", gas=True), [p.gsme_id], user_id=gas), inp.response_timeout)
        self.record("set_device_configuration_import_mpxn_gsme", device_id=p.gsme_id, detail=f"MPRN {p.mprn}")

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
                                         mpxn: str | None, user_id: str) -> LocalCommand:
        p = inp.premises
        params = {"device_id": device_id, "install_code": install_code, "join_time_period": inp.join_time_period}
        if mpxn:
            params["import_mpxn"] = mpxn
        step = f"update_han_device_log_local/{device_id}"
        reply = await self.service_request(self._spec(step, "8.11", p.chf_id, params, [device_id, p.chf_id],
                                                      local=True, user_id=user_id), inp.response_timeout)
        self.record("update_han_device_log_local", device_id=device_id, detail="CCS01 returned for local delivery")
        self.local_senders[reply.request_id or ""] = user_id
        return _local_command(reply)

    async def _obtain_credential_command(self, meter: str, user_id: str, holder: str) -> LocalCommand:
        """BAD 7.2.2.6.2: 6.21 where the DCC's certificate is in the Supplier cell, else 6.15.1 signed with the
        holding MPID's key (BAD 7.7.2.5.5-6), for local delivery."""
        replacement = supplier_cell_replacement(holder, user_id)
        assert replacement is not None  # plan.foreign_supplier_cells lists only cells holding another's certificate
        step = replacement.step + "_local"
        reply = await self.service_request(self._spec(f"{step}/{meter}", replacement.srv, meter, replacement.params,
                                                      [meter], local=True, user_id=user_id,
                                                      signer=replacement.signer), self.inp.response_timeout)
        self.record(step, device_id=meter, detail=f"Supplier cell: {holder}'s certificate to be replaced by "
                                                  f"{user_id}'s; CS02b returned for local delivery")
        self.not_returned.add(reply.request_id or "")
        return _local_command(reply)

    async def _obtain_join_command(self, join: JoinRequest) -> LocalCommand:
        reply = await self.service_request(self._spec(
            f"join_service_local/{join.target}/{join.other}", join.srv, join.target, {"other_device_id": join.other},
            [join.target], local=True, user_id=join.user_id), self.inp.response_timeout)
        self.record("join_service_local", device_id=join.target,
                    detail=f"SRV {join.srv} with {join.other}: returned for local delivery")
        self.local_senders[reply.request_id or ""] = join.user_id
        return _local_command(reply)

    async def _send_locally(self, step: str, commands: list[LocalCommand]) -> list[LocalResponse]:
        responses: list[LocalResponse] = await workflow.execute_activity_method(
            HhtActivities.installer_hht_send_commands, commands, start_to_close_timeout=INSTALLER_TIMEOUT)
        failed = [f"{r.use_case} on {r.device_id}: {r.reason}" for r in responses if not r.success]
        detail = f"{len(commands)} Commands by the HHT" + (f"; failed: {'; '.join(failed)}" if failed else "")
        self.record(step, device_id=self.inp.premises.chf_id, detail=detail)
        return responses

    async def _return_local(self, responses: list[LocalResponse], alerts: list[CollectedAlert]) -> None:
        p = self.inp.premises
        for r in (r for r in responses if r.request_id not in self.not_returned):
            # each by the User that obtained the Command (SRV 8.13 names its OriginalRequestID)
            await self.service_request(self._spec(
                f"return_local_command_response/{r.request_id}", "8.13", DCC_ID,
                {"original_request_id": r.request_id, "device_gbcs_response": r.gbcs_response}, [],
                user_id=self.local_senders.get(r.request_id)), self.inp.response_timeout)
            self.record("return_local_command_response", device_id=r.device_id,
                        detail=f"{r.use_case} Response to {r.request_id}")
        for n, alert in enumerate(a for a in alerts if a.alert_code in RETURNED_ALERTS):
            await self.service_request(self._spec(
                f"return_local_command_response/alert/{n}", "8.13", DCC_ID,
                {"device_gbcs_response": alert.gbcs_payload}, [],
                user_id=self._gas_user if alert.device_id == p.gpf_id else None), self.inp.response_timeout)
            self.record("return_local_command_response", device_id=alert.device_id,
                        detail=f"Device Alert {alert.alert_code:04X}")

    async def _wait_for_sm_wan(self, inp: InstallAndLeaveInput) -> bool:
        """Wake on the Alerts the CH sends when it reaches the SM WAN, or every ``wan_check_interval``; each time
        ask the DCC (SRV 8.2) whether the CHF is 'commissioned'. False when ``wan_wait_limit`` passed first."""
        p = inp.premises
        limit = workflow.now() + inp.wan_wait_limit
        ours = {p.chf_id, p.esme_id, *(d for d in (p.ppmid_id, p.gsme_id) if d)}

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


def _local_command(reply: InboundMessage) -> LocalCommand:
    """The Command for Local Delivery the DCC returned in its Service Response (``ResponseMessage/LocalCommand``)."""
    return LocalCommand(request_id=reply.request_id or "", gbcs_payload=reply.body["LocalCommand"]["GBCSPayload"])
