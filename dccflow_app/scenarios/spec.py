"""A scenario file, as pydantic models: who is who (``parties``), the premises (or a ``fleet`` of them built from a
template), a ``timeline`` of steps at durations from the start (each a BAD process started by its actor, or an
event of the world) and what the run must show (``expect``).

The models check each value's shape; ``dccflow_app.scenarios.loader`` reads the YAML, keeps each value's line and
column, and adds the checks that need the whole file (a step naming a device the premises lacks, a step earlier
than the one before it, a fault that does not exist or does not apply to that device). The published JSON
Schema (``scenario.schema.json`` beside this module) is :func:`json_schema`; ``dccflow scenario schema`` prints it.

The processes a step can start are data (:data:`PROCESSES`): each with its BAD section, the actors who may start
it and the model of its parameters (``with:``). A process the BAD has and dccflow does not run yet is in
:data:`PLANNED`, so a file naming it is told so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    WithJsonSchema,
)

from dccflow.domain.alerts import DccAlert
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole, UserRole
from dccflow.domain.smi import SmiStatus
from dccflow.parties import ELECTRICITY_DISTRIBUTOR, GAS_TRANSPORTER, SUPPLIER
from dccflow_app.scenarios.durations import PATTERN, USAGE, Duration, parse_duration

SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")
SCHEMA_ID = "urn:dccflow:scenario"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True)


#: a duration from the scenario's start (``dccflow_app.scenarios.durations``): ``0``, ``3 working days``, ``30 days``
At = Annotated[
    Duration,
    BeforeValidator(parse_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"anyOf": [{"const": 0}, {"type": "string", "pattern": PATTERN}],
                    "description": f"a duration from the start: {USAGE}"}),
]
#: a device's name in the premises (the file's own, e.g. ``esme``, ``meter-1``)
DeviceName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]
#: a fault as ``dccflow fleet faults`` lists it: NAME[:PARAM], checked against ``devices.faults``
FaultText = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*(:.+)?$", description="NAME[:PARAM], e.g. wan-after:3")]
#: who takes part, by the User Role they act in (the simulator's Parties, ``dccflow.parties``)
RoleName = Literal["import_supplier", "gas_supplier", "electricity_distributor", "gas_transporter"]
ROLES: dict[str, UserRole] = {"import_supplier": UserRole.IMPORT_SUPPLIER, "gas_supplier": UserRole.GAS_SUPPLIER,
                              "electricity_distributor": UserRole.ELECTRICITY_DISTRIBUTOR,
                              "gas_transporter": UserRole.GAS_TRANSPORTER}
#: a Service Reference Variant, e.g. ``6.20.1`` (a number in YAML is taken as its text)
Srv = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int | float) else v),
                Field(pattern=r"^\d{1,2}\.\d{1,2}(\.\d{1,2})?$")]
ResponseCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,4}$", description="a DUIS response code, e.g. E5")]


class Parties(_Strict):
    """Which of the simulator's Parties (``dccflow.parties``, by key) acts in each User Role."""

    import_supplier: str = SUPPLIER.key
    gas_supplier: str = SUPPLIER.key
    electricity_distributor: str = ELECTRICITY_DISTRIBUTOR.key
    gas_transporter: str = GAS_TRANSPORTER.key


#: Device Types a premises may hold: the DUIS ones, and the installer's hand-held terminal (a Type 2 Device on
#: the SMI, which the simulation gives the premises' CAD id; BAD 7.2.2.6.2)
DeviceKind = Literal[tuple(t.value for t in DeviceType) + ("HHT",)]  # type: ignore[valid-type]
CellName = Literal[tuple(r.value for r in RemotePartyRole)]  # type: ignore[valid-type]
AlertCode = Literal[tuple(a.value for a in DccAlert)]  # type: ignore[valid-type]
StatusName = Literal[tuple(s.value for s in SmiStatus)]  # type: ignore[valid-type]


class DeviceSpec(_Strict):
    type: DeviceKind
    supplier_cell: Literal["DCC", "other-mpid"] | None = None
    """Whose certificate the procurer put in the Supplier cell (BAD 7.2.1.5 Table 4): ``DCC`` (a DCC Access Control
    Broker certificate, option (b)) or ``other-mpid`` (the Supplier's other MPID's, BAD 7.2.1.6.9); absent: the
    Supplier's own (option (a))."""
    faults: list[FaultText] = []
    """Faults the device has from the start, NAME[:PARAM] (``dccflow fleet faults``)."""


