"""The processes a scenario's timeline can run after its main install process ("follow-on" steps), as data: for each
process name of ``spec.PROCESSES`` the harness runs as a child workflow at its time, how to build the workflow's
input from the premises and the step's ``with:`` parameters, the workflow, its id from the business key, and how
its result shows in the report and is judged.

Adding a process: write its parameters model in ``spec.py`` (``PROCESSES``), then one :class:`FollowOnProcess`
entry in :data:`REGISTRY` below. ``runtime.WORKFLOWS`` registers every workflow named here
(:func:`follow_on_workflows`); ``dccflow_app.scenarios.lifecycle`` runs the steps. The input builders are workflow
code (the Scenario workflow calls them): deterministic, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from dccflow.domain.roles import UserRole
from dccflow.events import ObligationOutcome, ProcessEvent
from dccflow.parties import PARTIES
from dccflow_app.scenarios import credential_processes as credentials
from dccflow_app.scenarios import life_processes as life
from dccflow_app.scenarios.recovery_process import smki_recovery_input
from dccflow_app.scenarios.scenario import FollowOn
from dccflow_app.scenarios.spec import PROCESSES
from workflows.change_of_supplier import (
    ChangeOfSupplierInput,
    ChangeOfSupplierWorkflow,
    change_of_supplier_workflow_id,
)
from workflows.credentials import CREDENTIAL_PROCESSES
from workflows.decommission import RemoveAndDecommissionWorkflow, decommission_workflow_id
from workflows.device_reuse import DeviceReuseWorkflow, device_reuse_workflow_id
from workflows.firmware_upgrade import FirmwareUpgradeWorkflow, firmware_upgrade_workflow_id
from workflows.meter_exchange import MeterExchangeWorkflow, meter_exchange_workflow_id
from workflows.replace_communications_hub import (
    ReplaceCommunicationsHubWorkflow,
    replace_communications_hub_workflow_id,
)
from workflows.smki_recovery import SmkiRecoveryWorkflow, smki_recovery_workflow_id


class FollowOnPremises(BaseModel):
    """What a follow-on process knows of the premises the main process installed."""

    premises_id: str
    #: Device Type → Device ID (CHF, GPF, ESME, GSME, PPMID, IHD, HCALCS, CAD, HHT as fitted)
    devices: dict[str, str]
    mpan: str | None = None
    mprn: str | None = None


class FollowOnContext(BaseModel):
    """What an input builder gets besides the step: the premises, the scenario's start (a step's durations count
    from it) and the file's Parties (role name → party key, ``spec.Parties``)."""

    premises: FollowOnPremises
    start: datetime
    parties: dict[str, str] = Field(default_factory=dict)

    def user_id(self, party_key: str, role: str) -> str:
        """The User ID a Party acts under in a role (``spec.RoleName``), SEC H1."""
        return PARTIES[party_key].user_ids[UserRole[role.upper()]]


class FollowOnSeen(BaseModel):
    """One follow-on process as the run showed it (``ScenarioReport.processes``)."""

    step_id: str
    process: str
    workflow_id: str
    result: str  # completed / failed
    end: str
    reason: str = ""
    outcome: str | None = None
    events: list[ProcessEvent] = Field(default_factory=list)
    #: the deadlines the process watched (``workflows.base.Deadline``), for the obligations audit
    obligations: list[ObligationOutcome] = Field(default_factory=list)
    #: Devices the process added to the premises (e.g. a replacement CH): the report shows their SMI status too
    new_devices: list[str] = Field(default_factory=list)


def _summary(step: FollowOn, workflow_id: str, result: Any) -> FollowOnSeen:
    """The default reading of a result (a ``workflows.base.ProcessResult``): completed when its ``outcome`` is
    "completed" (or it has none), else failed (e.g. a Change of Supplier left "partial")."""
    outcome = getattr(result, "outcome", None)
    completed = outcome in (None, "completed")
    return FollowOnSeen(step_id=step.step_id, process=step.process, workflow_id=workflow_id,
                        result="completed" if completed else "failed", end=result.end, reason=result.reason,
                        outcome=outcome, events=list(result.events),
                        obligations=list(getattr(result, "obligations", [])),
                        new_devices=list(getattr(result, "new_devices", [])))


@dataclass(frozen=True)
class FollowOnProcess:
    name: str
    #: the workflow's run method (``start_child_workflow`` takes it; its return type is the result's)
    workflow: Callable
    #: (context, step) → the workflow's input
    build_input: Callable[[FollowOnContext, FollowOn], BaseModel]
    #: input → workflow id from the business key (one workflow per business instance)
    workflow_id: Callable[[Any], str]
    #: input → (Device IDs, MPxNs) for the search attributes
    search: Callable[[Any], tuple[list[str], list[str]]]
    #: (step, workflow id, result) → what the report shows and the judge reads
    summarise: Callable[[FollowOn, str, Any], FollowOnSeen] = _summary

    def params(self, step: FollowOn) -> BaseModel:
        """The step's ``with:`` parameters as their model (``spec.PROCESSES``)."""
        model = PROCESSES[self.name].params
        assert model is not None
        return model.model_validate(step.params)


