"""Transitional Change of Supplier — BAD 7.7.1 (SEC Appendix AB 8; Appendix AD 3.8.74.4): the Gaining Supplier's side.

One workflow per Change of Supplier of one Metering Point (its id from the business key: the MPxN and the CoS
date). The Gaining Supplier, once registered (or due to be) for the MPAN or MPRN:

1. reads the Smart Metering Inventory for the MPxN (SRV 8.2, BAD 7.7.1.5.3) to find the Devices of the SMS it
   gains: the ESME and any HCALCS for electricity; the GSME and the GPF for gas;
2. sends one 'Update Security Credentials (CoS)' (SRV 6.23, BAD 7.7.1.5.4) per Device — all of them first, then
   it waits — optionally future-dated (ExecutionDateTime, SEC H3.12; the DCC sends the Command at that time, AB
   14.2). Each request ends in one of: a Service Response of success (the Device holds the Gaining Supplier's
   certificate; the DCC sends N27 to the Losing Supplier), a Service Response of failure (the DCC's checks of
   the CoS Party's Signed Pre-Command, AB 8.4, or the Device's Response), a DCC Alert N26 (the CoS Party's access
   control, AB 8.1(b), 8.3: the Registration Data do not name the sender), or a rejection of the request itself
   (AB 6.3). Each outcome arrives as a signal (``duis_message``); the wait is ``workflow.wait_condition`` with a
   timeout (the execution time plus the response timeout);
3. where some Devices changed and others did not, the SMS is under mixed ownership: recorded as a process event;
   a Device that failed (the Device's failure, or no answer) is sent a new 6.23 ``device_retries`` times (a
   decision: the BAD is silent). Refusals (N26, a DCC rejection) are not resent: they are business outcomes;
4. on the Smart Meters that changed, Update Supplier Name (SRV 3.4, BAD 7.7.1.5.5) and the tariff (Configure
   Device, BAD 7.7.1.5.6; SRV 1.1.1). Where dccflow or the DCC does not support these the step is reported as
   not done; it never fails the process.

Only Digital Signing certificates are modelled in trust anchor cells (``devices/catalogue.py`` DECISION 1): the
6.23 carries the Gaining Supplier's Digital Signing Organisation Certificate and its certification path.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import ServiceRequestSpec
    from dccflow.duis.response_codes import NOT_SUPPORTED_CODE
    from dccflow.messages import InboundMessage
    from dccflow.parties import DCC_ID
    from dccsim.rejections import PROCESSING_CODES
    from workflows.base import COMMAND_FAILURES, ProcessResult, ProcessWorkflow, ServiceRequestFailed
    from workflows.change_of_supplier_steps import CHANGE_OF_SUPPLIER_STEPS

#: the Devices whose Supplier cell a CoS replaces, by fuel (BAD 7.7.1.5.4), in the order the requests go
COS_DEVICE_TYPES = MappingProxyType({"electricity": ("ESME", "HCALCS"), "gas": ("GSME", "GPF")})
#: Smart Meters: Update Supplier Name and the tariff apply to them (BAD 7.7.1.5.5-6)
METERS = frozenset({"ESME", "GSME"})
#: SMI statuses (DUIS DeviceStatus) of Devices that are no longer part of the SMS
GONE = frozenset({"Decommissioned", "Withdrawn"})
N26 = "N26"
#: why a step was not done: dccflow cannot compose the request (no builder), or the DCC does not offer it
NOT_SUPPORTED_ERRORS = frozenset({"NoBuilder"})

Outcome = Literal["replaced", "refused_n26", "rejected", "device_failed", "no_response"]


class ChangeOfSupplierInput(BaseModel):
    mpxn: str
    fuel: Literal["electricity", "gas"]
    gaining_supplier_id: str
    #: the CoS date: when the Gaining Supplier starts (with the MPxN, the business key)
    cos_date: datetime
    #: future-dated: the ExecutionDateTime of each 6.23 (None: on demand)
    execution: datetime | None = None
    device_retries: int = 1
    supplier_name: str | None = None
    supplier_telephone: str | None = None
    tariff: bool = True
    #: the Gaining Supplier's single-rate electricity tariff (SRV 1.1.1; units of 10^-3 GBP: per kWh, per day)
    unit_price: int = 245
    standing_charge: int = 530
    response_timeout: timedelta = timedelta(hours=2)


class CosDeviceOutcome(BaseModel):
    device_id: str
    device_type: str
    outcome: Outcome
    code: str | None = None
    attempts: int = 1


class ChangeOfSupplierResult(ProcessResult):
    outcome: Literal["completed", "partial", "failed"]
    devices: list[CosDeviceOutcome] = []
    #: the follow-up steps on the Smart Meters (BAD 7.7.1.5.5-6): step → done / not supported / refused
    follow_up: dict[str, str] = {}


def change_of_supplier_workflow_id(inp: ChangeOfSupplierInput) -> str:
    return f"change-of-supplier-{inp.mpxn}-{inp.cos_date:%Y%m%dT%H%M}"


@workflow.defn(name="ChangeOfSupplier")
class ChangeOfSupplierWorkflow(ProcessWorkflow):
    steps = CHANGE_OF_SUPPLIER_STEPS

    @workflow.run
    async def run(self, inp: ChangeOfSupplierInput) -> ChangeOfSupplierResult:
        self.inp = inp
        self._mixed_reported = False
        self.record("start_cos", detail=f"{inp.fuel} MPxN {inp.mpxn}: {inp.gaining_supplier_id} gains the SMS")
        try:
            devices = await self._read_inventory()
        except ServiceRequestFailed as exc:
            return self._end("failed", "end_cos_no_devices", f"Read Inventory failed: {exc.reason}", [])
        if not devices:
            return self._end("failed", "end_cos_no_devices", f"no {inp.fuel} Device on the SMI for {inp.mpxn}", [])
        outcomes = {d: await self._send_cos(d, t, 1) for d, t in devices}
        for device_id, pending in list(outcomes.items()):
            outcomes[device_id] = await self._outcome(pending)
        for attempt in range(2, inp.device_retries + 2):
            self._report_mixed(outcomes)
            retry = [o for o in outcomes.values() if o.outcome in ("device_failed", "no_response")]
            if not retry:
                break
            for o in retry:
                outcomes[o.device_id] = await self._outcome(await self._send_cos(o.device_id, o.device_type,
                                                                                 attempt))
        else:
            self._report_mixed(outcomes)
        result = list(outcomes.values())
        replaced = [o for o in result if o.outcome == "replaced"]
        follow_up = await self._follow_up(replaced)
        if len(replaced) == len(result):
            return self._end("completed", "end_cos_completed", f"{len(result)} Device(s) changed", result,
                             follow_up)
        if replaced:
            return self._end("partial", "end_cos_partial", _summary(result), result, follow_up)
        kinds = {o.outcome for o in result}
        end = "end_cos_refused_n26" if "refused_n26" in kinds else "end_cos_rejected" if "rejected" in kinds \
            else "end_cos_device_failed"
        return self._end("failed", end, _summary(result), result, follow_up)

    def _end(self, outcome: str, end: str, reason: str, devices: list[CosDeviceOutcome],
             follow_up: dict[str, str] | None = None) -> ChangeOfSupplierResult:
        self.record(end, detail=reason)
        return ChangeOfSupplierResult(outcome=outcome, end=end, reason=reason, events=self.events,
                                      obligations=self.obligations, devices=devices, follow_up=follow_up or {})

    def _spec(self, step: str, srv: str, target: str, params: dict) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step, user_id=self.inp.gaining_supplier_id, srv=srv, target=target,
                                  params=params)

    # -- 7.7.1.5.3 Read Inventory ------------------------------------------------------------------------------
    async def _read_inventory(self) -> list[tuple[str, str]]:
        """(Device ID, Device Type) of the fuel's Devices of the SMS, in the order the 6.23s go."""
        reply = await self.service_request(self._spec("read_inventory", "8.2", DCC_ID, {"mpxn": self.inp.mpxn}),
                                           self.inp.response_timeout)
        found = reply.body.get("DSPInventory", {}).get("Device", [])
        found = found if isinstance(found, list) else [found]
        kinds = COS_DEVICE_TYPES[self.inp.fuel]
        meter = kinds[0]
        devices = [(str(d["DeviceID"]), str(d["DeviceType"])) for d in found
                   if d.get("DeviceType") in kinds and str(d.get("DeviceStatus")) not in GONE
                   and (d.get("DeviceType") != meter or d.get("ImportMPxN") == self.inp.mpxn)]
        devices.sort(key=lambda d: kinds.index(d[1]))
        self.record("read_inventory", detail=", ".join(f"{t} {d}" for d, t in devices) or "none of the fuel")
        return devices

    # -- 7.7.1.5.4 Update Security Credentials (CoS) -------------------------------------------------------------
    async def _send_cos(self, device_id: str, device_type: str, attempt: int) -> _Pending:
        params: dict = {"import_mpxn": self.inp.mpxn, "supplier_floor_seq_number": 0,
                        "certificate_of": self.inp.gaining_supplier_id}
        if self.inp.execution is not None:
            params["execution_datetime"] = self.inp.execution.isoformat()
        step = "update_security_credentials_cos" if attempt == 1 else "retry_update_security_credentials_cos"
        try:
            sent = await self.send(self._spec(f"{step}/{device_id}/{attempt}", "6.23", device_id, params))
        except ServiceRequestFailed as exc:
            self.record("cos_request_rejected", device_id=device_id, detail=exc.reason)
            return _Pending(device_id=device_id, device_type=device_type, attempt=attempt,
                            done=CosDeviceOutcome(device_id=device_id, device_type=device_type, outcome="rejected",
                                                  code=exc.code, attempts=attempt))
        when = f", to execute at {self.inp.execution:%Y-%m-%d %H:%M}" if self.inp.execution else ""
        self.record(step, device_id=device_id, detail=f"{device_type} {sent.request_id}{when}")
        return _Pending(device_id=device_id, device_type=device_type, attempt=attempt, request_id=sent.request_id)

    async def _outcome(self, pending: _Pending) -> CosDeviceOutcome:
        if pending.done is not None:
            return pending.done
        wait = self.inp.response_timeout
        if self.inp.execution is not None and self.inp.execution > workflow.now():
            wait += self.inp.execution - workflow.now()
        answer = await self.wait_for(lambda m: _answers(m, pending.request_id), wait)
        outcome, code, step, detail = _judge(answer, pending.request_id, wait)
        self.record(step, device_id=pending.device_id, detail=detail)
        return CosDeviceOutcome(device_id=pending.device_id, device_type=pending.device_type, outcome=outcome,
                                code=code, attempts=pending.attempt)

    def _report_mixed(self, outcomes: dict[str, CosDeviceOutcome]) -> None:
        changed = [o for o in outcomes.values() if o.outcome == "replaced"]
        if changed and len(changed) < len(outcomes) and not self._mixed_reported:
            self._mixed_reported = True
            cells = "; ".join(f"{o.device_type} {o.device_id}: "
                              f"{self.inp.gaining_supplier_id if o.outcome == 'replaced' else 'Losing Supplier'}"
                              for o in outcomes.values())
            self.record("mixed_supplier_cells", detail=cells)

    # -- 7.7.1.5.5-6 Update Supplier Name, Configure Device ------------------------------------------------------
    async def _follow_up(self, replaced: list[CosDeviceOutcome]) -> dict[str, str]:
        meters = [o for o in replaced if o.device_type in METERS]
        if not self.inp.tariff or not meters:
            return {}
        done: dict[str, str] = {}
        name = {"supplier_name": (self.inp.supplier_name or "")[:15],
                "supplier_telephone_number": self.inp.supplier_telephone or ""}
        tariff = {"unit_price": self.inp.unit_price, "standing_charge": self.inp.standing_charge}
        for step, srv, params in (("update_supplier_name", "3.4", name), ("configure_tariff", "1.1.1", tariff)):
            for meter in meters:
                if srv == "1.1.1" and meter.device_type != "ESME":  # dccflow builds electricity tariffs only
                    self.record(f"{step}_not_done", device_id=meter.device_id,
                                detail=f"SRV {srv} not supported: dccflow composes electricity tariffs only")
                    done[step] = "not supported"
                    continue
                try:
                    await self.service_request(self._spec(f"{step}/{meter.device_id}", srv, meter.device_id,
                                                          params), self.inp.response_timeout)
                except ServiceRequestFailed as exc:
                    why = "not supported" if _not_supported(exc) else "refused"
                    self.record(f"{step}_not_done", device_id=meter.device_id,
                                detail=f"SRV {srv} {why}" + ("" if why == "not supported" else f": {exc.reason}"))
                    done[step] = why
                    continue
                self.record(step, device_id=meter.device_id, detail=f"SRV {srv}")
                done.setdefault(step, "done")
        return done


