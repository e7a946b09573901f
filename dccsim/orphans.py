"""SEC H6.6 and BAD 7.6.1.6.8: a Communications Hub Function decommissioned while Devices of its Smart Metering
Systems were still on it. H6.6: "the other Devices forming part of [the SMS] should also be Decommissioned; provided
that Devices other than the GPF may remain Commissioned if a replacement CHF is Commissioned within a reasonable
period". The BAD: "The DCC sets the SMI Status of other Devices forming part of the SMS to 'Decommissioned' if the
replacement CH is not Commissioned within a reasonable period".

The GPF goes with its CHF at once (AD 3.8.100.5(c); ``dccsim.handlers.decommission``). For the others, one durable
DCC workflow per CHF (``dccsim.life_workflows.ChfOrphanWatchWorkflow``) waits ``reasonable_period_chf_replacement``
(``dccsim.config``) from the CHF's 8.3, then, per Device recorded at the 8.3:

* kept when it is by then on a replacement CHF that is 'commissioned' (its SMI Association names that CHF: an 8.11
  add or an 8.12.1 restore on the new CHF);
* otherwise, with ``orphan_decommission_actor="dcc"`` (the BAD's reading, default) decommissioned by the DCC with
  the 8.3 effects (N1 / N2 / N33); with ``"rs"`` (H6.2's) left for its Responsible Supplier and recorded;
* a Device the Responsible Supplier decommissioned meanwhile is left as it is.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.smi import SmiStatus
from dccsim.handlers.base import status_of
from dccsim.handlers.decommission import NOT_DECOMMISSIONED_FROM, decommission
from dccsim.inventory import Inventory
from dccsim.life_records import ChfOrphanWatch

#: ``dccsim.life_workflows.ChfOrphanWatchWorkflow`` (started by type name: the service is below its workflows)
ORPHAN_WATCH_WORKFLOW = "DccChfOrphanWatch"


class OrphanWatchInput(BaseModel):
    chf_id: str
    decommissioned_at: datetime
    #: the reasonable period, in seconds, as configured when the watch started
    period_seconds: int


def orphan_watch_workflow_id(chf_id: str) -> str:
    return f"dcc-h6.6-{chf_id}"


async def start_orphan_watches(dcc) -> int:
    """Start the H6.6 watch of each CHF decommissioned since the last look (idempotent: one per CHF)."""
    from temporalio.common import WorkflowIDReusePolicy
    from temporalio.exceptions import WorkflowAlreadyStartedError

    from dccflow.config import DCC_TASK_QUEUE

    if dcc.client is None:
        return 0
    with session_scope(dcc.engine) as s:
        rows = s.exec(select(ChfOrphanWatch).where(ChfOrphanWatch.workflow_started == False)).all()  # noqa: E712
        todo = [OrphanWatchInput(chf_id=r.chf_id, decommissioned_at=r.decommissioned_at,
                                 period_seconds=int(dcc.config.reasonable_period_chf_replacement.total_seconds()))
                for r in rows]
    for inp in todo:
        try:
            await dcc.client.start_workflow(ORPHAN_WATCH_WORKFLOW, inp, id=orphan_watch_workflow_id(inp.chf_id),
                                            task_queue=DCC_TASK_QUEUE,
                                            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            pass
        with session_scope(dcc.engine) as s:
            row = s.get(ChfOrphanWatch, inp.chf_id)
            row.workflow_started = True
            s.add(row)
    return len(todo)


async def close_orphan_watch(dcc, chf_id: str, at: datetime) -> str:
    """The reasonable period is over: keep, decommission or leave each recorded Device (module docstring).
    Idempotent: a closed watch is not judged again."""
    rows = []
    with session_scope(dcc.engine) as s:
        watch = s.get(ChfOrphanWatch, chf_id)
        if watch.closed_at is None:
            inv = Inventory(s)
            decommissioned, kept = [], []
            for device_id in watch.devices:
                dev = inv.find(device_id)
                if dev is None or status_of(dev) in NOT_DECOMMISSIONED_FROM:
                    continue  # gone, or decommissioned meanwhile by its Responsible Supplier
                chf = inv.find(dev.chf_id) if dev.chf_id else None
                if chf is not None and chf.device_id != chf_id and status_of(chf) == SmiStatus.COMMISSIONED:
                    kept.append(device_id)
                elif dcc.config.orphan_decommission_actor == "dcc":
                    for n in decommission(s, dev, at, sender=None, reason=(
                            f"no replacement for CHF {chf_id} Commissioned within "
                            f"{dcc.config.reasonable_period_chf_replacement} (SEC H6.6; BAD 7.6.1.6.8)")):
                        rows.append(dcc.outbound.dcc_alert(
                            s, key=n.key(f"h6.6-{chf_id}"), recipient=n.recipient, alert_code=n.alert_code,
                            device_id=n.device_id, at=at, data=n.data))
                    decommissioned.append(device_id)
                else:
                    kept.append(f"{device_id} (left to its Responsible Supplier, SEC H6.2)")
            watch.closed_at, watch.decommissioned, watch.kept = at, decommissioned, kept
            s.add(watch)
        summary = f"decommissioned {watch.decommissioned}; kept {watch.kept}"
    await dcc.outbound.deliver(rows)
    return summary
