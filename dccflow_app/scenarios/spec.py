"""A scenario file, as pydantic models: who is who (``parties``), the premises (or a ``fleet`` of them built from a
template), a ``timeline`` of steps at durations from the start (each a BAD process started by its actor, or an
event of the world) and what the run must show (``expect``).

The models check each value's shape; ``dccflow_app.scenarios.loader`` reads the YAML, keeps each value's line and
column, and adds the checks that need the whole file (a step naming a device the premises lacks, a step earlier
than the one before it, a fault that does not exist or does not apply to that device). The published JSON
Schema (``scenario.schema.json`` beside this module) is :func:`json_schema`; ``dccflow scenario schema`` prints it.

The processes a step can start are data (``PROCESSES``, in ``dccflow_app.scenarios.process_params`` with their
parameters' models): each with its BAD section, the actors who may start it and the model of its parameters
(``with:``). A process the BAD has and dccflow does not run yet is in ``PLANNED``, so a file naming it is told so.
The value types the models share (durations, names, codes) are in ``dccflow_app.scenarios.spec_types``. This
module is the file's whole model: it re-exports the catalogues its readers need (``__all__``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import BaseModel, Discriminator, Field, Tag

from dccflow.parties import ELECTRICITY_DISTRIBUTOR, GAS_TRANSPORTER, SUPPLIER
from dccflow_app.scenarios.process_params import PLANNED, PROCESSES
from dccflow_app.scenarios.spec_types import (
    ROLES,
    AlertCode,
    At,
    CellName,
    DeviceKind,
    DeviceName,
    FaultText,
    PartyKey,
    ResponseCode,
    RoleName,
    Srv,
    StatusName,
    StrictModel,
)

__all__ = ["EVENTS", "PLANNED", "PROCESSES", "ROLES", "SCHEMA_ID", "SCHEMA_PATH", "STEP_MODELS", "Parties",
           "ScenarioFile", "json_schema", "schema_text"]

SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")
SCHEMA_ID = "urn:dccflow:scenario"


class Parties(StrictModel):
    """Which of the simulator's Parties (``dccflow.parties``, by key) acts in each User Role."""

    import_supplier: str = SUPPLIER.key
    gas_supplier: str = SUPPLIER.key
    electricity_distributor: str = ELECTRICITY_DISTRIBUTOR.key
    gas_transporter: str = GAS_TRANSPORTER.key



class DeviceSpec(StrictModel):
    type: DeviceKind
    supplier_cell: Literal["DCC", "other-mpid"] | None = None
    """Whose certificate the procurer put in the Supplier cell (BAD 7.2.1.5 Table 4): ``DCC`` (a DCC Access Control
    Broker certificate, option (b)) or ``other-mpid`` (the Supplier's other MPID's, BAD 7.2.1.6.9); absent: the
    Supplier's own (option (a))."""
    faults: list[FaultText] = []
    """Faults the device has from the start, NAME[:PARAM] (``dccflow fleet faults``)."""


class Premises(StrictModel):
    """One premises: its devices by the names the rest of the file uses. The fuels follow from the meters: an
    ESME is electricity, a GSME gas (a GSME without an ESME: a gas-only premises, its CH on a hot-shoe)."""

    devices: dict[DeviceName, DeviceSpec] = Field(min_length=1)


class FleetFault(StrictModel):
    device: DeviceName
    fault: FaultText
    rate: float = Field(default=1.0, ge=0, le=1)
    """The share of the premises whose ``device`` has the fault (drawn from the seed)."""


class Fleet(StrictModel):
    """``count`` premises built from ``template`` with the seed's deterministic ids (``dccflow fleet create``)."""

    count: int = Field(ge=1, le=2**20)
    seed: int = 1
    template: Premises
    faults: list[FleetFault] = []


# ---- the processes a step can start ------------------------------------------------------------------------



class _StepBase(StrictModel):
    at: At
    """When, from the scenario's start; never before the step above it."""
    id: str | None = None
    """The step's name in ``expect.processes`` (default: the process name)."""


