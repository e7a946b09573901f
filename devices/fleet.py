"""The simulated fleet: devices' own behaviour, as synchronous state changes plus the effects they cause.

Every operation returns :class:`FleetEffects` (``devices.effects``): the Device Alerts the devices raise (carried
to the DCC over the SM WAN), the timed behaviour they start (durable timers in ``devices.workflows``) and CH
power events. ``devices.wan.SmWan`` carries those out, so the fleet has no clock and no I/O beyond its tables.

A command from the DCC (``execute``) goes through what GBCS has a device do before acting on it:

1. the use case must be one this Device Type answers (``_HANDLERS``), and the device must be on the SM HAN
   (the CHF and its GPF are the hub itself);
2. Critical Commands must carry a valid signature by the certificate in the Supplier cell (or the cell
   ``devices.catalogue.SIGNED_BY`` names); CS02b checks its own signer by the cell it replaces;
3. the originator counter must exceed the last one accepted from that originator (anti-replay); a
   retransmission of the last command from an originator gets the same outcome again, not a replay refusal;
4. the use case's own behaviour (``devices.han``, ``meter``, ``security``, ``firmware``, ``hub``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.messages import DeviceAlertEvent, GbcsCommand, GbcsResponse
from devices import contingency, firmware, han, hub, meter, restore, security
from devices.catalogue import SIGNED_BY
from devices.effects import CommandCtx, DeviceTimer, FleetEffects, HanJoinStart  # noqa: F401 - re-exported
from devices.faults import check_fault, selected
from devices.models import ChfBufferedAlert, DeviceState, DeviceTimerFired

_MODULES = (han, meter, security, firmware, hub, restore, contingency)
#: use case -> (Device Types that answer it, behaviour)
_HANDLERS = {uc: entry for module in _MODULES for uc, entry in module.HANDLERS.items()}
_TIMERS = {kind: fn for module in _MODULES for kind, fn in module.TIMERS.items()}
#: use cases that check their own signer (the entitled cell depends on the command's content)
_SELF_AUTHENTICATED = frozenset({"CS02b", "UpdateFirmware"})


class UnknownDevice(LookupError):
    pass


class DeviceSpec(BaseModel):
    device_id: str
    device_type: str
    premises_id: str | None = None
    chf_id: str | None = None
    install_code: str | None = None


class Route(BaseModel):
    """How the SM WAN reaches a device: through its CH, if the CH is up, taking ``delay_seconds``."""

    hub_id: str | None
    reachable: bool
    delay_seconds: int = 0


#: device id -> its CH (None: no such device, or it has no CH), as one transaction read them
Hubs = dict[str, DeviceState | None]


@dataclass
class Dispatched:
    """A Command through the SM WAN in one transaction (``Fleet.dispatch``): its route and, if it reached the
    device at once, the response, the effects and the CHs of the devices they alert from."""

    route: Route
    response: GbcsResponse | None = None
    effects: FleetEffects = field(default_factory=FleetEffects)
    hubs: Hubs = field(default_factory=dict)


class Fleet:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- set-up ---------------------------------------------------------------------------------------
    def provision(self, specs: list[DeviceSpec]) -> None:
        with session_scope(self.engine) as s:
            for spec in specs:
                s.add(DeviceState(**spec.model_dump()))

    def set_fault(self, device_id: str, fault: str, param: object = True,
                  at: datetime | None = None) -> FleetEffects:
        """Give a device a fault. A power loss on a CH that is already powered starts at ``at``."""
        spec = check_fault(fault)
        with session_scope(self.engine) as s:
            dev = self._get(s, device_id)
            if dev.device_type not in spec.applies_to:
                raise ValueError(f"fault {fault!r} does not apply to a {dev.device_type} ({device_id})")
            dev.faults = {**dev.faults, fault: spec.normalise(param)}
            s.add(dev)
            if fault == "power-loss" and at is not None and dev.installed:
                return hub.power_loss(s, dev, at, dev.faults[fault])
            if fault == "ch-fault":
                dev.wan_connected = False
        return FleetEffects()

    def set_sm_wan(self, chf_id: str, *, connected: bool, at: datetime) -> None:
        """The CH loses the SM WAN, or regains it (then it takes network time again, as when it first connects);
        a CH that is not installed, has no power or has a WAN or CH fault stays off the SM WAN."""
        with session_scope(self.engine) as s:
            chf = self._get(s, chf_id)
            if chf.device_type != "CHF":
                raise ValueError(f"{chf_id} is a {chf.device_type}, not a CHF: only a CH is on the SM WAN")
            if connected and chf.installed and chf.power_lost_at is None:
                hub.rejoin_sm_wan(chf, at)
            else:
                chf.wan_connected = False
            s.add(chf)

    def clear_fault(self, device_id: str, fault: str) -> None:
        with session_scope(self.engine) as s:
            dev = self._get(s, device_id)
            dev.faults = {k: v for k, v in dev.faults.items() if k != fault}
            s.add(dev)

    def apply_fault_rate(self, fault: str, rate: float, seed: int, param: object = True) -> list[str]:
        """Give ``fault`` to a share ``rate`` of the devices it applies to, chosen deterministically by seed."""
        spec = check_fault(fault)
        value = spec.normalise(param)
        with session_scope(self.engine) as s:
            rows = s.exec(select(DeviceState.device_id, DeviceState.faults)
                          .where(DeviceState.device_type.in_(spec.applies_to))).all()
            chosen = [(d, f) for d, f in rows if selected(seed, fault, d, rate)]
            table = DeviceState.__table__
            if chosen:  # one executemany, not one statement per device
                s.execute(update(table).where(table.c.device_id == bindparam("target"))
                          .values(faults=bindparam("new_faults", type_=table.c.faults.type)),
                          [{"target": d, "new_faults": {**(f or {}), fault: value}} for d, f in chosen])
        return [d for d, _ in chosen]

    def get(self, device_id: str) -> DeviceState:
        with session_scope(self.engine) as s:
            return self._get(s, device_id)

    def premises_devices(self, premises_id: str) -> list[DeviceState]:
        with session_scope(self.engine) as s:
            return list(s.exec(select(DeviceState).where(DeviceState.premises_id == premises_id)))

    @staticmethod
    def _get(s: Session, device_id: str) -> DeviceState:
        dev = s.get(DeviceState, device_id)
        if dev is None:
            raise UnknownDevice(f"no simulated device {device_id}")
        return dev

    # -- installer and consumer actions ---------------------------------------------------------------
    def power_up_ch(self, chf_id: str, at: datetime) -> tuple[bool, FleetEffects]:
        """The installer powers the CH (BAD 7.2.1.6.4). Returns the SM WAN indicator the installer sees."""
        with session_scope(self.engine) as s:
            chf = self._get(s, chf_id)
            effects = hub.power_up(s, chf, at)
            return chf.wan_connected, effects

    def install_device(self, device_id: str, at: datetime) -> FleetEffects:
        """The installer fits and powers a device (BAD 7.2.1.6.5); if its CHF already whitelists it, it
        starts to join the SM HAN."""
        with session_scope(self.engine) as s:
            dev = self._get(s, device_id)
            dev.installed = True
            if dev.device_type in ("ESME", "GSME") and dev.supply_state is None:
                dev.supply_state = "enabled"
            s.add(dev)
            effects = FleetEffects()
            chf = s.get(DeviceState, dev.chf_id) if dev.chf_id else None
            if chf is not None and not dev.han_joined and any(e["device_id"] == device_id for e in chf.device_log):
                effects.timers.extend(han.join_attempt(dev, chf.device_id, at))
            return effects

    def power_loss(self, chf_id: str, at: datetime, minutes: float) -> FleetEffects:
        with session_scope(self.engine) as s:
            return hub.power_loss(s, self._get(s, chf_id), at, minutes)

    def consumer_enable_supply(self, meter_id: str) -> bool:
        """The consumer enables an Armed supply at the meter (BAD 7.5.4.6.1 step 7)."""
        with session_scope(self.engine) as s:
            return meter.local_enable(s, self._get(s, meter_id))

    def gas_power_loss(self, gsme_id: str, at: datetime) -> FleetEffects:
        """The GSME's battery fails (BAD 7.5.4.6.4): valve closed, 0x8F1D."""
        with session_scope(self.engine) as s:
            return FleetEffects(alerts=meter.gas_power_loss(s, self._get(s, gsme_id), at))

    # -- the SM WAN's view ----------------------------------------------------------------------------
    def route(self, device_id: str) -> Route:
        with session_scope(self.engine) as s:
            return self._route(s, self._get(s, device_id))

    @staticmethod
    def _route(s: Session, dev: DeviceState) -> Route:
        chf = dev if dev.device_type == "CHF" else (s.get(DeviceState, dev.chf_id) if dev.chf_id else None)
        if chf is None:
            return Route(hub_id=None, reachable=False)
        up = han.hub_up(chf) and chf.wan_connected
        slow = chf.faults.get("slow-wan")
        return Route(hub_id=chf.device_id, reachable=up, delay_seconds=int(float(slow) * 60) if slow else 0)

    def hub_of(self, device_id: str) -> DeviceState | None:
        with session_scope(self.engine) as s:
            return self._hub(s, device_id)

    @staticmethod
    def _hub(s: Session, device_id: str) -> DeviceState | None:
        dev = s.get(DeviceState, device_id)
        if dev is None:
            return None
        return dev if dev.device_type == "CHF" else (s.get(DeviceState, dev.chf_id) if dev.chf_id else None)

    def _hubs(self, s: Session, effects: FleetEffects) -> Hubs:
        """The CHs of the devices whose alerts ``effects`` carries, as the transaction leaves them (what
        ``SmWan.carry`` would read with ``hub_of`` once it has committed)."""
        return {alert.device_id: self._hub(s, alert.device_id) for alert in effects.alerts}

    # -- commands from the DCC ------------------------------------------------------------------------
    def execute(self, command: GbcsCommand, at: datetime) -> tuple[GbcsResponse, FleetEffects]:
        with session_scope(self.engine) as s:
            dev = self._get(s, command.target)
            ctx = CommandCtx(session=s, device=dev, command=command, at=at)
            response = self._execute(ctx)
            return response, ctx.effects

    def dispatch(self, command: GbcsCommand, at: datetime) -> Dispatched:
        """``route`` then, if the CH is up and its SM WAN not slow, ``execute``, in one transaction; with the CHs
        of the devices raising alerts, read in it too (``SmWan.carry``)."""
        with session_scope(self.engine) as s:
            dev = self._get(s, command.target)
            route = self._route(s, dev)
            if not route.reachable or route.delay_seconds:
                return Dispatched(route=route)
            ctx = CommandCtx(session=s, device=dev, command=command, at=at)
            response = self._execute(ctx)
            return Dispatched(route=route, response=response, effects=ctx.effects, hubs=self._hubs(s, ctx.effects))

    def _execute(self, ctx: CommandCtx) -> GbcsResponse:
        dev, cmd = ctx.device, ctx.command
        dtype = DeviceType(dev.device_type)
        entry = _HANDLERS.get(cmd.use_case)
        if entry is None:
            return ctx.fail(f"use case {cmd.use_case} not simulated")
        types, behaviour = entry
        if dtype not in types:
            return ctx.fail(f"use case {cmd.use_case} does not apply to a {dtype.value}")
        if dtype not in (DeviceType.CHF, DeviceType.GPF) and not (dev.han_joined and dev.installed):
            return ctx.fail("device not on the SM HAN")
        cell = SIGNED_BY.get(dtype, {}).get(cmd.use_case)
        if cell is not None and cmd.use_case not in _SELF_AUTHENTICATED and security.authenticate(ctx, [cell]) is None:
            return ctx.fail(security.refusal_reason(ctx, [cell]))
        duplicate = self._check_counter(ctx)
        if duplicate is not None:
            return duplicate
        response = behaviour(ctx)
        self._record_counter(ctx, response.success)
        return response

    @staticmethod
    def _check_counter(ctx: CommandCtx) -> GbcsResponse | None:
        """A command again with the counter and RequestID the device last executed from its originator is a
        retransmission: answered as before, not executed again. Its effects come back too while they are not known
        to be carried (``effects_carried``), for the sender to carry (``SmWan.carry``): the first delivery may have
        committed and then died before carrying them. What they start is keyed, so carrying them again after a
        delivery that died half-way changes nothing (DeviceTimer workflow ids; the DCC's outbound log keys Device
        Alerts by device, code and time)."""
        counter = ctx.command.originator_counter()
        last = ctx.device.counters.get(ctx.command.originator)
        if counter is None or last is None:
            return None
        if counter == last[0] and ctx.command.request_id == last[1]:
            if len(last) > 3 and last[3]:
                ctx.effects.extend(FleetEffects.model_validate(last[3]))
            return GbcsResponse(use_case=ctx.command.use_case, device_id=ctx.device.device_id, success=last[2],
                                reason="" if last[2] else "retransmission of a command that failed",
                                params={"duplicate": True})
        if counter <= last[0]:
            return ctx.fail(f"originator counter {counter} not above {last[0]} (replay)")
        return None

    @staticmethod
    def _record_counter(ctx: CommandCtx, success: bool) -> None:
        """The counter, RequestID and outcome of the command just executed, and its effects (see ``_check_counter``)
        when it had any: written in the transaction that executes it."""
        counter = ctx.command.originator_counter()
        if counter is None:
            return
        dev = ctx.device
        record = [counter, ctx.command.request_id, success]
        if not ctx.effects.empty:
            record.append(ctx.effects.model_dump(mode="json"))
        dev.counters = {**dev.counters, ctx.command.originator: record}
        ctx.session.add(dev)

    # -- the CHF's buffer while it is off the SM WAN (BAD 7.2.2.6.3, 7.2.2.6.6) ---------------------------------
    def buffer_alert(self, chf_id: str, alert) -> None:
        with session_scope(self.engine) as s:
            s.add(ChfBufferedAlert(chf_id=chf_id, at=alert.at, alert=alert.model_dump(mode="json")))

    def buffered_alerts(self, chf_id: str, *, unsent_only: bool = False) -> list[tuple[int, DeviceAlertEvent]]:
        """The Device Alerts the CHF holds, oldest first (what an HHT on site reads, BAD 7.2.2.6.3)."""
        with session_scope(self.engine) as s:
            q = select(ChfBufferedAlert).where(ChfBufferedAlert.chf_id == chf_id)
            if unsent_only:
                q = q.where(ChfBufferedAlert.flushed_at == None)  # noqa: E711
            return [(row.id, DeviceAlertEvent(**row.alert)) for row in s.exec(q.order_by(ChfBufferedAlert.id))]

    def mark_flushed(self, ids: list[int], at: datetime) -> None:
        with session_scope(self.engine) as s:
            for row_id in ids:
                row = s.get(ChfBufferedAlert, row_id)
                row.flushed_at = at
                s.add(row)

    # -- timed behaviour ------------------------------------------------------------------------------
    def fire_timer(self, timer: DeviceTimer, at: datetime) -> FleetEffects:
        return self.fire_timer_with_hubs(timer, at)[0]

    def fire_timer_with_hubs(self, timer: DeviceTimer, at: datetime) -> tuple[FleetEffects, Hubs]:
        """``fire_timer``, with the CHs of the devices raising alerts read in its transaction (``SmWan.carry``). A
        timer fires once: fired again (a retried activity), it returns the effects it had unless they are known to be
        carried (``DeviceTimerFired``, ``timer_effects_carried``)."""
        with session_scope(self.engine) as s:
            fired = s.get(DeviceTimerFired, timer.workflow_id)
            if fired is not None:  # fired before: its effects again if not carried, for a retried activity
                effects = FleetEffects.model_validate(fired.effects)
            else:
                effects = _TIMERS[timer.kind](s, timer, at)
                s.add(DeviceTimerFired(workflow_id=timer.workflow_id, fired_at=at,
                                       effects=effects.model_dump(mode="json")))
            return effects, self._hubs(s, effects)

    # -- effects carried (SmWan.carry): a retried delivery need not carry them again ------------------------------
    def effects_carried(self, command: GbcsCommand) -> None:
        """The effects ``command`` had on its target are carried: its counter record drops them (``_check_counter``
        then answers a retransmission without them)."""
        counter = command.originator_counter()
        if counter is None:
            return
        with session_scope(self.engine) as s:
            dev = s.get(DeviceState, command.target)
            last = dev.counters.get(command.originator) if dev is not None else None
            if last is None or len(last) < 4 or last[0] != counter or last[1] != command.request_id:
                return
            dev.counters = {**dev.counters, command.originator: last[:3]}
            s.add(dev)

    def timer_effects_carried(self, timer: DeviceTimer) -> None:
        """The effects ``timer`` had are carried: fired again, it has none (``fire_timer_with_hubs``)."""
        with session_scope(self.engine) as s:
            fired = s.get(DeviceTimerFired, timer.workflow_id)
            if fired is not None and fired.effects != {}:
                fired.effects = {}
                s.add(fired)

    def complete_han_join(self, chf_id: str, device_id: str, at: datetime) -> FleetEffects:
        with session_scope(self.engine) as s:
            return han.complete_join(s, chf_id, device_id, at)
