"""Joining a HAN device during Install and Commission — BAD 7.2.1.6.7 (add it to the CHF Device Log), 7.2.1.6.12
(Join Service) and 7.2.1.6.14 (Remote CAD Pairing); SEC Appendix AC 4.5-4.9.

One child workflow per PPMID, IHD, HCALCS or CAD, so that the devices of a premises proceed independently: a
device that never joins the SM HAN (N25) ends its own workflow as 'not joined' and the others go on. The join
requests each device needs (``join_plan``) follow the BAD's process text, as the DCC does
(``dccsim.handlers.join.JOIN_COMMANDS``):

* PPMID: 8.7.2 to the PPMID naming the ESME (CS03A2), then 8.7.1 to the ESME naming the PPMID (CS03A1); with gas,
  the Gas Supplier's 8.7.2 to the GPF (CS03B), 8.7.2 to the PPMID naming the GSME (CS03C) and 8.7.1 to the GSME
  (CS03C). The PPMID's SMI Status follows the ESME's / GPF's (AC 4.7).
* IHD and CAD (Type 2): 8.7.2 to the ESME and, with gas, to the GPF (CS03B); Associated only (AC 4.8(c)).
* HCALCS: 8.7.1 to the HCALCS naming the ESME (CS03A2), then 8.7.1 to the ESME (CS03A1).

A Type 2 Device needs a CHF Device Log entry too (BAD 7.2.1.6.7 "for all Devices"; 7.2.1.6.14 for the CAD), so
every device starts with SRV 8.11 and waits for N24 / N25 like a meter.

DECISION — one Service Request in flight at a time: the children share the CHF and the meters, and a Device
refuses a Command whose originator counter is not above the last it executed from that User (GBCS anti-replay,
``devices.fleet``); two requests in flight to the same ESME can reach it out of order. So, as a Supplier keeps
one command outstanding per device, each child asks its parent for the command slot (signal ``han_command_slot``)
before a request and gives it back when the Service Response is in (``CommandSlots``). The waits for N24 / N25 —
the long part — still overlap, and a device that never joins holds nothing up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import ServiceRequestSpec
    from dccflow.messages import InboundMessage
    from workflows.base import ProcessResult, ProcessWorkflow, ServiceRequestFailed
    from workflows.install_commission_steps import INSTALL_COMMISSION_STEPS

HanDeviceType = Literal["PPMID", "IHD", "HCALCS", "CAD"]
#: child -> parent: acquire / release the command slot; parent -> child: granted
SLOT_SIGNAL = "han_command_slot"
GRANTED_SIGNAL = "han_command_slot_granted"


class CommandSlot(BaseModel):
    workflow_id: str
    action: Literal["acquire", "release"]


class CommandSlots:
    """The parent's side: grants the command slot to one child at a time, in the order asked."""

    def __init__(self) -> None:
        self.queue: list[str] = []
        self.holder: str | None = None

    def on_signal(self, slot: CommandSlot) -> None:
        if slot.action == "acquire":
            self.queue.append(slot.workflow_id)
        elif self.holder == slot.workflow_id:
            self.holder = None

    async def grant(self) -> None:
        """Runs while the children do (cancelled after them)."""
        while True:
            await workflow.wait_condition(lambda: self.holder is None and bool(self.queue))
            self.holder = self.queue.pop(0)
            await workflow.get_external_workflow_handle(self.holder).signal(GRANTED_SIGNAL)


class HanDevice(BaseModel):
    """A device the installer fits besides the meters (BAD 7.2.1.6.5), with its install code."""

    device_id: str
    device_type: HanDeviceType
    install_code: str


class JoinRequest(BaseModel):
    """One 'Join Service' request: SRV 8.7.1 / 8.7.2 to ``target``, naming ``other``, sent by ``user_id``."""

    srv: Literal["8.7.1", "8.7.2"]
    target: str
    other: str
    user_id: str


class HanDeviceJoinInput(BaseModel):
    device: HanDevice
    chf_id: str
    #: the Supplier that adds the device to the CHF Device Log (SRV 8.11)
    log_user_id: str
    joins: list[JoinRequest]
    join_time_period: int = 300
    response_timeout: timedelta = timedelta(hours=2)
    alert_margin: timedelta = timedelta(minutes=10)
    #: the Install and Commission workflow that grants the command slot (None: no slot, send at will)
    parent_workflow_id: str | None = None


class HanDeviceJoinResult(ProcessResult):
    device_id: str
    device_type: str
    outcome: Literal["joined", "not joined", "failed"]


def han_device_join_workflow_id(device_id: str) -> str:
    return f"han-device-join-{device_id}"