def _process_step(name: str, params: type[BaseModel]) -> type[_StepBase]:
    """The model of a step starting ``name``: ``process``, ``actor`` and its ``with:`` parameters."""
    info = PROCESSES[name]
    annotations = {"process": Literal[name], "actor": RoleName | None, "with_": params}
    namespace = {"__annotations__": annotations, "__doc__": f"Start {info.title} ({info.bad}).", "__module__": __name__,
                 "actor": Field(default=None, description=f"who starts it (default: {info.actors[0]})"),
                 "with_": Field(default_factory=params, alias="with", description="the process's parameters")}
    return type(f"{''.join(p.title() for p in name.split('_'))}Step", (_StepBase,), namespace)


_PROCESS_STEPS = [_process_step(p.name, p.params) for p in PROCESSES.values()]
ProcessStep = Annotated[Union[tuple(_PROCESS_STEPS)], Field(discriminator="process")]  # noqa: UP007


# ---- events of the world --------------------------------------------------------------------------------

class RegistrationDataChange(_StepBase):
    """Registration Data of the premises' MPAN (electricity) or MPRN (gas) change: a new Supplier or Network
    Operator (by party key), from ``effective`` (or the event's time)."""

    event: Literal["registration_data_change"]
    fuel: Literal["electricity", "gas"]
    supplier: str | None = None
    network_operator: str | None = None
    effective: At | None = None
    """When the new registration takes effect, from the scenario's start (absent: at the event's time); later than
    ``at`` when the registration is recorded ahead of the CoS date, as in real life."""


class FaultOn(_StepBase):
    """A fault starts on a device (``dccflow fleet faults``)."""

    event: Literal["fault_on"]
    device: DeviceName
    fault: FaultText


class FaultOff(_StepBase):
    event: Literal["fault_off"]
    device: DeviceName
    fault: FaultText


class ChOffWan(_StepBase):
    """The CH loses the SM WAN (for ``for``, or until a ``ch_on_wan`` step)."""

    event: Literal["ch_off_wan"]
    device: DeviceName
    for_: At | None = Field(default=None, alias="for")


class ChOnWan(_StepBase):
    event: Literal["ch_on_wan"]
    device: DeviceName


class CplChange(_StepBase):
    """The Central Products List changes for a device's model (SEC F2): its entry or a firmware version removed,
    or added back."""

    event: Literal["cpl_change"]
    device: DeviceName
    change: Literal["removed", "added"]
    firmware_version: str | None = None


class KeyCompromise(_StepBase):
    """A private key is compromised (BAD 7.7.3): a Party's Organisation Certificate (by role) or a device's."""

    event: Literal["key_compromise"]
    party: RoleName | Literal["DCC"] | None = None
    device: DeviceName | None = None
    certificate: Literal["organisation", "device"] = "organisation"


class ChFirmwareUpgrade(_StepBase):
    """The DCC upgrades the premises' Communications Hub firmware itself (BAD 7.5.3.6.5; SEC AB 5.1-5.2): the
    release put on the CPL, the image sent to the CHF signed by the WAN Provider, the relevant Users told, and
    CS06 at least 7 days later (at once when security-urgent)."""

    event: Literal["ch_firmware_upgrade"]
    firmware_version: str
    security_urgent: bool = False


EventStep = Annotated[RegistrationDataChange | FaultOn | FaultOff | ChOffWan | ChOnWan | CplChange | KeyCompromise
                      | ChFirmwareUpgrade, Field(discriminator="event")]
_EVENT_STEPS = (RegistrationDataChange, FaultOn, FaultOff, ChOffWan, ChOnWan, CplChange, KeyCompromise,
                ChFirmwareUpgrade)
