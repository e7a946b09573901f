"""Manage Firmware at the DCC boundary (BAD 7.5.3.6.2-7.5.3.6.6; digest 03 §F.3-F.7, F.12): 11.1's own checks
(N18-N21, the per-Device warning lists, N22) and distribution of the image to each Device that passed; 11.3 as a
Critical request whose CS06 Response updates the SMI (and restores a suspended Device, N29); the meter's 0x00CA
doing the same for a future-dated activation; 11.2 read without touching the SMI."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from dcc_support import (
    CHF,
    ESME,
    SUPPLIER_A,
    SUPPLIER_B,
    RecordingWan,
    delivered,
    now,
    premises,
    request_id,
    signed_request,
    use_recording_wan,
    valid_and_signed_by_dcc,
)
from life_support import alerts, smi
from test_dcc_critical import outbox_entry, wait_for

from dccflow.db import session_scope
from dccflow.domain.alerts import FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccflow.firmware_image import OtaHeader, build, parse
from dccflow.messages import DeviceAlertEvent, GbcsResponse
from dccflow.parties import DCC_ID
from dccsim.handlers.firmware import FIRMWARE_IMAGE_LIMIT
from dccsim.inventory import Inventory
from dccsim.suspension import DeviceModel, _set_entry, _suspend
from devices.wan import WanDelivery

OTHER_ESME = "00-DB-12-03-00-00-09-03"
PAYLOAD = bytes(range(256)) * 16
SIGNER = ec.generate_private_key(ec.SECP256R1())


def image(version: str = "2.0", payload: bytes = PAYLOAD, model: str = "010A030B") -> bytes:
    return build(OtaHeader(manufacturer="AB01", model=model, firmware_version=version), payload, SIGNER)


def listed(rt, version: str = "2.0", img: bytes | None = None) -> str:
    """The Device Model AB01 / 010A030B at ``version``, with its image's Hash, is 'current' on the CPL."""
    digest = parse(img or image(version)).hash
    with session_scope(rt.engine) as s:
        _set_entry(s, DeviceModel(manufacturer="AB01", model="010A030B", firmware_version=version,
                                  image_hash=digest), "current", now())
        Inventory(s).get(ESME).firmware_version = "1.0"
    return digest


async def update_firmware(stack, img: bytes, version: str, devices: list[str], counter: int = 40):
    rt = stack.runtime
    xml = signed_request(rt, SUPPLIER_A, "11.1", DCC_ID, counter, firmware_image=img, firmware_version=version,
                         device_ids=devices)
    reply = await rt.dcc.submit(xml, now())
    assert reply.outcome == "accepted", reply
    rid = request_id(SUPPLIER_A, DCC_ID, counter)
    rows = await wait_for(lambda: delivered(rt, kind="service_response", request_id=rid))
    return valid_and_signed_by_dcc(rows[0].xml)


