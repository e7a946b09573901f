"""The shape of an entry of the obligation register (:mod:`dccflow.domain.obligations`): what an obligation is and
how a run is judged against it (:class:`Judged`). Kept apart so that the register's parts per process (e.g.
:mod:`dccflow.domain.obligations_cos`) build their entries without importing the register."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Judged(StrEnum):
    TIMED = "timed"
    PERFORMED = "performed"
    NOT_ASSESSABLE = "not assessable"


class TimeRule(BaseModel, frozen=True):
    amount: int
    unit: Literal["working days", "days", "seconds"]
    #: what starts and what stops the clock, in words
    start: str
    stop: str
    #: a workflow Deadline outcome for this obligation carries one of these refs
    deadline_refs: tuple[str, ...] = ()
    #: fallback from the process events: the first event citing ``from_refs`` starts the clock, the first later
    #: event (same device, if both have one) citing ``to_refs`` stops it
    from_refs: tuple[str, ...] = ()
    to_refs: tuple[str, ...] = ()


class Obligation(BaseModel, frozen=True):
    id: str
    #: the BAD process step the governance table groups the row under ("7.2.1.6.6"; "7.2.3" for the area)
    bad_step: str
    actor: str
    #: "SEC Appendix I", "SEC Appendix AC", "SEC Appendix AD", "SEC" (main body), or "BAD" (process text)
    document: str
    clause: str
    summary: str
    judged: Judged
    applies_when: tuple[str, ...] = ()
    #: name of the evaluator's check (dccflow.audit.CHECKS) and its parameters
    check: str | None = None
    params: dict = Field(default_factory=dict)
    timing: TimeRule | None = None
    why: str = ""
    #: the same duty under other clause numbers the table prints (DUIS v1.1 numbering, as printed)
    also: tuple[str, ...] = ()
    #: "table": a governance-table row; "text": the BAD's process text; "service level": SEC H3.14
    source: Literal["table", "text", "service level"] = "table"

    @property
    def ref(self) -> str:
        return f"{self.document} {self.clause}"

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.ref, *self.also)
