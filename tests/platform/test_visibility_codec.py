"""The payload codec (``dccflow_app.codec``): secrets encrypted, everything else and older histories passed through,
the key's sources and their errors; and the child workflows tagged with the devices they concern."""

from __future__ import annotations

import base64
import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from visibility_support import secrets_in, stored_history

from dccflow.config import USER_TASK_QUEUE, ConfigurationError
from dccflow.db import session_scope
from dccflow_app.codec import ENCODING, KEY_ENV, SecretsCodec, data_converter, is_sensitive, load_key, new_key_text
from dccflow_app.scenarios.harness import HarnessActivities, ScenarioRequest
from dccflow_app.scenarios.runner import run_scenario
from dccsim.models import RequestLogEntry
from dccsim.power import power_outage_workflow_id
from workflows import USER_WORKFLOWS
from workflows.han_device_join import han_device_join_workflow_id
from workflows.install_commission import (
    InstallCommissionInput,
    InstallCommissionWorkflow,
    install_commission_workflow_id,
)
from workflows.post_commissioning import post_commissioning_workflow_id

HISTORIES = Path(__file__).parents[1] / "histories"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"


def _json(data: bytes) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


async def test_only_payloads_carrying_secrets_are_encrypted_and_they_round_trip():
    codec = SecretsCodec(os.urandom(32))
    secret = _json(b'{"device_id":"00-DB-12-03-00-00-00-01","esme_install_code":"0123456789ABCDEF0123"}')
    xml = Payload(metadata={"encoding": b"binary/plain"}, data=b"<sr:InstallCode>0123456789AB</sr:InstallCode>")
    plain = _json(b'{"scenario":"install-commission-electricity"}')
    encoded = await codec.encode([secret, xml, plain])
    assert [p.metadata["encoding"] for p in encoded] == [ENCODING, ENCODING, b"json/plain"]
    assert all(b"0123456789AB" not in p.data for p in encoded[:2])
    assert encoded[2] == plain
    assert await codec.decode(encoded) == [secret, xml, plain]


async def test_a_payload_it_did_not_encode_is_passed_through_and_a_foreign_one_is_refused():
    plain = _json(b'{"install_code":"00"}')  # as in histories recorded before the codec
    assert await SecretsCodec(os.urandom(32)).decode([plain]) == [plain]
    sealed = await SecretsCodec(os.urandom(32)).encode([plain])
    with pytest.raises(ConfigurationError, match="codec key .* does not hold"):
        await SecretsCodec(os.urandom(32)).decode(sealed)
    with pytest.raises(ConfigurationError, match="no codec key is set"):
        await SecretsCodec(None).encode([plain])


