"""Wiring: one process hosts the three systems' workers (User side, simulated DCC, simulated fleet) over a
shared database and a Temporal client. Each system keeps to its own task queue, so they can be split into
separate worker processes at scale without code changes."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.credentials import UserKeyStore
from activities.duis_client import DuisClient, InProcessTransport
from activities.inbox import UserInbox
from activities.installer import InstallerActivities
from dccflow.config import DCC_TASK_QUEUE, DEVICE_TASK_QUEUE, USER_TASK_QUEUE, Settings
from dccflow.db import get_engine
from dccflow.parties import DCC_ID
from dccflow.scenarios.harness import HarnessActivities, ScenarioWorkflow
from dccflow.search import SEARCH_ATTRIBUTES
from dccsim.activities import DccActivities
from dccsim.outbound import Outbound
from dccsim.service import DccService
from dccsim.smki import SmkiRepository
from dccsim.workflows import DccServiceRequestWorkflow
from devices.activities import DeviceActivities
from devices.fleet import Fleet
from devices.wan import SmWan
from devices.workflows import HanJoinWorkflow
from workflows import USER_WORKFLOWS


class Runtime:
    def __init__(self, settings: Settings, client: Client):
        self.settings = settings
        self.client = client
        self.engine = get_engine(settings.db_url)
        self.smki = SmkiRepository(self.engine)
        self.smki.ensure_authorities(DCC_ID)
        self.keys = UserKeyStore(self.engine)
        self.keys.ensure_parties(self.smki)
        self.outbound = Outbound(self.engine, self.smki)
        self.dcc = DccService(self.engine, self.smki, self.outbound)
        self.fleet = Fleet(self.engine)
        self.wan = SmWan(self.fleet, self.dcc, client)
        self.dcc.connect(client=client, wan=self.wan)
        self.inbox = UserInbox(self.engine, client, self.smki.find)
        self.outbound.connect(self.inbox.receive)
        self.duis_client = DuisClient(self.engine, self.keys, self.inbox, InProcessTransport(self.dcc))

    def workers(self) -> list[Worker]:
        installer = InstallerActivities(self.wan)
        harness = HarnessActivities(self)
        return [
            Worker(self.client, task_queue=USER_TASK_QUEUE, workflows=[*USER_WORKFLOWS, ScenarioWorkflow],
                   activities=[self.duis_client.send_service_request,
                               installer.installer_install_communications_hub,
                               installer.installer_install_device,
                               harness.scenario_provision, harness.scenario_snapshot]),
            Worker(self.client, task_queue=DCC_TASK_QUEUE, workflows=[DccServiceRequestWorkflow],
                   activities=[*_methods(DccActivities(self.dcc))]),
            Worker(self.client, task_queue=DEVICE_TASK_QUEUE, workflows=[HanJoinWorkflow],
                   activities=[DeviceActivities(self.wan).device_complete_han_join]),
        ]


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
