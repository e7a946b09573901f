"""The DCC's own Post Commissioning Obligations (BAD 7.2.3.5.7; SEC Appendix AC 5.1, 5.3, 5.6, 5.12).

When a Device becomes 'commissioned' on the SMI the DCC opens its duties for it, each due 7 days after the
Commissioning (table ``dcc_post_commissioning_duty``), and a durable DCC workflow per Device
(``dccsim.post_commissioning_workflow``) carries them out as soon as it can, retrying daily while the Device cannot
be reached, until the 7 days are over:

* AC 5.1, a CHF (``chf-credentials``): (a) the CHF re-generates its Private Keys — Digital Signing and Key
  Agreement, CS02c signed with the DCC's Access Control Broker key — and the Device Certificates for the new
  Public Keys, issued by the SMKI from the CHF's CSRs, are stored on it (CS02d); (b) one Organisation
  Certificate is replaced: the ACB cell's, by the same certificate (CS02b; "may be replaced with that from the
  same Organisation Certificate").
* AC 5.3, a CHF, GPF or Smart Meter (``recovery-interrogation``): the DCC reads the trust anchor cells (CS02e
  'Provide Security Credentials Details') and records whether the Recovery cell holds the DCC Recovery
  Certificate.

At the end of the 7 days a duty not done is 'overdue' (AC 5.6(a) for the interrogation). For a CHF, AC 5.12: the
DCC raises an Incident when the 5.1 steps were not done in the 7 days, or when 5.6(a) (not interrogated) or 5.6(b)
(no DCC Recovery Certificate) applies (table ``dcc_incident``).

The workflow starts from the SMI status history (:meth:`PostCommissioningDuties.newly_commissioned`), so every
way a Device becomes commissioned (the CHF reaching the SM WAN, 8.1.1, a join, 8.4, 8.13) is covered. A return to
'commissioned' from 'suspended' or 'recovery' (AC 7.3: "the SMI Status it held immediately before") is no
Commissioning: it opens no duties (a second set, due 7 days after the restoration, would make the Device look
uninterrogated on the days before it).
"""

from __future__ import annotations

import base64
import itertools
from datetime import date, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel
from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio import activity

from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole
from dccflow.domain.smi import RESTORATION, SmiStatus
from dccflow.messages import GbcsCommand, GbcsResponse
from dccflow.moments import as_utc
from dccflow.parties import DCC_ID
from dccflow.security.pki import Credential, KeyUsageKind
from dccflow.session import Rows
from dccsim.inventory import Inventory, Registration
from dccsim.models import SmiDevice, SmiStatusChange
from dccsim.records import DccIncident, DccPostCommissioningDuty
from dccsim.smki import SmkiRepository

#: AC 5.1, 5.3: "in any event within 7 days" of Commissioning
DUTY_PERIOD = timedelta(days=7)
#: how long the DCC waits before trying again a Device it could not reach
RETRY_EVERY = timedelta(days=1)
CHF_CREDENTIALS = "chf-credentials"
RECOVERY_INTERROGATION = "recovery-interrogation"
#: the duties per Device Type (AC 5.1: CHF; AC 5.3: CHF, GPF, Smart Meters)
DUTIES: dict[DeviceType, tuple[str, ...]] = {
    DeviceType.CHF: (CHF_CREDENTIALS, RECOVERY_INTERROGATION),
    DeviceType.GPF: (RECOVERY_INTERROGATION,),
    DeviceType.ESME: (RECOVERY_INTERROGATION,),
    DeviceType.GSME: (RECOVERY_INTERROGATION,),
}
_D = DeviceType
_ACB = RemotePartyRole.ACCESS_CONTROL_BROKER
#: a Device's duties, in the order they were opened (``_rows``): one prepared SELECT (``dccflow.session.Rows``)
_DUTIES_OF_DEVICE = Rows(DccPostCommissioningDuty, DccPostCommissioningDuty.device_id == bindparam("device_id"),
                         order_by=(DccPostCommissioningDuty.id,))
#: the DCC key each duty uses (AC 3.2): the ACB key signs the CHF's Commands, the Recovery certificate is looked for
_KEY_OF_DUTY = {_ACB: CHF_CREDENTIALS, RemotePartyRole.RECOVERY: RECOVERY_INTERROGATION}


class DutyInput(BaseModel):
    device_id: str
    device_type: str
    commissioned_at: datetime


class DutyProgress(BaseModel):
    #: the duties still to do
    pending: list[str]
    #: a CHF's AC 5.12 condition is already known (no DCC Recovery Certificate): the Incident is due at day 7
    incident_due: bool = False