class Premises(_Strict):
    """One premises: its devices by the names the rest of the file uses. The fuels follow from the meters: an
    ESME is electricity, a GSME gas (a GSME without an ESME: a gas-only premises, its CH on a hot-shoe)."""

    devices: dict[DeviceName, DeviceSpec] = Field(min_length=1)


class FleetFault(_Strict):
    device: DeviceName
    fault: FaultText
    rate: float = Field(default=1.0, ge=0, le=1)
    """The share of the premises whose ``device`` has the fault (drawn from the seed)."""


class Fleet(_Strict):
    """``count`` premises built from ``template`` with the seed's deterministic ids (``dccflow fleet create``)."""

    count: int = Field(ge=1, le=2**20)
    seed: int = 1
    template: Premises
    faults: list[FleetFault] = []


# ---- the processes a step can start ------------------------------------------------------------------------

class InstallCommissionParams(_Strict):
    pass


class InstallAndLeaveParams(_Strict):
    wan_wait_limit: At = Duration(count=90, unit="days")
    """How long the Supplier waits for the SM WAN before ending at ``end_no_sm_wan`` (a decision: the BAD is silent)."""


class PostCommissioningParams(_Strict):
    steps: Literal["done", "never"] = "done"
    """``done``: the Supplier carries out the BAD 7.2.3 steps at the step's time; ``never``: it never does (the AC 5.2
    period still runs from commissioning)."""


class ServiceRequestParams(_Strict):
    """One Service Request outside any process (e.g. a routine request, to see the DCC's restriction)."""

    srv: Srv
    device: DeviceName | None = None
    params: dict[str, Any] = {}


#: a Party of the simulator by its key (``dccflow.parties.PARTIES``, e.g. ``supplier-b``)
PartyKey = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)+$", description="a party key, e.g. supplier-b")]


class ChangeOfSupplierParams(_Strict):
    """Transitional Change of Supplier (BAD 7.7.1): the Gaining Supplier replaces the Supplier certificates of the
    SMS's Devices of one fuel (SRV 6.23), then updates the Supplier name and the tariff (BAD 7.7.1.5.5-6)."""

    supplier: PartyKey
    """The Gaining Supplier (party key); it acts in the step's actor role (import_supplier: electricity)."""
    fuel: Literal["electricity", "gas"] | None = None
    """The fuel whose Devices change (default: gas for a gas_supplier actor, else electricity)."""
    execution: At | None = None
    """Future-dated: the ExecutionDateTime of each SRV 6.23, from the scenario's start (absent: on demand)."""
    device_retries: int = Field(default=1, ge=0, le=5)
    """How often the Gaining Supplier resends a 6.23 a Device failed (a decision: the BAD is silent)."""
    tariff: bool = True
    """Whether the Gaining Supplier then updates the Supplier name and the tariff (SRV 3.4, BAD 7.7.1.5.5-6)."""


#: the Device a credential process acts on, by its Device Type (``gpf`` or ``GPF``: a premises has one of each)
CredentialDevice = Annotated[Literal["ESME", "GSME", "GPF", "HCALCS"],
                             BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                             WithJsonSchema({"enum": [c(t) for t in ("ESME", "GSME", "GPF", "HCALCS")
                                                      for c in (str.lower, str.upper)],
                                             "description": "the Device by its Device Type (esme or ESME …)"})]


class CellReplacementParams(_Strict):
    """Request Handover (SRV 6.21, BAD 7.7.2.5.5) or Update Security Credentials (KRP) (SRV 6.15.1, BAD 7.7.2.5.6):
    whose Organisation Certificate goes into a trust anchor cell of a Device."""

    device: CredentialDevice
    """The Device, by its Device Type (esme, gsme, gpf, hcalcs)."""
    cell: Literal["Supplier", "NetworkOperator"] = "Supplier"
    certificate_of: RoleName | None = None
    """Whose certificate is placed (a role of the file's Parties; default: the step's actor)."""


class DeviceCredentialRegenerationParams(_Strict):
    """Issue Security Credentials and Update Security Credentials (Device) (SRV 6.17 → Device CSR → SMKI → SRV
    6.15.2, BAD 7.7.2.5.7-8), for each credential type in turn."""

    device: CredentialDevice
    credential_types: list[Literal["Key Agreement", "Digital Signature"]] = ["Key Agreement", "Digital Signature"]