EVENTS: tuple[str, ...] = tuple(get_args(m.model_fields["event"].annotation)[0] for m in _EVENT_STEPS)
#: the model of a step by its process or event name
STEP_MODELS: dict[str, type[_StepBase]] = {**dict(zip(PROCESSES, _PROCESS_STEPS, strict=True)),
                                           **dict(zip(EVENTS, _EVENT_STEPS, strict=True))}


def _step_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        has_process, has_event = "process" in value, "event" in value
        return None if has_process == has_event else "process step" if has_process else "event step"
    return "event step" if hasattr(value, "event") else "process step" if hasattr(value, "process") else None


Step = Annotated[
    Annotated[ProcessStep, Tag("process step")] | Annotated[EventStep, Tag("event step")],
    Discriminator(_step_kind, custom_error_type="step_kind",
                  custom_error_message="a step has either process: (a BAD process) or event: (the world), not both"),
]


# ---- expectations -----------------------------------------------------------------------------------------

class ProcessExpectation(StrictModel):
    end: str | None = None
    """The BPMN end event the process reaches (``bpmn/<process>.bpmn``)."""
    result: Literal["completed", "failed"] | None = None
    """Whether reaching it is the process completing or one of its failure branches."""
    outcome: str | None = None
    """An outcome the process reports (Post Commissioning: ``met`` / ``not met``)."""
    steps: list[str] = []
    """BPMN ids of steps the run must show."""
    not_joined: list[DeviceName] = []
    """HAN devices whose join fails (reported; the SMS stays Enrolled)."""


class CellExpectation(StrictModel):
    device: DeviceName
    cell: CellName
    holder: RoleName | Literal["DCC"] | PartyKey
    """``DCC``, the role whose Party's certificate the cell holds, or a Party by key (its User ID for the Device's
    fuel: gas on a GSME or GPF, else electricity)."""


class AlertExpectation(StrictModel):
    code: AlertCode
    device: DeviceName | None = None
    to: RoleName | PartyKey
    """The recipient: a role of the file's Parties, or a Party by key (its User ID for the Device's fuel)."""


class Refusal(StrictModel):
    """A Service Request the DCC refuses, with its response code (DUIS)."""

    srv: Srv
    by: RoleName
    code: ResponseCode
    device: DeviceName | None = None


Verdict = Literal["met", "breached", "not applicable", "not assessed"]


class Expect(StrictModel):
    processes: dict[str, ProcessExpectation] = {}
    """By step id: what each process reaches."""
    statuses: dict[DeviceName, StatusName] = {}
    """SMI status of each device at the end, by device name."""
    trust_anchors: list[CellExpectation] = []
    not_in_cells: list[RoleName | PartyKey] = []
    """Roles or Parties (by key: each of its User IDs) whose certificate no trust anchor cell of any device may hold
    at the end (e.g. the Losing Supplier after a Change of Supplier)."""
    dcc_alerts: list[AlertExpectation] = []
    verdicts: dict[str, Verdict] = {}
    """Verdicts of the obligations audit by obligation id (``dccflow.domain.obligations``)."""
    refusals: list[Refusal] = []


class ScenarioFile(StrictModel):
    """A scenario: who takes part, the premises or fleet, the timeline and what the run must show."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str
    parties: Parties = Parties()
    premises: Premises | None = None
    fleet: Fleet | None = None
    accepts_faults: list[FaultText] = []
    """Faults ``dccflow run NAME --fault`` may add to this scenario (names from ``dccflow fleet faults``)."""
    timeline: list[Step] = Field(min_length=1)
    expect: Expect = Expect()

    def devices(self) -> dict[str, DeviceSpec]:
        """The devices of the premises (of the fleet's template)."""
        where = self.premises or (self.fleet.template if self.fleet else None)
        return dict(where.devices) if where else {}

    def step_id(self, step: _StepBase) -> str:
        return step.id or getattr(step, "process", None) or step.event  # type: ignore[attr-defined]


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of a scenario file."""
    schema = ScenarioFile.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            **schema, "title": "dccflow scenario"}


def schema_text() -> str:
    """:func:`json_schema` as the published file holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