async def test_recorded_histories_replay_through_the_codec():
    history = WorkflowHistory.from_json("happy", (HISTORIES / "install_commission_happy.json").read_text())
    replayer = Replayer(workflows=USER_WORKFLOWS, data_converter=data_converter(os.urandom(32)))
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def test_key_file_is_made_private_and_env_key_wins(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert load_key(tmp_path, create=False) is None
    key = load_key(tmp_path, create=True)
    assert len(key) == 32 and (tmp_path / "codec.key").stat().st_mode & 0o777 == 0o600
    assert load_key(tmp_path, create=True) == key  # the same key on every start
    (tmp_path / "codec.key").chmod(0o644)
    with pytest.raises(ConfigurationError, match="readable by others .* chmod 600"):
        load_key(tmp_path, create=False)
    text = new_key_text()
    monkeypatch.setenv(KEY_ENV, text)
    assert load_key(tmp_path, create=True) != key and len(load_key(None, create=False)) == 32
    monkeypatch.setenv(KEY_ENV, "not-a-key")
    with pytest.raises(ConfigurationError, match=f"{KEY_ENV} must be a 32-byte key"):
        load_key(tmp_path, create=True)


async def _attrs(stack, workflow_id: str) -> dict:
    desc = await stack.client.get_workflow_handle(workflow_id).describe()
    return {k.name: v for k, v in desc.typed_search_attributes}


async def test_han_device_join_children_carry_their_devices(stack):
    report = await run_scenario(stack.client, "install-commission-ppmid-ihd")
    assert report.expected_end_reached
    chf = next(d.device_id for d in report.devices if d.device_type == "CHF")
    for device in (d for d in report.devices if d.device_type in ("PPMID", "IHD")):
        attrs = await _attrs(stack, han_device_join_workflow_id(device.device_id))
        assert attrs["BadProcess"] == "han_device_join"
        assert {device.device_id, chf} <= set(attrs["DeviceIds"])


async def test_post_commissioning_children_carry_their_device_and_mpxn(stack):
    report = await run_scenario(stack.client, "post-commissioning-met")
    assert report.expected_end_reached
    esme = next(d.device_id for d in report.devices if d.device_type == "ESME")
    attrs = await _attrs(stack, post_commissioning_workflow_id(esme))
    assert attrs["BadProcess"] == "post_commissioning" and esme in attrs["DeviceIds"]
    process = await _attrs(stack, report.workflow_id)
    assert attrs["Mpxns"] == process["Mpxns"][:1]


async def test_a_command_on_a_slow_wan_is_tagged_with_its_devices_and_its_install_code_sealed(stack):
    """The CHF's CCS01 (adding the ESME to its Device Log, SRV 8.11) waits 10 minutes on the SM WAN in a fleet
    workflow: found by the CHF and by the ESME, and the install code it carries is not in its history."""
    premises = await HarnessActivities(stack.runtime).scenario_provision(
        ScenarioRequest(scenario="install-commission-electricity"))
    await stack.runtime.wan.set_fault(premises.chf_id, "slow-wan", 10)
    result = await stack.client.execute_workflow(
        InstallCommissionWorkflow.run, InstallCommissionInput(premises=premises, supplier_id=SUPPLIER),
        id=install_commission_workflow_id(premises.chf_id), task_queue=USER_TASK_QUEUE)
    assert result.outcome == "completed", result.reason
    with session_scope(stack.runtime.engine) as s:
        request_id = s.exec(select(RequestLogEntry.request_id).where(RequestLogEntry.srv == "8.11")).one()
    handle = stack.client.get_workflow_handle(f"wan-delivery-{request_id}-CCS01")
    attrs = {k.name: v for k, v in (await handle.describe()).typed_search_attributes}
    assert attrs["BadProcess"] == "wan_delivery"
    assert attrs["DeviceIds"] == [premises.chf_id, premises.esme_id]
    stored = await stored_history(handle)
    assert premises.esme_install_code.encode() not in stored and secrets_in(stored) == [] and ENCODING in stored


async def test_the_dccs_power_outage_watch_is_found_by_the_ch(stack):
    report = await run_scenario(stack.client, "install-commission-electricity")
    chf = report.devices[0].device_id
    started = await stack.env.get_current_time()
    with stack.env.auto_time_skipping_disabled():
        await stack.runtime.wan.set_fault(chf, "power-loss", 5, at=started)
        await stack.env.sleep(timedelta(minutes=3, seconds=10))
        handle = stack.client.get_workflow_handle(power_outage_workflow_id(chf, started))
        assert await handle.result() == "AD1"
    attrs = {k.name: v for k, v in (await handle.describe()).typed_search_attributes}
    assert attrs["BadProcess"] == "dcc_power_outage" and attrs["DeviceIds"] == [chf]


async def test_dccflow_ups_codec_endpoint_answers_the_web_ui_by_either_loopback_name(tmp_path, monkeypatch):
    import httpx
    from google.protobuf import json_format
    from temporalio.api.common.v1 import Payloads

    from dccflow_app.codec_server import start_codec_endpoint

    monkeypatch.delenv(KEY_ENV, raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        ui_port = s.getsockname()[1] - 1
    server = await start_codec_endpoint(tmp_path, ui_port)
    try:
        sealed = await SecretsCodec(load_key(tmp_path, create=False)).encode([_json(b'{"install_code":"AB"}')])
        body = json_format.MessageToJson(Payloads(payloads=sealed))
        async with httpx.AsyncClient() as client:
            for host in ("localhost", "127.0.0.1"):
                reply = await client.post(f"{server.url}/decode", content=body,
                                          headers={"Origin": f"http://{host}:{ui_port}", "X-Namespace": "default"})
                assert reply.headers["access-control-allow-origin"] == f"http://{host}:{ui_port}"
                assert json_format.Parse(reply.content, Payloads()).payloads[0].data == b'{"install_code":"AB"}'
    finally:
        await server.stop()


async def test_install_and_leave_local_commands_do_not_show_install_codes(stack):
    """Install and Leave gets each 8.11 Command back for local delivery, base64-encoded in the DUIS Response
    (``LocalCommand/GBCSPayload``) with the HHT's, the ESME's and the GSME's install codes inside."""
    report = await run_scenario(stack.client, "install-and-leave-handover")
    assert report.end == "end_sms_enrolled"
    stored = await stored_history(stack.client.get_workflow_handle(report.workflow_id))
    assert b"LocalCommand" in stored  # the readable parts of the Responses stay readable
    assert secrets_in(stored) == []


def test_a_secret_is_found_however_base64_aligns_it():
    for prefix in range(6):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            assert is_sensitive(encode(os.urandom(prefix) + b'{"params":{"install_code":"0011"}}'))
    assert not is_sensitive(b'{"scenario":"install-commission-electricity","faults":[]}')


async def test_a_codec_key_problem_on_connect_is_named_as_such(tmp_path, monkeypatch) -> None:
    from dccflow.config import ConfigurationError
    from dccflow_app.preflight import connect_to

    monkeypatch.setenv("DCCFLOW_CODEC_KEY", "not-a-key")
    with pytest.raises(ConfigurationError, match="DCCFLOW_CODEC_KEY must be a 32-byte key"):
        await connect_to("127.0.0.1:1", timeout=5)
