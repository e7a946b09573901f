"""dccflow's workers in a process of their own, for tests that kill them (``test_worker_restart.py``).

    python tests/processes/worker_process.py ADDRESS DATA_DIR

Prints ``ready`` on stdout once the workers poll, then runs until killed. The workers keep no workflow cache
(``max_cached_workflows=0``): a killed worker then leaves no workflow task on a sticky queue of its own for
the server to time out (the sticky schedule-to-start timeout is real time even on the time-skipping server),
and every workflow task is a replay of the history.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dccflow.config import Settings  # noqa: E402
from dccflow_app.embedded import connect  # noqa: E402
from dccflow_app.runtime import Runtime  # noqa: E402


async def main(address: str, data_dir: str) -> None:
    client = await connect(address, data_dir=Path(data_dir), create_key=True)  # the test's codec key
    runtime = Runtime(Settings(data_dir=Path(data_dir)), client)
    async with contextlib.AsyncExitStack() as stack:
        for worker in runtime.workers(max_cached_workflows=0):
            await stack.enter_async_context(worker)
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
