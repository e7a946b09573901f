"""Faults the fleet can be told to show, by name. One catalogue; scenarios and tests use these names."""

from __future__ import annotations

from pydantic import BaseModel


class FaultSpec(BaseModel, frozen=True):
    name: str
    applies_to: tuple[str, ...]  # device types
    description: str


FAULTS: dict[str, FaultSpec] = {
    f.name: f
    for f in (
        FaultSpec(
            name="no-wan",
            applies_to=("CHF",),
            description="The Communications Hub never connects to the SM WAN (BAD 7.2.1.6.4: Install & Leave applies).",
        ),
        FaultSpec(
            name="join-timeout",
            applies_to=("ESME", "GSME", "PPMID", "HCALCS", "IHD", "CAD", "GPF"),
            description="The device never completes its SM HAN join, so no second CS14 reaches the DCC (N25).",
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
