"""Timed device behaviour on durable Temporal timers (time-skipping test server): late joins, a slow SM WAN
whose response comes back later by signal, CH mains outage and restoration, the firmware OTA download; and the
device alerts reaching the Supplier through the real DCC."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import select
from temporalio import workflow
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from dccflow.db import session_scope
from dccflow.domain.alerts import DeviceAlert
from dccflow.messages import GbcsCommand, GbcsResponse
from dccflow_app.scenarios.runner import run_scenario
from dccsim.models import DeliveredMessage
from devices.builder import build_premises
from devices.wan import ReplyTo

IS = "90-B3-D5-1F-30-01-00-00"


@workflow.defn(name="TestAwaitGbcsResponse")
class AwaitResponse:
    """Stands where a DCC workflow would: waits for the device's response to be signalled."""

    def __init__(self) -> None:
        self.response: GbcsResponse | None = None
        self.received_at = None

    @workflow.signal(name="gbcs_response")
    def gbcs_response(self, response: GbcsResponse) -> None:
        self.response, self.received_at = response, workflow.now()

    @workflow.run
    async def run(self) -> list:
        started = workflow.now()
        await workflow.wait_condition(lambda: self.response is not None, timeout=timedelta(hours=3))
        return [self.response.model_dump(mode="json"), (self.received_at - started).total_seconds()]


def _command(use_case: str, target: str, counter: int, **params) -> GbcsCommand:
    return GbcsCommand(use_case=use_case, target=target, originator=IS, request_id=f"{IS}:{target}:{counter}",
                       params=params)


async def _premises(stack, number: int = 501):
    now = await stack.env.get_current_time()
    ids = build_premises(stack.runtime.engine, number, now)
    return ids


async def _wait(stack, workflow_id: str, upto: timedelta) -> None:
    """Let virtual time pass (time skipping), then the device workflow must have finished."""
    await stack.env.sleep(upto)
    await stack.client.get_workflow_handle(workflow_id).result()


def _device_alerts(stack, device_id: str) -> list[tuple[int, str]]:
    with session_scope(stack.runtime.engine) as s:
        rows = s.exec(select(DeliveredMessage).where(DeliveredMessage.kind == "device_alert",
                                                     DeliveredMessage.device_id == device_id)).all()
    return [(r.device_alert_code, r.recipient) for r in rows]


async def test_install_and_commission_delivers_the_meter_alerts_to_the_supplier(stack):
    report = await run_scenario(stack.client, "install-commission-electricity")
    esme = next(d.device_id for d in report.devices if d.device_type == "ESME")
    alerts = _device_alerts(stack, esme)
    assert (DeviceAlert.DEVICE_JOINED_SMHAN, IS) in alerts
    assert (DeviceAlert.DEVICE_COMMISSIONED, IS) in alerts  # BAD 7.2.1.6.7: Supplier cert in the Supplier cell
    # 'Commission Device' reached the ESME as the User's Signed Pre-Command, checked against its Supplier cell
    meter = stack.runtime.fleet.get(esme)
    assert meter.clock is not None and IS in meter.counters


async def test_join_after_n_minutes(stack):
    wan, fleet = stack.runtime.wan, stack.runtime.fleet
    ids = await _premises(stack)
    fleet.set_fault(ids.esme_id, "join-delay", 45)
    start = await stack.env.get_current_time()
    await wan.power_up_ch(ids.chf_id, start)
    await wan.install_device(ids.esme_id, start)
    code = fleet.get(ids.esme_id).install_code
    ccs01 = _command("CCS01", ids.chf_id, 10, device_id=ids.esme_id, device_type="ESME", install_code=code)
    delivery = await wan.dispatch_command(ccs01, start)
    assert delivery.status == "responded" and delivery.response.success
    assert not fleet.get(ids.esme_id).han_joined
    from devices.han import join_workflow_id

    await _wait(stack, join_workflow_id(ids.chf_id, ids.esme_id, start), timedelta(minutes=46))
    esme = fleet.get(ids.esme_id)
    assert esme.han_joined
    from datetime import datetime

    joined_at = datetime.fromisoformat(esme.links[ids.chf_id]["at"])
    assert joined_at - start >= timedelta(minutes=45)


