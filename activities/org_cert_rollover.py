"""The Supplier's side of an Organisation Certificate rollover campaign (BAD 7.7.2.5.6; digest 05 §C.2, §C.6):

* ``rollover_prepare``: the Devices the Supplier serves (its records: the Smart Meters the SMI links to the MPxNs it
  is registered for), its current Organisation Certificate and its own Anomaly Detection Threshold for SRV 6.15.1
  (the ADT File is the User's own, SEC G6.3 / AA 3.7: the simulation reads it where the DCC applied it);
* ``rollover_issue_certificate``: the SMKI issues the new Digital Signing Organisation Certificate for a new key
  pair the Supplier generates (SMKI RAPP; the SMKI Portal is not modelled as a transport). The private key stays
  on the User side, in ``org_cert_rollover_credential``; made once per campaign (idempotent);
* ``rollover_release_quarantined``: the Supplier's instruction to process an item the DCC quarantined (SEC
  Appendix AB 12.3(a); AA 4.9; BAD 7.8.2) — the Self-Service Interface is not modelled as a transport either;
* ``rollover_activate_certificate``: once the campaign is over, the Supplier signs with its new key; the Devices
  left holding the retired certificate are recorded, and their Commands are signed with the retired key
  (``PreviousKeys``, the ``DuisClient``'s ``command_key``), so that the next campaign reaches them.
"""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel
from sqlmodel import Field, SQLModel, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.credentials import UserKeyStore
from activities.store import UserCredentialRow
from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.domain.roles import UserRole
from dccflow.parties import USERS, party_of
from dccflow.security.pki import Credential
from dccsim.config import DccConfig
from dccsim.models import RegistrationData, SmiDevice
from dccsim.records import AnomalyDetectionThreshold

#: Device Types whose Supplier cell the Supplier's own Organisation Certificate occupies once commissioned (BAD
#: 7.2.1.5 Table 4, 7.2.3.5.6). DECISION: the GPF is left out: its Supplier cell holds the DCC's ACB certificate
#: until Post Commissioning hands it over (SRV 6.21), so the Supplier's records cannot count on it.
SUPPLIER_CELL_DEVICES = ("ESME", "GSME")
KRP_SRV = "6.15.1"
NOT_A_SUPPLIER = "NotASupplier"


class OrgCertRolloverCredential(SQLModel, table=True):
    """A new Organisation Certificate and its private key, User side (never in a workflow history)."""

    __tablename__ = "org_cert_rollover_credential"

    campaign_id: str = Field(primary_key=True)
    user_id: str = Field(index=True)
    serial: str
    key_pem: bytes
    cert_pem: bytes
    previous_serial: str
    issued_at: datetime
    activated_at: datetime | None = None
    #: the credential it replaced once activated: a Device whose replacement failed still holds its certificate
    previous_key_pem: bytes | None = None
    previous_cert_pem: bytes | None = None


class OrgCertRolloverHeld(SQLModel, table=True):
    """The Supplier's record of a Device whose Supplier cell still holds one of its previous Organisation
    Certificates (the one ``campaign_id`` replaced): Commands to it are signed with that certificate's key."""

    __tablename__ = "org_cert_rollover_held"

    device_id: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    campaign_id: str


class PreviousKeys:
    """``DuisClient.command_key``: the previous credential for a Device that still holds its certificate."""

    def __init__(self, engine):
        self.engine = engine
        self._by_campaign: dict[str, Credential] = {}

    def command_key(self, user_id: str, device_id: str) -> Credential | None:
        with session_scope(self.engine) as s:
            held = s.get(OrgCertRolloverHeld, (device_id, user_id))
            if held is None:
                return None
            if held.campaign_id not in self._by_campaign:
                kept = s.get(OrgCertRolloverCredential, held.campaign_id)
                if kept is None or kept.previous_key_pem is None:
                    return None
                self._by_campaign[held.campaign_id] = Credential.from_pem(kept.previous_key_pem,
                                                                          kept.previous_cert_pem)
        return self._by_campaign[held.campaign_id]


