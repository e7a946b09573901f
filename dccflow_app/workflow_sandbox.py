"""The workflow sandbox the workers run dccflow's workflows in: Temporal's, with the workflow modules passed through.

By default the sandbox imports a workflow's module afresh for every workflow run (and its parent packages), to
isolate module-level state between runs. dccflow's workflow modules import everything else they use inside
``workflow.unsafe.imports_passed_through()`` (the activities, the models, the step registries), so what the
sandbox re-imports for each run is the workflow module itself: its source compiled and executed, its pydantic
models built again. A dual-fuel install starts 15 workflows; passing their modules through saved 5–6% of the
workers' CPU per install (A/B runs of the same installs on the time-skipping test server; ``bench/install_fleet.py``
runs its bare engine the same way, so that its ratio compares like with like).

What makes that safe, and must stay true of every module named here (``passthrough_modules``):

* no mutable module-level state: module globals are constants (activity options, timeouts, frozensets, signal
  names); per-run state lives on the workflow instance;
* deterministic code: no wall clock, randomness or I/O (the project's rule for ``workflows/``). The sandbox's
  run-time restrictions (a proxied ``datetime``, ``random``…) no longer wrap what these modules imported, so a
  violation there is not caught at run time; the restricted builtins still apply, and the replay tests
  (``tests/histories``) still check that every workflow replays its recorded histories, and
  ``tests/platform/test_workflow_modules_deterministic.py`` reads every module named here for clock, randomness and
  I/O calls in its workflow classes and for mutable module-level values.

Nothing else changes: the workflows still run in the sandbox (``workflow.defn(sandboxed=True)``), with Temporal's
default restrictions for every module not named here. One exception: the DCC's per-request workflow
(``dccsim.workflows.DccServiceRequestWorkflow``) runs outside it, because it runs thousands of times in a drill or a
campaign and the sandbox's set-up per run cost more than the workflow; the same source check covers it.
"""

from __future__ import annotations

from collections.abc import Iterable

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions


def passthrough_modules(workflow_classes: Iterable[type]) -> list[str]:
    """The modules defining ``workflow_classes``."""
    return sorted({cls.__module__ for cls in workflow_classes})


def workflow_runner(modules: Iterable[str]) -> SandboxedWorkflowRunner:
    """Temporal's sandboxed runner with its default restrictions, ``modules`` passed through."""
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*modules))
