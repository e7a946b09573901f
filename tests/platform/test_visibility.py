"""What a Web UI user sees on `dccflow up`'s dev server (it has visibility, so list queries work): a device's
whole story is found by its id, and no install code or private key is readable in any history."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from pathlib import Path

import httpx
import pytest
from google.protobuf import json_format
from port_support import free_ports
from sqlmodel import select
from temporalio.api.common.v1 import Payloads
from visibility_support import secrets_in, stored_history

from dccflow.config import Settings
from dccflow.db import get_engine, session_scope
from dccflow.domain.ids import normalise_eui64
from dccflow.duis.messages import request_from_element
from dccflow.duis.schema import secure_parse
from dccflow_app.codec import ENCODING, SecretsCodec, load_key
from dccflow_app.codec_server import codec_app
from dccflow_app.embedded import connect, start_dev_server
from dccflow_app.scenarios.runner import run_scenario
from dccsim.models import RequestLogEntry
from dccsim.processing import dcc_workflow_id
from devices.premises import install_code
from worker import run_workers


class Run:
    def __init__(self, env, report, data_dir: Path, workflows: list):
        self.env, self.report, self.data_dir, self.workflows = env, report, data_dir, workflows

    def device(self, device_type: str) -> str:
        return next(d.device_id for d in self.report.devices if d.device_type == device_type)


@pytest.fixture(scope="module")
async def dev_run(tmp_path_factory):
    """install-commission-electricity on the dev server, in real time (≈20 s): its workflows all finished."""
    data_dir = tmp_path_factory.mktemp("visibility")
    port, ui_port = free_ports(2)
    env = await start_dev_server(data_dir, port=port, ui_port=ui_port)
    try:
        stop = asyncio.Event()
        workers = asyncio.ensure_future(run_workers(env.client, Settings(data_dir=data_dir), stop))
        try:
            report = await asyncio.wait_for(run_scenario(env.client, "install-commission-electricity"), 240)
            # the fleet's and the DCC's workflows end shortly after the process: wait until nothing runs
            for _ in range(100):
                running = [w async for w in env.client.list_workflows("ExecutionStatus = 'Running'")]
                if not running:
                    break
                await asyncio.sleep(0.2)
            workflows = [w async for w in env.client.list_workflows("")]
            yield Run(env, report, data_dir, workflows)
        finally:
            stop.set()
            await workers
    finally:
        with contextlib.suppress(Exception):
            await env.shutdown()


async def _found(client, query: str, at_least: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for _ in range(50):  # visibility is eventually consistent
        found = {w.id: w.workflow_type async for w in client.list_workflows(query)}
        if at_least <= set(found):
            break
        await asyncio.sleep(0.1)
    return found


async def test_a_devices_whole_story_is_found_by_its_id(dev_run):
    assert dev_run.report.end == "end_sms_enrolled"
    esme, chf = dev_run.device("ESME"), dev_run.device("CHF")
    engine = get_engine(Settings(data_dir=dev_run.data_dir).db_url)
    with session_scope(engine) as s:
        entries = s.exec(select(RequestLogEntry)).all()
        # the DCC's workflows for every Device request that targets the ESME or names it (8.11 adds it to the CHF)
        about_esme = {dcc_workflow_id(e.request_id) for e in entries if e.processing != "non-device" and (
            e.target == esme or esme in str(request_from_element(secure_parse(e.xml)).body))}
    assert len(about_esme) >= 3  # 8.11 (target: the CHF), 8.1.1 and 6.20.1 (target: the ESME)
    expected = {dev_run.report.workflow_id, *about_esme}
    found = await _found(dev_run.env.client, f"DeviceIds = '{esme}'", expected)
    assert expected <= set(found)
    assert found[dev_run.report.workflow_id] == "InstallCommission"
    # and the fleet's own workflow: the ESME's HAN join completing on a durable timer
    assert "DeviceTimer" in found.values()
    add_esme = dcc_workflow_id(next(e.request_id for e in entries if e.srv == "8.11"))
    assert add_esme in found  # its target is the CHF; the ESME is named in its body
    # the CHF's story: the process and the requests sent to the CHF (8.14.1 is Non-Device: no DCC workflow)
    to_chf = {dcc_workflow_id(e.request_id) for e in entries if e.target == chf and e.processing != "non-device"}
    assert add_esme in to_chf
    expected_chf = {dev_run.report.workflow_id, *to_chf}
    assert expected_chf <= set(await _found(dev_run.env.client, f"DeviceIds = '{chf}'", expected_chf))


async def test_device_ids_are_in_one_form_everywhere(dev_run):
    tagged = 0
    for w in dev_run.workflows:
        attrs = {k.name: v for k, v in w.typed_search_attributes}
        for device_id in attrs.get("DeviceIds", []):
            assert device_id == normalise_eui64(device_id), (w.id, device_id)
        tagged += bool(attrs.get("DeviceIds"))
    # every workflow of the run but the scenario harness itself concerns a device and says which
    untagged = [(w.workflow_type, w.id) for w in dev_run.workflows
                if not {k.name: v for k, v in w.typed_search_attributes}.get("DeviceIds")]
    assert [t for t, _ in untagged] == ["Scenario"], untagged
    assert tagged == len(dev_run.workflows) - 1


async def test_no_install_code_or_private_key_in_any_history(dev_run):
    code = install_code(dev_run.device("ESME"))
    secrets = [code.encode(), code.lower().encode(), code.upper().encode(), bytes.fromhex(code),
               base64.b64encode(bytes.fromhex(code)), b"PRIVATE KEY"]
    encrypted = 0
    for w in dev_run.workflows:
        stored = await stored_history(dev_run.env.client.get_workflow_handle(w.id, run_id=w.run_id))
        for secret in secrets:
            assert secret not in stored, (w.id, secret)
        assert secrets_in(stored) == [], w.id
        encrypted += stored.count(ENCODING)
    assert encrypted  # the install code was there: encrypted, not dropped


async def test_the_web_ui_codec_endpoint_shows_the_payloads_decoded(dev_run):
    code = install_code(dev_run.device("ESME"))
    handle = dev_run.env.client.get_workflow_handle(dev_run.report.workflow_id)
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes.input
    assert started.payloads[0].metadata["encoding"] == ENCODING
    key = load_key(dev_run.data_dir, create=False)
    assert key is not None and (dev_run.data_dir / "codec.key").stat().st_mode & 0o777 == 0o600
    ui = "http://127.0.0.1:8233"
    body = json_format.MessageToJson(started)

    def endpoint(codec_key: bytes) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=codec_app(SecretsCodec(codec_key), ui)),
                                 base_url="http://codec")

    async with endpoint(key) as client:
        reply = await client.post("/decode", content=body, headers={"Origin": ui})
        assert reply.status_code == 200 and reply.headers["access-control-allow-origin"] == ui
        decoded = json_format.Parse(reply.content, Payloads())
        assert code.encode() in decoded.payloads[0].data
        # a page from elsewhere gets no CORS grant
        elsewhere = await client.post("/decode", content=body, headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in elsewhere.headers
    async with endpoint(b"\x01" * 32) as client:  # a wrong key decodes nothing
        other = await client.post("/decode", content=body)
    assert other.status_code == 400 and "codec key" in other.text
    # readable payloads stay readable in the UI: the scenario's own input names the scenario in clear
    scenario = next(w for w in dev_run.workflows if w.workflow_type == "Scenario")
    first = (await dev_run.env.client.get_workflow_handle(scenario.id).fetch_history()).events[0]
    plain = first.workflow_execution_started_event_attributes.input.payloads[0]
    assert plain.metadata["encoding"] == b"json/plain" and b"install-commission-electricity" in plain.data


async def test_a_client_without_the_key_still_runs_scenarios(dev_run, tmp_path, monkeypatch):
    """`dccflow run --address` from a folder without the stack's key: it sends and reads nothing secret."""
    monkeypatch.delenv("DCCFLOW_CODEC_KEY", raising=False)
    client = await connect(dev_run.env.client.service_client.config.target_host, data_dir=tmp_path)
    report = await asyncio.wait_for(run_scenario(client, "install-commission-electricity", ["no-wan"]), 60)
    assert report.end == "end_install_and_leave"  # as with the key: the CH found no SM WAN
    assert not (tmp_path / "codec.key").exists()  # a client never makes a key of its own
