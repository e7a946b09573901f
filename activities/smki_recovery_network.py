"""The Network Operators in an SMKI Recovery drill (BAD 7.7.3.4.5, 7.7.3.4.8; SEC Appendix L 5.3.1-5.3.2,
6.3.2.7-6.3.2.8 as the BAD quotes them; digest 05 §D.5, §D.8): the Network Operator is an affected Subscriber
whose Organisation Certificate sits in the Network Operator cells (Table 11 rows 6-7: ESME, GPF) and must end up
chaining to the new Root / Issuing OCA.

* ``recovery_network_operator_cells`` — for each Device with a Network Operator cell, the Network Operator registered
  now for the Device's Metering Point (Registration Data: electricity for the ESME, gas for the GPF), the Responsible
  Supplier of that Metering Point (who sends the 6.21 after a Root recovery, L 5.3.2(b)) and who holds the cell now;
* ``recovery_network_operator_certificate`` — the Network Operator obtains a new Digital Signing Organisation
  Certificate from the SMKI, for a new key pair (L 5.3.1, 6.3.2.7; BAD 7.7.2.5.2), under the SMKI's Issuing OCA at
  the time (the new one once the DCC moved to it); kept, User side, in ``org_cert_rollover_credential``; also the
  replacement after a compromise of the Network Operator's own key (L 4.1.2.2, 4.2.2.7, 4.3.2.3;
  ``workflows.smki_recovery_no_key``), whose certificate the DCC installs in Method 3. Idempotent;
* ``recovery_network_operator_activate`` — from now on it signs with the new key (its User credential replaced; the
  old one kept as ``previous_*`` for the probe). Idempotent;
* ``recovery_network_operator_probe`` — per Device of a batch, a CS02b on the Network Operator cell straight over the
  SM WAN, carrying the Network Operator's current certificate, signed with its ``previous`` key (the one under the
  compromised chain) or its ``current`` one: the Device accepts it only if the signer's certificate is the one in the
  cell. After the recovery the previous key is refused (GBCS 0x8F30) and the current accepted (placing the same
  certificate: no change); were the cell not replaced, the previous key would be accepted.
"""

from __future__ import annotations

import asyncio
import base64

from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel
from sqlmodel import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.org_cert_rollover import OrgCertRolloverCredential, activate_kept_credential
from activities.smki_recovery import OnRuntime, ProbeResult
from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole
from dccflow.messages import GbcsCommand
from dccflow.parties import DCC_ID, USERS, party_of
from dccflow.security.pki import Credential, entity_id_of

_DER = serialization.Encoding.DER
#: the fuel whose Registration Data names the Network Operator of a Device with a Network Operator cell (Table 11)
NETWORK_OPERATOR_FUEL = {DeviceType.ESME.value: "electricity", DeviceType.GPF.value: "gas"}
NOT_A_NETWORK_OPERATOR = "NotANetworkOperator"


class NoCellQuery(BaseModel):
    incident_id: str
    device_ids: list[str]


class NoCell(BaseModel):
    device_id: str
    device_type: str
    #: the Network Operator registered now for the Device's Metering Point (None: no registration of that fuel)
    network_operator_id: str | None = None
    #: the Responsible Supplier of that Metering Point (the 6.21's sender after a Root recovery, L 5.3.2(b))
    supplier_id: str | None = None
    #: who holds the cell now: a User ID, "DCC" (its ACB certificate) or "" (empty)
    holder: str = ""


class NoCertificate(BaseModel):
    incident_id: str
    user_id: str


class NoIssued(BaseModel):
    serial: str
    previous_serial: str
    #: base64 DER (public): what the DCC installs in Method 3 (L 4.3.2.3, 4.3.2.5; ``workflows.smki_recovery_no_key``)
    certificate: str = ""


class NoProbeBatch(BaseModel):
    incident_id: str
    key: str  # "previous" / "current"
    #: Device → the Network Operator whose key signs
    devices: dict[str, str]


def credential_id(incident_id: str, user_id: str) -> str:
    """The key of the Network Operator's new credential in ``org_cert_rollover_credential``."""
    return f"smki-recovery-{incident_id}-{user_id}"


def _network_operator(user_id: str) -> None:
    user = USERS.get(user_id)
    if user is None or not user.role.is_network_operator:
        raise ApplicationError(f"{user_id} is not a Network Operator's User ID", type=NOT_A_NETWORK_OPERATOR,
                               non_retryable=True)


