"""Manage Security Credentials — BAD 7.7.2.5.5-8: the credential steps every process uses, and each as a process
of its own.

The steps (used by Post Commissioning Obligations, BAD 7.2.3, and by the processes below):

* :func:`replace_cell_certificate` — SRV 6.21 'Request Handover of DCC Controlled Device' (BAD 7.7.2.5.5,
  Non-Critical: the DCC signs the CS02b as the holder of the cell) or SRV 6.15.1 'Update Security Credentials (KRP)'
  (BAD 7.7.2.5.6, Critical: the User signs the Pre-Command; the Device accepts it only from the cell's holder);
* :func:`regenerate_device_credentials` — SRV 6.17 'Issue Security Credentials' (BAD 7.7.2.5.7: a new key pair,
  the Device CSR in the CS02c Response), 'Obtain Device Certificate' from the SMKI (BAD 7.7.2.5.3), SRV 6.15.2
  'Update Security Credentials (Device)' (BAD 7.7.2.5.8: CS02d makes the pending key current).

The processes (child workflows of whatever starts them; ids from the business key, :func:`credential_workflow_id`):

* ``RequestHandover`` (``request_handover``, BAD 7.7.2.5.5);
* ``UpdateSecurityCredentialsKrp`` (``update_security_credentials_krp``, BAD 7.7.2.5.6);
* ``DeviceCredentialRegeneration`` (``device_credential_regeneration``, BAD 7.7.2.5.7-8), for each key usage in
  turn ("in the end both certificates must be stored", BAD 7.7.2.5.8).

A refusal — the DCC's (a rejection code, AB 6.3) or the Device's (the Service Response's failure code) — ends the
process at its "refused" end with the code and nothing changed on the Device; a Service Request that gets no answer
ends at ``end_service_request_failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.duis_client import ServiceRequestSpec
    from activities.smki_client import CSR_REJECTED, DeviceCertificateRequest, SmkiClient
    from dccflow.domain.credentials import CREDENTIAL_USAGE, DIGITAL_SIGNATURE, KEY_AGREEMENT, SUPPLIER_CELL
    from dccflow.gbcs import csr_from_service_response
    from dccflow.messages import InboundMessage
    from workflows.base import COMMAND_FAILURES, ProcessResult, ProcessWorkflow, ServiceRequestFailed
    from workflows.credentials_steps import KRP_STEPS, REGENERATION_STEPS, REQUEST_HANDOVER_STEPS

SMKI_TIMEOUT = timedelta(seconds=60)
CellName = Literal["Supplier", "NetworkOperator"]
CredentialType = Literal["Digital Signature", "Key Agreement"]


def cell_request(step: str, srv: Literal["6.21", "6.15.1"], *, user_id: str, device_id: str, cell: str,
                 certificate_of: str, command_signer: str | None = None) -> ServiceRequestSpec:
    """The Service Request placing ``certificate_of``'s Organisation Certificate in the Device's ``cell``."""
    return ServiceRequestSpec(step=step, user_id=user_id, srv=srv, target=device_id,
                              params={"remote_party_role": cell, "certificate_of": certificate_of},
                              route_devices=[device_id], command_signer=command_signer)


async def replace_cell_certificate(process: ProcessWorkflow, spec: ServiceRequestSpec, timeout: timedelta, *,
                                   record_as: str | None = None, detail: str = "") -> InboundMessage:
    """Send the 6.21 / 6.15.1 of ``spec``, await its Service Response, and record the step (BAD 7.7.2.5.5-6).
    Raises ``ServiceRequestFailed`` when the DCC or the Device refuses."""
    response = await process.service_request(spec, timeout)
    process.record(record_as or spec.step, device_id=spec.target, detail=detail)
    return response


@dataclass(frozen=True)
class RegenerationStepIds:
    """The BPMN ids a process records for the three steps of :func:`regenerate_device_credentials`."""

    issue: str = "issue_security_credentials"
    obtain: str = "obtain_device_certificate"
    store: str = "update_security_credentials_device"


async def regenerate_device_credentials(process: ProcessWorkflow, *, user_id: str, device_id: str,
                                        timeout: timedelta, credential_type: str = DIGITAL_SIGNATURE,
                                        ids: RegenerationStepIds = RegenerationStepIds(),
                                        key: str = "") -> str:
    """6.17 → the Device CSR → the SMKI's Device Certificate → 6.15.2 for one key usage (BAD 7.7.2.5.7, 7.7.2.5.3,
    7.7.2.5.8). ``key`` makes the Service Requests' step names unique when a process regenerates several usages.
    Returns the stored Device Certificate (base64 DER)."""
    def spec(step: str, srv: str, params: dict) -> ServiceRequestSpec:
        return ServiceRequestSpec(step=step + key, user_id=user_id, srv=srv, target=device_id, params=params,
                                  route_devices=[device_id])

    # BAD 7.7.2.5.7 — the Device generates a new key pair (pending) and returns its CSR
    issued = await process.service_request(spec(ids.issue, "6.17", {"credential_type": credential_type}), timeout)
    process.record(ids.issue, device_id=device_id, detail=_usage_detail(credential_type, key))
    # BAD 7.7.2.5.3 — the SMKI issues the Device Certificate for that CSR
    try:
        certificate = await workflow.execute_activity_method(
            SmkiClient.smki_request_device_certificate,
            DeviceCertificateRequest(device_id=device_id, csr=csr_from_service_response(issued.body),
                                     user_id=user_id, usage=CREDENTIAL_USAGE[credential_type]),
            start_to_close_timeout=SMKI_TIMEOUT)
    except ActivityError as exc:  # the SMKI refused the CSR (e.g. the Device's limit, BAD 7.7.2.5.3): a failed step
        cause = exc.cause
        if not (isinstance(cause, ApplicationError) and cause.type == CSR_REJECTED):
            raise
        raise ServiceRequestFailed("6.17", f"the SMKI refused the Device CSR: {cause.message}") from exc
    process.record(ids.obtain, device_id=device_id, detail=_usage_detail(credential_type, key))
    # BAD 7.7.2.5.8 — store it on the Device: the pending key becomes current
    await process.service_request(spec(ids.store, "6.15.2", {"device_certificate": certificate}), timeout)
    process.record(ids.store, device_id=device_id, detail=_usage_detail(credential_type, key))
    return certificate


def _usage_detail(credential_type: str, key: str) -> str:
    return credential_type if key else ""


# ---- the processes ---------------------------------------------------------------------------------------------

def credential_workflow_id(process: str, device_id: str, instance: str | None = None) -> str:
    """``<process>-<Device ID>[-<instance>]``: one run per Device and process at a time; ``instance`` (e.g. the
    scenario step's id) tells apart runs of the same process on the same Device one after the other."""
    return f"{process.replace('_', '-')}-{device_id}" + (f"-{instance}" if instance else "")


class CellReplacementInput(BaseModel):
    device_id: str
    #: the User sending the Service Request (a Supplier; for 6.15.1 also a Network Operator)
    sender_id: str
    cell: CellName = SUPPLIER_CELL
    #: whose Digital Signing Organisation Certificate goes into the cell (default: the sender's)
    certificate_of: str | None = None
    #: 6.15.1: the User ID whose key signs the Command, when not the sender's (its other MPID, BAD 7.2.1.6.9)
    command_signer: str | None = None
    response_timeout: timedelta = timedelta(hours=2)
    #: tells apart runs of the process on the Device one after another (:func:`credential_workflow_id`)
    instance: str | None = None


class RegenerationInput(BaseModel):
    device_id: str
    supplier_id: str
    #: BAD 7.7.2.5.8: "the order is not important, but in the end both certificates must be stored"
    credential_types: list[CredentialType] = Field(default_factory=lambda: [KEY_AGREEMENT, DIGITAL_SIGNATURE])
    response_timeout: timedelta = timedelta(hours=2)
    instance: str | None = None


class CredentialProcessResult(ProcessResult):
    outcome: Literal["completed", "failed"]
    #: the DUIS response code of a refusal (the DCC's rejection, or the Service Response to a Device's failure)
    refusal_code: str | None = None
    #: Device Certificates stored (DeviceCredentialRegeneration), base64 DER by credential type
    device_certificates: dict[str, str] = Field(default_factory=dict)


class _CredentialProcess(ProcessWorkflow):
    start: str
    done: str
    refused: str
    refused_end: str

    def _end(self, device_id: str, end: str, reason: str, *, code: str | None = None,
             certificates: dict[str, str] | None = None) -> CredentialProcessResult:
        self.record(end, device_id=device_id, detail=reason)
        return CredentialProcessResult(outcome="completed" if end == self.done else "failed", end=end, reason=reason,
                                       refusal_code=code, device_certificates=certificates or {},
                                       events=self.events, obligations=self.obligations)

    def _failed(self, device_id: str, exc: ServiceRequestFailed) -> CredentialProcessResult:
        """A refusal (a response code other than a Command failure alert) ends at the refused end; no answer at
        all is the failure branch."""
        if exc.code is not None and exc.code not in COMMAND_FAILURES:
            self.record(self.refused, device_id=device_id, detail=f"{exc.code}: {exc.reason}")
            return self._end(device_id, self.refused_end, str(exc), code=exc.code)
        return self._end(device_id, "end_service_request_failed", str(exc), code=exc.code)

    async def _replace_cell(self, inp: CellReplacementInput, step: str, srv: Literal["6.21", "6.15.1"], *,
                            command_signer: str | None) -> CredentialProcessResult:
        """BAD 7.7.2.5.5-6: the cell's certificate replaced by ``srv`` (recorded as ``step``), or the refusal."""
        owner = inp.certificate_of or inp.sender_id
        self.record(self.start, device_id=inp.device_id, detail=f"{inp.cell} cell")
        try:
            await replace_cell_certificate(self, cell_request(
                step, srv, user_id=inp.sender_id, device_id=inp.device_id, cell=inp.cell, certificate_of=owner,
                command_signer=command_signer), inp.response_timeout, detail=f"{inp.cell} cell: {owner}'s certificate")
        except ServiceRequestFailed as exc:
            return self._failed(inp.device_id, exc)
        return self._end(inp.device_id, self.done, f"the {inp.cell} cell holds {owner}'s certificate")


@workflow.defn(name="RequestHandover")
class RequestHandoverWorkflow(_CredentialProcess):
    """BAD 7.7.2.5.5 Request Handover of DCC Controlled Device: the Supplier has a DCC Organisation Certificate in
    the Supplier cell replaced by its own, or in the Network Operator cell by the Network Operator's (SRV 6.21,
    Non-Critical; the DCC signs the CS02b; N42 to a Network Operator whose certificate it placed, AD 3.8.73.4)."""

    steps = REQUEST_HANDOVER_STEPS
    start, done, refused, refused_end = ("start_request_handover", "end_handover_done", "handover_refused",
                                         "end_handover_refused")

    @workflow.run
    async def run(self, inp: CellReplacementInput) -> CredentialProcessResult:
        return await self._replace_cell(inp, "request_handover", "6.21", command_signer=None)


@workflow.defn(name="UpdateSecurityCredentialsKrp")
class UpdateSecurityCredentialsKrpWorkflow(_CredentialProcess):
    """BAD 7.7.2.5.6 Update Security Credentials (KRP): a Supplier or Network Operator replaces its own Organisation
    Certificate in the Supplier / Network Operator cell, or a Supplier its own in the Network Operator cell with the
    Network Operator's (SRV 6.15.1, Critical: the Device checks the Command's signature against the cell's holder,
    so a cell still holding the DCC's certificate refuses it — hand it over first, BAD 7.7.2.5.5)."""

    steps = KRP_STEPS
    start, done, refused, refused_end = ("start_update_security_credentials_krp", "end_krp_updated",
                                         "krp_refused", "end_krp_refused")

    @workflow.run
    async def run(self, inp: CellReplacementInput) -> CredentialProcessResult:
        return await self._replace_cell(inp, "update_security_credentials_krp", "6.15.1",
                                        command_signer=inp.command_signer)


@workflow.defn(name="DeviceCredentialRegeneration")
class DeviceCredentialRegenerationWorkflow(_CredentialProcess):
    """BAD 7.7.2.5.7-8 Issue Security Credentials and Update Security Credentials (Device): for each key usage, the
    Device generates a new key pair (SRV 6.17, CS02c), the Supplier obtains the Device Certificate for its CSR from
    the SMKI (BAD 7.7.2.5.3) and has the Device store it (SRV 6.15.2, CS02d); the DCC records the Device
    Certificates in use (AD 3.8.67.4). Periodic replacement is allowed, not required (BAD 7.7)."""

    steps = REGENERATION_STEPS
    # no "refused" end: any refusal (the DCC's, the Device's, the SMKI's) is a failed step
    start, done, refused, refused_end = ("start_device_credential_regeneration",
                                         "end_device_credentials_regenerated", "end_service_request_failed",
                                         "end_service_request_failed")

    @workflow.run
    async def run(self, inp: RegenerationInput) -> CredentialProcessResult:
        self.record(self.start, device_id=inp.device_id, detail=", ".join(inp.credential_types))
        stored: dict[str, str] = {}
        for credential_type in inp.credential_types:
            try:
                stored[credential_type] = await regenerate_device_credentials(
                    self, user_id=inp.supplier_id, device_id=inp.device_id, timeout=inp.response_timeout,
                    credential_type=credential_type, key=f"_{CREDENTIAL_USAGE[credential_type].value}")
            except ServiceRequestFailed as exc:
                return self._end(inp.device_id, "end_service_request_failed", str(exc), code=exc.code,
                                 certificates=stored)
        return self._end(inp.device_id, self.done, f"new {', '.join(stored)} Device Certificates stored",
                         certificates=stored)


CREDENTIAL_WORKFLOWS = (RequestHandoverWorkflow, UpdateSecurityCredentialsKrpWorkflow,
                        DeviceCredentialRegenerationWorkflow)
#: process name (``bpmn/<name>.bpmn``, the scenario files' ``process:``) → its workflow
CREDENTIAL_PROCESSES = MappingProxyType({"request_handover": RequestHandoverWorkflow,
                                         "update_security_credentials_krp": UpdateSecurityCredentialsKrpWorkflow,
                                         "device_credential_regeneration": DeviceCredentialRegenerationWorkflow})