def duty_workflow_id(device_id: str, commissioned_at: datetime) -> str:
    return f"dcc-post-commissioning-{device_id}-{commissioned_at.strftime('%Y%m%dT%H%M%S')}"


class DutyFailed(Exception):
    """A Command of a duty was not delivered or not executed: the duty stays open (retried later)."""


class PostCommissioningDuties:
    def __init__(self, engine: Engine, smki: SmkiRepository, wan=None):
        self.engine = engine
        self.smki = smki
        self.wan = wan
        #: the SMI status history already looked at (per process; starting a duty workflow is idempotent)
        self._seen_up_to = 0
        self._seq = itertools.count()

    # -- which Devices ------------------------------------------------------------------------------------
    def newly_commissioned(self) -> list[DutyInput]:
        """Devices that became 'commissioned' since the last look and have no duties yet."""
        with session_scope(self.engine) as s:
            changes = s.exec(select(SmiStatusChange).where(SmiStatusChange.id > self._seen_up_to,
                                                           SmiStatusChange.to_status == SmiStatus.COMMISSIONED.value)
                             .order_by(SmiStatusChange.id)).all()
            if not changes:
                return []
            self._seen_up_to = max(c.id or 0 for c in changes)
            found = []
            for change in changes:
                if (change.reason or "").startswith(RESTORATION):
                    continue  # back from 'suspended' / 'recovery' (AC 7.3): no new Commissioning, no new duties
                dev = s.get(SmiDevice, change.device_id)
                if dev is None or dev.device_type is None or DeviceType(dev.device_type) not in DUTIES:
                    continue
                at = as_utc(change.at)
                inp = DutyInput(device_id=dev.device_id, device_type=dev.device_type, commissioned_at=at)
                if not self._rows(s, inp) and all(f.device_id != dev.device_id for f in found):
                    found.append(inp)
            return found

    # -- the duties -----------------------------------------------------------------------------------------
    def open(self, inp: DutyInput) -> DutyProgress:
        """Record the Device's duties (once) and say which are still to do."""
        with session_scope(self.engine) as s:
            rows = self._rows(s, inp)
            have = {r.duty for r in rows}
            for duty in DUTIES[DeviceType(inp.device_type)]:
                if duty not in have:
                    row = DccPostCommissioningDuty(device_id=inp.device_id, device_type=inp.device_type, duty=duty,
                                                   commissioned_at=inp.commissioned_at,
                                                   due=inp.commissioned_at + DUTY_PERIOD)
                    s.add(row)
                    rows.append(row)
            return self._progress(inp, rows)

    async def attempt(self, inp: DutyInput, at: datetime) -> DutyProgress:
        """Carry out the open duties now; a Device that cannot be reached leaves them open."""
        from devices.anchors import DCC_ANCHOR_KEYS, authority, ensure_dcc_anchor_credentials_in

        with session_scope(self.engine) as s:  # what to do, and the DCC's keys to do it with (AC 3.2): one read
            pending = [r.duty for r in self._rows(s, inp) if r.outcome is None]
            if pending:
                ensure_dcc_anchor_credentials_in(s)  # the DCC's ACB / Recovery keys, issued once
            keys = {role: authority(s, DCC_ANCHOR_KEYS[role]) for role, duty in _KEY_OF_DUTY.items()
                    if duty in pending}
        results: dict[str, tuple[bool, str, bool | None]] = {}
        cells: dict = {}
        for duty in pending:
            try:
                if duty == CHF_CREDENTIALS:
                    results[duty] = (True, await self._chf_credentials(inp.device_id, at, keys[_ACB]), None)
                else:
                    present, detail, cells = await self._interrogate(inp.device_id, at, keys[RemotePartyRole.RECOVERY])
                    results[duty] = (True, detail, present)
            except DutyFailed as exc:
                results[duty] = (False, str(exc), None)
        with session_scope(self.engine) as s:
            if cells:
                _note_network_operator_cell(s, inp.device_id, cells, at)
            rows = self._rows(s, inp)
            for row in rows:
                if row.duty not in results:
                    continue
                done, detail, present = results[row.duty]
                row.attempts += 1
                row.detail = detail
                if done:
                    row.done_at, row.outcome, row.recovery_certificate = at, "done", present
                s.add(row)
            return self._progress(inp, rows)

    def close(self, inp: DutyInput, at: datetime) -> list[str]:
        """The 7 days are over: open duties are 'overdue'; for a CHF, raise the AC 5.12 Incident if due. Returns
        the Incident references raised."""
        with session_scope(self.engine) as s:
            rows = self._rows(s, inp)
            for row in rows:
                if row.outcome is None:
                    row.outcome = "overdue"
                    row.detail = f"not done within 7 days of Commissioning ({row.attempts} attempts): {row.detail}"
                    s.add(row)
            if DeviceType(inp.device_type) != _D.CHF:
                return []
            reasons = self._incident_reasons(rows)
            if not reasons:
                return []
            ref = f"INC-AC5.12-{inp.device_id}-{inp.commissioned_at:%Y%m%d}"
            if s.exec(select(DccIncident.id).where(DccIncident.ref == ref)).first() is None:
                s.add(DccIncident(ref=ref, device_id=inp.device_id, clause="SEC Appendix AC 5.12", raised_at=at,
                                  summary="; ".join(reasons)))
            return [ref]

    @staticmethod
    def _incident_reasons(rows: list[DccPostCommissioningDuty]) -> list[str]:
        reasons = []
        for row in rows:
            if row.duty == CHF_CREDENTIALS and row.outcome != "done":
                reasons.append("AC 5.12(a): the steps of AC 5.1 were not carried out within 7 days")
            if row.duty == RECOVERY_INTERROGATION and row.outcome != "done":
                reasons.append("AC 5.12(b), 5.6(a): the DCC could not interrogate the CHF (AC 5.3)")
            if row.duty == RECOVERY_INTERROGATION and row.recovery_certificate is False:
                reasons.append("AC 5.12(b), 5.6(b): the Recovery cell does not hold the DCC Recovery Certificate")
        return reasons

    def _progress(self, inp: DutyInput, rows: list[DccPostCommissioningDuty]) -> DutyProgress:
        pending = [r.duty for r in rows if r.outcome is None]
        incident = DeviceType(inp.device_type) == _D.CHF and any(
            r.duty == RECOVERY_INTERROGATION and r.recovery_certificate is False for r in rows)
        return DutyProgress(pending=pending, incident_due=incident)

    @staticmethod
    def _rows(s, inp: DutyInput) -> list[DccPostCommissioningDuty]:
        """The duties of this Commissioning of the Device (compared in Python: the database may drop the zone)."""
        rows = s.rows(_DUTIES_OF_DEVICE, {"device_id": inp.device_id})
        return [r for r in rows if as_utc(r.commissioned_at) == as_utc(inp.commissioned_at)]

    # -- Commands over the SM WAN -----------------------------------------------------------------------------
    async def _send(self, device_id: str, use_case: str, params: dict, at: datetime, *,
                    signer: Credential | None) -> GbcsResponse:
        """``signer``: the DCC's key that signs the Command (its ACB key), None for an unsigned one."""
        from devices.signing import sign_command

        if self.wan is None:
            raise DutyFailed("the DCC has no SM WAN connection")
        # the DCC's own counter for its Commands: rising with time (GBCS anti-replay)
        counter = int(at.timestamp() * 1000) * 100 + next(self._seq) % 100
        command = GbcsCommand(use_case=use_case, target=device_id, originator=DCC_ID,
                              request_id=f"{DCC_ID}:{device_id}:{counter}", params=params, counter=counter)
        if signer is not None:
            command = sign_command(command, signer)
        try:
            delivery = await self.wan.dispatch_command(command, at)
        except LookupError as exc:  # no such Device on the SM WAN (e.g. on the SMI only)
            raise DutyFailed(f"{use_case} to {device_id}: not reachable ({exc})") from None
        if delivery.status != "responded" or delivery.response is None:
            raise DutyFailed(f"{use_case} to {device_id}: {delivery.status} (SM WAN)")
        if not delivery.response.success:
            raise DutyFailed(f"{use_case} refused by {device_id}: {delivery.response.reason}")
        return delivery.response

    async def _chf_credentials(self, chf_id: str, at: datetime, acb: Credential) -> str:
        """AC 5.1 (a) and (b), the Commands signed with ``acb``, the DCC's ACB key."""
        der = serialization.Encoding.DER
        for usage in (KeyUsageKind.DIGITAL_SIGNING, KeyUsageKind.KEY_AGREEMENT):
            issued = await self._send(chf_id, "CS02c", {"key_usage": usage.value}, at, signer=acb)
            try:
                cert = self.smki.issue_device_certificate(base64.b64decode(issued.params["csr"]), chf_id, usage, at)
            except (ValueError, KeyError) as exc:
                raise DutyFailed(f"no Device Certificate for the CHF's {usage.value} CSR: {exc}") from None
            await self._send(chf_id, "CS02d", {"certificate": base64.b64encode(cert.public_bytes(der)).decode()},
                             at, signer=acb)
        path = [base64.b64encode(c.public_bytes(der)).decode() for c in self.smki.certification_path()]
        await self._send(chf_id, "CS02b", {"remote_party_role": _ACB.value, "certification_path": path,
                                           "certificate": base64.b64encode(acb.cert.public_bytes(der)).decode()},
                         at, signer=acb)
        return ("new Digital Signing and Key Agreement keys, Device Certificates stored (CS02c, CS02d); the ACB "
                "Organisation Certificate replaced by the same one (CS02b)")

    async def _interrogate(self, device_id: str, at: datetime, recovery_key: Credential) -> tuple[bool, str, dict]:
        """AC 5.3: is the Recovery cell populated with the DCC Recovery Certificate (``recovery_key``'s)? (and what
        every cell holds)"""
        response = await self._send(device_id, "CS02e", {}, at, signer=None)
        cells = response.params.get("cells") or {}
        held = cells.get(RemotePartyRole.RECOVERY.value)
        recovery = recovery_key.cert
        present = bool(held) and held.get("serial") == str(recovery.serial_number) \
            and held.get("subject_entity_id") == DCC_ID
        return present, ("the Recovery cell holds the DCC Recovery Certificate" if present else
                         f"the Recovery cell holds {held or 'nothing'}, not the DCC Recovery Certificate"), cells


