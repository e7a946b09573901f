"""User-side process workflows, one module per BAD process."""

from workflows.install_commission import InstallCommissionWorkflow
from workflows.post_commissioning import PostCommissioningWorkflow

USER_WORKFLOWS = [InstallCommissionWorkflow, PostCommissioningWorkflow]
