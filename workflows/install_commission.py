"""Install and Commission — BAD 7.2.1, single-fuel electricity or dual fuel.

The Supplier's process: the installer fits the ESME and then the CH, which the ESME powers (BAD 7.2.1.6.4; the
DCC commissions the CHF when it reaches the SM WAN), and the other devices; within 5 Working Days the Supplier
reports the CH install (SRV 8.14.1); it adds the ESME to the CHF Device Log (SRV 8.11) and waits for N24
(joined: 'installed not commissioned') or N25 (not joined within the Join Time Period plus the network
allowance); then it commissions the ESME (SRV 8.1.1), which Enrols the
electricity SMS (SEC H5.1(a)). For dual fuel the Gas Supplier then does the same for the GSME and joins it to
the GPF (SRV 8.7.2), which commissions the GPF and Enrols the gas SMS (SEC H5.1(b); AC 4.10). A single-fuel gas
install (no ESME: the CH on a hot-shoe, BAD 7.2.1.6.4) is the Gas Supplier's alone.

Before commissioning a meter the Supplier makes sure its own Organisation Certificate is in the Supplier cell:
with 'Request Handover of DCC Controlled Device' (SRV 6.21) where the DCC's is there, with 'Update Security
Credentials (KRP)' (SRV 6.15.1) where another MPID's is (BAD 7.2.1.6.8-9). After commissioning it sets the MPxN
the meter displays (SRV 6.20.1, 7.2.1.6.11; AC 4.14). Then each PPMID, IHD, HCALCS and CAD is added and joined
in a child workflow of its own (``workflows.han_device_join``; BAD 7.2.1.6.12, 7.2.1.6.14): a device that does
not join is reported, the Enrolled SMSs stand.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import ServiceRequestSpec
    from activities.installer import InstallerActivities
    from dccflow.domain.calendar import working_day_deadline
    from dccflow.parties import DCC_ID
    from dccflow.search import device_search_attributes
    from workflows.base import (
        Deadline,
        ProcessResult,
        ProcessWorkflow,
        ServiceRequestFailed,
        commission_device_params,
        import_mpxn_params,
        supplier_cell_replacement,
    )
    from workflows.han_device_join import (
        SLOT_SIGNAL,
        CommandSlot,
        CommandSlots,
        HanDevice,
        HanDeviceJoinInput,
        HanDeviceJoinResult,
        HanDeviceJoinWorkflow,
        han_device_join_workflow_id,
        join_plan,
    )
    from workflows.install_commission_steps import INSTALL_COMMISSION_STEPS
    from workflows.post_commissioning import (
        PostCommissioningInput,
        PostCommissioningResult,
        PostCommissioningWorkflow,
        RoutineRequest,
        post_commissioning_workflow_id,
    )

INSTALLER_TIMEOUT = timedelta(minutes=10)
#: workflow.patched id: SRV 6.20.1 after each Commission Device (histories recorded before it have none)
PATCH_SET_IMPORT_MPXN = "set-import-mpxn-after-commissioning"
#: workflow.patched id: the installer fits the ESME before the CH, the ESME being the CH's power source (BAD
#: 7.2.1.6.4: "the Installer physically installs the Electricity Smart Meter, and then the CH. This is to provide a
#: power source for the CH"). Histories recorded before it fitted the CH first.
PATCH_ESME_BEFORE_CH = "esme-fitted-before-ch"


class ElectricityPremises(BaseModel):
    """The premises of an install: the CH, the ESME and, for dual fuel, the GSME (with the GPF); without an ESME a
    single-fuel gas install (the CH on a hot-shoe). What the Supplier knows before it starts: the devices and
    their install codes from the installer (BAD 7.2.1.6.5) and, from its procurement records, whose Organisation
    Certificate the procurer put in each meter's Supplier cell (BAD 7.2.1.5 Table 4)."""

    premises_id: str
    chf_id: str
    gpf_id: str | None = None
    esme_id: str | None = None
    esme_install_code: str | None = None
    mpan: str | None = None
    gsme_id: str | None = None
    gsme_install_code: str | None = None
    mprn: str | None = None
    #: PPMID, IHD, HCALCS, CAD fitted with the meters (BAD 7.2.1.6.5)
    han_devices: list[HanDevice] = Field(default_factory=list)
    #: meter Device ID -> whose certificate its Supplier cell holds when not the Supplier's own: the DCC's
    #: (``DCC_ID``; Table 4 (b)) or another MPID's User ID (Table 4 (c); BAD 7.2.1.6.9)
    supplier_cell_holders: dict[str, str] = Field(default_factory=dict)


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
    #: meters whose MPxN display is already set (e.g. locally, BAD 7.2.2): no SRV 6.20.1 for them
    import_mpxn_already_set: list[str] = Field(default_factory=list)


