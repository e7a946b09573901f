"""Faults the fleet can be told to show, by name. One catalogue; scenarios, tests and ``dccflow fleet create``
use these names. A fault is set on one device (``Fleet.set_fault``) or on a fleet-wide share of devices,
chosen deterministically from a seed (``selected``), and carries at most one parameter.

Timed faults (slow WAN, a late join, a power outage) run on durable Temporal timers in device workflows.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from pydantic import BaseModel

from dccflow.domain.calendar import LONGEST_SPAN_DAYS

_HAN = ("ESME", "GSME", "PPMID", "HCALCS", "IHD", "CAD")
_SIGNING = ("CHF", "GPF", "ESME", "GSME", "HCALCS")


class FaultSpec(BaseModel, frozen=True):
    name: str
    applies_to: tuple[str, ...]  # device types
    description: str
    #: name of the parameter, its default; None if the fault takes none
    param: str | None = None
    default: Any = True
    choices: tuple[str, ...] = ()

    @property
    def hub_only(self) -> bool:
        """A fault of the Communications Hub alone (a scenario's ``--fault`` goes to the CHF, else to the meter)."""
        return self.applies_to == ("CHF",)

    @property
    def usage(self) -> str:
        """How the fault is written: ``no-wan``, ``wan-after[:DAYS]``, ``firmware-corrupt[:download|storage]``."""
        if self.param is None:
            return self.name
        return f"{self.name}[:{'|'.join(self.choices) if self.choices else self.param.upper()}]"

    def normalise(self, value: Any) -> Any:
        """The parameter as stored: numbers for minutes, a choice for a kind; the default when none given."""
        if value is None or value is True:
            return self.default
        if self.param is None:
            raise ValueError(f"fault {self.name!r} takes no parameter (given {value!r})")
        if self.choices:
            if str(value) not in self.choices:
                raise ValueError(f"fault {self.name!r}: {self.param} must be one of {', '.join(self.choices)} "
                                 f"(given {value!r})")
            return str(value)
        try:
            if isinstance(value, str) and not value.isascii():
                raise ValueError(value)  # float() reads other scripts' digits too
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"fault {self.name!r}: {self.param} must be a number (given {value!r}; "
                             f"write {self.usage})") from None
        if not math.isfinite(number) or number < 0:
            raise ValueError(f"fault {self.name!r}: {self.param} must be a finite number not below 0 (given {value!r})")
        limit = PARAM_LIMITS.get(self.param or "")
        if limit is not None and number > limit:
            raise ValueError(f"fault {self.name!r}: {self.param} must be at most {limit:,} (given {value!r}; a "
                             "hundred years, the longest a scenario runs)")
        return int(number) if number == int(number) else number


#: the largest parameter of each kind a fault takes: timers of up to the longest a timeline runs
#: (``dccflow.domain.calendar.LONGEST_SPAN_DAYS``), and as many counted events as minutes in that
PARAM_LIMITS = {"minutes": LONGEST_SPAN_DAYS * 1440, "days": LONGEST_SPAN_DAYS, "count": LONGEST_SPAN_DAYS * 1440}


