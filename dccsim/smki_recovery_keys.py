"""The DCC's own keys in SMKI Recovery (BAD 7.7.3.4.5, 7.7.3.4.7; SEC Appendix L 5.2, 6.2 as the BAD quotes it;
digest 05 §D.5, §D.7): the Key Generation Ceremony of a replacement DCC key and certificate, the retirement of the
replaced one, and the Contingency method's new hierarchy and Contingency-signed Command.

* ``recovery_generate_dcc_key`` — L 6.2.2.3: a new key pair and certificate for one of the DCC's cells (the
  Recovery cell), issued by the Issuing OCA with the role code of the cell and lodged in the SMKI Repository. It is
  kept apart (``<name>-next-<incident>``) while the DCC's Commands placing it are signed with the key being replaced
  (L 6.2.2.4: "Digitally Signed using the replaced Recovery Private Key");
* ``recovery_retire_dcc_key`` — L 6.2.3.2: the new key becomes the DCC's; the replaced private key is destroyed (its
  row deleted: the DCC can sign with it no more) and its certificate revoked in the Repository.

* ``recovery_generate_hierarchy`` — L 5.2.4-5.2.6: new Contingency material, a new Root OCA Certificate embedding the
  new wrappedApexContingencyKey, a new Issuing OCA and new DCC certificates for every DCC cell, lodged and kept apart
  (``<name>-next-<incident>``); ``ContingencySigner`` — L 5.2.7-5.2.8: the Command resetting a Device's cells,
  signed with the Contingency Private Key the deployed Root wraps, with the plain-text Contingency Symmetric Key.

All idempotent: a retry finds the ceremony's keys, or the retirement done.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel
from sqlmodel import select
from temporalio import activity

from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.domain.roles import RemotePartyRole
from dccflow.parties import DCC_ID
from dccflow.security.pki import Credential, KeyUsageKind, issue_organisation_certificate
from dccsim.models import SmkiCertificate
from dccsim.smki import PKI_EPOCH, SmkiAuthorityKey


class KeyGeneration(BaseModel):
    incident_id: str
    role: str  # the cell (RemotePartyRole value) whose DCC certificate is replaced


class GeneratedKey(BaseModel):
    serial: str
    certificate: str  # base64 DER
    replaces: str  # the serial of the certificate it replaces


class KeyRetirement(BaseModel):
    incident_id: str
    role: str


class RetiredKey(BaseModel):
    revoked_serial: str = ""  # "" when retired already (a retry)
    current_serial: str = ""


def _names(req: KeyGeneration | KeyRetirement) -> tuple[str, str]:
    from devices.anchors import DCC_ANCHOR_KEYS

    name = DCC_ANCHOR_KEYS[RemotePartyRole(req.role)]
    return name, f"{name}-next-{req.incident_id}"


class OnDcc:
    """Activities of the DCC in a recovery: the simulated DCC (``dcc``) and its database (``engine``)."""

    def __init__(self, dcc):
        self.dcc = dcc
        self.engine = dcc.engine


class RecoveryKeyActivities(OnDcc):

    @activity.defn
    async def recovery_generate_dcc_key(self, req: KeyGeneration) -> GeneratedKey:
        """The Key Generation Ceremony's key and certificate (L 6.2.2.3), lodged; the ceremony's once."""
        name, nxt = _names(req)
        role = RemotePartyRole(req.role)
        with session_scope(self.engine) as s:
            current = s.get(SmkiAuthorityKey, name)
            row = s.get(SmkiAuthorityKey, nxt)
            if row is None:
                ca = s.get(SmkiAuthorityKey, "ca")
                cred = issue_organisation_certificate(
                    Credential.from_pem(ca.key_pem, ca.cert_pem), entity_id=DCC_ID, role_code=role.code.ou,
                    usage=KeyUsageKind.DIGITAL_SIGNING, organisation="DCC",
                    common_name=f"DCC {role.value} ({req.incident_id})", not_before=PKI_EPOCH, valid_days=30 * 365)
                row = SmkiAuthorityKey(name=nxt, key_pem=cred.key_pem(), cert_pem=cred.cert_pem())
                s.add(row)
                from devices.anchors import repository_row

                s.add(repository_row(cred.cert))
            new = Credential.from_pem(row.key_pem, row.cert_pem).cert
            old = Credential.from_pem(current.key_pem, current.cert_pem).cert
        return GeneratedKey(serial=str(new.serial_number), replaces=str(old.serial_number),
                            certificate=base64.b64encode(new.public_bytes(serialization.Encoding.DER)).decode())

    @activity.defn
    async def recovery_retire_dcc_key(self, req: KeyRetirement) -> RetiredKey:
        """L 6.2.3.2: the replaced key destroyed, its certificate revoked; the new one the DCC's from now."""
        name, nxt = _names(req)
        at = activity_now()
        with session_scope(self.engine) as s:
            current, row = s.get(SmkiAuthorityKey, name), s.get(SmkiAuthorityKey, nxt)
            if row is None:
                return RetiredKey(current_serial=str(Credential.from_pem(current.key_pem,
                                                                         current.cert_pem).cert.serial_number))
            old = Credential.from_pem(current.key_pem, current.cert_pem).cert
            current.key_pem, current.cert_pem = row.key_pem, row.cert_pem  # the replaced private key: destroyed
            s.add(current)
            s.delete(row)
            cert_row = s.exec(select(SmkiCertificate).where(
                SmkiCertificate.issuer == old.issuer.rfc4514_string(),
                SmkiCertificate.serial == str(old.serial_number))).first()
            if cert_row is not None and cert_row.revoked_at is None:
                cert_row.revoked_at = at
                s.add(cert_row)
            new = Credential.from_pem(row.key_pem, row.cert_pem).cert
        return RetiredKey(revoked_serial=str(old.serial_number), current_serial=str(new.serial_number))