class ProcessInfo(BaseModel, frozen=True):
    name: str
    bad: str
    title: str
    actors: tuple[str, ...]
    """Who may start it (the first is the default actor)."""
    params: type[BaseModel] | None = None


class OrgCertRolloverParams(_Strict):
    """A Supplier's new Organisation Certificate into the Supplier cell of every Device it serves (a fleet's)."""

    concurrency: int = Field(default=50, ge=1)
    """Devices in flight at once."""


#: a Device an end-of-life process acts on, by its Device Type (``esme`` or ``ESME``: a premises has one of each)
LifeDevice = Annotated[Literal["CHF", "GPF", "ESME", "GSME", "PPMID", "HCALCS", "IHD", "CAD"],
                       BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                       WithJsonSchema({"enum": [c(t) for t in ("CHF", "GPF", "ESME", "GSME", "PPMID", "HCALCS", "IHD",
                                                               "CAD") for c in (str.lower, str.upper)],
                                       "description": "the Device by its Device Type (chf or CHF …)"})]


class UnjoinParams(_Strict):
    """One unjoin (digest 04 §C.3): ``target`` removes ``other`` from its Device Log."""

    srv: Literal["8.8.1", "8.8.2"]
    target: LifeDevice
    other: LifeDevice
    by: RoleName | None = None
    """Who sends it (default: the step's actor)."""


class DecommissionParams(_Strict):
    """Remove and Decommission Device (BAD 7.6.2): optional unjoins (8.8.1 / 8.8.2), an optional 8.11 Remove from the
    CHF Device Log, then 'Decommission Device' (SRV 8.3)."""

    device: LifeDevice
    unjoins: list[UnjoinParams] = []
    remove_from_chf: bool = False
    """Take the Device off the CHF Device Log first (SRV 8.11 Remove, BAD 7.6.2.5.4)."""
    watch_orphans: At | None = None
    """A CHF: how long the Supplier then waits for the DCC's H6.6 decommissioning of the SMS's other Devices."""


class ReplaceCommunicationsHubParams(_Strict):
    """Replace Communications Hub (BAD 7.6.1): the new CH fitted, both Device Logs restored (8.12.1, 8.12.2), the
    GSME moved to the new GPF, the old CH decommissioned (8.3) and returned (8.14.3 / 8.14.4)."""

    new_ch_faults: list[FaultText] = []
    """Faults the replacement CH arrives with (``no-wan``: it never reaches the SM WAN)."""
    ch_return: Literal["fault", "no_fault"] = "fault"
    """How the old CH goes back: SRV 8.14.3 Fault Return or 8.14.4 No Fault Return."""


class MeterExchangeParams(_Strict):
    """A meter exchange on the same CH (BAD 7.6, 7.6.2, 7.2.1): the old meter off the CHF Device Log and
    decommissioned (8.11 Remove, 8.3), the new one added, commissioned and given the MPxN (8.11, 8.1.1, 6.20.1)."""

    device: Annotated[Literal["ESME"], BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                      WithJsonSchema({"enum": ["esme", "ESME"], "description": "the meter exchanged"})] = "ESME"


class FirmwareUpgradeParams(_Strict):
    """Manage Firmware (BAD 7.5.3): the Supplier's checks (S1-S4), 'Update Firmware' (11.1), the meter's receipt
    (0x8F72 / 0x8F1C), 'Activate Firmware' (11.3, CS06) at once or future-dated (0x00CA), 'Read Firmware Version'
    (11.2)."""

    device: Annotated[Literal["ESME", "GSME"], BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                      WithJsonSchema({"enum": ["esme", "ESME", "gsme", "GSME"],
                                      "description": "the Smart Meter upgraded"})] = "ESME"
    to_version: str = "2.0.0"
    """The Firmware Version of the release (1-8 characters, DUIS FirmwareVersion)."""
    image_size: int = 4096
    """The Manufacturer Image's size in octets (its download over the HAN takes longer the larger it is)."""
    on_cpl: bool = True
    """The manufacturer has the release put on the CPL first (BAD 7.5.3.5); false: it is not listed."""
    activate_after: At | None = None
    """A future-dated activation (the CS06's execution date-time) this long after it is sent; none: at once."""
    cancel_after: At | None = None
    """With ``activate_after``: the Supplier cancels the stored activation this long after the meter stored it (SRV
    11.3 with the DUIS ExecutionDateTime 3000-12-31)."""


