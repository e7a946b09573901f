"""A scenario as the single-process harness runs it (``dccflow_app.scenarios.harness``): the premises' options, the
faults it accepts, and what it expects. Built from a scenario file by ``dccflow_app.scenarios.to_catalogue``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from dccflow_app.scenarios.durations import Duration


class WorldEvent(BaseModel, frozen=True):
    """Something that happens at a time on the scenario's timeline, outside any process: to a premises' Device (a
    fault switched on or off, ``dccflow fleet faults``; the CH losing or regaining the SM WAN) or to its
    Registration Data (a new Supplier or Network Operator for the MPAN or MPRN, by party key)."""

    at: Duration
    event: Literal["fault_on", "fault_off", "ch_off_wan", "ch_on_wan", "registration_data_change", "key_compromise",
                   "cpl_change", "ch_firmware_upgrade"]
    device_type: str | None = None
    fault: str | None = None
    #: registration_data_change: the fuel whose Metering Point changes, the new parties (party keys) and when the
    #: change takes effect, from the scenario's start (None: at the event's time)
    fuel: Literal["electricity", "gas"] | None = None
    supplier: str | None = None
    network_operator: str | None = None
    effective: Duration | None = None
    #: key_compromise: the User ID whose Organisation Certificates the OCA revokes (BAD 7.7.2.5.4)
    user_id: str | None = None
    #: cpl_change: the Device Model of ``device_type`` 'removed' from or 'added' back to the CPL (a version, or all)
    change: Literal["removed", "added"] | None = None
    firmware_version: str | None = None
    #: ch_firmware_upgrade: no 7-day notice wait (SEC AB 5.2's security exception)
    security_urgent: bool = False


class FollowOn(BaseModel, frozen=True):
    """A process step after the main install process: a child workflow of the scenario started at its time (a
    durable timer from the scenario's start), built and judged through ``dccflow_app.scenarios.processes``."""

    step_id: str
    process: str
    at: Duration
    #: the role that starts it (``spec.RoleName``)
    actor: str
    #: the step's ``with:`` parameters as JSON (``spec.PROCESSES[process].params`` reads them back)
    params: dict = {}
    expected_end: str | None = None
    expected_result: Literal["completed", "failed"] | None = None
    expected_outcome: str | None = None


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
    #: process steps after the main process, in timeline order (``dccflow_app.scenarios.processes``)
    follow_on: tuple[FollowOn, ...] = ()
    #: User IDs whose certificate no trust anchor cell of the premises may hold at the end (e.g. a Losing Supplier)
    unexpected_cell_holders: tuple[str, ...] = ()
