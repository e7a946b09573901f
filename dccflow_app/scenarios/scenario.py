"""A scenario as the single-process harness runs it (``dccflow_app.scenarios.harness``): the premises' options, the
faults it accepts, and what it expects. Built from a scenario file by ``dccflow_app.scenarios.to_catalogue``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from dccflow_app.scenarios.durations import Duration


class WorldEvent(BaseModel, frozen=True):
    """Something that happens to a premises' Device at a time on the scenario's timeline, outside any process: a
    fault switched on or off (``dccflow fleet faults``), the CH losing or regaining the SM WAN."""

    at: Duration
    event: Literal["fault_on", "fault_off", "ch_off_wan", "ch_on_wan"]
    device_type: str
    fault: str | None = None


class Scenario(BaseModel, frozen=True):
    name: str
    description: str
    process: str
    faults: tuple[str, ...]
    #: the BPMN end event the scenario is for, and whether reaching it is the process completing or one of its
    #: failure branches (a scenario may exist to show a failure branch: it then succeeds by reaching it)
    expected_end: str
    expected_statuses: dict[str, str]
    expected_result: Literal["completed", "failed"] = "completed"
    #: verdicts of the obligations audit the scenario demonstrates, as (obligation id of the register, verdict)
    expected_verdicts: tuple[tuple[str, str], ...] = ()
    dual_fuel: bool = False
    #: Post Commissioning Obligations (BAD 7.2.3): days after commissioning the Supplier starts the steps
    #: (None: never); a routine request on some day; the outcome expected
    post_commissioning_start_day: float | None = None
    post_commissioning_never: bool = False
    routine_request_day: int | None = None
    expected_post_commissioning: str | None = None
    expected_events: tuple[str, ...] = ()
    #: Install and Commission (BAD 7.2.1): a single-fuel gas install, the CH on a hot-shoe (no ESME)
    gas_only: bool = False
    #: PPMID, IHD, HCALCS, CAD fitted besides the meters (BAD 7.2.1.6.5), joined in child workflows
    han_devices: tuple[str, ...] = ()
    #: faults the scenario always sets, as (Device Type, fault)
    device_faults: tuple[tuple[str, str], ...] = ()
    #: what the procurer put in the meters' Supplier cells, as (Device Type, holder): "DCC" (a DCC ACB
    #: certificate, BAD Table 4 (b)) or "other-mpid" (the Supplier's other MPID's certificate, BAD 7.2.1.6.9)
    supplier_cells: tuple[tuple[str, str], ...] = ()
    #: HAN devices whose join the scenario expects to fail (reported, the SMS stays Enrolled)
    expected_not_joined: tuple[str, ...] = ()
    #: trust anchor cells at the end, as (Device Type, cell, holder: a User ID or "DCC")
    expected_cells: tuple[tuple[str, str, str], ...] = ()
    #: DCC Alerts the run must deliver, as (code, Device Type or None, recipient User ID)
    expected_alerts: tuple[tuple[str, str | None, str], ...] = ()
    #: Service Requests the DCC must refuse, as (SRV, sender User ID, response code, Device Type or None)
    expected_refusals: tuple[tuple[str, str, str, str | None], ...] = ()
    #: world events on the timeline, in time order (each at its time, on a durable timer, while the process runs)
    events: tuple[WorldEvent, ...] = ()
