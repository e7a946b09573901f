"""The one campaign mechanism (issue 15): a durable entity workflow over a fleet's items, whose whole state is one
model (``workflows.campaign_model.CampaignCore``, extended by each campaign), with the per-item work pluggable.

A campaign workflow class mixes in :class:`CampaignEngine`, prepares its items (its own activities), then awaits
:meth:`CampaignEngine.run_items`, which

* opens waves (``CampaignSettings.waves``; the last size repeating) and starts each wave's items, at most
  ``concurrency`` in flight (and no more than :meth:`CampaignEngine.room` allows: the rollover paces itself under
  the Supplier's Anomaly Detection Threshold), each by :meth:`CampaignEngine.run_item` (the rollover: one SMS's
  SRV 6.15.1 round trip, a child workflow; the firmware campaign: a child ``FirmwareUpgrade`` workflow per Device);
* closes a wave once its items have finished, halting the campaign when the wave's failure rate passes
  ``halt_above`` (paused, with the reason; ``resume`` goes on with the next wave; neither ``resume`` nor
  ``cancel`` within ``halt_timeout``: it stops by itself, as halted);
* continues as new when the server suggests it (or past ``history_threshold`` events), once nothing is in flight
  and every handler has finished (``workflow.all_handlers_finished``), passing the state on.

The handlers' bodies are here; each campaign declares the handlers themselves (``progress`` query; ``pause``,
``resume``, ``cancel`` updates whose callers wait for the outcome) with its own progress type, so that a client
reads them as that type: ``pause`` and ``cancel`` return once nothing is in flight.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dccflow.events import ProcessEvent, StepRegistry
    from workflows.campaign_model import CampaignCore, ItemFailure, WaveResult, advance_waves, record, start_item


class CampaignEngine:
    st: CampaignCore
    #: the campaign's own process steps (``wave_started``, ``wave_passed``, ``campaign_halted``, …) as its BPMN
    #: model names them; None: the campaign records none
    campaign_steps: StepRegistry | None = None

    def _engine_init(self, state: CampaignCore) -> None:
        self.st = state
        self._changed = False

    # ---- the work, per campaign --------------------------------------------------------------------------
    async def run_item(self, item: str) -> ItemFailure | None:
        """Do one item's work: None when it succeeded, else why it failed."""
        raise NotImplementedError

    def room(self, now: datetime) -> tuple[int, datetime | None]:
        """How many more items may start now, and (when none) when one may: by default ``concurrency``."""
        return self.st.inp.concurrency - len(self.st.in_flight), None

    # ---- process events -------------------------------------------------------------------------------------
    def note(self, bpmn_id: str, detail: str = "") -> None:
        """Record one of the campaign's own process events, if its model has that step."""
        if self.campaign_steps is not None and bpmn_id in self.campaign_steps.ids:
            step = self.campaign_steps[bpmn_id]
            self.st.events.append(ProcessEvent(bpmn_id=bpmn_id, actor=step.actor, at=workflow.now(),
                                               refs=list(step.refs), detail=detail))

    # ---- the handlers' bodies -------------------------------------------------------------------------------
    def _steerable(self) -> None:
        if self.st.finished_at is not None:
            raise ValueError("the campaign has finished")

    async def _pause(self) -> None:
        """Nothing new starts; returns once nothing is in flight."""
        if not self.st.paused:
            self.note("campaign_paused")
        self.st.paused, self._changed = True, True
        await workflow.wait_condition(lambda: not self.st.in_flight)

    async def _resume(self) -> None:
        """Go on (after a pause; after a halt: with the next wave)."""
        st = self.st
        if st.halted:
            self.note("campaign_resumed", f"after the halt ({st.halted})")
        elif st.paused:
            self.note("campaign_unpaused")
        st.paused, st.halted, self._changed = False, None, True

    async def _cancel(self) -> None:
        """Start nothing more (the items never started are reported as such); returns once nothing is in flight.
        Cancelled at a halt, the campaign stays halted (it ends as halted)."""
        st = self.st
        if not st.cancelled:
            self.note("cancelled_at_halt" if st.halted else "campaign_cancelled", f"{len(st.pending)} not started")
        st.cancelled, self._changed = True, True
        await workflow.wait_condition(lambda: not st.in_flight)

    # ---- the loop ---------------------------------------------------------------------------------------------
    async def run_items(self) -> None:
        """Work every pending item, wave by wave, until none is left (or the campaign is cancelled)."""
        st = self.st
        while (st.pending and not st.cancelled) or st.in_flight:
            if self._must_continue() and not st.in_flight:
                await workflow.wait_condition(workflow.all_handlers_finished)
                st.runs += 1
                workflow.continue_as_new(st)
            self._waves()
            room, until = self.room(workflow.now())
            starting = not self._must_continue()
            while starting and room > 0 and (item := start_item(st)) is not None:
                asyncio.ensure_future(self._item(item))
                room -= 1
            self._changed = False
            waiting = starting and st.wave_left > 0 and not st.paused and not st.cancelled
            wait = (until - workflow.now()) if waiting and room <= 0 and until else None
            if st.halted is not None and st.halted_at is not None and st.inp.halt_timeout is not None:
                wait = st.halted_at + st.inp.halt_timeout - workflow.now()
                if wait <= timedelta(0):  # no resume nor cancel in time: it stops, as halted
                    self.note("halt_review_elapsed", f"no resume within {st.inp.halt_timeout}")
                    st.cancelled = True
                    continue
            try:
                await workflow.wait_condition(lambda: self._changed, timeout=wait)
            except TimeoutError:
                pass
        self._waves()

    def _waves(self) -> None:
        closed, opened = advance_waves(self.st, workflow.now())
        if closed is not None:
            self.on_wave_closed(closed)
        if opened is not None:
            self.note("wave_started", f"wave {opened}: {self.st.wave_size} items")

    def on_wave_closed(self, wave: WaveResult) -> None:
        detail = f"wave {wave.number}: {wave.failed} of {wave.size} failed ({wave.failure_rate:.1%})"
        self.note("wave_passed" if self.st.halted is None else "campaign_halted",
                  detail if self.st.halted is None else self.st.halted)

    def _must_continue(self) -> bool:
        info = workflow.info()
        limit = self.st.inp.history_threshold
        return info.is_continue_as_new_suggested() or (limit is not None and info.get_current_history_length() >= limit)

    async def _item(self, item: str) -> None:
        failure = await self.run_item(item)
        record(self.st, item, failure)
        self._changed = True