async def test_update_firmware_distributes_to_the_devices_that_pass_and_lists_the_others(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    with session_scope(rt.engine) as s:  # a second ESME of another model, and the CHF (not a Smart Meter)
        Inventory(s).add(OTHER_ESME, DeviceType.ESME, SmiStatus.PENDING, now(), chf_id=CHF, reason="test",
                         added_by=SUPPLIER_A, manufacturer="AB01", model="OTHER")
    digest = listed(rt)
    wan = use_recording_wan(rt)
    img = image()
    response = await update_firmware(stack, img, "2.0", [ESME, OTHER_ESME, CHF])
    assert response.response_code == "I0"
    warning = response.body["DSPUpdateFirmwareWarning"]
    assert warning == {"InvalidDeviceIDList": CHF, "NotCommissionedDeviceIDList": OTHER_ESME}
    (command,) = wan.commands  # the ESME only, carrying the image and the Manufacturer Image's Hash
    assert command.use_case == "UpdateFirmware" and command.target == ESME
    assert base64.b64decode(command.params["image_b64"]) == img and command.params["image_hash"] == digest
    assert delivered(rt, kind="dcc_alert") == []


async def test_another_suppliers_meter_is_listed_as_invalid(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    listed(rt)
    wan = use_recording_wan(rt)
    xml = signed_request(rt, SUPPLIER_B, "11.1", DCC_ID, 45, firmware_image=image(), firmware_version="2.0",
                         device_ids=[ESME])
    assert (await rt.dcc.submit(xml, now())).outcome == "accepted"
    rows = await wait_for(lambda: delivered(rt, kind="service_response",
                                            request_id=request_id(SUPPLIER_B, DCC_ID, 45)))
    response = valid_and_signed_by_dcc(rows[0].xml)
    assert response.body["DSPUpdateFirmwareWarning"] == {"InvalidDeviceIDList": ESME} and wan.commands == []


async def test_a_meter_of_another_model_is_listed_and_n19_sent_when_none_applies(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    with session_scope(rt.engine) as s:
        Inventory(s).get(ESME).model = "OTHER"
    listed(rt)
    wan = use_recording_wan(rt)
    response = await update_firmware(stack, image(), "2.0", [ESME])
    assert response.response_code == "E110101"
    assert wan.commands == [] and set(alerts(rt, "N19")) == {SUPPLIER_A}


async def test_unknown_hash_is_n18_and_an_unknown_version_n21(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    listed(rt)
    wan = use_recording_wan(rt)
    tampered = image(payload=PAYLOAD[:-1] + b"\x00")
    assert (await update_firmware(stack, tampered, "2.0", [ESME], 41)).response_code == "E110101"
    assert set(alerts(rt, "N18")) == {SUPPLIER_A}
    assert (await update_firmware(stack, image(), "2.1", [ESME], 42)).response_code == "E110101"
    assert set(alerts(rt, "N21")) == {SUPPLIER_A} and wan.commands == []


async def test_an_image_over_750_kb_is_n20_and_one_at_the_limit_is_distributed(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    wan = use_recording_wan(rt)
    overhead = len(image(payload=b"\xAA" * 700_000)) - 700_000  # header (six-digit size) and signature
    at_limit = image(payload=b"\xAA" * (FIRMWARE_IMAGE_LIMIT - overhead))
    assert len(at_limit) == FIRMWARE_IMAGE_LIMIT
    listed(rt, img=at_limit)
    assert (await update_firmware(stack, at_limit, "2.0", [ESME], 43)).response_code == "I0"
    assert len(wan.commands) == 1
    over = image(payload=b"\xAA" * (FIRMWARE_IMAGE_LIMIT - overhead + 1))
    assert (await update_firmware(stack, over, "2.0", [ESME], 44)).response_code == "E110101"
    assert set(alerts(rt, "N20")) == {SUPPLIER_A} and len(wan.commands) == 1


async def watch(stack, counter: int = 40) -> str:
    """The DCC's watch of the 11.1's distribution to the ESME, run to its end (time skipped)."""
    from dccsim.firmware_distribution import distribution_workflow_id

    wf_id = distribution_workflow_id(request_id(SUPPLIER_A, DCC_ID, counter), ESME)
    async with stack.env.time_skipping_unlocked():
        return await stack.client.get_workflow_handle(wf_id, result_type=str).result()


def distribution(rt, counter: int = 40):
    from dccsim.firmware_records import FirmwareDistribution

    with session_scope(rt.engine) as s:
        return s.get(FirmwareDistribution, (request_id(SUPPLIER_A, DCC_ID, counter), ESME))


async def test_a_ch_that_never_acknowledges_is_tried_again_then_n22(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    listed(rt)
    wan = use_recording_wan(rt, answer=False)  # the CH does not acknowledge the image
    assert (await update_firmware(stack, image(), "2.0", [ESME])).response_code == "I0"
    assert alerts(rt, "N22") == {}  # not yet: the DCC tries again first
    assert await watch(stack) == "N22"
    config = rt.dcc.config
    assert len(wan.commands) == 1 + config.firmware_redelivery_attempts
    (n22,) = delivered(rt, kind="dcc_alert", dcc_alert_code="N22")
    record = distribution(rt)
    assert record.attempts == len(wan.commands) and record.delivered_at is None and record.alert == "N22"
    waited = (record.alert_at - record.started_at).total_seconds()
    assert waited >= (config.firmware_redelivery_period * config.firmware_redelivery_attempts).total_seconds()
    assert n22.request_id == request_id(SUPPLIER_A, DCC_ID, 40) and set(alerts(rt, "N22")) == {SUPPLIER_A}


class ComesBackWan(RecordingWan):
    """The CH is off the SM WAN for the first Command; then it takes the image and the meter's Firmware
    Distribution Receipt follows (the CH's download-complete Response reaching the DCC)."""

    def __init__(self, rt):
        super().__init__(answer=False)
        self.rt = rt

    async def dispatch_command(self, command, at, reply_to=None):
        delivery = await super().dispatch_command(command, at, reply_to)
        if not self.answer:
            self.answer = True
            return WanDelivery(status="undeliverable")
        receipt = DeviceAlertEvent(device_id=command.target, alert_code=0x8F72, at=at, detail={})
        asyncio.get_running_loop().create_task(self.rt.dcc.receive_device_alert(receipt))
        return delivery


async def test_a_ch_back_on_the_wan_gets_the_image_on_a_later_attempt(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    listed(rt)
    wan = ComesBackWan(rt)
    rt.dcc.wan = wan
    assert (await update_firmware(stack, image(), "2.0", [ESME])).response_code == "I0"
    assert await watch(stack) == "download complete"
    assert len(wan.commands) == 2  # the first not acknowledged (off the SM WAN), the second taken
    assert alerts(rt, "N22") == {} and alerts(rt, "N23") == {}
    record = distribution(rt)
    period = rt.dcc.config.firmware_redelivery_period
    assert record.attempts == 2 and period <= record.delivered_at - record.started_at < 2 * period
    assert record.download_completed_at is not None and record.alert is None


async def test_no_download_complete_response_is_n23(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    listed(rt)
    use_recording_wan(rt)  # the CH acknowledges; the meter never reports the download (no receipt)
    assert (await update_firmware(stack, image(), "2.0", [ESME])).response_code == "I0"
    assert await watch(stack) == "N23"
    record = distribution(rt)
    assert record.alert_at - record.delivered_at >= rt.dcc.config.firmware_download_watch
    assert set(alerts(rt, "N23")) == {SUPPLIER_A} and alerts(rt, "N22") == {}


class FirmwareWan:
    """Answers CS06 as a meter does: activated (version 2.0), or stored for its execution date-time."""

    def __init__(self):
        self.commands = []

    async def dispatch_command(self, command, at, reply_to=None):
        from devices.wan import WanDelivery

        self.commands.append(command)
        params = ({"stage": "validated and stored for activation"} if command.params.get("execution_datetime")
                  else {"firmware_version": "2.0"})
        return WanDelivery(status="responded", response=GbcsResponse(
            use_case=command.use_case, device_id=command.target, success=True, params=params))


async def activate(stack, digest: str, counter: int, **extra) -> str:
    rt = stack.runtime
    sr = signed_request(rt, SUPPLIER_A, "11.3", ESME, counter, firmware_hash=digest, **extra)
    reply = await rt.dcc.submit(sr, now())
    assert reply.outcome == "accepted" and reply.code == "I0", reply  # the Pre-Command (Critical)
    spc = rt.duis_client.signed_pre_command(outbox_entry(sr), reply.xml, now())
    assert (await rt.dcc.submit(spc, now())).code == "I99"
    rid = request_id(SUPPLIER_A, ESME, counter)
    rows = await wait_for(lambda: delivered(rt, kind="service_response", request_id=rid))
    return valid_and_signed_by_dcc(rows[0].xml).response_code


async def test_activation_updates_the_smi_and_restores_a_suspended_meter(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    digest = listed(rt)
    with session_scope(rt.engine) as s:
        _suspend(s, Inventory(s).get(ESME), now(), "test: model removed from the CPL")
    wan = FirmwareWan()
    rt.dcc.wan = wan
    assert await activate(stack, digest, 50) == "I0"
    (command,) = wan.commands
    assert command.use_case == "CS06" and command.params["firmware_hash"] == digest
    assert command.signature is not None  # the Supplier's, from the Signed Pre-Command
    assert smi(rt, ESME)[0] == SmiStatus.COMMISSIONED
    with session_scope(rt.engine) as s:
        assert Inventory(s).get(ESME).firmware_version == "2.0"
    assert SUPPLIER_A in alerts(rt, "N29")


async def test_future_dated_activation_is_sent_at_once_and_the_0x00ca_alert_updates_the_smi(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    digest = listed(rt)
    wan = FirmwareWan()
    rt.dcc.wan = wan
    assert await activate(stack, digest, 51, execution_datetime=now() + timedelta(days=2)) == "I0"
    assert len(wan.commands) == 1  # not held by the DCC: the meter stores the CS06 (BAD 7.5.3.6.3)
    with session_scope(rt.engine) as s:
        assert Inventory(s).get(ESME).firmware_version == "1.0"
    await rt.dcc.receive_device_alert(DeviceAlertEvent(
        device_id=ESME, alert_code=FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE, at=now(),
        detail={"success": True, "firmware_version": "2.0"}))
    with session_scope(rt.engine) as s:
        assert Inventory(s).get(ESME).firmware_version == "2.0"
    forwarded = delivered(rt, kind="device_alert", recipient=SUPPLIER_A)
    assert [r.device_alert_code for r in forwarded] == [FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE]


async def test_the_duis_3000_12_31_activation_cancels_and_is_not_refused_as_too_far_ahead(stack):
    from dccflow.firmware_image import ACTIVATION_CANCELLATION

    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    digest = listed(rt)
    wan = FirmwareWan()
    rt.dcc.wan = wan
    refused = signed_request(rt, SUPPLIER_A, "11.3", ESME, 52, firmware_hash=digest,
                             execution_datetime=now() + timedelta(days=31))
    assert (await rt.dcc.submit(refused, now())).outcome == "rejected"  # S3: over 30 days ahead (SEC H3.12)
    assert await activate(stack, digest, 53, execution_datetime=ACTIVATION_CANCELLATION) == "I0"
    (command,) = wan.commands  # sent at once: the cancellation is the meter's to apply
    assert command.use_case == "CS06" and command.params["execution_datetime"].startswith("3000-12-31")
    with session_scope(rt.engine) as s:
        assert Inventory(s).get(ESME).firmware_version == "1.0"


async def test_read_firmware_version_does_not_update_the_smi(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    listed(rt)
    wan = FirmwareWan()
    rt.dcc.wan = wan
    reply = await rt.dcc.submit(signed_request(rt, SUPPLIER_B, "11.2", ESME, 60), now())
    assert reply.outcome == "rejected"  # not an eligible User for this MPAN (AB 6.1(f))
    assert (await rt.dcc.submit(signed_request(rt, SUPPLIER_A, "11.2", ESME, 61), now())).outcome == "accepted"
    rows = await wait_for(lambda: delivered(rt, kind="service_response",
                                            request_id=request_id(SUPPLIER_A, ESME, 61)))
    assert valid_and_signed_by_dcc(rows[0].xml).response_code == "I0"
    assert wan.commands[0].use_case == "ECS52"
    with session_scope(rt.engine) as s:
        assert Inventory(s).get(ESME).firmware_version == "1.0"  # BAD 7.5.3.6.6


# -- Update CH Firmware: the DCC's own (BAD 7.5.3.6.5; AB 5.1-5.2) ------------------------------------------------
async def ch_upgrade(stack, **extra):
    from dccsim.ch_firmware import ChFirmwareInput, ChFirmwareResult, start_ch_firmware_upgrade
    from devices.anchors import ensure_dcc_anchor_credentials

    rt = stack.runtime
    ensure_dcc_anchor_credentials(rt.engine)  # as the fleet builder does before any CH exists
    wf_id = await start_ch_firmware_upgrade(rt.dcc, ChFirmwareInput(chf_id=CHF, to_version="4.0", **extra))
    async with stack.env.time_skipping_unlocked():
        return await stack.client.get_workflow_handle(wf_id, result_type=ChFirmwareResult).result()


class ChWan(FirmwareWan):
    async def dispatch_command(self, command, at, reply_to=None):
        delivery = await super().dispatch_command(command, at, reply_to)
        if command.use_case == "CS06":
            delivery.response.params["firmware_version"] = "4.0"
        return delivery

    async def deliver_command(self, command, at):
        return (await self.dispatch_command(command, at)).response


async def test_ch_firmware_is_signed_by_the_wan_provider_and_activated_after_seven_days_notice(stack):
    from dccflow.domain.roles import RemotePartyRole
    from devices.anchors import dcc_anchor_credential
    from devices.signing import SignatureCheck, check_signature

    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    with session_scope(rt.engine) as s:  # the CH's Model removed from the CPL: CHF and GPF suspended (H6.11)
        _set_entry(s, DeviceModel(manufacturer="DCCSIM", model="CHF"), "removed", now())
        _suspend(s, Inventory(s).get(CHF), now(), "test: CH model removed")
        _suspend(s, Inventory(s).get("00-DB-12-02-00-00-09-01"), now(), "test: with its CHF")
    wan = ChWan()
    rt.dcc.wan = wan
    result = await ch_upgrade(stack)
    assert result.outcome == "completed" and result.running_version == "4.0" and result.ab_5_2_met
    assert result.activated_at - result.notice_at >= timedelta(days=7)
    assert SUPPLIER_A in result.notified
    wan_provider = dcc_anchor_credential(rt.engine, RemotePartyRole.WAN_PROVIDER).cert
    assert [c.use_case for c in wan.commands] == ["UpdateFirmware", "CS06"]
    assert all(check_signature(c, [wan_provider])[0] == SignatureCheck.OK for c in wan.commands)
    with session_scope(rt.engine) as s:
        assert Inventory(s).get(CHF).firmware_version == "4.0"
    # each back to the status it held before the suspension (AC 7.3): the set-up's GPF was still 'pending'
    assert (smi(rt, CHF)[0], smi(rt, "00-DB-12-02-00-00-09-01")[0]) == (SmiStatus.COMMISSIONED, SmiStatus.PENDING)
    assert SUPPLIER_A in alerts(rt, "N29")


async def test_ch_firmware_not_on_the_cpl_is_not_distributed(stack):
    rt = stack.runtime
    premises(rt, esme_status=SmiStatus.COMMISSIONED)
    wan = ChWan()
    rt.dcc.wan = wan
    result = await ch_upgrade(stack, list_on_cpl=False, security_urgent=True)
    assert result.outcome == "failed" and "AB 5.1(d)" in result.reason and wan.commands == []