class FirmwareCampaignParams(_Strict):
    """A firmware wave campaign (BAD 7.5.3 over a fleet; ``workflows.firmware_campaign``): every commissioned meter
    of the model the actor serves, in waves (the canary first), halting when a wave's failure rate passes
    ``halt_above``."""

    model: str | None = None
    """The Device Model (the SMI's; default: the fleet template's meter type, ESME or GSME)."""
    to_version: str = "2.0.0"
    waves: list[Annotated[int, Field(ge=1)]] = Field(default=[1, 10, 100], min_length=1)
    """Wave sizes, the canary first; the last size repeats."""
    halt_above: float = Field(default=0.02, ge=0, le=1)
    """Halt when a wave's failure rate is above this (0.02: 2%)."""
    concurrency: int = Field(default=50, ge=1)
    """Devices in flight at once."""


class DeviceReuseParams(_Strict):
    """Re-use of a decommissioned meter (AD 3.8.101.5, AC 7.1): 12.2 back to 'pending', then Install and Commission's
    steps on the premises' CH."""

    device: Annotated[Literal["ESME"], BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                      WithJsonSchema({"enum": ["esme", "ESME"], "description": "the meter re-used"})] = "ESME"


class SmkiRecoveryParams(_Strict):
    """SMKI Recovery (BAD 7.7.3; ``workflows.smki_recovery``): the step's actor's Organisation Certificate key is
    compromised; Manage Incident, then the method chosen (``dccflow.domain.recovery``) or forced, with the drill's
    Subscriber and SMKI PMA answering at the times given."""

    compromised: Literal["organisation", "recovery-key", "root", "issuing-oca", "contingency-key"] = "organisation"
    """Whose key: ``organisation`` (the actor's Organisation Certificate: a Supplier's, or a Network Operator's in
    its Network Operator cells), ``recovery-key`` (the DCC's Recovery
    Private Key, BAD 7.7.3.4.7: every Device's Recovery cell) or ``root`` (the Root OCA Private Key, BAD 7.7.3.4.5:
    every cell of every Device reset with the Contingency key) or ``issuing-oca`` (the Issuing OCA Private Key, BAD
    7.7.3.4.8: the Recovery cells, then the Subscribers' own certificates) or ``contingency-key`` (the Contingency
    Private Key or Symmetric Key, BAD 7.7.3.4.6: a replacement Root on every Device); for the DCC's keys the actor is
    a Responsible Supplier told."""
    method: Literal["method-1", "method-2", "method-3", "recovery-key-rollover", "contingency",
                    "issuing-oca", "contingency-key-rollover"] | None = None
    """Force a method (BAD 7.7.3.4.2-4); absent: chosen from the two answers below."""
    subscriber_can_sign: bool = True
    """The Subscriber still holds the compromised key (copied, not lost): Method 1."""
    replacement_certificates: bool = False
    """Otherwise: it has replacement certificates for the DCC to install (Method 3), else Method 2."""
    devices: list[LifeDevice] | None = None
    """The Devices in scope (by Device Type); absent: every Device holding the compromised certificate."""
    subscriber_confirms: Literal["yes", "no", "silent"] = "yes"
    confirms_after: At = Duration(count=2, unit="hours")
    pma_decision: Literal["approve", "decline", "silent"] = "approve"
    pma_decides_after: At = Duration(count=1, unit="days")
    recovery_deadline: At = Duration(count=30, unit="days")
    """The PMA-approved recovery deadline: the DCC retries Devices off the SM WAN until then (L 3.1(c))."""
    retry_every: At = Duration(count=1, unit="days")
    handback_after: At = Duration(count=1, unit="days")
    """Method 2: the Responsible Supplier's handover (SRV 6.21) this long after the Devices are 'recovered'."""


