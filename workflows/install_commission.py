"""Install and Commission — BAD 7.2.1, single-fuel electricity or dual fuel.

The Supplier's process: the installer fits the CH (the DCC commissions the CHF when it reaches the SM WAN)
and the ESME; within 5 Working Days the Supplier reports the CH install (SRV 8.14.1); it adds the ESME to the
CHF Device Log (SRV 8.11) and waits for N24 (joined: 'installed not commissioned') or N25 (not joined within
the Join Time Period plus the network allowance); then it commissions the ESME (SRV 8.1.1), which Enrols the
electricity SMS (SEC H5.1(a)). For dual fuel the Gas Supplier then does the same for the GSME and joins it to
the GPF (SRV 8.7.2), which commissions the GPF and Enrols the gas SMS (SEC H5.1(b); AC 4.10).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import ServiceRequestSpec
    from activities.installer import InstallerActivities
    from dccflow.domain.calendar import working_day_deadline
    from dccflow.parties import DCC_ID
    from workflows.base import Deadline, ProcessResult, ProcessWorkflow, ServiceRequestFailed
    from workflows.install_commission_steps import INSTALL_COMMISSION_STEPS
    from workflows.post_commissioning import (
        PostCommissioningInput,
        PostCommissioningResult,
        PostCommissioningWorkflow,
        RoutineRequest,
        post_commissioning_workflow_id,
    )

INSTALLER_TIMEOUT = timedelta(minutes=10)


class ElectricityPremises(BaseModel):
    """The premises of an install: the CH, the ESME and, for dual fuel, the GSME (with the GPF)."""

    premises_id: str
    chf_id: str
    gpf_id: str | None = None
    esme_id: str
    esme_install_code: str
    mpan: str
    gsme_id: str | None = None
    gsme_install_code: str | None = None
    mprn: str | None = None


class _Meter(BaseModel):
    device_id: str
    install_code: str
    mpxn: str
    supplier_id: str
    #: the BPMN ids of the gas meter's steps end in "_gsme"
    suffix: str


class PostCommissioningPlan(BaseModel):
    """How the Supplier meets its Post Commissioning Obligations (BAD 7.2.3) after this install: starting
    ``start_after`` the commissioning (None: never), with an optional routine request on some day."""

    start_after: timedelta | None = timedelta(0)
    routine_request: RoutineRequest | None = None


class InstallCommissionInput(BaseModel):
    premises: ElectricityPremises
    #: the Import Supplier's User ID
    supplier_id: str
    #: the Gas Supplier's User ID (dual fuel)
    gas_supplier_id: str | None = None
    #: the registered Electricity Distributor and Gas Transporter (for the Network Operator cells, BAD 7.2.3)
    electricity_distributor_id: str | None = None
    gas_transporter_id: str | None = None
    #: run Post Commissioning Obligations for each commissioned Meter and GPF as child workflows
    post_commissioning: PostCommissioningPlan | None = None
    #: Join Time Period of SRV 8.11, in seconds (DUIS: 1–3600)
    join_time_period: int = 300
    #: how long the Supplier's back office takes to send SRV 8.14.1 after the installer's confirmation
    install_report_delay: timedelta = timedelta(0)
    #: how long to wait for a Service Response before treating the request as failed: beyond the DCC's own
    #: final retry boundary (on-demand TRT + 60 min, BAD Table 13), after which it sends N12/N13 instead
    response_timeout: timedelta = timedelta(hours=2)
    #: margin after the DCC's join timeout before the Supplier stops waiting for N24/N25
    alert_margin: timedelta = timedelta(minutes=10)


class InstallCommissionResult(ProcessResult):
    outcome: Literal["completed", "failed"]
    post_commissioning: list[PostCommissioningResult] = Field(default_factory=list)


def install_commission_workflow_id(chf_id: str) -> str:
    return f"install-commission-{chf_id}"


@workflow.defn(name="InstallCommission")
class InstallCommissionWorkflow(ProcessWorkflow):
    steps = INSTALL_COMMISSION_STEPS

    @workflow.run
    async def run(self, inp: InstallCommissionInput) -> InstallCommissionResult:
        self.inp = inp
        try:
            result = await self._run(inp)
        except ServiceRequestFailed as exc:
            return self._end("failed", "end_service_request_failed", str(exc))
        if result.outcome == "completed" and inp.post_commissioning is not None:
            result.post_commissioning = await self._post_commissioning(inp, inp.post_commissioning)
            for pc in result.post_commissioning:
                result.obligations.extend(pc.obligations)
        return result

    async def _post_commissioning(self, inp: InstallCommissionInput,
                                  plan: PostCommissioningPlan) -> list[PostCommissioningResult]:
        """BAD 7.2.3: one child workflow per commissioned Meter and GPF; they proceed independently."""
        p = inp.premises
        now = workflow.now()
        devices = [(p.esme_id, "ESME", inp.supplier_id, inp.electricity_distributor_id)]
        if p.gsme_id is not None and p.gpf_id is not None:
            devices += [(p.gsme_id, "GSME", inp.gas_supplier_id, None),
                        (p.gpf_id, "GPF", inp.gas_supplier_id, inp.gas_transporter_id)]
        children = [
            workflow.execute_child_workflow(
                PostCommissioningWorkflow.run,
                PostCommissioningInput(device_id=device_id, device_type=dtype, supplier_id=supplier or "",
                                       network_operator_id=network_operator, commissioned_at=now,
                                       start_after=plan.start_after, routine_request=plan.routine_request
                                       if dtype == "ESME" else None),
                id=post_commissioning_workflow_id(device_id))
            for device_id, dtype, supplier, network_operator in devices
        ]
        return list(await asyncio.gather(*children))

    def _end(self, outcome: str, end: str, reason: str = "", device_id: str | None = None):
        self.record(end, detail=reason, device_id=device_id)
        return InstallCommissionResult(outcome=outcome, end=end, reason=reason, events=self.events,
                                       obligations=self.obligations)

    def _spec(self, step: str, srv: str, target: str, params: dict, route: list[str]) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step, user_id=self.inp.supplier_id, srv=srv, target=target, params=params,
                                  route_devices=route)

    async def _run(self, inp: InstallCommissionInput) -> InstallCommissionResult:
        p = inp.premises
        self.record("start_installation", detail=f"premises {p.premises_id}, MPAN {p.mpan}")

        # 7.2.1.6.4 — the installer fits and powers the CH; it joins the SM WAN by itself
        report = await workflow.execute_activity_method(
            InstallerActivities.installer_install_communications_hub, p.chf_id,
            start_to_close_timeout=INSTALLER_TIMEOUT)
        self.record("install_communications_hub", device_id=p.chf_id,
                    detail="SM WAN indicator on" if report.sm_wan_connected else "SM WAN indicator off")
        if not report.sm_wan_connected:
            return self._end("failed", "end_install_and_leave",
                             "the CH did not connect to the SM WAN: no Service Request sent; "
                             "Install and Leave (BAD 7.2.2) applies", p.chf_id)
        self.record("chf_commissioned_by_dcc", device_id=p.chf_id)
        confirmed_at = workflow.now()

        # 7.2.1.6.5 — the meters are fitted and powered
        for meter in self._meters(p):
            await workflow.execute_activity_method(
                InstallerActivities.installer_install_device, meter.device_id,
                start_to_close_timeout=INSTALLER_TIMEOUT)
            self.record("install_devices", device_id=meter.device_id)

        # 7.2.1.6.6 — SRV 8.14.1 within 5 Working Days of the installer's confirmation
        deadline = Deadline(self, "Communications Hub Status Update - Install Success within 5 Working Days",
                            "Supplier", ("BAD 7.2.1.6.6",), working_day_deadline(confirmed_at, 5))
        if inp.install_report_delay:
            await workflow.sleep(inp.install_report_delay)
        await self.service_request(self._spec(
            "ch_status_update_install_success", "8.14.1", DCC_ID,
            {"chf_id": p.chf_id, "mpxn": p.mpan}, []), inp.response_timeout)
        deadline.met()
        self.record("ch_status_update_install_success", device_id=p.chf_id)

        # electricity first, then gas (BAD 7.2.1.1): each meter joins the SM HAN and is commissioned
        for meter in self._meters(p):
            failed = await self._enrol_meter(inp, p, meter)
            if failed is not None:
                return failed
        if p.gsme_id is None:
            return self._end("completed", "end_sms_enrolled", "ESME commissioned: electricity SMS Enrolled",
                             p.esme_id)
        # 7.2.1.6.12 — join the GSME to the GPF: the GPF is commissioned with it (AC 4.10; gas Enrolment H5.1(b))
        await self.service_request(ServiceRequestSpec(
            step="join_gsme_to_gpf", user_id=inp.gas_supplier_id, srv="8.7.2", target=p.gsme_id,
            params={"other_device_id": p.gpf_id}, route_devices=[p.gsme_id, p.gpf_id]), inp.response_timeout)
        self.record("join_gsme_to_gpf", device_id=p.gpf_id, detail="GPF commissioned with the GSME")
        return self._end("completed", "end_sms_enrolled",
                         "ESME, GSME and GPF commissioned: electricity and gas SMSs Enrolled", p.gsme_id)

    def _meters(self, p: ElectricityPremises) -> list[_Meter]:
        meters = [_Meter(device_id=p.esme_id, install_code=p.esme_install_code, mpxn=p.mpan,
                         supplier_id=self.inp.supplier_id, suffix="")]
        if p.gsme_id is not None:
            meters.append(_Meter(device_id=p.gsme_id, install_code=p.gsme_install_code or "", mpxn=p.mprn or "",
                                 supplier_id=self.inp.gas_supplier_id or "", suffix="_gsme"))
        return meters

    async def _enrol_meter(self, inp: InstallCommissionInput, p: ElectricityPremises, meter: _Meter):
        """8.11 and N24/N25 (BAD 7.2.1.6.7), then Commission Device 8.1.1 (7.2.1.6.10). None when it worked,
        else the process result of the failure branch."""
        name = "ESME" if not meter.suffix else "GSME"
        added = await self.service_request(ServiceRequestSpec(
            step="update_han_device_log" + meter.suffix, user_id=meter.supplier_id, srv="8.11", target=p.chf_id,
            params={"device_id": meter.device_id, "install_code": meter.install_code,
                    "join_time_period": inp.join_time_period, "import_mpxn": meter.mpxn},
            route_devices=[meter.device_id, p.chf_id]), inp.response_timeout)
        self.record("update_han_device_log" + meter.suffix, device_id=meter.device_id,
                    detail=f"{name} whitelisted on the CHF")
        alert = await self.wait_for(
            lambda m: m.kind == "dcc_alert" and m.dcc_alert_code in ("N24", "N25")
            and m.request_id == added.request_id,
            timedelta(seconds=inp.join_time_period) + inp.alert_margin)
        if alert is None or alert.dcc_alert_code == "N25":
            if alert is not None:
                self.record("n25_whitelist_update_unsuccessful" + meter.suffix, device_id=meter.device_id)
            return self._end("failed", "end_join_unsuccessful",
                             f"N25: the {name} did not join the SM HAN within the Join Time Period"
                             if alert else "neither N24 nor N25 arrived", meter.device_id)
        self.record("n24_whitelist_update_successful" + meter.suffix, device_id=meter.device_id)
        await self.service_request(ServiceRequestSpec(
            step="commission_device" + meter.suffix, user_id=meter.supplier_id, srv="8.1.1", target=meter.device_id,
            params={"current_datetime": workflow.now().isoformat(), "tolerance_period": 60},
            route_devices=[meter.device_id]), inp.response_timeout)
        self.record("commission_device" + meter.suffix, device_id=meter.device_id)
        return None
