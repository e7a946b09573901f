"""The value types of a scenario file (``dccflow_app.scenarios.spec``): the strict base of its models, durations
from the start, device, fault, role, SRV and code names, and the enumerations taken from the domain (Device Types,
trust anchor cells, DCC Alerts, SMI statuses)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from dccflow.domain.alerts import DccAlert
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole, UserRole
from dccflow.domain.smi import SmiStatus
from dccflow_app.scenarios.durations import PATTERN, USAGE, Duration, parse_duration


class StrictModel(BaseModel):
    """A scenario model: unknown keys refused, values frozen, fields documented by their docstrings."""

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
#: a Party of the simulator by its key (``dccflow.parties.PARTIES``, e.g. ``supplier-b``)
PartyKey = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)+$", description="a party key, e.g. supplier-b")]
#: a Service Reference Variant, e.g. ``6.20.1`` (a number in YAML is taken as its text)
Srv = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int | float) else v),
                Field(pattern=r"^\d{1,2}\.\d{1,2}(\.\d{1,2})?$")]
ResponseCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,4}$", description="a DUIS response code, e.g. E5")]


#: Device Types a premises may hold: the DUIS ones, and the installer's hand-held terminal (a Type 2 Device on
#: the SMI, which the simulation gives the premises' CAD id; BAD 7.2.2.6.2)
DeviceKind = Literal[tuple(t.value for t in DeviceType) + ("HHT",)]  # type: ignore[valid-type]
CellName = Literal[tuple(r.value for r in RemotePartyRole)]  # type: ignore[valid-type]
AlertCode = Literal[tuple(a.value for a in DccAlert)]  # type: ignore[valid-type]
StatusName = Literal[tuple(s.value for s in SmiStatus)]  # type: ignore[valid-type]

