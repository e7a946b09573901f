"""The Manage Security Credentials processes (BAD 7.7.2.5.5-8, ``workflows.credentials``) as follow-on steps of a
scenario: each step's input from the premises, the file's Parties and its ``with:`` parameters
(``spec.CellReplacementParams``, ``spec.DeviceCredentialRegenerationParams``). Registered in
``dccflow_app.scenarios.processes.REGISTRY``. Workflow code (the Scenario workflow calls them): deterministic."""

from __future__ import annotations

from typing import Any

from dccflow_app.scenarios.scenario import FollowOn
from dccflow_app.scenarios.spec import PROCESSES
from workflows.credentials import CellReplacementInput, RegenerationInput, credential_workflow_id


def _params(step: FollowOn) -> Any:
    model = PROCESSES[step.process].params
    assert model is not None
    return model.model_validate(step.params)


def _device(ctx, step: FollowOn, device_type: str) -> str:
    device_id = ctx.premises.devices.get(device_type)
    if device_id is None:
        raise ValueError(f"{step.step_id}: the premises has no {device_type}")
    return device_id


def _user(ctx, role: str) -> str:
    return ctx.user_id(ctx.parties.get(role) or _default_party(role), role)


def _default_party(role: str) -> str:
    from dccflow_app.scenarios.spec import Parties

    return getattr(Parties(), role)


def cell_replacement_input(ctx, step: FollowOn) -> CellReplacementInput:
    """6.21 / 6.15.1: the actor sends it; ``certificate_of`` (a role) names whose certificate goes into the cell."""
    p = _params(step)
    return CellReplacementInput(device_id=_device(ctx, step, p.device), sender_id=_user(ctx, step.actor),
                                cell=p.cell, certificate_of=_user(ctx, p.certificate_of) if p.certificate_of else None,
                                instance=_instance(step))


def regeneration_input(ctx, step: FollowOn) -> RegenerationInput:
    p = _params(step)
    return RegenerationInput(device_id=_device(ctx, step, p.device), supplier_id=_user(ctx, step.actor),
                             credential_types=list(p.credential_types), instance=_instance(step))


def _instance(step: FollowOn) -> str | None:
    """The step's own id tells apart two runs of one process on a Device (e.g. a KRP before and after a handover)."""
    return None if step.step_id == step.process else step.step_id


def workflow_id(process: str):
    """The id from the business key: the process, the Device and the step (``credential_workflow_id``)."""
    return lambda inp: credential_workflow_id(process, inp.device_id, inp.instance)
