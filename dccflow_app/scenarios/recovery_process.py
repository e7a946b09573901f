"""SMKI Recovery (BAD 7.7.3, ``workflows.smki_recovery``) as a follow-on step of a scenario: the drill's input from the
premises, the file's Parties and the step's ``with:`` (``spec.SmkiRecoveryParams``). Registered in
``dccflow_app.scenarios.processes.REGISTRY``. Workflow code (the Scenario workflow calls it): deterministic."""

from __future__ import annotations

from dccflow.domain.recovery import DCC_KEYS, CompromisedKey, RecoveryMethod
from dccflow.parties import DCC_ID
from dccflow_app.scenarios.credential_processes import _device, _params, _user
from dccflow_app.scenarios.scenario import FollowOn
from workflows.smki_recovery_model import SmkiRecoveryInput


def smki_recovery_input(ctx, step: FollowOn) -> SmkiRecoveryInput:
    """The actor's Organisation Certificate key is compromised (or a DCC key: the DCC is then the Subscriber); the
    Incident's id is the premises' and the step's."""
    p = _params(step)
    devices = [_device(ctx, step, d) for d in p.devices] if p.devices is not None else None
    key = CompromisedKey(p.compromised)
    return SmkiRecoveryInput(
        incident_id=f"{ctx.premises.premises_id}-{step.step_id}".replace("_", "-"), compromised=key,
        subscriber_id=DCC_ID if key in DCC_KEYS else _user(ctx, step.actor), device_ids=devices,
        method=RecoveryMethod(p.method) if p.method else None, subscriber_can_sign=p.subscriber_can_sign,
        replacement_certificates=p.replacement_certificates, subscriber_confirms=p.subscriber_confirms,
        confirms_after=p.confirms_after.fixed(), pma_decision=p.pma_decision,
        pma_decides_after=p.pma_decides_after.fixed(), recovery_deadline=p.recovery_deadline.fixed(),
        retry_every=p.retry_every.fixed(), handback_after=p.handback_after.fixed())