def _note_network_operator_cell(s, device_id: str, cells: dict, at: datetime) -> None:
    """What the interrogation showed of an ESME's or GPF's Network Operator cell goes into its Post Commissioning
    Information (AC 5.4: "based on the information available to it"): AC 5.2(a) is met once that cell holds the
    registered Electricity Distributor's or Gas Transporter's certificate (an ESME's may from manufacture, BAD
    Table 4 (a))."""
    from dccsim.post_commissioning import PostCommissioningInfo

    dev = s.get(SmiDevice, device_id)
    held = cells.get(RemotePartyRole.NETWORK_OPERATOR.value) or {}
    if dev is None or dev.device_type not in (_D.ESME.value, _D.GPF.value) or not held:
        return
    registration = Registration(s)
    operators = {row.network_operator_id for m in Inventory(s).linked_mpxns(dev)
                 if (row := registration.at(m, at)) is not None}
    if held.get("subject_entity_id") not in operators:
        return
    row = s.get(PostCommissioningInfo, device_id) or PostCommissioningInfo(device_id=device_id,
                                                                          device_type=dev.device_type)
    if row.network_operator_cell_at is None:
        row.network_operator_cell_at, row.updated_at = at, at
        s.add(row)


class CloseResult(BaseModel):
    incidents: list[str]
    #: the Device is listed in the Post Commissioning Information from now (AC 5.6)
    listed: bool


