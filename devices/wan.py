"""The SM WAN and SM HAN as the simulation carries them: commands from the DCC to devices, alerts and power
events from devices to the DCC, and timed device behaviour started as durable device workflows.

Contract towards the DCC
------------------------
``dispatch_command(command, at, reply_to=None) -> WanDelivery``:

* ``status='responded'``: the device answered within the call; ``response`` holds its GbcsResponse (which may
  say ``success=False`` with a reason: refused signature, replay, not on the SM HAN...).
* ``status='undeliverable'``: the CH is not on the SM WAN (no WAN, powered off, faulty): nothing reached the
  device and nothing will (DCC: 'Failure to deliver Command to Device', N12).
* ``status='in-transit'``: the CH's WAN is slow (fault ``slow-wan``); the command reaches the device and is
  executed ``delay_seconds`` later by the device workflow ``WanDelivery`` (a durable timer). If ``reply_to``
  was given, that workflow then signals the GbcsResponse to workflow ``reply_to.workflow_id`` with signal
  ``reply_to.signal`` (default ``'gbcs_response'``). A DCC workflow awaits it with its own timeout (N13
  'Failure to receive Response from Device' when it gives up).

``deliver_command(command, at) -> GbcsResponse | None`` is the original, synchronous form: the response, or
None when it is undeliverable or in transit (the command then still executes later, unanswered).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from dccflow.config import DEVICE_TASK_QUEUE
from dccflow.messages import DeviceAlertEvent, GbcsCommand, GbcsResponse
from devices import han
from devices.effects import DeviceTimer, FleetEffects, PowerEvent
from devices.fleet import Fleet, Hubs

log = logging.getLogger(__name__)

#: the device workflows the SM WAN starts (``devices.workflows``), by type name: that module imports the
#: activities, which wrap this SM WAN. The names are fixed: the recorded histories name them.
WAN_DELIVERY_WORKFLOW = "WanDelivery"
DEVICE_TIMER_WORKFLOW = "DeviceTimer"


class DccWanInterface(Protocol):
    """What the DCC exposes towards devices. It may also offer ``on_chf_power_event(event: PowerEvent)``
    (async) to hear of CH mains outages and restorations (BAD 7.5.6.5.2, AD1)."""

    def on_chf_connected(self, chf_id: str, at: datetime) -> bool: ...

    async def receive_device_alert(self, alert: DeviceAlertEvent) -> None: ...


class ReplyTo(BaseModel):
    workflow_id: str
    signal: str = "gbcs_response"


class WanDelivery(BaseModel):
    status: Literal["responded", "in-transit", "undeliverable"]
    response: GbcsResponse | None = None
    delay_seconds: int = 0
    workflow_id: str | None = None


class DelayedCommand(BaseModel):
    command: GbcsCommand
    delay_seconds: int
    reply_to: ReplyTo | None = None


def wan_delivery_workflow_id(command: GbcsCommand) -> str:
    return f"wan-delivery-{command.request_id}-{command.use_case}"


class SmWan:
    def __init__(self, fleet: Fleet, dcc: DccWanInterface, client: Client):
        self.fleet = fleet
        self.dcc = dcc
        self.client = client

    # -- DCC → devices -----------------------------------------------------------------------------------
    async def dispatch_command(self, command: GbcsCommand, at: datetime,
                               reply_to: ReplyTo | None = None) -> WanDelivery:
        dispatched = self.fleet.dispatch(command, at)  # the route and, if direct, the execution: one transaction
        route = dispatched.route
        if not route.reachable:
            return WanDelivery(status="undeliverable")
        if route.delay_seconds:
            wf_id = wan_delivery_workflow_id(command)
            await self._start(WAN_DELIVERY_WORKFLOW, DelayedCommand(
                command=command, delay_seconds=route.delay_seconds, reply_to=reply_to), wf_id)
            return WanDelivery(status="in-transit", delay_seconds=route.delay_seconds, workflow_id=wf_id)
        await self._carry_of(command, dispatched.effects, dispatched.hubs)
        return WanDelivery(status="responded", response=dispatched.response)

    async def deliver_command(self, command: GbcsCommand, at: datetime) -> GbcsResponse | None:
        return (await self.dispatch_command(command, at)).response

    async def execute_now(self, command: GbcsCommand, at: datetime) -> GbcsResponse | None:
        """The command arrives at the device now (the delayed path calls this when its timer fires)."""
        if not self.fleet.route(command.target).reachable:
            return None
        return await self._execute(command, at)

    async def _execute(self, command: GbcsCommand, at: datetime) -> GbcsResponse:
        response, effects = self.fleet.execute(command, at)
        await self._carry_of(command, effects)
        return response

    async def _carry_of(self, command: GbcsCommand, effects: FleetEffects, hubs: Hubs | None = None) -> None:
        """Carry what ``command`` did, then say so to the fleet: a retransmission of it (the DCC's retried delivery)
        carries them only if this did not get that far (``Fleet._check_counter``)."""
        await self.carry(effects, hubs=hubs)
        if not effects.empty:
            self.fleet.effects_carried(command)

    async def fire_timer(self, timer: DeviceTimer, at: datetime) -> None:
        """A device timer runs out: its effects carried, then marked so (``Fleet.fire_timer_with_hubs``)."""
        effects, hubs = self.fleet.fire_timer_with_hubs(timer, at)
        await self.carry(effects, hubs=hubs)
        if not effects.empty:
            self.fleet.timer_effects_carried(timer)

    # -- installers, events ------------------------------------------------------------------------------
    async def power_up_ch(self, chf_id: str, at: datetime) -> bool:
        connected, effects = self.fleet.power_up_ch(chf_id, at)
        if connected:
            self.dcc.on_chf_connected(chf_id, at)
        await self.carry(effects)
        return connected

    async def install_device(self, device_id: str, at: datetime | None = None) -> None:
        from dccflow.clock import activity_now

        await self.carry(self.fleet.install_device(device_id, at or activity_now()))

    async def power_loss(self, chf_id: str, at: datetime, minutes: float) -> None:
        await self.carry(self.fleet.power_loss(chf_id, at, minutes))

    async def set_fault(self, device_id: str, fault: str, param: object = True, at: datetime | None = None) -> None:
        await self.carry(self.fleet.set_fault(device_id, fault, param, at))

    # -- devices → DCC, and timers -------------------------------------------------------------------------
    async def deliver_locally(self, command: GbcsCommand, at: datetime) -> GbcsResponse:
        """An installer's HHT hands a Command for Local Delivery to its Device over the inter-PAN / SM HAN (BAD
        7.2.2.6.3): no SM WAN is involved. What the Device raises is carried as usual: while the CH is off the SM
        WAN, its CHF holds the alerts (and the HHT reads them there)."""
        return await self._execute(command, at)

    async def carry(self, effects: FleetEffects, hubs: Hubs | None = None) -> None:
        """Carry out ``effects``. ``hubs``: the CHs of the devices raising its alerts, read in the transaction that
        made them (``Fleet.dispatch``, ``Fleet.fire_timer_with_hubs``); read here when not given."""
        for connection in effects.wan_connections:  # BAD 7.2.2.6.6: commissioned by the DCC, buffer sent
            self.dcc.on_chf_connected(connection.chf_id, connection.at)
            held = self.fleet.buffered_alerts(connection.chf_id, unsent_only=True)
            for _row, alert in held:
                await self.dcc.receive_device_alert(alert)
            self.fleet.mark_flushed([row for row, _alert in held], connection.at)
        for alert in effects.alerts:
            hub = hubs[alert.device_id] if hubs is not None and alert.device_id in hubs else \
                self.fleet.hub_of(alert.device_id)
            if hub is not None and han.hub_up(hub) and not hub.wan_connected:
                self.fleet.buffer_alert(hub.device_id, alert)  # held until the CH reaches the SM WAN
                continue
            if hub is None or not hub.wan_connected or hub.power_lost_at is not None or "ch-fault" in hub.faults:
                log.info("alert %04X from %s lost: its CH is off the SM WAN", alert.alert_code, alert.device_id)
                continue
            await self.dcc.receive_device_alert(alert)
        for event in effects.power_events:
            await self._power_event(event)
        for timer in effects.timers:
            await self._start(DEVICE_TIMER_WORKFLOW, timer, timer.workflow_id)

    async def _power_event(self, event: PowerEvent) -> None:
        handler = getattr(self.dcc, "on_chf_power_event", None)
        if handler is None:
            log.info("CH %s mains %s at %s (the DCC does not listen for power events)", event.chf_id, event.state,
                     event.at.isoformat())
            return
        await handler(event)

    async def _start(self, workflow_type: str, arg, workflow_id: str) -> None:
        try:
            await self.client.start_workflow(workflow_type, arg, id=workflow_id, task_queue=DEVICE_TASK_QUEUE,
                                             id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                                             search_attributes=_search_attributes(arg))
        except WorkflowAlreadyStartedError:
            pass


def _search_attributes(arg: BaseModel):
    """The Devices a device workflow concerns, so the Web UI finds it by any of them (``dccflow.search``)."""
    from dccflow.search import DEVICE_TIMER, WAN_DELIVERY, device_search_attributes

    if isinstance(arg, DelayedCommand):  # the target, and a Device the Command names (CCS01's device_id…)
        params = arg.command.params
        return device_search_attributes(WAN_DELIVERY, [arg.command.target, *(
            v for k, v in params.items() if k.endswith("device_id") and isinstance(v, str))])
    data = getattr(arg, "data", None) or {}
    return device_search_attributes(DEVICE_TIMER, [getattr(arg, "device_id", None), getattr(arg, "chf_id", None),
                                                   data.get("chf_id")])
