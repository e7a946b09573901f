"""The SMKI Recovery workflow's input and the actors' answers (``workflows.smki_recovery``; digest 05 §D)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel
from temporalio.common import RetryPolicy

from dccflow.config import DCC_TASK_QUEUE
from dccflow.domain.recovery import PMA_DECISION_DUE, RECOVERY_DEADLINE, RETRY_EVERY, CompromisedKey, RecoveryMethod

ACT = dict(start_to_close_timeout=timedelta(seconds=120), retry_policy=RetryPolicy(maximum_interval=timedelta(
    seconds=30)))
DCC_ACT = dict(ACT, task_queue=DCC_TASK_QUEUE)


class SmkiRecoveryInput(BaseModel):
    """A compromise notified, and how the drill's actors answer (each a signal when ``simulate_actors`` is off)."""

    incident_id: str
    compromised: CompromisedKey = CompromisedKey.ORGANISATION
    #: the Subscriber for the compromised certificate (a User ID)
    subscriber_id: str
    #: the Devices in scope (``--devices``); None: every Device holding the compromised certificate
    device_ids: list[str] | None = None
    #: a forced method; None: ``dccflow.domain.recovery.choose_method``
    method: RecoveryMethod | None = None
    subscriber_can_sign: bool = True
    replacement_certificates: bool = False
    simulate_actors: bool = True
    subscriber_confirms: Literal["yes", "no", "silent"] = "yes"
    confirms_after: timedelta = timedelta(hours=2)
    pma_decision: Literal["approve", "decline", "silent"] = "approve"
    pma_decides_after: timedelta = timedelta(days=1)
    pma_decision_due: timedelta = PMA_DECISION_DUE
    recovery_deadline: timedelta = RECOVERY_DEADLINE
    retry_every: timedelta = RETRY_EVERY
    #: Method 2: how long after a Device is 'recovered' its Responsible Supplier hands it back (SRV 6.21)
    handback_after: timedelta = timedelta(days=1)
    response_timeout: timedelta = timedelta(hours=2)


class PmaDecision(BaseModel):
    approve: bool
    reason: str = ""
    #: the recovery deadline the PMA approves (None: the DCC's proposal, the input's ``recovery_deadline``)
    recovery_deadline: timedelta | None = None