class PostCommissioningDutyActivities:
    """The activities of ``DccPostCommissioningWorkflow`` and ``DccPostCommissioningReporting`` (DCC task queue).
    ``dcc``: the ``DccService`` (its duties, its engine, and its client to start the reporting cycle)."""

    def __init__(self, dcc):
        self.dcc = dcc
        self.duties: PostCommissioningDuties = dcc.pc_duties

    @activity.defn
    async def dcc_pc_open(self, inp: DutyInput) -> DutyProgress:
        return self.duties.open(inp)

    @activity.defn
    async def dcc_pc_attempt(self, inp: DutyInput) -> DutyProgress:
        return await self.duties.attempt(inp, activity_now())

    @activity.defn
    async def dcc_pc_close(self, inp: DutyInput) -> CloseResult:
        """Day 7: overdue duties, the CHF's Incident (AC 5.12); if the Device is now listed (AC 5.6), make sure the
        DCC's daily reporting cycle runs."""
        from dccsim.post_commissioning_reports import listing

        at = activity_now()
        incidents = self.duties.close(inp, at)
        with session_scope(self.duties.engine) as s:
            listed = any(x.device_id == inp.device_id for x in listing(s, at))
        if listed:
            await self.dcc.ensure_pc_reporting()
        return CloseResult(incidents=incidents, listed=listed)

    @activity.defn
    async def dcc_pc_daily(self, day: date) -> int:
        """AC 5.5, 5.8, 5.9: the day's Post Commissioning Information and reports; how many Devices are listed."""
        from dccsim.post_commissioning_reports import compile_day

        return compile_day(self.duties.engine, day)
