"""Post Commissioning Information and the 14-day restriction (BAD 7.2.3; SEC Appendix AC 5.2, 5.4-5.7, 5.13).

The DCC monitors the Commands it sends and the Devices' Responses (AC 5.4) and records, per Smart Meter and GPF,
when each post-commissioning step was Successfully Executed (table ``post_commissioning``):

* ``keys_regenerated_at``: an 'Issue Security Credentials' (SRV 6.17, CS02c) answered I0 (AC 5.2(b));
* ``device_certificate_stored_at``: an 'Update Security Credentials (Device)' (SRV 6.15.2, CS02d) answered I0;
* ``network_operator_cell_at`` (ESME, GPF): a CS02b (SRV 6.15.1 or 6.21) placed the Organisation Certificate of
  the Network Operator registered for the Device's MPxN (Electricity Distributor / Gas Transporter) in the
  Network Operator cell (AC 5.2(a));
* ``organisation_certificate_replaced_at`` (Smart Meters): an 'Update Security Credentials (KRP)' (SRV 6.15.1)
  replaced the Supplier cell's certificate, possibly by the same one (AC 5.2(c); BAD 7.2.3.1).

DECISION: AC 5.6(c) counts *two* 6.17 and *two* 6.15.2 (Digital Signing and Key Agreement); the workflow this
DCC serves regenerates the Digital Signing key, so one of each completes the step. ``keys_regenerated`` keeps the
key usages seen, should a stricter rule be wanted.

The restriction (AC 5.13; BAD 7.2.3.5.7) binds the Supplier, not the DCC. DECISION: the DCC does not refuse a
Supplier's Service Requests to a Device whose steps are overdue. AC 5.13 says "the Supplier Party shall not send
Service Requests ...", and BAD 7.2.3.5.7 "the Supplier is not permitted to send"; neither the checks the DCC makes
on a Service Request (SEC Appendix AB 6.1; DUIS validation) nor AC 5.4-5.12 give the DCC a refusal: its duty is
to record the Post Commissioning Information and report it (AC 5.4-5.9). The obligations audit judges the
Supplier (``dccflow.audit``, entry ``supplier-restriction``): which Service Requests it sent while restricted,
other than for the purposes in :data:`ALLOWED_WHILE_INCOMPLETE`.

DECISION (when the restriction starts): AC 5.13(a) restricts from the end of the 7 days of AC 5.2 when the steps
of 5.2(b) (new keys, Device Certificates stored) and, for Smart Meters, 5.2(c) (an Organisation Certificate
replaced) are not done — :data:`RESTRICTING_STEPS`; the Network Operator cell (5.2(a), the GPF's 6.21) does not
count. AC 5.13(b) (the DCC failed the 5.3 interrogation and the Supplier has not interrogated within 14 days)
restricts from day 14. BAD 7.2.3.5.7 paraphrases both as "not met ... and not interrogated within 14 days"; the
SEC clause it quotes in its governance table (7.2.3.7) is followed here.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from cryptography import x509
from sqlmodel import JSON, Column, Field, Session, SQLModel, select

from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole
from dccflow.domain.smi import RESTORATION, SmiStatus
from dccflow.moments import as_utc
from dccflow.security.pki import entity_id_of
from dccsim.handlers.base import Ctx
from dccsim.models import SmiDevice, SmiStatusChange

#: AC 5.2 / 5.13(a): the 5.2(b), 5.2(c) steps not done 7 days after Commissioning restrict the Supplier from then
OBLIGATION_PERIOD = timedelta(days=7)
#: AC 5.13(b) (BAD 7.2.3.5.7): no interrogation by the DCC (5.3) nor by the Supplier within 14 days
RESTRICTION_AFTER = timedelta(days=14)

#: What a Supplier may still send to a restricted Device, with the purpose AC 5.13 allows it for.
ALLOWED_WHILE_INCOMPLETE: dict[str, str] = {
    # (i) completing the post-commissioning steps (BAD 7.2.3.5.1-6)
    "6.17": "Issue Security Credentials: post-commissioning step (AC 5.13(i); BAD 7.2.3.5.2)",
    "6.15.2": "Update Security Credentials (Device): post-commissioning step (AC 5.13(i); BAD 7.2.3.5.4)",
    "6.15.1": "Update Security Credentials (KRP): post-commissioning step (AC 5.13(i); BAD 7.2.3.5.5-6)",
    "6.21": "Request Handover of DCC Controlled Device: post-commissioning step (AC 5.13(i); BAD 7.2.3.5.5)",
    "6.24.1": "Retrieve Device Security Credentials (KRP): interrogation (AC 5.13(i), (b); BAD 7.2.3.5.1)",
    "6.24.2": "Retrieve Device Security Credentials (Device): interrogation (AC 5.13(i), (b); BAD 7.2.3.5.1)",
    # (ii) replacing the Device Security Credentials on a change of supplier
    "6.23": "Update Security Credentials (CoS) (AC 5.13(ii); BAD 7.7.1.5.4)",
    # (iii) maintaining an energy supply to the premises (BAD 7.5.4 supply; 2.x prepayment credit)
    "7.1": "Enable Supply (AC 5.13(iii); BAD 7.5.4.6.2)",
    "7.2": "Disable Supply (AC 5.13(iii); BAD 7.5.4.6.3)",
    "7.3": "Arm Supply (AC 5.13(iii); BAD 7.5.4.6.1)",
    "7.4": "Read Supply Status (AC 5.13(iii))",
    "2.1": "Update Prepay Configuration (AC 5.13(iii))",
    "2.2": "Top Up Device (AC 5.13(iii))",
    "2.3": "Update Debt (AC 5.13(iii))",
    "2.5": "Activate Emergency Credit (AC 5.13(iii))",
    "8.14.3": "Communications Hub Status Update - Fault Return (BAD 7.2.3.5.7: CH replacement)",
}

_D = DeviceType
SUBJECT_DEVICES = frozenset({_D.ESME, _D.GSME, _D.GPF})
#: the steps each Device Type must complete (AC 5.2)
#: Decision: an ESME's Network Operator cell is populated at manufacture with the registered Electricity
#: Distributor's Organisation Certificate (BAD Table 4 (a); ``devices.builder`` populates it so), which meets
#: AC 5.2(a) from commissioning; only the cell-holder (the Distributor) could replace it (CS02b rules). The GPF's
#: holds the DCC's ACB certificate (DCC-procured, AC 3.1(b)), so the Supplier must hand it over with SRV 6.21.
STEPS: dict[DeviceType, tuple[str, ...]] = {
    _D.ESME: ("keys_regenerated", "device_certificate_stored", "organisation_certificate_replaced"),
    _D.GSME: ("keys_regenerated", "device_certificate_stored", "organisation_certificate_replaced"),
    _D.GPF: ("keys_regenerated", "device_certificate_stored", "network_operator_cell"),
}
#: the steps whose absence after 7 days restricts the Supplier (AC 5.13(a): 5.2(b), and 5.2(c) for Smart Meters)
RESTRICTING_STEPS: dict[DeviceType, tuple[str, ...]] = {
    _D.ESME: ("keys_regenerated", "device_certificate_stored", "organisation_certificate_replaced"),
    _D.GSME: ("keys_regenerated", "device_certificate_stored", "organisation_certificate_replaced"),
    _D.GPF: ("keys_regenerated", "device_certificate_stored"),
}


class PostCommissioningInfo(SQLModel, table=True):
    """Post Commissioning Information per Smart Meter / GPF (AC 5.4, 5.7)."""

    __tablename__ = "post_commissioning"

    device_id: str = Field(primary_key=True)
    device_type: str
    keys_regenerated_at: datetime | None = None
    keys_regenerated: list = Field(default_factory=list, sa_column=Column(JSON))
    device_certificate_stored_at: datetime | None = None
    network_operator_cell_at: datetime | None = None
    organisation_certificate_replaced_at: datetime | None = None
    updated_at: datetime | None = None


def info(s: Session, device_id: str) -> PostCommissioningInfo | None:
    return s.get(PostCommissioningInfo, device_id)


def incomplete_steps(s: Session, dev: SmiDevice) -> list[str]:
    row = info(s, dev.device_id)
    return [step for step in STEPS.get(DeviceType(dev.device_type), ())
            if row is None or getattr(row, f"{step}_at") is None]


def commissioned_at(s: Session, device_id: str) -> datetime | None:
    """When the Device was last Commissioned (SMI status history). A return to 'commissioned' from 'suspended' or
    'recovery' (AC 7.3, reason ``RESTORATION``) restores the status held before; it does not restart AC 5.6's
    "Commissioned for a period of 7 days or more"."""
    rows = s.exec(select(SmiStatusChange).where(SmiStatusChange.device_id == device_id,
                                                SmiStatusChange.to_status == SmiStatus.COMMISSIONED.value)
                  .order_by(SmiStatusChange.id.desc())).all()
    row = next((r for r in rows if not (r.reason or "").startswith(RESTORATION)), None)
    return as_utc(row.at) if row else None


def _record(ctx: Ctx, step: str, **extra) -> None:
    dev = ctx.inventory.get(ctx.target)
    if DeviceType(dev.device_type) not in SUBJECT_DEVICES:
        return
    row = info(ctx.session, dev.device_id) or PostCommissioningInfo(device_id=dev.device_id,
                                                                   device_type=dev.device_type)
    setattr(row, f"{step}_at", ctx.at)
    for key, value in extra.items():
        setattr(row, key, value)
    row.updated_at = ctx.at
    ctx.session.add(row)


def record_keys_regenerated(ctx: Ctx, usage: str) -> None:
    row = info(ctx.session, ctx.target)
    seen = sorted({*(row.keys_regenerated if row else []), usage})
    _record(ctx, "keys_regenerated", keys_regenerated=seen)


def record_device_certificate(ctx: Ctx) -> None:
    _record(ctx, "device_certificate_stored")


def registered_network_operator(ctx: Ctx, dev: SmiDevice) -> str | None:
    """The Network Operator registered for an MPxN the Device is linked to, at the relevant time."""
    for mpxn in sorted(ctx.inventory.linked_mpxns(dev)):
        reg = ctx.registration.at(mpxn, ctx.at)
        if reg is not None and reg.network_operator_id:
            return reg.network_operator_id
    return None


def record_cell_replaced(ctx: Ctx, cell: RemotePartyRole, certificate_b64: str) -> str | None:
    """A CS02b succeeded; returns the entity id of the certificate placed."""
    cert = x509.load_der_x509_certificate(base64.b64decode(certificate_b64))
    owner = entity_id_of(cert)
    dev = ctx.inventory.get(ctx.target)
    dtype = DeviceType(dev.device_type)
    if cell == RemotePartyRole.NETWORK_OPERATOR and owner == registered_network_operator(ctx, dev):
        _record(ctx, "network_operator_cell")
    elif cell == RemotePartyRole.SUPPLIER and ctx.definition is not None and ctx.definition.srv == "6.15.1" \
            and dtype.is_meter:
        _record(ctx, "organisation_certificate_replaced")
    return owner
