"""Process steps and the events workflows record for them.

A :class:`ProcessStep` is a BPMN element of a BAD process model (``bpmn/*.bpmn``): its id, the actor that
performs it and the SEC/BAD references it fulfils. Workflows record a :class:`ProcessEvent` each time a step
happens; the events are both the scenario timeline and the audit trail.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ProcessStep(BaseModel, frozen=True):
    bpmn_id: str
    name: str
    actor: str
    refs: tuple[str, ...] = ()


class ProcessEvent(BaseModel):
    bpmn_id: str
    actor: str
    at: datetime
    refs: list[str]
    detail: str = ""
    device_id: str | None = None


class ObligationOutcome(BaseModel):
    """Whether an actor met a deadline of the Code in this run."""

    obligation: str
    actor: str
    refs: list[str]
    due: datetime
    actual: datetime | None
    met: bool


class StepRegistry:
    """The steps one process can emit: built from data, checked against the BPMN model by the tests."""

    def __init__(self, process_id: str, steps: list[ProcessStep]):
        self.process_id = process_id
        self._steps = {s.bpmn_id: s for s in steps}
        if len(self._steps) != len(steps):
            raise ValueError(f"duplicate bpmn ids in {process_id}")

    def __getitem__(self, bpmn_id: str) -> ProcessStep:
        try:
            return self._steps[bpmn_id]
        except KeyError:
            raise KeyError(f"{bpmn_id!r} is not a step of process {self.process_id}") from None

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self._steps)

    def __iter__(self):
        return iter(self._steps.values())