# ---- the Contingency method (L 5.2.4-5.2.8; BAD 7.7.3.4.5) ----------------------------------------------------------
class Hierarchy(BaseModel):
    incident_id: str


class NewHierarchy(BaseModel):
    """The Key Generation Ceremonies' output (L 5.2.4-5.2.6): cell → base64 DER, the certification path (the new
    Issuing OCA), and the serials."""

    certificates: dict[str, str]
    certification_path: list[str]
    root_serial: str
    issuing_serial: str


def _next(name: str, incident_id: str) -> str:
    return f"{name}-next-{incident_id}"


def generate_hierarchy(engine, incident_id: str) -> NewHierarchy:
    """New Contingency material, a new Root embedding the new wrappedApexContingencyKey, a new Issuing OCA and new
    DCC Recovery, ACB, Transitional CoS and WAN Provider certificates under it, lodged in the Repository and kept as
    ``<name>-next-<incident>`` (idempotent: a retry finds them)."""
    from dccflow.security.pki import create_issuing_ca, create_root
    from dccsim.smki_contingency import contingency_rows
    from devices.anchors import DCC_ANCHOR_KEYS, repository_row

    der = serialization.Encoding.DER
    with session_scope(engine) as s:
        if s.get(SmkiAuthorityKey, _next("root", incident_id)) is None:
            rows, extension = contingency_rows(f"-next-{incident_id}")
            rows = [SmkiAuthorityKey(name=n, key_pem=k, cert_pem=c) for n, k, c in rows]
            root = create_root(f"SMKI Root (dccflow, {incident_id})", not_before=PKI_EPOCH, valid_days=40 * 365,
                               extensions=(extension,))
            ca = create_issuing_ca(root, f"SMKI Issuing OCA (dccflow, {incident_id})", not_before=PKI_EPOCH,
                                   valid_days=40 * 365)
            s.add_all(rows)
            for name, cred in (("root", root), ("ca", ca)):
                s.add(SmkiAuthorityKey(name=_next(name, incident_id), key_pem=cred.key_pem(),
                                       cert_pem=cred.cert_pem()))
                s.add(repository_row(cred.cert, is_ca=True))
            from dccsim.smki import DCC_ROLE_CODE

            for role_code, name in (*((r.code.ou, n) for r, n in DCC_ANCHOR_KEYS.items()), (DCC_ROLE_CODE, "dcc")):
                cred = issue_organisation_certificate(
                    ca, entity_id=DCC_ID, role_code=role_code, usage=KeyUsageKind.DIGITAL_SIGNING,
                    organisation="DCC", common_name=f"DCC {name} ({incident_id})", not_before=PKI_EPOCH,
                    valid_days=30 * 365)
                s.add(SmkiAuthorityKey(name=_next(name, incident_id), key_pem=cred.key_pem(),
                                       cert_pem=cred.cert_pem()))
                s.add(repository_row(cred.cert))

        def cert(name: str):
            row = s.get(SmkiAuthorityKey, _next(name, incident_id))
            return Credential.from_pem(row.key_pem, row.cert_pem).cert

        root_cert, ca_cert = cert("root"), cert("ca")
        certificates = {RemotePartyRole.ROOT.value: base64.b64encode(root_cert.public_bytes(der)).decode()}
        for role, name in DCC_ANCHOR_KEYS.items():
            certificates[role.value] = base64.b64encode(cert(name).public_bytes(der)).decode()
    return NewHierarchy(certificates=certificates, certification_path=[base64.b64encode(ca_cert.public_bytes(der))
                                                                       .decode()],
                        root_serial=str(root_cert.serial_number), issuing_serial=str(ca_cert.serial_number))