FAULTS: dict[str, FaultSpec] = {
    f.name: f
    for f in (
        FaultSpec(
            name="no-wan",
            applies_to=("CHF",),
            description="The Communications Hub never connects to the SM WAN (BAD 7.2.1.6.4: Install & Leave applies).",
        ),
        FaultSpec(
            name="wan-after", applies_to=("CHF",), param="days", default=3,
            description="The CH finds no SM WAN when installed (Install & Leave, BAD 7.2.2); the SM WAN arrives N days "
                        "after it is powered (a durable timer): the DCC commissions the CHF and the CHF sends the "
                        "Device Alerts it buffered.",
        ),
        FaultSpec(
            name="slow-wan", applies_to=("CHF",), param="minutes", default=10,
            description="Commands to the CH and its devices arrive, and their Responses return, only after N minutes "
                        "(a durable timer; SmWan.dispatch_command reports 'in-transit').",
        ),
        FaultSpec(
            name="join-timeout",
            applies_to=("ESME", "GSME", "PPMID", "HCALCS", "IHD", "CAD", "GPF"),
            description="The device never completes its SM HAN join, so no second CS14 reaches the DCC (N25).",
        ),
        FaultSpec(
            name="join-delay", applies_to=_HAN, param="minutes", default=30,
            description="The device completes its SM HAN join only N minutes after it could (late second CS14).",
        ),
        FaultSpec(
            name="firmware-corrupt", applies_to=("ESME", "GSME", "PPMID", "CHF"), param="where",
            default="download", choices=("download", "storage"),
            description="The firmware image is corrupted: on 'download' (hash check fails: 0x8F1C, image discarded) "
                        "or in 'storage' after verification (CS06 hash check fails: activation refused, 0x8F1C).",
        ),
        FaultSpec(
            name="refuse-signature", applies_to=_SIGNING,
            description="The device fails every signature check (e.g. damaged trust anchors): it refuses signed "
                        "Commands with 0x8F3D 'Trusted Source Authentication Failure'.",
        ),
        FaultSpec(
            name="power-loss", applies_to=("CHF",), param="minutes", default=5,
            description="The premises loses mains for N minutes: the CH goes off the SM WAN and SM HAN with the ESME; "
                        "on restoration the ESME raises 0x8F35/0x8F36 and the DCC hears of the outage (AD1 if >= 3 "
                        "minutes, BAD 7.5.6.5.2). Starts at once on a powered CH, else when the CH is powered.",
        ),
        FaultSpec(
            name="reject-cos", applies_to=("ESME", "GSME", "GPF", "HCALCS"), param="count",
            description="The device refuses the next N CS02b 'Update Security Credentials' Commands signed by the "
                        "Transitional CoS party (all, if N is not given) with a failure Response: its cells stay "
                        "as they are (BAD 7.7.1.5.4).",
        ),
        FaultSpec(
            name="cs14-lost", applies_to=_HAN, param="count", default=2,
            description="The next N CS14 'CHF Device Log Changed' alerts the CHF raises about this device (its "
                        "addition to the CHF Device Log, its join; default 2) are lost on the SM WAN: the device is "
                        "on the SM HAN but the DCC's recorded Device Log misses it (AC 8.1), so its 8.11 gets N25 "
                        "and a CH replacement restores a stale log (BAD 7.6.1, digest 04 §B.7 item 5).",
        ),
        FaultSpec(
            name="ch-fault", applies_to=("CHF",),
            description="The CH is faulty: no SM WAN and no SM HAN, nothing reaches or leaves its devices "
                        "(to be returned with SRV 8.14.3, BAD 7.6.1).",
        ),
    )
}


class UnknownFault(ValueError):
    pass


def check_fault(name: str) -> FaultSpec:
    try:
        return FAULTS[name]
    except KeyError:
        raise UnknownFault(f"unknown fault {name!r}; known faults: {', '.join(sorted(FAULTS))}") from None


def selected(seed: int, fault: str, device_id: str, rate: float) -> bool:
    """Whether a fleet-wide fault rate picks this device: a uniform draw from the seed, the fault and the
    device id, so the same seed always picks the same devices whatever order they are visited in."""
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    digest = hashlib.sha256(f"{seed}|{fault}|{device_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def use_counted(faults: dict, name: str) -> tuple[dict, bool]:
    """A counted fault (``reject-cos[:N]``, ``cs14-lost[:N]``) acting once: (the faults left, whether it acted).
    ``True`` as the count: it always acts; a count used up removes the fault."""
    if name not in faults:
        return faults, False
    left = faults[name]
    if left is True:
        return faults, True
    left = int(left) - 1
    return ({k: v for k, v in faults.items() if k != name} if left <= 0 else {**faults, name: left}), True


def fault_usage(names: tuple[str, ...] | list[str]) -> str:
    """Faults as written on the command line: ``join-timeout, wan-after[:DAYS]`` ('none' if there are none)."""
    return ", ".join(check_fault(n).usage for n in names) or "none"


def parse_fault(text: str) -> tuple[FaultSpec, Any]:
    """``NAME[:PARAM]`` (e.g. ``wan-after:3``): the fault and its parameter as stored (the default if none given).
    The one parser of fault names: ``dccflow fleet create --fault`` and ``dccflow run --fault`` use it."""
    name, colon, param = text.strip().partition(":")
    spec = check_fault(name.strip())
    if colon and not param.strip():
        raise ValueError(f"fault {spec.name!r}: nothing after ':' (write {spec.usage})")
    return spec, spec.normalise(param.strip() or None)


def parse_fault_option(text: str) -> tuple[str, Any, float]:
    """``NAME[:PARAM][=RATE]`` as given to ``dccflow fleet create --fault`` (rate defaults to 1)."""
    head, _, rate = text.partition("=")
    spec, value = parse_fault(head)
    try:
        share = float(rate) if rate else 1.0
    except ValueError:
        raise ValueError(f"fault rate {rate!r} must be a number between 0 and 1") from None
    if not 0 <= share <= 1:
        raise ValueError(f"fault rate {rate!r} must be between 0 and 1")
    return spec.name, value, share