class Threshold(BaseModel):
    """An Anomaly Detection Threshold: more than ``limit`` items in ``window_seconds`` is a breach (AB 13.1)."""

    limit: int
    window_seconds: int


class RolloverPlan(BaseModel):
    supplier_id: str
    device_ids: list[str]
    current_serial: str
    threshold: Threshold
    quarantine_alert_code: str


class IssuedCertificate(BaseModel):
    serial: str
    previous_serial: str
    #: base64 DER (public)
    certificate: str


class CampaignRef(BaseModel):
    campaign_id: str
    supplier_id: str


class Release(BaseModel):
    quarantine_event_ref: str


class Activation(BaseModel):
    campaign_id: str
    supplier_id: str
    #: the Devices whose Supplier cell now holds the new certificate
    replaced: list[str]


def _supplier(user_id: str) -> None:
    user = USERS.get(user_id)
    if user is None or not user.role.is_supplier:
        raise ApplicationError(f"{user_id} is not a Supplier's User ID", type=NOT_A_SUPPLIER, non_retryable=True)


def supplier_estate(s, supplier_id: str, at: datetime) -> list[str]:
    """The Smart Meters a Supplier serves: its records, here the Smart Meters the SMI links, commissioned, to the
    MPxNs it is registered for at ``at`` (every fleet campaign's estate: ``activities.firmware_campaign`` too)."""
    fuel = "gas" if USERS[supplier_id].role == UserRole.GAS_SUPPLIER else "electricity"
    # the Registration Data in force now: each MPxN's latest row effective by now
    rows = s.exec(select(RegistrationData).where(RegistrationData.fuel == fuel,
                                                 RegistrationData.effective_from <= at)
                  .order_by(RegistrationData.mpxn, RegistrationData.effective_from)).all()
    latest: dict[str, str] = {}
    for row in rows:
        latest[row.mpxn] = row.supplier_id
    mine = {mpxn for mpxn, supplier in latest.items() if supplier == supplier_id}
    return sorted(d.device_id for d in s.exec(select(SmiDevice).where(
        SmiDevice.device_type.in_(SUPPLIER_CELL_DEVICES), SmiDevice.smi_status == "commissioned"))
        if d.mpxn in mine)


def activate_kept_credential(s, kept: OrgCertRolloverCredential) -> None:
    """From now on the User signs with the new key ``kept`` holds: its User credential replaced, the previous key and
    certificate kept beside the new ones (for Devices still holding the previous certificate). In ``s``'s transaction;
    the caller makes the key store forget the User's cached credential once it has committed."""
    row = s.exec(select(UserCredentialRow).where(UserCredentialRow.user_id == kept.user_id)).first()
    kept.previous_key_pem, kept.previous_cert_pem = row.key_pem, row.cert_pem
    row.key_pem, row.cert_pem = kept.key_pem, kept.cert_pem
    kept.activated_at = activity_now()
    s.add(row)
    s.add(kept)


