"""User-side process workflows, one module per BAD process."""

from workflows.install_commission import InstallCommissionWorkflow

USER_WORKFLOWS = [InstallCommissionWorkflow]
