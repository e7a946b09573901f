"""Record the event histories of the process workflows, for the replay tests.

    python tests/histories/record.py          # records the cases that have no history yet
    python tests/histories/record.py --all    # records them all again

Run it when a workflow's behaviour changes on purpose, after making the change replay-safe
(``workflow.patched``) or deciding that old histories need not replay; commit the new JSON files.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[1]))

#: recorded once; existing files are kept (an old history must keep replaying), new cases are added
CASES = {
    "install_commission_happy": ("install-commission-electricity", []),
    "install_commission_join_timeout": ("install-commission-electricity", ["join-timeout"]),
    "install_commission_no_wan": ("install-commission-electricity", ["no-wan"]),
    "install_commission_dual_fuel": ("install-commission-dual-fuel", []),
    "post_commissioning_missed": ("post-commissioning-missed", []),
    "install_commission_join_timeout_one_device": ("install-commission-join-timeout-one-device", []),
    "install_and_leave_wan_after_3_days": ("install-and-leave-wan-after-3-days", []),
    "install_and_leave_dual_fuel": ("install-and-leave-dual-fuel", []),
    "install_and_leave_handover": ("install-and-leave-handover", []),
    # Transitional Change of Supplier (BAD 7.7.1): the follow-on child of the scenario is recorded
    "change_of_supplier_partial_cell_failure": ("cos-partial-cell-failure", []),
    "change_of_supplier_future_dated_n26": ("cos-not-registered-n26", []),
}
#: the DCC's own per-request workflow (``dccsim.workflows``): each Device request of this scenario, by SRV, recorded
#: as ``dcc_service_request_<srv>_<DCC_SUFFIX>``. The ``..._before_local_steps`` files were recorded with the code
#: before ``workflow.patched("dcc-local-steps")`` (two activities a request) and are kept as they are.
DCC_SCENARIO, DCC_SUFFIX = "install-commission-electricity", "local_steps"


@contextlib.asynccontextmanager
async def _running():
    """A time-skipping server with dccflow's workers on a throwaway data directory: (client, runtime)."""
    from dccflow.config import Settings
    from dccflow_app.embedded import start_time_skipping
    from dccflow_app.runtime import Runtime, register_search_attributes

    env = await start_time_skipping(encrypt_secrets=False)  # fixtures readable by any key
    try:
        await register_search_attributes(env.client)
        with tempfile.TemporaryDirectory() as tmp:
            runtime = Runtime(Settings(data_dir=Path(tmp)), env.client)
            async with contextlib.AsyncExitStack() as es:
                for w in runtime.workers():
                    await es.enter_async_context(w)
                yield env.client, runtime
    finally:
        await env.shutdown()


async def main() -> None:
    from dccflow_app.scenarios.runner import run_scenario

    for name, (scenario, faults) in CASES.items():
        if (HERE / f"{name}.json").exists() and "--all" not in sys.argv:
            continue
        async with _running() as (client, _runtime):
            report = await run_scenario(client, scenario, faults)
            # the process workflow, or its Post Commissioning child when the scenario is about that
            wf_id = (f"post-commissioning-{report.post_commissioning[0].device_id}"
                     if name.startswith("post_commissioning") else report.processes[0].workflow_id
                     if name.startswith("change_of_supplier") else report.workflow_id)
            history = await client.get_workflow_handle(wf_id).fetch_history()
        (HERE / f"{name}.json").write_text(history.to_json())
        print(f"{name}: {report.end}, {len(history.events)} events")
    await record_dcc()


async def record_dcc() -> None:
    """The DCC's workflow of each Device request (not the Non-Device 8.14.1) of ``DCC_SCENARIO``, one per SRV."""
    from sqlmodel import select

    from dccflow.db import session_scope
    from dccflow_app.scenarios.runner import run_scenario
    from dccsim.models import RequestLogEntry
    from dccsim.processing import dcc_workflow_id

    if list(HERE.glob(f"dcc_service_request_*_{DCC_SUFFIX}.json")) and "--all" not in sys.argv:
        return
    async with _running() as (client, runtime):
        await run_scenario(client, DCC_SCENARIO, [])
        with session_scope(runtime.engine) as s:
            logged = [(e.srv, e.request_id, e.processing) for e in s.exec(
                select(RequestLogEntry).order_by(RequestLogEntry.received_at))]
        picked: dict[str, str] = {}
        for srv, request_id, processing in logged:
            if processing != "non-device":
                picked.setdefault(srv, request_id)
        for srv, request_id in picked.items():
            history = await client.get_workflow_handle(dcc_workflow_id(request_id)).fetch_history()
            name = f"dcc_service_request_{srv.replace('.', '_')}_{DCC_SUFFIX}"
            (HERE / f"{name}.json").write_text(history.to_json())
            print(f"{name}: {len(history.events)} events")


if __name__ == "__main__":
    asyncio.run(main())