class RolloverActivities:
    def __init__(self, runtime):
        self.engine = runtime.engine
        self.smki = runtime.smki
        self.keys: UserKeyStore = runtime.keys
        self.dcc = runtime.dcc
        self.config: DccConfig = runtime.dcc.config

    def current_serial(self, supplier_id: str) -> str:
        return str(self.keys.get(supplier_id).cert.serial_number)

    def estate(self, s, supplier_id: str, at: datetime) -> list[str]:
        return supplier_estate(s, supplier_id, at)

    @activity.defn
    async def rollover_prepare(self, supplier_id: str) -> RolloverPlan:
        _supplier(supplier_id)
        with session_scope(self.engine) as s:
            devices = self.estate(s, supplier_id, activity_now())
            applied = s.exec(select(AnomalyDetectionThreshold).where(
                AnomalyDetectionThreshold.user_id == supplier_id, AnomalyDetectionThreshold.srv == KRP_SRV)).first()
        if applied is not None:
            threshold = Threshold(limit=applied.limit, window_seconds=applied.window_seconds)
        else:
            default = self.config.default_user_threshold
            threshold = Threshold(limit=default.limit, window_seconds=int(default.window.total_seconds()))
        return RolloverPlan(supplier_id=supplier_id, device_ids=devices,
                            current_serial=self.current_serial(supplier_id), threshold=threshold,
                            quarantine_alert_code=self.config.quarantine_alert_code)

    @activity.defn
    async def rollover_current_serial(self, supplier_id: str) -> str:
        """The serial of the Organisation Certificate the Supplier signs with now."""
        _supplier(supplier_id)
        return self.current_serial(supplier_id)

    @activity.defn
    async def rollover_issue_certificate(self, ref: CampaignRef) -> IssuedCertificate:
        _supplier(ref.supplier_id)
        with session_scope(self.engine) as s:
            kept = s.get(OrgCertRolloverCredential, ref.campaign_id)
            if kept is None:
                party = party_of(ref.supplier_id)
                assert party is not None
                cred = self.smki.issue_user_credentials(user_id=ref.supplier_id, role_code=party.smki_role_code,
                                                        organisation=party.name)
                kept = OrgCertRolloverCredential(
                    campaign_id=ref.campaign_id, user_id=ref.supplier_id, serial=str(cred.cert.serial_number),
                    key_pem=cred.key_pem(), cert_pem=cred.cert_pem(),
                    previous_serial=self.current_serial(ref.supplier_id), issued_at=activity_now())
                s.add(kept)
            cert = Credential.from_pem(kept.key_pem, kept.cert_pem).cert
            return IssuedCertificate(serial=kept.serial, previous_serial=kept.previous_serial,
                                     certificate=base64.b64encode(cert.public_bytes(serialization.Encoding.DER))
                                     .decode())

    @activity.defn
    async def rollover_release_quarantined(self, release: Release) -> None:
        try:
            await self.dcc.release_quarantined(release.quarantine_event_ref, activity_now())
        except (LookupError, ValueError) as exc:
            raise ApplicationError(str(exc), type="QuarantineNotReleased", non_retryable=True) from None

    @activity.defn
    async def rollover_activate_certificate(self, act: Activation) -> None:
        """From now on the Supplier signs with its new key (its User credential replaced). It records which of its
        Devices still hold the certificate just retired (those not replaced and holding no older one), whose
        Commands are then signed with the retired key (``PreviousKeys``). Idempotent."""
        with session_scope(self.engine) as s:
            kept = s.get(OrgCertRolloverCredential, act.campaign_id)
            if kept is None:
                raise ApplicationError(f"no new certificate for campaign {act.campaign_id}", non_retryable=True)
            if kept.activated_at is None:
                replaced = set(act.replaced)
                held = {h.device_id: h for h in s.exec(select(OrgCertRolloverHeld).where(
                    OrgCertRolloverHeld.user_id == act.supplier_id))}
                for device_id in replaced & held.keys():
                    s.delete(held[device_id])
                s.add_all(OrgCertRolloverHeld(device_id=d, user_id=act.supplier_id, campaign_id=act.campaign_id)
                          for d in self.estate(s, act.supplier_id, activity_now())
                          if d not in replaced and d not in held)
                activate_kept_credential(s, kept)
        self.keys.forget(act.supplier_id)


def rollover_activities(runtime) -> list:
    acts = RolloverActivities(runtime)
    return [acts.rollover_prepare, acts.rollover_current_serial, acts.rollover_issue_certificate,
            acts.rollover_release_quarantined, acts.rollover_activate_certificate]


__all__ = ["KRP_SRV", "Activation", "CampaignRef", "IssuedCertificate", "PreviousKeys", "Release", "RolloverPlan",
           "Threshold", "rollover_activities", "supplier_estate"]
