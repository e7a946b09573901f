"""Update CH Firmware: the DCC's own upgrade of a Communications Hub (BAD 7.5.3.6.5; SEC AB 5.1-5.2; digest 03 §F.6).

No Service Request: the DCC starts it (``start_ch_firmware_upgrade``, a DCC operation; a scenario's world event or
a test calls it) and carries it in its durable workflow ``DccChFirmwareUpgradeWorkflow``:

1. AB 5.1: the DCC holds the release (the CH manufacturer's image and its signature over the image - no OTA Header
   is required) and the CPL details (manufacturer, model, version); it verifies the signature, computes the Hash
   itself and finds a 'current' CPL entry for the CH's Model with that Hash and version, else it stops;
2. it distributes the image to the CHF, signed by the WAN Provider (``devices.catalogue.SIGNED_BY``: CHF
   'UpdateFirmware' and CS06), and tells the relevant Users (the Responsible Suppliers and Network Operators of the
   SMSs the CH serves) that it will activate it (AB 5.2);
3. it waits ``notice`` (at least 7 days, AB 5.2; a durable timer) - not for a security-urgent upgrade, whose notice
   may come later - then sends CS06 (WAN Provider-signed) to the CHF; on the CS06 Response the SMI records the new
   Firmware Version for the CHF and, where that puts the CH's Model on the CPL, a suspended CHF and GPF return to
   their prior status with N29 (``dccsim.suspension.firmware_activated``; H6.11 for the GPF).

DECISIONS where the Code is silent: the notice is recorded (who, when) in the workflow's result, not sent as a DCC
Alert (no N-code is named for it); the image is the simulator's deterministic release for the CH's Model
(``dccflow.firmware_image.release``); ``list_on_cpl`` lets the caller have the manufacturer's release put on the CPL
first (the Panel's step, BAD 7.5.3.5). AB 5.2 is met when the activation comes at least 7 days after the notice or
the upgrade is security-urgent (reported in ``ab_5_2_met``).
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import activity, workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from dccflow.clock import activity_now

#: AB 5.2: the notice before a CH firmware activation (calendar days, digest 03 §F.11)
CH_FIRMWARE_NOTICE = timedelta(days=7)
CH_FIRMWARE_WORKFLOW = "DccChFirmwareUpgrade"
_ACT = dict(start_to_close_timeout=timedelta(minutes=2), retry_policy=RetryPolicy(maximum_attempts=10))


class ChFirmwareInput(BaseModel):
    chf_id: str
    to_version: str
    image_size: int = 4096
    list_on_cpl: bool = True
    security_urgent: bool = False
    notice: timedelta = CH_FIRMWARE_NOTICE
    started_at: datetime | None = None


class ChFirmwareDistribution(BaseModel):
    ok: bool
    reason: str = ""
    image_hash: str = ""
    notified: list[str] = Field(default_factory=list)
    at: datetime | None = None


class ChFirmwareResult(BaseModel):
    outcome: str
    reason: str = ""
    notified: list[str] = Field(default_factory=list)
    notice_at: datetime | None = None
    activated_at: datetime | None = None
    running_version: str | None = None
    restored: list[str] = Field(default_factory=list)
    ab_5_2_met: bool | None = None


def ch_firmware_workflow_id(inp: ChFirmwareInput) -> str:
    return f"dcc-ch-firmware-{inp.chf_id}-{inp.to_version}"


def _command(dcc, use_case: str, chf_id: str, at: datetime, params: dict):
    from dccflow.domain.roles import RemotePartyRole
    from dccflow.messages import GbcsCommand
    from dccflow.parties import DCC_ID
    from devices.anchors import dcc_anchor_credential
    from devices.signing import sign_command

    # the DCC's originator counter for its own Commands: milliseconds x 100 (``post_commissioning_duties``)
    counter = int(at.timestamp() * 1000) * 100 + 99
    command = GbcsCommand(use_case=use_case, target=chf_id, originator=DCC_ID,
                          request_id=f"{DCC_ID}:{chf_id}:{counter}", counter=counter, params=params)
    return sign_command(command, dcc_anchor_credential(dcc.engine, RemotePartyRole.WAN_PROVIDER))


def _record(dcc, inp: ChFirmwareInput | None, workflow_id: str, **fields) -> None:
    """Keep what the DCC did in ``dccsim.firmware_records.ChFirmwareRecord`` (the obligations audit reads it)."""
    from dccflow.db import session_scope
    from dccsim.firmware_records import ChFirmwareRecord

    with session_scope(dcc.engine) as s:
        row = s.get(ChFirmwareRecord, workflow_id)
        if row is None:
            if inp is None:
                return
            row = ChFirmwareRecord(workflow_id=workflow_id, chf_id=inp.chf_id, to_version=inp.to_version,
                                   security_urgent=inp.security_urgent)
        for name, value in fields.items():
            setattr(row, name, value)
        s.add(row)


async def distribute(dcc, inp: ChFirmwareInput, at: datetime) -> ChFirmwareDistribution:
    """Steps 1-2: AB 5.1's checks, the WAN Provider-signed image to the CHF, the Users to notify."""
    sent = await _distribute(dcc, inp, at)
    checks = {"a": True, "b": True, "c": "5.1(c)" not in sent.reason, "d": "5.1(d)" not in sent.reason}
    _record(dcc, inp, ch_firmware_workflow_id(inp), checks=checks, refused="" if sent.ok else sent.reason,
            distributed_at=at if sent.ok else None, notice_at=at if sent.ok else None, notified=sent.notified)
    return sent


