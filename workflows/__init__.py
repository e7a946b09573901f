"""User-side process workflows, one module per BAD process."""

from workflows.han_device_join import HanDeviceJoinWorkflow
from workflows.install_and_leave import InstallAndLeaveWorkflow
from workflows.install_commission import InstallCommissionWorkflow
from workflows.post_commissioning import PostCommissioningWorkflow

USER_WORKFLOWS = [InstallCommissionWorkflow, PostCommissioningWorkflow, HanDeviceJoinWorkflow,
                  InstallAndLeaveWorkflow]