_SUPPLIERS = ("import_supplier", "gas_supplier")
PROCESSES: dict[str, ProcessInfo] = {p.name: p for p in (
    ProcessInfo(name="install_commission", bad="BAD 7.2.1", title="Install and Commission", actors=_SUPPLIERS,
                params=InstallCommissionParams),
    ProcessInfo(name="install_and_leave", bad="BAD 7.2.2", title="Install and Leave", actors=_SUPPLIERS,
                params=InstallAndLeaveParams),
    ProcessInfo(name="post_commissioning", bad="BAD 7.2.3", title="Post Commissioning Obligations",
                actors=_SUPPLIERS, params=PostCommissioningParams),
    ProcessInfo(name="service_request", bad="BAD 7.8.4", title="a single Service Request", actors=tuple(ROLES),
                params=ServiceRequestParams),
    ProcessInfo(name="change_of_supplier", bad="BAD 7.7.1", title="Transitional Change of Supplier",
                actors=_SUPPLIERS, params=ChangeOfSupplierParams),
    ProcessInfo(name="request_handover", bad="BAD 7.7.2.5.5", title="Request Handover of DCC Controlled Device",
                actors=_SUPPLIERS, params=CellReplacementParams),
    ProcessInfo(name="update_security_credentials_krp", bad="BAD 7.7.2.5.6", title="Update Security Credentials (KRP)",
                actors=tuple(ROLES), params=CellReplacementParams),
    ProcessInfo(name="device_credential_regeneration", bad="BAD 7.7.2.5.7-8",
                title="Issue Security Credentials and Update Security Credentials (Device)", actors=_SUPPLIERS,
                params=DeviceCredentialRegenerationParams),
    ProcessInfo(name="org_cert_rollover", bad="BAD 7.7.2.5.6", title="Organisation Certificate rollover campaign",
                actors=_SUPPLIERS, params=OrgCertRolloverParams),
    ProcessInfo(name="replace_communications_hub", bad="BAD 7.6.1", title="Replace Communications Hub",
                actors=_SUPPLIERS, params=ReplaceCommunicationsHubParams),
    # any role may start it: the DCC refuses an 8.3 from anyone but the Responsible Supplier (SEC H6.5)
    ProcessInfo(name="decommission", bad="BAD 7.6.2", title="Remove and Decommission Device", actors=tuple(ROLES),
                params=DecommissionParams),
    ProcessInfo(name="meter_exchange", bad="BAD 7.6.2", title="Meter exchange (Remove and Decommission, then Install "
                "and Commission)", actors=("import_supplier",), params=MeterExchangeParams),
    ProcessInfo(name="device_reuse", bad="BAD 7.6.2", title="Re-use of a decommissioned Device (AD 3.8.101.5)",
                actors=("import_supplier",), params=DeviceReuseParams),
    ProcessInfo(name="firmware_upgrade", bad="BAD 7.5.3", title="Manage Firmware", actors=_SUPPLIERS,
                params=FirmwareUpgradeParams),
    ProcessInfo(name="firmware_campaign", bad="BAD 7.5.3", title="Firmware wave campaign (a fleet's)",
                actors=_SUPPLIERS, params=FirmwareCampaignParams),
    # a Supplier's or a Network Operator's own Organisation Certificate key (workflows.smki_recovery_no_key)
    ProcessInfo(name="smki_recovery", bad="BAD 7.7.3", title="SMKI Recovery",
                actors=(*_SUPPLIERS, "electricity_distributor", "gas_transporter"), params=SmkiRecoveryParams),
)}
#: processes of the BAD a step will start once dccflow runs them (a file naming one is told it is not yet there)
PLANNED: dict[str, ProcessInfo] = {p.name: p for p in (
    ProcessInfo(name="user_to_non_user_churn", bad="BAD 7.7.4", title="User to Non-User Churn", actors=_SUPPLIERS),
)}


class _StepBase(_Strict):
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

class ProcessExpectation(_Strict):
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


class CellExpectation(_Strict):
    device: DeviceName
    cell: CellName
    holder: RoleName | Literal["DCC"] | PartyKey
    """``DCC``, the role whose Party's certificate the cell holds, or a Party by key (its User ID for the Device's
    fuel: gas on a GSME or GPF, else electricity)."""


class AlertExpectation(_Strict):
    code: AlertCode
    device: DeviceName | None = None
    to: RoleName | PartyKey
    """The recipient: a role of the file's Parties, or a Party by key (its User ID for the Device's fuel)."""


class Refusal(_Strict):
    """A Service Request the DCC refuses, with its response code (DUIS)."""

    srv: Srv
    by: RoleName
    code: ResponseCode
    device: DeviceName | None = None


Verdict = Literal["met", "breached", "not applicable", "not assessed"]


class Expect(_Strict):
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


class ScenarioFile(_Strict):
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