class _Pending(BaseModel):
    device_id: str
    device_type: str
    attempt: int
    request_id: str | None = None
    done: CosDeviceOutcome | None = None


def _answers(message: InboundMessage, request_id: str | None) -> bool:
    """A Service Response to the 6.23, or a DCC Alert about it: N26 (the CoS Party), or a Command failure."""
    return message.request_id == request_id and (
        message.kind == "service_response"
        or (message.kind == "dcc_alert" and message.dcc_alert_code in COMMAND_FAILURES | {N26}))


def _judge(answer: InboundMessage | None, request_id: str | None,
           wait: timedelta) -> tuple[Outcome, str | None, str, str]:
    """(outcome, code, BPMN step, detail) of one 6.23's answer."""
    if answer is None:
        return "no_response", None, "cos_no_response", f"nothing for {request_id} within {wait}"
    if answer.kind == "dcc_alert" and answer.dcc_alert_code == N26:
        return "refused_n26", N26, "cos_refused_n26", f"N26 for {request_id}"
    if answer.kind == "dcc_alert":
        return "device_failed", answer.dcc_alert_code, "cos_device_failed", \
            f"DCC Alert {answer.dcc_alert_code} for {request_id}"
    if answer.success:
        return "replaced", answer.response_code, "cos_credentials_replaced", f"{request_id}: {answer.response_code}"
    if answer.response_code == PROCESSING_CODES["device_failure"]:  # the Device's failure Response
        return "device_failed", answer.response_code, "cos_device_failed", f"{request_id}: {answer.response_code}"
    return "rejected", answer.response_code, "cos_request_rejected", f"{request_id}: {answer.response_code}"


def _not_supported(exc: ServiceRequestFailed) -> bool:
    cause = exc.__cause__
    inner = cause.cause if isinstance(cause, ActivityError) else None
    return exc.code == NOT_SUPPORTED_CODE or (isinstance(inner, ApplicationError)
                                              and inner.type in NOT_SUPPORTED_ERRORS)


def _summary(outcomes: list[CosDeviceOutcome]) -> str:
    return "; ".join(f"{o.device_type} {o.outcome}" + (f" ({o.code})" if o.code and o.outcome != "replaced" else "")
                     for o in outcomes)
