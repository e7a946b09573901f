"""The Parties' side of the Contingency key rollover (BAD 7.7.3.4.6; SEC Appendix L 6.1.2.7 as the BAD quotes it;
digest 05 §D.6): the replacement Root placed on the Devices, and the Contingency-key probes of a drill.

* ``recovery_replace_root`` — per batch of Devices (one activity for many Devices: a whole fleet in few activities),
  the CS02b for SRV 6.15.1 replacing the **Root** cell, signed by the organisation L 6.1.2.6 makes responsible: the
  holder of the Supplier cell (the Responsible Supplier, with its key there), else the DCC with its ACB key (a CHF; a
  Supplier cell holding the DCC's ACB certificate, §D.6 notes). It carries the new Root and the existing Root key's
  signature of it (``devices.contingency.replace_root``). DECISION: it goes straight over the SM WAN, as the
  Command the DCC would produce for the 6.15.1 (the DUIS path for a Root cell is not built); idempotent (a Device
  with the new Root already refuses it — its Root cell's key did not sign the new Root — and is read back as done).
* ``recovery_contingency_probe`` — a ContingencyRecovery Command signed with a Contingency key and carrying its
  Symmetric Key, with no certificates: a Device that authenticates it reports the certificates missing
  (``accepted``: it would have reset its cells), one that does not refuses it (``refused``). The attacker's copy
  (``label`` before / after) or the DCC's current key (``label`` ``dcc-new-key``: the legitimate holder after).
"""

from __future__ import annotations

import asyncio
import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import BaseModel
from sqlmodel import select
from temporalio import activity

from activities.smki_recovery import OnRuntime, Probe, ProbeResult, RecoveryAttackerKey
from activities.store import UserCredentialRow
from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.domain.roles import RemotePartyRole
from dccflow.messages import CommandSignature, GbcsCommand
from dccflow.parties import DCC_ID
from dccflow.security.pki import Credential, entity_id_of
from dccsim.smki_recovery import Replaced, root_cell_serial

#: a probe's label for the DCC's own (new) Contingency key
DCC_NEW_KEY = "dcc-new-key"


class RootBatch(BaseModel):
    incident_id: str
    device_ids: list[str]
    certificate: str  # the replacement Root, base64 DER
    link_signature: str
    attempt: int = 1


