"""Issue #17's done-when on a server: three scenarios on the stack `dccflow up` runs (a Temporal dev server with its
SQLite visibility, dccflow's workers), then `dccflow audit --address … --data-dir …` reads the process workflows
back from the server's histories and the DCC's database: the HTML report covers all three runs, and the JSON, XES
and HTML agree on every count. Real-time server: only scenarios that end within seconds."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from lxml import etree
from port_support import free_ports
from typer.testing import CliRunner

from dccflow.config import Settings
from dccflow_app.cli import app

SCENARIOS = ("install-commission-electricity", "install-commission-dual-fuel", "install-commission-gas-hot-shoe")




def _audit(*args: str) -> str:
    result = CliRunner().invoke(app, ["audit", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


async def test_three_scenarios_on_a_dev_server_are_audited_in_every_format(tmp_path):
    from dccflow_app.embedded import start_dev_server
    from dccflow_app.scenarios.runner import run_scenario
    from dccflow_app.worker import run_workers

    data_dir = tmp_path / "data"
    port, ui_port = free_ports(2)
    try:
        env = await start_dev_server(data_dir, port=port, ui_port=ui_port)
    except Exception as exc:  # noqa: BLE001 - the [embedded] extra's binary is what CI installs
        pytest.skip(f"no Temporal dev server here: {exc}")
    stop = asyncio.Event()
    workers = asyncio.ensure_future(run_workers(env.client, Settings(data_dir=data_dir), stop))
    try:
        reports = [await asyncio.wait_for(run_scenario(env.client, s), 120) for s in SCENARIOS]
        assert all(r.expected_end_reached for r in reports)
        address = f"127.0.0.1:{port}"
        out = {}
        for fmt in ("json", "xes", "html"):
            path = tmp_path / f"audit.{fmt}"
            await asyncio.to_thread(_audit, "--address", address, "--data-dir", str(data_dir), "--format", fmt,
                                    "--out", str(path))
            out[fmt] = path.read_text()
    finally:
        stop.set()
        await workers
        await env.shutdown()
    report = json.loads(out["json"])
    assert {c["workflow_id"] for c in report["cases"]} == {r.workflow_id for r in reports}
    assert report["summary"]["scope"]["units"] == 3
    assert all(c["conformance"]["fitness"] is not None for c in report["cases"])
    for r in reports:  # each run judged with the DCC's records as its own audit judged it (the DCC's duties go on
        # after a run on a real-time server, so its records can only have more by now)
        unit = next(c["unit"] for c in report["cases"] if c["workflow_id"] == r.workflow_id)
        ours = [v for v in report["verdicts"] if v["unit"] == unit]
        assert {v["obligation"] for v in ours if v["verdict"] == "breached"} == \
            {v.obligation for v in r.regulation if v.verdict == "breached"}
        assert {v.obligation for v in r.regulation if v.verdict == "met"} <= \
            {v["obligation"] for v in ours if v["verdict"] == "met"}
    summary = report["summary"]
    html = out["html"]
    assert {m[0]: int(m[1]) for m in re.findall(r'data-count="([^"]+)">(\d+)<', html)} == \
        {f"{g}.{k}": n for g, c in summary.items() for k, n in c.items()}
    assert all(r.workflow_id in html for r in reports)
    xes = etree.fromstring(out["xes"].encode())
    ints = {el.get("key"): int(el.get("value")) for el in xes if etree.QName(el).localname == "int"}
    assert ints == {f"dccflow:{g}:{k.replace(' ', '_')}": n for g, c in summary.items() for k, n in c.items()}
    traces = xes.findall("{http://www.xes-standard.org/}trace")
    assert len(traces) == summary["scope"]["process_instances"]
    assert sum(len(t.findall("{http://www.xes-standard.org/}event")) for t in traces) == summary["scope"]["events"]
