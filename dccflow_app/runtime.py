"""Wiring: one process hosts the three systems' workers (User side, simulated DCC, simulated fleet) over a
shared database and a Temporal client. Each system keeps to its own task queue, so they can be split into
separate worker processes at scale without code changes.

The User side and the DCC talk through the DCC User Interface only: by method call (``inprocess``, the default)
or over HTTP (``DCCFLOW_DCC_TRANSPORT=http``: both ends served on loopback by this process, see
``dccflow_app.http_stack``). ``Runtime.serving()`` starts whatever the chosen transport needs, then the workers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.ch_replacement import ch_replacement_activities
from activities.credentials import UserKeyStore
from activities.duis_client import DuisClient, InProcessTransport
from activities.firmware import firmware_activities
from activities.firmware_campaign import firmware_campaign_activities
from activities.hht import hht_activities
from activities.inbox import UserInbox
from activities.installer import InstallerActivities
from activities.org_cert_rollover import PreviousKeys, rollover_activities
from activities.smki_client import SmkiClient
from activities.smki_recovery import recovery_world_activities
from activities.smki_recovery_network import recovery_network_activities
from activities.smki_recovery_root import recovery_root_activities
from dccflow.config import DCC_TASK_QUEUE, DEVICE_TASK_QUEUE, USER_TASK_QUEUE, Settings
from dccflow.parties import DCC_ID
from dccflow.search import SEARCH_ATTRIBUTES
from dccflow_app.activity_errors import NonRetryableErrors
from dccflow_app.database import open_database
from dccflow_app.scenarios.audit import AuditActivities
from dccflow_app.scenarios.harness import HarnessActivities, ScenarioWorkflow
from dccflow_app.scenarios.install_leave import install_leave_activities
from dccflow_app.scenarios.processes import follow_on_workflows
from dccflow_app.scenarios.world_events import WorldEventActivities
from dccflow_app.workflow_sandbox import passthrough_modules, workflow_runner
from dccsim.activities import DccActivities
from dccsim.ch_firmware import ChFirmwareActivities, DccChFirmwareUpgradeWorkflow
from dccsim.firmware_distribution import DccFirmwareDistributionWorkflow, FirmwareDistributionActivities
from dccsim.life_workflows import LIFE_WORKFLOWS, DccLifeActivities
from dccsim.outbound import Outbound
from dccsim.post_commissioning_duties import PostCommissioningDutyActivities
from dccsim.post_commissioning_workflow import DccPostCommissioningReportingWorkflow, DccPostCommissioningWorkflow
from dccsim.power import PowerOutageWorkflow
from dccsim.service import DccService
from dccsim.smki import SmkiRepository
from dccsim.smki_oca_activities import OcaActivities
from dccsim.smki_recovery import recovery_activities
from dccsim.smki_recovery_incidents import recovery_incident_activities
from dccsim.workflows import DccServiceRequestWorkflow
from devices.activities import device_activities
from devices.fleet import Fleet
from devices.wan import SmWan
from devices.workflows import DEVICE_WORKFLOWS
from workflows import USER_WORKFLOWS

if TYPE_CHECKING:
    from dccflow_app.http_stack import HttpInterfaces

#: the workflows each system's worker runs, by task queue
WORKFLOWS = {USER_TASK_QUEUE: [*USER_WORKFLOWS, ScenarioWorkflow,
                               *(w for w in follow_on_workflows() if w not in USER_WORKFLOWS)],
             DCC_TASK_QUEUE: [DccServiceRequestWorkflow, PowerOutageWorkflow, DccPostCommissioningWorkflow,
                              DccPostCommissioningReportingWorkflow, *LIFE_WORKFLOWS,
                              DccChFirmwareUpgradeWorkflow, DccFirmwareDistributionWorkflow],
             DEVICE_TASK_QUEUE: DEVICE_WORKFLOWS}


class Runtime:
    def __init__(self, settings: Settings, client: Client, *, smki=SmkiRepository):
        """``smki``: makes the SMKI Repository from the engine (the ZAZ1 profile's, ``dccflow_app.boxed``)."""
        self.settings = settings
        self.client = client
        self.engine = open_database(settings.db_url)
        self.smki = smki(self.engine)
        self.smki.ensure_authorities(DCC_ID)
        self.keys = UserKeyStore(self.engine)
        self.keys.ensure_parties(self.smki)
        self.outbound = Outbound(self.engine, self.smki)
        self.dcc = DccService(self.engine, self.smki, self.outbound)
        self.fleet = Fleet(self.engine)
        self.wan = SmWan(self.fleet, self.dcc, client)
        self.dcc.connect(client=client, wan=self.wan)
        self.inbox = UserInbox(self.engine, client, self.smki.find)
        self.http: HttpInterfaces | None = None
        if settings.dcc_transport == "http":
            from dccflow_app.http_stack import HttpInterfaces

            self.http = HttpInterfaces(engine=self.engine, dcc=self.dcc, inbox=self.inbox, host=settings.http_host,
                                       dcc_port=settings.dcc_http_port, user_port=settings.user_http_port)
            self.outbound.connect(self.http.delivery)
            transport = self.http.transport
        else:
            self.outbound.connect(self.inbox.receive, many=self.inbox.receive_many)
            transport = InProcessTransport(self.dcc)
        self.duis_client = DuisClient(self.engine, self.keys, self.inbox, transport,
                                      confirm_validity=self.smki.confirm_validity,
                                      certificate_resolver=self.smki.organisation_certificate_der,
                                      command_key=PreviousKeys(self.engine).command_key)
        self.smki_client = SmkiClient(self.smki)

    def workers(self, *, task_queues: set[str] | None = None, **options) -> list[Worker]:
        """The three systems' workers (those of ``task_queues`` if given); ``options`` go to every ``Worker`` (e.g.
        ``max_cached_workflows``).
        Configuration and programming errors in activities are never retried (``dccflow_app.activity_errors``)."""
        options["interceptors"] = [NonRetryableErrors(), *options.get("interceptors", ())]
        # the workflow modules passed through the sandbox, not re-imported for each run (dccflow_app.workflow_sandbox)
        options.setdefault("workflow_runner", workflow_runner(
            passthrough_modules(cls for classes in WORKFLOWS.values() for cls in classes)))
        installer = InstallerActivities(self.wan)
        harness = HarnessActivities(self)
        activities = {
            USER_TASK_QUEUE: lambda: [self.duis_client.send_service_request,
                                     self.smki_client.smki_request_device_certificate,
                                     installer.installer_install_communications_hub,
                                     installer.installer_install_device,
                                     harness.scenario_provision, harness.scenario_snapshot,
                                     WorldEventActivities(self).scenario_world_event,
                                     AuditActivities(self).scenario_audit,
                                     *hht_activities(self.wan), *install_leave_activities(self),
                                     *rollover_activities(self), *ch_replacement_activities(self),
                                     *firmware_activities(self), *firmware_campaign_activities(self),
                                     *recovery_world_activities(self), *recovery_root_activities(self),
                                     *recovery_network_activities(self)],
            DCC_TASK_QUEUE: lambda: [*_methods(DccActivities(self.dcc)),
                                     *_methods(PostCommissioningDutyActivities(self.dcc)),
                                     *_methods(DccLifeActivities(self.dcc)),
                                     *_methods(ChFirmwareActivities(self.dcc)),
                                     *_methods(FirmwareDistributionActivities(self.dcc)),
                                     *_methods(OcaActivities(self.smki)), *recovery_activities(self.dcc),
                                     *recovery_incident_activities(self.dcc)],
            DEVICE_TASK_QUEUE: lambda: device_activities(self.wan),
        }
        return [Worker(self.client, task_queue=queue, workflows=WORKFLOWS[queue], activities=made(), **options)
                for queue, made in activities.items() if task_queues is None or queue in task_queues]

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[Runtime]:
        """Run the transport's servers (if any) and the workers of the settings' ``worker_systems`` (every system
        unless ``DCCFLOW_WORKER_SYSTEMS`` says otherwise) until the block ends."""
        async with contextlib.AsyncExitStack() as stack:
            if self.http is not None:
                await stack.enter_async_context(self.http)
            for w in self.workers(task_queues=self.settings.task_queues):
                await stack.enter_async_context(w)
            yield self


def _methods(obj) -> list:
    return [getattr(obj, name) for name in dir(obj)
            if not name.startswith("_") and hasattr(getattr(obj, name), "__temporal_activity_definition")]


async def register_search_attributes(client: Client, namespace: str = "default") -> None:
    """Make the device-id / MPxN / process search attributes known to the server (idempotent)."""
    wanted = {key.name: IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{kind}") for key, kind in SEARCH_ATTRIBUTES}
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(search_attributes=wanted, namespace=namespace))
    except RPCError as exc:
        if "already" not in str(exc).lower():
            raise
