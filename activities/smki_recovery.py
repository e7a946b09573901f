"""The parties around an SMKI Recovery drill that are not the DCC (BAD 7.7.3; digest 05 §D):

* the **Subscriber**: ``recovery_ocnf`` compiles its Organisation Compromise Notification File (Annex B; L 4.1.1.2,
  4.2.1.2, 4.3.1.2): for each Device whose cell holds one of its Organisation Certificates, the Device ID, the cell
  ("anchor slot") and the certificate's serial. The Subscriber's records of the cells it populated are the fleet's
  cells here (the simulation's truth stands for them);
* the **attacker** who holds a copy of the compromised private key: ``recovery_attacker_copy_key`` takes the copy when
  the compromise happens (the User's credential at that moment, or the DCC's key — the Recovery Private Key — kept
  apart: the Subscriber may replace its own later); ``recovery_attacker_probe`` sends a Device, straight over the SM
  WAN (an attacker with a foothold there: the DCC's checks are bypassed, only the Device's own stand), a CS02b signed
  with the copied key that puts the compromised certificate in the cell again. Accepted: the key still commands the
  Device; refused (GBCS 0x8F30, the signer is not in the entitled cells): the recovery closed the hole. The probe
  changes nothing when accepted (the cell already holds that certificate).
"""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel, Field
from sqlmodel import Field as SqlField
from sqlmodel import SQLModel, select
from temporalio import activity

from activities.store import UserCredentialRow
from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.messages import GbcsCommand
from dccflow.security.pki import Credential, entity_id_of

_DER = serialization.Encoding.DER


class RecoveryAttackerKey(SQLModel, table=True):
    """The attacker's copy of a compromised private key and its certificate (a drill's; never in a history)."""

    __tablename__ = "smki_recovery_attacker_key"

    incident_id: str = SqlField(primary_key=True)
    user_id: str
    serial: str
    key_pem: bytes
    cert_pem: bytes
    copied_at: datetime


class OcnfQuery(BaseModel):
    incident_id: str
    subscriber_id: str
    #: the cells the compromised key's certificates may sit in (``dccflow.domain.recovery.AFFECTED_CELLS``)
    cells: list[str]
    #: the Devices in scope (the drill's ``--devices``); None: every Device of the fleet
    device_ids: list[str] | None = None
    #: every holder's certificate in the cells (an Issuing OCA compromise: all it issued), not the Subscriber's only
    any_subscriber: bool = False


class OcnfEntry(BaseModel):
    device_id: str
    device_type: str
    cell: str
    serial: str
    #: the certificate's Subscriber (entity id; "" for the Root)
    holder: str = ""


class Ocnf(BaseModel):
    """Annex B (project format, digest 05 §D.9.3): the Incident, the Subscriber and per certificate the Devices."""

    incident_id: str
    subscriber_id: str
    entries: list[OcnfEntry] = Field(default_factory=list)

    def device_ids(self) -> list[str]:
        return list(dict.fromkeys(e.device_id for e in self.entries))


class KeyCopy(BaseModel):
    incident_id: str
    user_id: str
    #: a DCC key (``dccflow.domain.recovery.DCC_KEYS``): the authority key of that name, not a User's
    authority: str | None = None


class Probe(BaseModel):
    incident_id: str
    device_id: str
    cell: str
    label: str  # "before" / "after": tells the probes' Commands apart


class ProbeResult(BaseModel):
    device_id: str
    label: str
    outcome: str  # accepted / refused / unreachable
    reason: str = ""


class OnRuntime:
    """Activities of the world in a recovery: the runtime (``rt``: its SM WAN, its SMKI) and its database."""

    def __init__(self, runtime):
        self.rt = runtime
        self.engine = runtime.engine