class InstallCommissionResult(ProcessResult):
    outcome: Literal["completed", "failed"]
    post_commissioning: list[PostCommissioningResult] = Field(default_factory=list)
    #: one per PPMID, IHD, HCALCS, CAD: joined, not joined (N25) or failed
    han_devices: list[HanDeviceJoinResult] = Field(default_factory=list)


def install_commission_workflow_id(chf_id: str) -> str:
    return f"install-commission-{chf_id}"


@workflow.defn(name="InstallCommission")
class InstallCommissionWorkflow(ProcessWorkflow):
    steps = INSTALL_COMMISSION_STEPS

    def __init__(self) -> None:
        super().__init__()
        #: the command slot the HAN device children share (``workflows.han_device_join``)
        self.slots = CommandSlots()

    @workflow.signal(name=SLOT_SIGNAL)
    def han_command_slot(self, slot: CommandSlot) -> None:
        self.slots.on_signal(slot)

    @workflow.run
    async def run(self, inp: InstallCommissionInput) -> InstallCommissionResult:
        self.inp = inp
        #: when each Meter and the GPF was commissioned: the 7 days of BAD 7.2.3 run from there (AC 5.2)
        self.commissioned_at: dict[str, datetime] = {}
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
        devices = [(p.esme_id, "ESME", inp.supplier_id, inp.electricity_distributor_id)] if p.esme_id else []
        if p.gsme_id is not None and p.gpf_id is not None:
            devices += [(p.gsme_id, "GSME", inp.gas_supplier_id, None),
                        (p.gpf_id, "GPF", inp.gas_supplier_id, inp.gas_transporter_id)]
        children = [
            workflow.execute_child_workflow(
                PostCommissioningWorkflow.run,
                PostCommissioningInput(device_id=device_id, device_type=dtype, supplier_id=supplier or "",
                                       network_operator_id=network_operator,
                                       commissioned_at=self.commissioned_at.get(device_id, now),
                                       start_after=plan.start_after, routine_request=plan.routine_request
                                       if dtype == "ESME" else None),
                id=post_commissioning_workflow_id(device_id),
                search_attributes=device_search_attributes(
                    "post_commissioning", [device_id, p.chf_id], [p.mpan if dtype == "ESME" else p.mprn]))
            for device_id, dtype, supplier, network_operator in devices
        ]
        return list(await asyncio.gather(*children))

    def _end(self, outcome: str, end: str, reason: str = "", device_id: str | None = None,
             han_devices: list[HanDeviceJoinResult] | None = None):
        self.record(end, detail=reason, device_id=device_id)
        return InstallCommissionResult(outcome=outcome, end=end, reason=reason, events=self.events,
                                       obligations=self.obligations, han_devices=han_devices or [])

    def _spec(self, step: str, srv: str, target: str, params: dict, route: list[str]) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step, user_id=self.inp.supplier_id, srv=srv, target=target, params=params,
                                  route_devices=route)

    async def _run(self, inp: InstallCommissionInput) -> InstallCommissionResult:
        p = inp.premises
        self.record("start_installation", detail=f"premises {p.premises_id}, MPAN {p.mpan}")

        # 7.2.1.6.4 — the installer fits the ESME first (electricity or dual fuel): it powers the CH; a gas-only
        # install powers the CH from a hot-shoe
        esme_first = p.esme_id is not None and workflow.patched(PATCH_ESME_BEFORE_CH)
        if esme_first:
            await workflow.execute_activity_method(
                InstallerActivities.installer_install_device, p.esme_id, start_to_close_timeout=INSTALLER_TIMEOUT)
            self.record("install_electricity_smart_meter", device_id=p.esme_id,
                        detail="fitted before the CH: the CH's power source")
        # then it fits and powers the CH; the CH joins the SM WAN by itself
        report = await workflow.execute_activity_method(
            InstallerActivities.installer_install_communications_hub, p.chf_id,
            start_to_close_timeout=INSTALLER_TIMEOUT)
        self.record("install_communications_hub", device_id=p.chf_id,
                    detail=("on a hot-shoe (no ESME); " if p.esme_id is None else "")
                    + ("SM WAN indicator on" if report.sm_wan_connected else "SM WAN indicator off"))
        if not report.sm_wan_connected:
            return self._end("failed", "end_install_and_leave",
                             "the CH did not connect to the SM WAN: no Service Request sent; "
                             "Install and Leave (BAD 7.2.2) applies", p.chf_id)
        self.record("chf_commissioned_by_dcc", device_id=p.chf_id)
        confirmed_at = workflow.now()

        # 7.2.1.6.5 — the meters, then any PPMID, IHD, HCALCS and CAD, are fitted and powered
        fitted_later = [m.device_id for m in self._meters(p) if not (esme_first and m.device_id == p.esme_id)]
        for device_id in fitted_later + [d.device_id for d in p.han_devices]:
            await workflow.execute_activity_method(
                InstallerActivities.installer_install_device, device_id,
                start_to_close_timeout=INSTALLER_TIMEOUT)
            self.record("install_devices", device_id=device_id)

        # 7.2.1.6.6 — SRV 8.14.1 within 5 Working Days of the installer's confirmation
        deadline = Deadline(self, "Communications Hub Status Update - Install Success within 5 Working Days",
                            "Supplier", ("BAD 7.2.1.6.6",), working_day_deadline(confirmed_at, 5))
        if inp.install_report_delay:
            await workflow.sleep(inp.install_report_delay)
        # a gas-only install is reported by the Gas Supplier, with the MPRN
        reporter = inp.supplier_id if p.esme_id is not None else inp.gas_supplier_id or inp.supplier_id
        await self.service_request(ServiceRequestSpec(
            step="ch_status_update_install_success", user_id=reporter, srv="8.14.1", target=DCC_ID,
            params={"chf_id": p.chf_id, "mpxn": p.mpan or p.mprn}, route_devices=[]), inp.response_timeout)
        deadline.met()
        self.record("ch_status_update_install_success", device_id=p.chf_id)

        # electricity first, then gas (BAD 7.2.1.1): each meter joins the SM HAN and is commissioned
        for meter in self._meters(p):
            failed = await self._enrol_meter(inp, p, meter)
            if failed is not None:
                return failed
        if p.gsme_id is None:
            reason, last = "ESME commissioned: electricity SMS Enrolled", p.esme_id
        else:
            # 7.2.1.6.12 — join the GSME to the GPF: the GPF is commissioned with it (AC 4.10; gas Enrolment
            # H5.1(b))
            await self.service_request(ServiceRequestSpec(
                step="join_gsme_to_gpf", user_id=inp.gas_supplier_id, srv="8.7.2", target=p.gsme_id,
                params={"other_device_id": p.gpf_id}, route_devices=[p.gsme_id, p.gpf_id]), inp.response_timeout)
            self.record("join_gsme_to_gpf", device_id=p.gpf_id, detail="GPF commissioned with the GSME")
            self.commissioned_at[p.gpf_id] = workflow.now()
            reason = ("ESME, GSME and GPF commissioned: electricity and gas SMSs Enrolled" if p.esme_id else
                      "GSME and GPF commissioned: gas SMS Enrolled")
            last = p.gsme_id
        if not p.han_devices:
            return self._end("completed", "end_sms_enrolled", reason, last)
        han = await self._join_han_devices(inp, p)
        missing = [f"{r.device_type} {r.device_id} ({r.outcome}: {r.reason})" for r in han if r.outcome != "joined"]
        if missing:
            reason += "; HAN devices not joined: " + "; ".join(missing)
        return self._end("completed", "end_sms_enrolled", reason, last, han_devices=han)

    async def _join_han_devices(self, inp: InstallCommissionInput,
                                p: ElectricityPremises) -> list[HanDeviceJoinResult]:
        """BAD 7.2.1.6.12 / 7.2.1.6.14: one child workflow per PPMID, IHD, HCALCS and CAD; they proceed
        independently, so a device that does not join (N25) leaves the others joined. Their events join ours."""
        log_user = inp.supplier_id if p.esme_id is not None else inp.gas_supplier_id or inp.supplier_id
        self.record("join_han_devices", detail=", ".join(f"{d.device_type} {d.device_id}" for d in p.han_devices))
        children = [
            workflow.execute_child_workflow(
                HanDeviceJoinWorkflow.run,
                HanDeviceJoinInput(
                    device=device, chf_id=p.chf_id, log_user_id=log_user,
                    joins=join_plan(device, esme_id=p.esme_id, gsme_id=p.gsme_id, gpf_id=p.gpf_id,
                                    import_supplier_id=inp.supplier_id if p.esme_id else None,
                                    gas_supplier_id=inp.gas_supplier_id),
                    join_time_period=inp.join_time_period, response_timeout=inp.response_timeout,
                    alert_margin=inp.alert_margin, parent_workflow_id=workflow.info().workflow_id),
                id=han_device_join_workflow_id(device.device_id),
                search_attributes=device_search_attributes(
                    "han_device_join", [device.device_id, p.chf_id, p.esme_id, p.gsme_id, p.gpf_id]))
            for device in p.han_devices
        ]
        granting = asyncio.ensure_future(self.slots.grant())
        try:
            results = list(await asyncio.gather(*children))
        finally:
            granting.cancel()
        for result in results:
            self.events.extend(result.events)
        return results

    def _meters(self, p: ElectricityPremises) -> list[_Meter]:
        meters = [] if p.esme_id is None else [
            _Meter(device_id=p.esme_id, install_code=p.esme_install_code or "", mpxn=p.mpan or "",
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
        alert = await self.join_outcome(added.request_id, inp.join_time_period, inp.alert_margin)
        if alert is None or alert.dcc_alert_code == "N25":
            if alert is not None:
                self.record("n25_whitelist_update_unsuccessful" + meter.suffix, device_id=meter.device_id)
            return self._end("failed", "end_join_unsuccessful",
                             f"N25: the {name} did not join the SM HAN within the Join Time Period"
                             if alert else "neither N24 nor N25 arrived", meter.device_id)
        self.record("n24_whitelist_update_successful" + meter.suffix, device_id=meter.device_id)
        await self._own_supplier_cell(inp, p, meter)
        await self.service_request(ServiceRequestSpec(
            step="commission_device" + meter.suffix, user_id=meter.supplier_id, srv="8.1.1", target=meter.device_id,
            params=commission_device_params(), route_devices=[meter.device_id]), inp.response_timeout)
        self.record("commission_device" + meter.suffix, device_id=meter.device_id)
        self.commissioned_at[meter.device_id] = workflow.now()
        # 7.2.1.6.11 — the MPxN on the meter's display, as soon as practicable after commissioning (AC 4.14)
        if meter.device_id not in inp.import_mpxn_already_set and workflow.patched(PATCH_SET_IMPORT_MPXN):
            await self.service_request(ServiceRequestSpec(
                step="set_import_mpxn" + meter.suffix, user_id=meter.supplier_id, srv="6.20.1",
                target=meter.device_id, params=import_mpxn_params(meter.mpxn, gas=bool(meter.suffix)),
                route_devices=[meter.device_id]), inp.response_timeout)
            self.record("set_import_mpxn" + meter.suffix, device_id=meter.device_id, detail=meter.mpxn)
        return None

    async def _own_supplier_cell(self, inp: InstallCommissionInput, p: ElectricityPremises, meter: _Meter) -> None:
        """BAD 7.2.1.6.8-9: before commissioning, the Supplier's own Organisation Certificate must be in the
        meter's Supplier cell. The Supplier knows what the procurer put there (Table 4) from its records."""
        holder = p.supplier_cell_holders.get(meter.device_id)
        replacement = supplier_cell_replacement(holder, meter.supplier_id)
        if replacement is None:
            return
        step = replacement.step + meter.suffix
        await self.service_request(ServiceRequestSpec(
            step=step, user_id=meter.supplier_id, srv=replacement.srv, target=meter.device_id,
            params=replacement.params, route_devices=[meter.device_id], command_signer=replacement.signer),
            inp.response_timeout)
        self.record(step, device_id=meter.device_id,
                    detail=f"Supplier cell: {holder}'s certificate replaced by {meter.supplier_id}'s")
