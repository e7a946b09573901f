"""Checks made before dccflow uses a Temporal server, so a user gets one line naming the problem (exit 2)
instead of a traceback or a run that waits forever:

* :func:`connect_to` — the server at ``--address`` answers (else: which address, and why not);
* :func:`wait_for_workers` — dccflow's workers poll its task queues on that server (else nothing would ever run
  the scenario; Temporal would keep it queued);
* :func:`check_ports_free` — the ports ``dccflow up`` is about to serve on are free (else a second ``dccflow up``
  would find the first one's server); :func:`check_server_is_ours` — the server that answers on the port is the
  child process this command started.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from dccflow.config import DCC_TASK_QUEUE, DEVICE_TASK_QUEUE, USER_TASK_QUEUE, ConfigurationError
from dccflow_app.embedded import connect
from dccflow_app.server_checks import ServerProblem, check_ports_free, check_server_is_ours

__all__ = ["ServerProblem", "check_ports_free", "check_server_is_ours", "connect_to", "queues_without_workers",
           "wait_for_workers"]

#: the task queues a scenario needs served: the User side, the simulated DCC, the simulated fleet
TASK_QUEUES = (USER_TASK_QUEUE, DCC_TASK_QUEUE, DEVICE_TASK_QUEUE)
#: a poller seen less recently than this is a worker that has gone (a long poll lasts about a minute)
POLLER_FRESH = timedelta(minutes=2)


def _reason(exc: BaseException) -> str:
    """The readable part of the SDK's connection error ('Connection refused', 'Name or service not known')."""
    text = str(exc)
    found = re.findall(r'(?:message|error): "([^"]+)"', text)
    return found[-1] if found else " ".join(text.split())


async def connect_to(address: str, namespace: str = "default", timeout: float = 15) -> Client:
    try:
        return await asyncio.wait_for(connect(address, namespace), timeout)
    except TimeoutError:
        raise ServerProblem(f"cannot reach a Temporal server at {address}: no answer within {timeout:g} s") from None
    except ConfigurationError:  # ours (e.g. the codec key), not the server's: say what it is
        raise
    except Exception as exc:  # noqa: BLE001 - the SDK raises RuntimeError/ValueError with a long Rust chain
        raise ServerProblem(f"cannot reach a Temporal server at {address}: {_reason(exc)}") from None


async def queues_without_workers(client: Client, queues: Iterable[str] = TASK_QUEUES) -> list[str]:
    """The task queues among ``queues`` that no live worker polls for workflow tasks."""
    missing = []
    now = datetime.now(UTC)
    for name in queues:
        reply = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=name),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
        live = [p for p in reply.pollers
                if not p.HasField("last_access_time") or now - p.last_access_time.ToDatetime(UTC) < POLLER_FRESH]
        if not live:
            missing.append(name)
    return missing


async def wait_for_workers(client: Client, address: str, timeout: float = 10, interval: float = 0.5) -> None:
    """Wait up to ``timeout`` seconds until dccflow's workers poll every task queue at ``address``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            missing = await queues_without_workers(client)
        except Exception as exc:  # noqa: BLE001 - an RPCError from the server: say so in one line
            raise ServerProblem(f"the Temporal server at {address} cannot describe dccflow's task queues: "
                                f"{_reason(exc)}") from None
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise ServerProblem(
                f"no dccflow workers poll task queue {', '.join(missing)} on the Temporal server at {address} "
                f"(waited {timeout:g} s): start them with `dccflow up` or `python worker.py` against that server")
        await asyncio.sleep(interval)
