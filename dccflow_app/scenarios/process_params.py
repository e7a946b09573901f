"""The processes a scenario step can start, as data: each BAD process with its section, the actors who may start it
and the model of its parameters (a step's ``with:``); :data:`PLANNED` names the BAD processes dccflow does not run
yet, so that a file naming one is told so (``dccflow_app.scenarios.loader``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema

from dccflow.domain.firmware import MAX_SIMULATED_IMAGE
from dccflow_app.scenarios.durations import Duration
from dccflow_app.scenarios.spec_types import (
    ROLES,
    At,
    DeviceName,
    FaultText,
    PartyKey,
    RoleName,
    Srv,
    StrictModel,
)


class InstallCommissionParams(StrictModel):
    pass


class InstallAndLeaveParams(StrictModel):
    wan_wait_limit: At = Duration(count=90, unit="days")
    """How long the Supplier waits for the SM WAN before ending at ``end_no_sm_wan`` (a decision: the BAD is silent)."""


class PostCommissioningParams(StrictModel):
    steps: Literal["done", "never"] = "done"
    """``done``: the Supplier carries out the BAD 7.2.3 steps at the step's time; ``never``: it never does (the AC 5.2
    period still runs from commissioning)."""


class ServiceRequestParams(StrictModel):
    """One Service Request outside any process (e.g. a routine request, to see the DCC's restriction)."""

    srv: Srv
    device: DeviceName | None = None
    params: dict[str, Any] = {}


class ChangeOfSupplierParams(StrictModel):
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


class CellReplacementParams(StrictModel):
    """Request Handover (SRV 6.21, BAD 7.7.2.5.5) or Update Security Credentials (KRP) (SRV 6.15.1, BAD 7.7.2.5.6):
    whose Organisation Certificate goes into a trust anchor cell of a Device."""

    device: CredentialDevice
    """The Device, by its Device Type (esme, gsme, gpf, hcalcs)."""
    cell: Literal["Supplier", "NetworkOperator"] = "Supplier"
    certificate_of: RoleName | None = None
    """Whose certificate is placed (a role of the file's Parties; default: the step's actor)."""


class DeviceCredentialRegenerationParams(StrictModel):
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


class OrgCertRolloverParams(StrictModel):
    """A Supplier's new Organisation Certificate into the Supplier cell of every Device it serves (a fleet's)."""

    concurrency: int = Field(default=50, ge=1)
    """Devices in flight at once."""


#: a Device an end-of-life process acts on, by its Device Type (``esme`` or ``ESME``: a premises has one of each)
LifeDevice = Annotated[Literal["CHF", "GPF", "ESME", "GSME", "PPMID", "HCALCS", "IHD", "CAD"],
                       BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                       WithJsonSchema({"enum": [c(t) for t in ("CHF", "GPF", "ESME", "GSME", "PPMID", "HCALCS", "IHD",
                                                               "CAD") for c in (str.lower, str.upper)],
                                       "description": "the Device by its Device Type (chf or CHF …)"})]


class UnjoinParams(StrictModel):
    """One unjoin (digest 04 §C.3): ``target`` removes ``other`` from its Device Log."""

    srv: Literal["8.8.1", "8.8.2"]
    target: LifeDevice
    other: LifeDevice
    by: RoleName | None = None
    """Who sends it (default: the step's actor)."""


class DecommissionParams(StrictModel):
    """Remove and Decommission Device (BAD 7.6.2): optional unjoins (8.8.1 / 8.8.2), an optional 8.11 Remove from the
    CHF Device Log, then 'Decommission Device' (SRV 8.3)."""

    device: LifeDevice
    unjoins: list[UnjoinParams] = []
    remove_from_chf: bool = False
    """Take the Device off the CHF Device Log first (SRV 8.11 Remove, BAD 7.6.2.5.4)."""
    watch_orphans: At | None = None
    """A CHF: how long the Supplier then waits for the DCC's H6.6 decommissioning of the SMS's other Devices."""


class ReplaceCommunicationsHubParams(StrictModel):
    """Replace Communications Hub (BAD 7.6.1): the new CH fitted, both Device Logs restored (8.12.1, 8.12.2), the
    GSME moved to the new GPF, the old CH decommissioned (8.3) and returned (8.14.3 / 8.14.4)."""

    new_ch_faults: list[FaultText] = []
    """Faults the replacement CH arrives with (``no-wan``: it never reaches the SM WAN)."""
    ch_return: Literal["fault", "no_fault"] = "fault"
    """How the old CH goes back: SRV 8.14.3 Fault Return or 8.14.4 No Fault Return."""


class MeterExchangeParams(StrictModel):
    """A meter exchange on the same CH (BAD 7.6, 7.6.2, 7.2.1): the old meter off the CHF Device Log and
    decommissioned (8.11 Remove, 8.3), the new one added, commissioned and given the MPxN (8.11, 8.1.1, 6.20.1)."""

    device: Annotated[Literal["ESME"], BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                      WithJsonSchema({"enum": ["esme", "ESME"], "description": "the meter exchanged"})] = "ESME"


class FirmwareUpgradeParams(StrictModel):
    """Manage Firmware (BAD 7.5.3): the Supplier's checks (S1-S4), 'Update Firmware' (11.1), the meter's receipt
    (0x8F72 / 0x8F1C), 'Activate Firmware' (11.3, CS06) at once or future-dated (0x00CA), 'Read Firmware Version'
    (11.2)."""

    device: Annotated[Literal["ESME", "GSME"], BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                      WithJsonSchema({"enum": ["esme", "ESME", "gsme", "GSME"],
                                      "description": "the Smart Meter upgraded"})] = "ESME"
    to_version: str = "2.0.0"
    """The Firmware Version of the release (1-8 characters, DUIS FirmwareVersion)."""
    image_size: Annotated[int, Field(ge=1, le=MAX_SIMULATED_IMAGE)] = 4096
    """The Manufacturer Image's size in octets (its download over the HAN takes longer the larger it is; the DCC
    refuses one over 750 KiB with N20)."""
    on_cpl: bool = True
    """The manufacturer has the release put on the CPL first (BAD 7.5.3.5); false: it is not listed."""
    activate_after: At | None = None
    """A future-dated activation (the CS06's execution date-time) this long after it is sent; none: at once."""
    cancel_after: At | None = None
    """With ``activate_after``: the Supplier cancels the stored activation this long after the meter stored it (SRV
    11.3 with the DUIS ExecutionDateTime 3000-12-31)."""


class FirmwareCampaignParams(StrictModel):
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


class DeviceReuseParams(StrictModel):
    """Re-use of a decommissioned meter (AD 3.8.101.5, AC 7.1): 12.2 back to 'pending', then Install and Commission's
    steps on the premises' CH."""

    device: Annotated[Literal["ESME"], BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                      WithJsonSchema({"enum": ["esme", "ESME"], "description": "the meter re-used"})] = "ESME"


class SmkiRecoveryParams(StrictModel):
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
