"""User-side process workflows, one module per BAD process.

``USER_WORKFLOWS`` is imported lazily: the workflow sandbox imports this package afresh for every workflow run
of one of its modules, and importing every process module each time (their pydantic models) is a measurable part
of a run's cost (``bench/install_fleet.py``)."""


def __getattr__(name: str):
    if name == "USER_WORKFLOWS":
        from workflows.change_of_supplier import ChangeOfSupplierWorkflow
        from workflows.credentials import CREDENTIAL_WORKFLOWS
        from workflows.firmware_campaign import FIRMWARE_CAMPAIGN_WORKFLOWS
        from workflows.han_device_join import HanDeviceJoinWorkflow
        from workflows.install_and_leave import InstallAndLeaveWorkflow
        from workflows.install_commission import InstallCommissionWorkflow
        from workflows.org_cert_rollover import ROLLOVER_WORKFLOWS
        from workflows.post_commissioning import PostCommissioningWorkflow

        return [InstallCommissionWorkflow, PostCommissioningWorkflow, HanDeviceJoinWorkflow, InstallAndLeaveWorkflow,
                *CREDENTIAL_WORKFLOWS, *ROLLOVER_WORKFLOWS, ChangeOfSupplierWorkflow,
                *FIRMWARE_CAMPAIGN_WORKFLOWS]
    raise AttributeError(f"module 'workflows' has no attribute {name!r}")