class RecoveryWorldActivities(OnRuntime):

    @activity.defn
    async def recovery_ocnf(self, q: OcnfQuery) -> Ocnf:
        from devices.anchors import RESOLVER
        from devices.models import DeviceState

        out = Ocnf(incident_id=q.incident_id, subscriber_id=q.subscriber_id)
        with session_scope(self.engine) as s:
            query = select(DeviceState).order_by(DeviceState.device_id)
            if q.device_ids is not None:
                query = query.where(DeviceState.device_id.in_(q.device_ids))
            for dev in s.exec(query):
                for cell in q.cells:
                    cert = RESOLVER.cert(s, (dev.anchors or {}).get(cell))
                    # the Root cell: every Device holding one (a Root OCA compromise, L 5.2.8 "all Devices")
                    if cert is not None and (cell == "Root" or q.any_subscriber
                                             or entity_id_of(cert) == q.subscriber_id):
                        out.entries.append(OcnfEntry(device_id=dev.device_id, device_type=dev.device_type,
                                                     cell=cell, serial=str(cert.serial_number),
                                                     holder="" if cell == "Root" else entity_id_of(cert) or ""))
        return out

    @activity.defn
    async def recovery_attacker_copy_key(self, req: KeyCopy) -> str:
        """The attacker's copy of ``user_id``'s current key (idempotent: the first copy stays). Its serial."""
        with session_scope(self.engine) as s:
            kept = s.get(RecoveryAttackerKey, req.incident_id)
            if kept is None:
                if req.authority is not None:
                    from dccsim.smki import SmkiAuthorityKey

                    row = s.get(SmkiAuthorityKey, req.authority)
                    if req.authority == "contingency":  # the key and the Symmetric Key (``smki_recovery_root``)
                        symmetric = s.get(SmkiAuthorityKey, "contingency-symmetric")
                        kept = RecoveryAttackerKey(incident_id=req.incident_id, user_id=req.user_id,
                                                   serial="contingency", key_pem=row.key_pem,
                                                   cert_pem=symmetric.key_pem, copied_at=activity_now())
                        s.add(kept)
                        return kept.serial
                else:
                    row = s.exec(select(UserCredentialRow).where(UserCredentialRow.user_id == req.user_id)).first()
                if row is None:
                    raise LookupError(f"{req.authority or 'User ' + req.user_id} holds no signing credential")
                cred = Credential.from_pem(row.key_pem, row.cert_pem)
                kept = RecoveryAttackerKey(incident_id=req.incident_id, user_id=req.user_id,
                                           serial=str(cred.cert.serial_number), key_pem=row.key_pem,
                                           cert_pem=row.cert_pem, copied_at=activity_now())
                s.add(kept)
            return kept.serial

    @activity.defn
    async def recovery_attacker_probe(self, probe: Probe) -> ProbeResult:
        from devices.signing import sign_command

        at = activity_now()
        with session_scope(self.engine) as s:
            kept = s.get(RecoveryAttackerKey, probe.incident_id)
            if kept is None:
                raise LookupError(f"no copied key for incident {probe.incident_id}")
            cred = Credential.from_pem(kept.key_pem, kept.cert_pem)
        path = [base64.b64encode(c.public_bytes(_DER)).decode() for c in self.rt.smki.certification_path()]
        originator = f"attacker-{probe.incident_id}"
        command = sign_command(GbcsCommand(
            use_case="CS02b", target=probe.device_id, originator=originator,
            counter=int(at.timestamp() * 1000), request_id=f"{originator}:{probe.device_id}:{probe.label}",
            params={"remote_party_role": probe.cell, "certificate": base64.b64encode(
                cred.cert.public_bytes(_DER)).decode(), "certification_path": path}), cred)
        delivery = await self.rt.wan.dispatch_command(command, at)
        if delivery.status != "responded" or delivery.response is None:
            return ProbeResult(device_id=probe.device_id, label=probe.label, outcome="unreachable",
                               reason=f"SM WAN: {delivery.status}")
        response = delivery.response
        return ProbeResult(device_id=probe.device_id, label=probe.label,
                           outcome="accepted" if response.success else "refused", reason=response.reason or "")


def recovery_world_activities(runtime) -> list:
    acts = RecoveryWorldActivities(runtime)
    return [acts.recovery_ocnf, acts.recovery_attacker_copy_key, acts.recovery_attacker_probe]