async def test_slow_wan_response_arrives_later_by_signal(stack):
    wan, fleet = stack.runtime.wan, stack.runtime.fleet
    ids = await _premises(stack, 502)
    now = await stack.env.get_current_time()
    await wan.power_up_ch(ids.chf_id, now)
    fleet.set_fault(ids.chf_id, "slow-wan", 20)
    waiter_id = f"await-{uuid.uuid4().hex[:6]}"
    async with Worker(stack.client, task_queue="test-fleet", workflows=[AwaitResponse],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        handle = await stack.client.start_workflow(AwaitResponse.run, id=waiter_id, task_queue="test-fleet")
        cmd = _command("CCS01", ids.chf_id, 11, device_id=ids.esme_id, device_type="ESME", install_code="00" * 16)
        delivery = await wan.dispatch_command(cmd, now, ReplyTo(workflow_id=waiter_id))
        assert delivery.status == "in-transit" and delivery.response is None and delivery.delay_seconds == 1200
        assert fleet.get(ids.chf_id).device_log == []  # not there yet
        response, waited = await handle.result()
    assert response["success"] and response["use_case"] == "CCS01"
    assert waited >= 1200
    assert [e["device_id"] for e in fleet.get(ids.chf_id).device_log] == [ids.esme_id]
    # the synchronous form reports nothing for a command in transit
    assert await wan.deliver_command(_command("CS07", ids.chf_id, 12), now) is None


async def test_undeliverable_without_wan(stack):
    ids = await _premises(stack, 503)
    stack.runtime.fleet.set_fault(ids.chf_id, "no-wan")
    now = await stack.env.get_current_time()
    assert not await stack.runtime.wan.power_up_ch(ids.chf_id, now)
    delivery = await stack.runtime.wan.dispatch_command(_command("CS07", ids.chf_id, 1), now)
    assert delivery.status == "undeliverable"


async def test_power_loss_and_restore(stack):
    report = await run_scenario(stack.client, "install-commission-electricity")
    chf = next(d.device_id for d in report.devices if d.device_type == "CHF")
    esme = next(d.device_id for d in report.devices if d.device_type == "ESME")
    heard = []

    async def on_chf_power_event(event):  # what the DCC's WAN side hears (AD1 is the DCC's to raise)
        heard.append((event.state, event.chf_id))

    stack.runtime.dcc.on_chf_power_event = on_chf_power_event
    wan, fleet = stack.runtime.wan, stack.runtime.fleet
    now = await stack.env.get_current_time()
    await wan.set_fault(chf, "power-loss", 7, at=now)
    assert heard == [("lost", chf)]
    assert fleet.get(esme).power_lost_at is not None and not fleet.route(esme).reachable
    assert (await wan.dispatch_command(_command("CS07", chf, 10**6), now)).status == "undeliverable"
    restore = f"device-power-restore-{chf}-{int(now.timestamp())}"
    await _wait(stack, restore, timedelta(minutes=8))
    assert heard == [("lost", chf), ("restored", chf)]
    assert fleet.route(esme).reachable and fleet.get(chf).wan_connected
    assert (DeviceAlert.SUPPLY_OUTAGE_RESTORED_OUTAGE_3_MINUTES, IS) in _device_alerts(stack, esme)


async def test_firmware_download_runs_on_a_durable_timer(stack):
    import base64
    import hashlib

    from devices.signing import sign_command

    report = await run_scenario(stack.client, "install-commission-electricity")
    esme = next(d.device_id for d in report.devices if d.device_type == "ESME")
    image = b"firmware image" * 100
    cmd = sign_command(_command("UpdateFirmware", esme, 10**6, image_b64=base64.b64encode(image).decode(),
                                firmware_version="3.1", image_hash=hashlib.sha256(image).hexdigest()),
                       stack.runtime.keys.get(IS))
    now = await stack.env.get_current_time()
    delivery = await stack.runtime.wan.dispatch_command(cmd, now)
    assert delivery.response.success
    await _wait(stack, f"device-firmware-download-{esme}-{10**6}", timedelta(minutes=11))
    assert stack.runtime.fleet.get(esme).firmware_state == "STORED_VERIFIED"
    assert (DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS, IS) in _device_alerts(stack, esme)