async def _distribute(dcc, inp: ChFirmwareInput, at: datetime) -> ChFirmwareDistribution:
    from sqlmodel import select

    from dccflow.db import session_scope
    from dccflow.firmware_image import manufacturer_key, release, sha256_hex, sign, verify
    from dccsim.inventory import Inventory
    from dccsim.life_records import CplEntry
    from dccsim.suspension import DeviceModel, _parties, cpl_change, model_of

    with session_scope(dcc.engine) as s:
        chf = Inventory(s).get(inp.chf_id)
        model = model_of(s, chf)
        parties = _parties(s, chf, at)
    image = release(model.manufacturer, model.model, inp.to_version, inp.image_size)
    digest = sha256_hex(image)
    if inp.list_on_cpl:
        await cpl_change(dcc, added=[DeviceModel(manufacturer=model.manufacturer, model=model.model,
                                                 firmware_version=inp.to_version, image_hash=digest)], at=at)
    maker = manufacturer_key(model.manufacturer)
    if not verify(image, sign(image, maker), maker.public_key()):  # AB 5.1(c): over the Firmware Image only
        return ChFirmwareDistribution(ok=False, reason="the creator's signature does not verify (AB 5.1(c))")
    with session_scope(dcc.engine) as s:
        listed = s.exec(select(CplEntry).where(CplEntry.image_hash == digest, CplEntry.status == "current",
                                               CplEntry.manufacturer == model.manufacturer,
                                               CplEntry.model == model.model,
                                               CplEntry.firmware_version == inp.to_version)).first()
    if listed is None:
        return ChFirmwareDistribution(ok=False, reason=f"no CPL entry for {model.manufacturer} {model.model} "
                                                       f"{inp.to_version} with Hash {digest} (AB 5.1(d))")
    command = _command(dcc, "UpdateFirmware", inp.chf_id, at, {
        "image_b64": base64.b64encode(image).decode(), "firmware_version": inp.to_version, "image_hash": digest})
    delivery = await dcc.wan.dispatch_command(command, at)
    if delivery.status == "undeliverable" or (delivery.response is not None and not delivery.response.success):
        return ChFirmwareDistribution(ok=False, reason=f"the image did not reach CHF {inp.chf_id}")
    return ChFirmwareDistribution(ok=True, image_hash=digest, notified=parties, at=at)


async def activate(dcc, chf_id: str, image_hash: str, at: datetime,
                   workflow_id: str = "") -> tuple[str | None, list[str]]:
    """Step 3: CS06 to the CHF; on success the SMI version and any restoration. Returns (version, restored)."""
    from dccsim.suspension import deliver_firmware_restore

    response = await dcc.wan.deliver_command(_command(dcc, "CS06", chf_id, at, {"firmware_hash": image_hash}), at)
    ok = response is not None and response.success
    _record(dcc, None, workflow_id, activated_at=at, activated=ok)
    if not ok:
        return None, []
    version = str(response.params["firmware_version"])
    restored = await deliver_firmware_restore(dcc, chf_id, version, at)
    return version, restored


class ActivationStep(BaseModel):
    chf_id: str
    image_hash: str
    #: the upgrade's workflow (its record); empty in histories recorded before
    workflow_id: str = ""


class ChFirmwareActivities:
    def __init__(self, dcc):
        self.dcc = dcc

    @activity.defn
    async def dcc_ch_firmware_distribute(self, inp: ChFirmwareInput) -> ChFirmwareDistribution:
        return await distribute(self.dcc, inp, activity_now())

    @activity.defn
    async def dcc_ch_firmware_activate(self, step: ActivationStep) -> ChFirmwareResult:
        version, restored = await activate(self.dcc, step.chf_id, step.image_hash, activity_now(), step.workflow_id)
        return ChFirmwareResult(outcome="completed" if version else "failed", running_version=version,
                                restored=restored, activated_at=activity_now())


@workflow.defn(name=CH_FIRMWARE_WORKFLOW)
class DccChFirmwareUpgradeWorkflow:
    @workflow.run
    async def run(self, inp: ChFirmwareInput) -> ChFirmwareResult:
        sent = await workflow.execute_activity_method(ChFirmwareActivities.dcc_ch_firmware_distribute, inp, **_ACT)
        if not sent.ok:
            return ChFirmwareResult(outcome="failed", reason=sent.reason)
        notice_at = workflow.now()
        if not inp.security_urgent:
            await workflow.sleep(inp.notice)
        done = await workflow.execute_activity_method(ChFirmwareActivities.dcc_ch_firmware_activate,
                                                      ActivationStep(chf_id=inp.chf_id, image_hash=sent.image_hash,
                                                                     workflow_id=workflow.info().workflow_id),
                                                      **_ACT)
        waited = (done.activated_at or workflow.now()) - notice_at
        return done.model_copy(update={
            "notified": sent.notified, "notice_at": notice_at,
            "ab_5_2_met": inp.security_urgent or waited >= CH_FIRMWARE_NOTICE,
            "reason": f"CHF {inp.chf_id} runs {done.running_version}" if done.running_version
            else f"CS06 to CHF {inp.chf_id} failed: the CH keeps its firmware"})


async def start_ch_firmware_upgrade(dcc, inp: ChFirmwareInput) -> str:
    """The DCC operation: start the upgrade's workflow (one per CHF and version); returns its id."""
    from temporalio.exceptions import WorkflowAlreadyStartedError

    from dccflow.config import DCC_TASK_QUEUE

    wf_id = ch_firmware_workflow_id(inp)
    try:
        await dcc.client.start_workflow(CH_FIRMWARE_WORKFLOW, inp, id=wf_id, task_queue=DCC_TASK_QUEUE)
    except WorkflowAlreadyStartedError:
        pass  # a retried start: the upgrade is under way
    return wf_id
