"""The DCC's side of the Contingency key rollover (BAD 7.7.3.4.6; SEC Appendix L 6.1 as the BAD quotes it; digest 05
§D.6): the Contingency Private Key or Contingency Symmetric Key is compromised — the Root OCA key is not.

* ``recovery_generate_replacement_root`` — L 6.1.2.3-6.1.2.5: the Key Generation Ceremonies (a new Contingency Key
  Pair and Symmetric Key, a new Root OCA key and a replacement Root OCA Certificate embedding the new
  wrappedApexContingencyKey, a new Issuing OCA under it; ``smki_recovery_keys.generate_hierarchy``, kept as
  ``<name>-next-<incident>``), lodged in the Repository; and L's second signature of the replacement Root "by the
  existing Root OCA Private Key" (DECISION, digest 05 §D.11 item 2: a link signature over the new Root's DER that the
  Device checks against its Root cell, ``devices.contingency.replace_root``);
* ``recovery_adopt_replacement_root`` — L 6.1.3.2: the SMKI moves to the new Root, Issuing OCA and Contingency
  material; the replaced private keys are destroyed. Nothing is revoked (§D.6 notes): certificates under the replaced
  Root stay valid and the DCC validates paths to either Root (``SmkiRepository.confirm_validity``) while Devices hold
  either.

Both idempotent: a retry finds the ceremony's keys, or the move done.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import BaseModel
from temporalio import activity

from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.security.pki import Credential
from dccsim.smki import SmkiAuthorityKey
from dccsim.smki_recovery_keys import Adopted, Hierarchy, OnDcc, adopt_hierarchy, generate_hierarchy

#: L 6.1.3.2: what the DCC destroys and replaces (the DCC's own certificates stay: their Issuing OCA is not revoked)
ROLLED_OVER = ("root", "ca", "contingency", "contingency-symmetric")


class ReplacementRoot(BaseModel):
    certificate: str  # base64 DER, self-signed by the new Root key
    link_signature: str  # base64: the existing Root key's signature over ``certificate``'s DER
    serial: str
    issuing_serial: str
    replaces: str  # the serial of the Root it replaces


def replacement_root(engine, incident_id: str) -> ReplacementRoot:
    new = generate_hierarchy(engine, incident_id)
    der = base64.b64decode(new.certificates["Root"])
    with session_scope(engine) as s:
        row = s.get(SmkiAuthorityKey, "root")
        old = Credential.from_pem(row.key_pem, row.cert_pem)
    link = old.key.sign(der, ec.ECDSA(hashes.SHA256()))
    return ReplacementRoot(certificate=new.certificates["Root"], link_signature=base64.b64encode(link).decode(),
                           serial=new.root_serial, issuing_serial=new.issuing_serial,
                           replaces=str(old.cert.serial_number))


class ContingencyRolloverActivities(OnDcc):

    @activity.defn
    async def recovery_generate_replacement_root(self, req: Hierarchy) -> ReplacementRoot:
        """L 6.1.2.3-6.1.2.5: the ceremonies, the replacement Root signed by the existing and the new Root keys."""
        return replacement_root(self.engine, req.incident_id)

    @activity.defn
    async def recovery_adopt_replacement_root(self, req: Hierarchy) -> Adopted:
        """L 6.1.3.2: the SMKI on the new Root; the replaced keys destroyed; nothing revoked."""
        done = adopt_hierarchy(self.engine, req.incident_id, activity_now(), names=ROLLED_OVER, revoke=False)
        self.dcc.smki.forget_authorities()
        return done


def contingency_rollover_activities(dcc) -> list:
    acts = ContingencyRolloverActivities(dcc)
    return [acts.recovery_generate_replacement_root, acts.recovery_adopt_replacement_root]