class RecoveryRootActivities(OnRuntime):

    def _signers(self, device_ids: list[str]) -> dict[str, Credential]:
        from devices.anchors import RESOLVER, dcc_anchor_credential
        from devices.models import DeviceState

        acb = dcc_anchor_credential(self.engine, RemotePartyRole.ACCESS_CONTROL_BROKER)
        out: dict[str, Credential] = {}
        with session_scope(self.engine) as s:
            creds = [Credential.from_pem(r.key_pem, r.cert_pem) for r in s.exec(select(UserCredentialRow))]
            by_serial = {c.cert.serial_number: c for c in creds}
            for dev in s.exec(select(DeviceState).where(DeviceState.device_id.in_(device_ids))):
                cert = RESOLVER.cert(s, (dev.anchors or {}).get(RemotePartyRole.SUPPLIER.value))
                held = by_serial.get(cert.serial_number) if cert is not None else None
                out[dev.device_id] = held if held is not None and entity_id_of(cert) != DCC_ID else acb
        return out

    @activity.defn
    async def recovery_replace_root(self, batch: RootBatch) -> list[Replaced]:
        from devices.anchors import decode_cert
        from devices.signing import sign_command

        at = activity_now()
        signers = self._signers(batch.device_ids)
        new_serial = str(decode_cert(batch.certificate).serial_number)
        counter = int(at.timestamp() * 1000) * 100 + batch.attempt % 100

        async def one(device_id: str) -> Replaced:
            signer = signers.get(device_id)
            if signer is None:
                return Replaced(device_id=device_id, outcome="refused", reason="no such Device")
            originator = entity_id_of(signer.cert) or DCC_ID
            command = sign_command(GbcsCommand(
                use_case="CS02b", target=device_id, originator=originator, counter=counter,
                request_id=f"{originator}:root-rollover:{batch.incident_id}:{device_id}:{batch.attempt}",
                params={"remote_party_role": RemotePartyRole.ROOT.value, "certificate": batch.certificate,
                        "root_link_signature": batch.link_signature}), signer)
            outcome = await _send(self.rt.wan, device_id, command, at)
            if outcome.outcome == "refused" and root_cell_serial(self.engine, device_id) == new_serial:
                return Replaced(device_id=device_id, outcome="replaced")  # a retry: the new Root is there already
            return outcome

        return list(await asyncio.gather(*(one(d) for d in batch.device_ids)))

    @activity.defn
    async def recovery_contingency_probe(self, probe: Probe) -> ProbeResult:
        at = activity_now()
        if probe.label == DCC_NEW_KEY:
            from dccsim.smki_recovery_keys import current_contingency_key

            key, symmetric = current_contingency_key(self.engine)
        else:
            with session_scope(self.engine) as s:
                kept = s.get(RecoveryAttackerKey, probe.incident_id)
                if kept is None:
                    raise LookupError(f"no copied key for incident {probe.incident_id}")
                key, symmetric = _stolen(kept)
        originator = DCC_ID if probe.label == DCC_NEW_KEY else f"attacker-{probe.incident_id}"
        command = GbcsCommand(use_case="ContingencyRecovery", target=probe.device_id, originator=originator,
                              counter=int(at.timestamp() * 1000) * 100 + 99,  # above the DCC's recovery counters
                              params={"contingency_symmetric_key": symmetric},
                              request_id=f"{originator}:contingency-probe:{probe.device_id}:{probe.label}")
        value = key.sign(command.signed_payload(), ec.ECDSA(hashes.SHA256()))
        command = command.model_copy(update={"signature": CommandSignature(
            signer_issuer="CN=SMKI Contingency Key (dccflow)", signer_serial="0",
            value_b64=base64.b64encode(value).decode())})
        delivery = await self.rt.wan.dispatch_command(command, at)
        if delivery.status != "responded" or delivery.response is None:
            return ProbeResult(device_id=probe.device_id, label=probe.label, outcome="unreachable",
                               reason=f"SM WAN: {delivery.status}")
        reason = delivery.response.reason or ""
        # authenticated: the Device went on to the (absent) certificates; else it refused the Contingency check
        accepted = delivery.response.success or reason.startswith("certificates refused")
        return ProbeResult(device_id=probe.device_id, label=probe.label,
                           outcome="accepted" if accepted else "refused", reason=reason)


def _stolen(kept: RecoveryAttackerKey):
    """The attacker's copy of the Contingency material: the private key, and the Symmetric Key kept in ``cert_pem``
    (``recovery_attacker_copy_key`` of the ``contingency`` authority)."""
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(kept.key_pem, password=None), kept.cert_pem.decode()


async def _send(wan, device_id: str, command: GbcsCommand, at) -> Replaced:
    try:
        delivery = await wan.dispatch_command(command, at)
    except LookupError as exc:
        return Replaced(device_id=device_id, outcome="unreachable", reason=str(exc))
    if delivery.status != "responded" or delivery.response is None:
        return Replaced(device_id=device_id, outcome="unreachable", reason=f"SM WAN: {delivery.status}")
    if not delivery.response.success:
        return Replaced(device_id=device_id, outcome="refused", reason=delivery.response.reason or "")
    return Replaced(device_id=device_id, outcome="replaced")


def recovery_root_activities(runtime) -> list:
    from activities.smki_recovery_handback import recovery_handback_activities

    acts = RecoveryRootActivities(runtime)
    return [acts.recovery_replace_root, acts.recovery_contingency_probe, *recovery_handback_activities(runtime)]