class ContingencySigner:
    """L 5.2.8: Commands signed with the (current) Contingency Private Key, carrying the plain-text Contingency
    Symmetric Key and the new certificates (``devices.contingency``); the ceremony's output and the key read once."""

    def __init__(self, engine, incident_id: str):
        self.new = generate_hierarchy(engine, incident_id)
        self.key, self.symmetric = current_contingency_key(engine)

    def sign(self, command):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        from dccflow.messages import CommandSignature
        command = command.model_copy(update={"use_case": "ContingencyRecovery", "params": {
            "contingency_symmetric_key": self.symmetric, "certificates": self.new.certificates,
            "certification_path": self.new.certification_path}})
        value = self.key.sign(command.signed_payload(), ec.ECDSA(hashes.SHA256()))
        return command.model_copy(update={"signature": CommandSignature(
            signer_issuer="CN=SMKI Contingency Key (dccflow)", signer_serial="0",
            value_b64=base64.b64encode(value).decode())})



def current_contingency_key(engine, suffix: str = ""):
    """The Contingency private key and Symmetric Key (base64) the SMKI holds (``suffix``: a ceremony's new ones)."""
    from dccsim.smki_contingency import CONTINGENCY, SYMMETRIC, contingency_key

    with session_scope(engine) as s:
        rows = {n: (row.key_pem if (row := s.get(SmkiAuthorityKey, n + suffix)) else None)
                for n in (CONTINGENCY, SYMMETRIC)}
    return contingency_key({n + suffix: v for n, v in rows.items()}, suffix)


#: the authority keys the Contingency method replaces (L 5.2.4-5.2.6) and destroys once replaced (L 5.1.6)
ADOPTED = ("root", "ca", "dcc", "dcc-recovery", "dcc-acb", "dcc-transcos", "dcc-wan-provider", "contingency",
           "contingency-symmetric")


class Adopted(BaseModel):
    revoked: list[str]  # the serials of the old Root and Issuing OCA certificates (the ARL)


def adopt_hierarchy(engine, incident_id: str, at, *, names: tuple[str, ...] = ADOPTED,
                    revoke: bool = True) -> Adopted:
    """L 5.1.6 and the move to the new hierarchy: the old Root and Issuing OCA certificates revoked (the ARL is the
    Repository's ``revoked_at``), the SMKI's Root, Issuing OCA, DCC and Contingency keys replaced by the ceremony's
    and the replaced private keys destroyed. Idempotent (done: nothing left under ``-next-``). The Contingency key
    rollover (L 6.1.3.2) adopts ``names`` only (the others' new rows are dropped) and revokes nothing."""
    revoked = []
    with session_scope(engine) as s:
        if s.get(SmkiAuthorityKey, _next("root", incident_id)) is None:
            return Adopted(revoked=[])
        for name in ("root", "ca") if revoke else ():
            old = Credential.from_pem(s.get(SmkiAuthorityKey, name).key_pem,
                                      s.get(SmkiAuthorityKey, name).cert_pem).cert
            row = s.exec(select(SmkiCertificate).where(SmkiCertificate.issuer == old.issuer.rfc4514_string(),
                                                       SmkiCertificate.serial == str(old.serial_number))).first()
            if row is not None and row.revoked_at is None:
                row.revoked_at = at
                s.add(row)
                revoked.append(row.serial)
        for name in ADOPTED:
            current, new = s.get(SmkiAuthorityKey, name), s.get(SmkiAuthorityKey, _next(name, incident_id))
            if name in names:
                current.key_pem, current.cert_pem = new.key_pem, new.cert_pem  # the replaced key: destroyed
                s.add(current)
            s.delete(new)
    return Adopted(revoked=revoked)


class ContingencyActivities(OnDcc):

    @activity.defn
    async def recovery_adopt_hierarchy(self, req: Hierarchy) -> Adopted:
        """L 5.1.6; the SMKI moves to the new Root and Issuing OCA (and reads its keys again)."""
        done = adopt_hierarchy(self.engine, req.incident_id, activity_now())
        self.dcc.smki.forget_authorities()
        return done

    @activity.defn
    async def recovery_generate_hierarchy(self, req: Hierarchy) -> NewHierarchy:
        """L 5.2.4-5.2.6: the Key Generation Ceremonies and the new Root and Issuing OCA lodged."""
        return generate_hierarchy(self.engine, req.incident_id)


def recovery_key_activities(dcc) -> list:
    acts, contingency = RecoveryKeyActivities(dcc), ContingencyActivities(dcc)
    return [acts.recovery_generate_dcc_key, acts.recovery_retire_dcc_key, contingency.recovery_generate_hierarchy,
            contingency.recovery_adopt_hierarchy]