class RecoveryNetworkActivities(OnRuntime):

    @activity.defn
    async def recovery_network_operator_cells(self, q: NoCellQuery) -> list[NoCell]:
        from dccsim.inventory import Inventory, Registration
        from dccsim.smki_recovery import preload
        from devices.anchors import RESOLVER
        from devices.catalogue import CELLS
        from devices.models import DeviceState

        at = activity_now()
        out: list[NoCell] = []
        with session_scope(self.engine) as s:
            preload(s, q.device_ids)  # the Devices and their Registration Data in a few queries, not per Device
            inventory, registration = Inventory(s), Registration(s)
            for state in s.exec(select(DeviceState).where(DeviceState.device_id.in_(q.device_ids))
                                .order_by(DeviceState.device_id)):
                if RemotePartyRole.NETWORK_OPERATOR not in CELLS.get(DeviceType(state.device_type), ()):
                    continue
                cert = RESOLVER.cert(s, (state.anchors or {}).get(RemotePartyRole.NETWORK_OPERATOR.value))
                holder = "" if cert is None else (entity_id_of(cert) or "")
                cell = NoCell(device_id=state.device_id, device_type=state.device_type,
                              holder="DCC" if holder == DCC_ID else holder)
                dev = inventory.find(state.device_id)
                fuel = NETWORK_OPERATOR_FUEL[state.device_type]
                for mpxn in sorted(inventory.linked_mpxns(dev)) if dev is not None else ():
                    row = registration.at(mpxn, at)
                    if row is not None and row.fuel == fuel:
                        cell.network_operator_id, cell.supplier_id = row.network_operator_id, row.supplier_id
                        break
                out.append(cell)
        return out

    @activity.defn
    async def recovery_network_operator_certificate(self, req: NoCertificate) -> NoIssued:
        _network_operator(req.user_id)
        with session_scope(self.engine) as s:
            kept = s.get(OrgCertRolloverCredential, credential_id(req.incident_id, req.user_id))
            if kept is None:
                party = party_of(req.user_id)
                assert party is not None
                cred = self.rt.smki.issue_user_credentials(user_id=req.user_id, role_code=party.smki_role_code,
                                                           organisation=party.name)
                kept = OrgCertRolloverCredential(
                    campaign_id=credential_id(req.incident_id, req.user_id), user_id=req.user_id,
                    serial=str(cred.cert.serial_number), key_pem=cred.key_pem(), cert_pem=cred.cert_pem(),
                    previous_serial=str(self.rt.keys.get(req.user_id).cert.serial_number),
                    issued_at=activity_now())
                s.add(kept)
            cert = Credential.from_pem(kept.key_pem, kept.cert_pem).cert
            return NoIssued(serial=kept.serial, previous_serial=kept.previous_serial,
                            certificate=base64.b64encode(cert.public_bytes(_DER)).decode())

    @activity.defn
    async def recovery_network_operator_activate(self, req: NoCertificate) -> None:
        with session_scope(self.engine) as s:
            kept = s.get(OrgCertRolloverCredential, credential_id(req.incident_id, req.user_id))
            if kept is None:
                raise ApplicationError(f"no new certificate of {req.user_id} for {req.incident_id}",
                                       non_retryable=True)
            if kept.activated_at is None:
                activate_kept_credential(s, kept)
        self.rt.keys.forget(req.user_id)

    @activity.defn
    async def recovery_network_operator_probe(self, batch: NoProbeBatch) -> list[ProbeResult]:
        from devices.signing import sign_command

        at = activity_now()
        signers: dict[str, tuple[Credential, Credential]] = {}  # Network Operator → (signer, its current credential)
        with session_scope(self.engine) as s:
            for user_id in set(batch.devices.values()):
                kept = s.get(OrgCertRolloverCredential, credential_id(batch.incident_id, user_id))
                if kept is None or kept.previous_key_pem is None:
                    raise ApplicationError(f"{user_id} has no activated replacement for {batch.incident_id}",
                                           non_retryable=True)
                current = Credential.from_pem(kept.key_pem, kept.cert_pem)
                signers[user_id] = (current if batch.key == "current" else Credential.from_pem(
                    kept.previous_key_pem, kept.previous_cert_pem), current)
        path = [base64.b64encode(c.public_bytes(_DER)).decode() for c in self.rt.smki.certification_path()]
        originator = f"probe-{batch.key}-{batch.incident_id}"
        counter = int(at.timestamp() * 1000) * 100 + (1 if batch.key == "current" else 2)

        # the certificate each Network Operator's probes carry, encoded once per Network Operator (each Device's
        # Command is still its own, signed for its target)
        carried = {u: base64.b64encode(current.cert.public_bytes(_DER)).decode() for u, (_, current) in signers.items()}

        async def one(device_id: str, user_id: str) -> ProbeResult:
            signer, _current = signers[user_id]
            command = sign_command(GbcsCommand(
                use_case="CS02b", target=device_id, originator=originator, counter=counter,
                request_id=f"{originator}:{device_id}",
                params={"remote_party_role": RemotePartyRole.NETWORK_OPERATOR.value,
                        "certificate": carried[user_id], "certification_path": path}), signer)
            delivery = await self.rt.wan.dispatch_command(command, at)
            if delivery.status != "responded" or delivery.response is None:
                return ProbeResult(device_id=device_id, label=batch.key, outcome="unreachable",
                                   reason=f"SM WAN: {delivery.status}")
            return ProbeResult(device_id=device_id, label=batch.key,
                               outcome="accepted" if delivery.response.success else "refused",
                               reason=delivery.response.reason or "")

        return list(await asyncio.gather(*(one(d, u) for d, u in batch.devices.items())))


def recovery_network_activities(runtime) -> list:
    acts = RecoveryNetworkActivities(runtime)
    return [acts.recovery_network_operator_cells, acts.recovery_network_operator_certificate,
            acts.recovery_network_operator_activate, acts.recovery_network_operator_probe]