# ---- BAD 7.7.1 Transitional Change of Supplier ------------------------------------------------------------------

def _cos_input(ctx: FollowOnContext, step: FollowOn) -> ChangeOfSupplierInput:
    p = REGISTRY["change_of_supplier"].params(step)
    fuel = p.fuel or ("gas" if step.actor == "gas_supplier" else "electricity")
    mpxn = ctx.premises.mprn if fuel == "gas" else ctx.premises.mpan
    if mpxn is None:
        raise ValueError(f"{step.step_id}: the premises has no {fuel} supply")
    role = "gas_supplier" if fuel == "gas" else "import_supplier"
    return ChangeOfSupplierInput(
        mpxn=mpxn, fuel=fuel, gaining_supplier_id=ctx.user_id(p.supplier, role),
        cos_date=step.at.after(ctx.start),
        execution=p.execution.after(ctx.start) if p.execution is not None else None,
        device_retries=p.device_retries, supplier_name=PARTIES[p.supplier].name,
        supplier_telephone=PARTIES[p.supplier].telephone, tariff=p.tariff)


REGISTRY: dict[str, FollowOnProcess] = {p.name: p for p in (
    FollowOnProcess(name="change_of_supplier", workflow=ChangeOfSupplierWorkflow.run, build_input=_cos_input,
                    workflow_id=change_of_supplier_workflow_id, search=lambda i: ([], [i.mpxn])),
    # BAD 7.7.2.5.5-8 Manage Security Credentials (workflows.credentials; dccflow_app.scenarios.credential_processes)
    *(FollowOnProcess(name=name, workflow=cls.run, search=lambda i: ([i.device_id], []),
                      build_input=credentials.regeneration_input if name == "device_credential_regeneration"
                      else credentials.cell_replacement_input, workflow_id=credentials.workflow_id(name))
      for name, cls in CREDENTIAL_PROCESSES.items()),
    # BAD 7.6.1 / 7.6.2 (dccflow_app.scenarios.life_processes)
    FollowOnProcess(name="replace_communications_hub", workflow=ReplaceCommunicationsHubWorkflow.run,
                    build_input=life.replace_ch_input, workflow_id=replace_communications_hub_workflow_id,
                    search=lambda i: ([i.old_chf_id, i.old_gpf_id, i.new_chf_id, i.new_gpf_id], [])),
    FollowOnProcess(name="decommission", workflow=RemoveAndDecommissionWorkflow.run,
                    build_input=life.decommission_input, workflow_id=decommission_workflow_id,
                    search=lambda i: ([i.device_id], [])),
    FollowOnProcess(name="meter_exchange", workflow=MeterExchangeWorkflow.run, build_input=life.meter_exchange_input,
                    workflow_id=meter_exchange_workflow_id,
                    search=lambda i: ([i.old_meter_id, i.new_meter_id, i.chf_id], [i.mpxn])),
    FollowOnProcess(name="device_reuse", workflow=DeviceReuseWorkflow.run, build_input=life.device_reuse_input,
                    workflow_id=device_reuse_workflow_id, search=lambda i: ([i.device_id, i.chf_id], [i.mpxn])),
    # BAD 7.5.3 Manage Firmware (workflows.firmware_upgrade)
    FollowOnProcess(name="firmware_upgrade", workflow=FirmwareUpgradeWorkflow.run,
                    build_input=life.firmware_upgrade_input, workflow_id=firmware_upgrade_workflow_id,
                    search=lambda i: ([i.device_id], [])),
    # BAD 7.7.3 SMKI Recovery (workflows.smki_recovery; dccflow_app.scenarios.recovery_process)
    FollowOnProcess(name="smki_recovery", workflow=SmkiRecoveryWorkflow.run, build_input=smki_recovery_input,
                    workflow_id=lambda i: smki_recovery_workflow_id(i.incident_id),
                    search=lambda i: (list(i.device_ids or []), [])),
)}


def added_devices(seen: list[FollowOnSeen], known: list[str]) -> list[str]:
    """The Devices the follow-on processes added to the premises, besides ``known``, in the order they came."""
    return list(dict.fromkeys(d for s in seen for d in s.new_devices if d not in known))


def follow_on_workflows() -> list[type]:
    """The workflow classes of the registry, for the User worker (``dccflow_app.runtime.WORKFLOWS``)."""
    classes = []
    for process in REGISTRY.values():
        cls = getattr(process.workflow, "__self__", None) or _owner(process.workflow)
        if cls not in classes:
            classes.append(cls)
    return classes


def _owner(method: Callable) -> type:
    import sys

    module = sys.modules[method.__module__]
    return getattr(module, method.__qualname__.split(".")[0])