def join_plan(device: HanDevice, *, esme_id: str | None, gsme_id: str | None, gpf_id: str | None,
              import_supplier_id: str | None, gas_supplier_id: str | None) -> list[JoinRequest]:
    """The Join Service requests for one device, electricity first, then gas (BAD 7.2.1.6.12, 7.2.1.6.14)."""
    joins: list[JoinRequest] = []
    d = device.device_id
    if esme_id and import_supplier_id:
        user = import_supplier_id
        joins += {
            "PPMID": [JoinRequest(srv="8.7.2", target=d, other=esme_id, user_id=user),
                      JoinRequest(srv="8.7.1", target=esme_id, other=d, user_id=user)],
            "HCALCS": [JoinRequest(srv="8.7.1", target=d, other=esme_id, user_id=user),
                       JoinRequest(srv="8.7.1", target=esme_id, other=d, user_id=user)],
            "IHD": [JoinRequest(srv="8.7.2", target=esme_id, other=d, user_id=user)],
            "CAD": [JoinRequest(srv="8.7.2", target=esme_id, other=d, user_id=user)],
        }[device.device_type]
    if gsme_id and gpf_id and gas_supplier_id:
        user = gas_supplier_id
        joins += {
            "PPMID": [JoinRequest(srv="8.7.2", target=gpf_id, other=d, user_id=user),
                      JoinRequest(srv="8.7.2", target=d, other=gsme_id, user_id=user),
                      JoinRequest(srv="8.7.1", target=gsme_id, other=d, user_id=user)],
            "HCALCS": [],  # an HCALCS joins the ESME only (BAD 7.2.1.6.12)
            "IHD": [JoinRequest(srv="8.7.2", target=gpf_id, other=d, user_id=user)],
            "CAD": [JoinRequest(srv="8.7.2", target=gpf_id, other=d, user_id=user)],
        }[device.device_type]
    return joins


@workflow.defn(name="HanDeviceJoin")
class HanDeviceJoinWorkflow(ProcessWorkflow):
    """A child of Install and Commission: SRV 8.11, N24 / N25, then the device's Join Service requests."""

    steps = INSTALL_COMMISSION_STEPS

    def __init__(self) -> None:
        super().__init__()
        self._granted = False

    @workflow.signal(name=GRANTED_SIGNAL)
    def slot_granted(self) -> None:
        self._granted = True

    async def _request(self, spec: ServiceRequestSpec, timeout: timedelta) -> InboundMessage:
        """A Service Request round trip holding the parent's command slot (module docstring)."""
        parent = self.inp.parent_workflow_id
        if parent is None:
            return await self.service_request(spec, timeout)
        me = workflow.info().workflow_id
        self._granted = False
        await workflow.get_external_workflow_handle(parent).signal(
            SLOT_SIGNAL, CommandSlot(workflow_id=me, action="acquire"))
        await workflow.wait_condition(lambda: self._granted)
        try:
            return await self.service_request(spec, timeout)
        finally:
            await workflow.get_external_workflow_handle(parent).signal(
                SLOT_SIGNAL, CommandSlot(workflow_id=me, action="release"))

    @workflow.run
    async def run(self, inp: HanDeviceJoinInput) -> HanDeviceJoinResult:
        self.inp = inp
        try:
            return await self._run(inp)
        except ServiceRequestFailed as exc:
            return self._end("failed", str(exc))

    def _end(self, outcome: str, reason: str) -> HanDeviceJoinResult:
        d = self.inp.device
        self.record("han_device_joined" if outcome == "joined" else "han_device_not_joined",
                    device_id=d.device_id, detail=reason)
        return HanDeviceJoinResult(device_id=d.device_id, device_type=d.device_type, outcome=outcome,
                                   end="han_device_joined" if outcome == "joined" else "han_device_not_joined",
                                   reason=reason, events=self.events, obligations=self.obligations)

    async def _run(self, inp: HanDeviceJoinInput) -> HanDeviceJoinResult:
        d = inp.device
        self.record("start_han_device_join", device_id=d.device_id, detail=d.device_type)
        # 7.2.1.6.7 — add the device to the CHF Device Log; the DCC answers N24 or N25 (AD 3.8.109.4)
        added = await self._request(ServiceRequestSpec(
            step="update_han_device_log_han", user_id=inp.log_user_id, srv="8.11", target=inp.chf_id,
            params={"device_id": d.device_id, "install_code": d.install_code,
                    "join_time_period": inp.join_time_period},
            route_devices=[d.device_id]), inp.response_timeout)
        self.record("update_han_device_log_han", device_id=d.device_id,
                    detail=f"{d.device_type} added to the CHF Device Log")
        alert = await self.join_outcome(added.request_id, inp.join_time_period, inp.alert_margin)
        if alert is None or alert.dcc_alert_code == "N25":
            if alert is not None:
                self.record("n25_whitelist_update_unsuccessful_han", device_id=d.device_id)
            return self._end("not joined", f"N25: the {d.device_type} {d.device_id} did not join the SM HAN within "
                                           "the Join Time Period" if alert else
                                           f"neither N24 nor N25 arrived for the {d.device_type} {d.device_id}")
        self.record("n24_whitelist_update_successful_han", device_id=d.device_id)
        # 7.2.1.6.12 / 7.2.1.6.14 — the application-level joins, in the BAD's order
        for join in inp.joins:
            await self._request(ServiceRequestSpec(
                step=f"join_service/{join.srv}/{join.target}/{join.other}", user_id=join.user_id, srv=join.srv,
                target=join.target, params={"other_device_id": join.other}, route_devices=[d.device_id]),
                inp.response_timeout)
            self.record("join_service_critical" if join.srv == "8.7.1" else "join_service_non_critical",
                        device_id=d.device_id, detail=f"SRV {join.srv} to {join.target} naming {join.other}")
        return self._end("joined", f"{d.device_type} {d.device_id} joined: "
                                   + ", ".join(f"{j.srv} {j.target}->{j.other}" for j in inp.joins))
