"""Trust anchor cells: the certificates the procurer puts on a device at manufacture (BAD 7.2.1.5 Table 4;
SEC Appendix AC 3.2), their look-up, and the checks a device makes before it lets a certificate into a cell.

Design for scale: at manufacture every cell holds a *shared* Organisation Certificate (the Root OCA
certificate, the DCC's Recovery / ACB / Transitional CoS / WAN Provider certificates, the procuring
Supplier's and the Network Operator's Organisation Certificates). Each is issued once by the SMKI and
stored in its repository (``smki_certificate``); a cell holds that row's id. A certificate placed later by
a CS02b is stored in the cell itself (base64 DER).

The DCC's own role certificates are issued here (``ensure_dcc_anchor_credentials``) because the DCC needs
them to fill CHF/GPF cells (BAD 7.2.1.5); their private keys go to the DCC's key table
(``smki_authority_key``, names ``dcc-recovery`` etc.), never to the fleet.
"""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole, SmkiRoleCode
from dccflow.parties import DCC_ID
from dccflow.security.pki import (
    CertificateError,
    Credential,
    KeyUsageKind,
    entity_id_of,
    issue_organisation_certificate,
    key_usage_of,
    role_code_of,
    verify_path,
)
from dccsim.models import SmkiCertificate
from dccsim.smki import PKI_EPOCH, SmkiAuthorityKey
from devices.catalogue import ALLOWED_ROLE_CODES, CELLS

_R = RemotePartyRole

#: The DCC's certificates for the cells BAD Table 4 gives to the DCC, by authority key name.
DCC_ANCHOR_KEYS: dict[RemotePartyRole, str] = {
    _R.RECOVERY: "dcc-recovery",
    _R.ACCESS_CONTROL_BROKER: "dcc-acb",
    _R.TRANSITIONAL_COS: "dcc-transcos",
    _R.WAN_PROVIDER: "dcc-wan-provider",
}


class AnchorSetupError(RuntimeError):
    pass


def repository_row(cert: x509.Certificate, *, is_ca: bool = False) -> SmkiCertificate:
    usage = None if is_ca else key_usage_of(cert)
    return SmkiCertificate(
        issuer=cert.issuer.rfc4514_string(), serial=str(cert.serial_number),
        subject_entity_id=None if is_ca else entity_id_of(cert), role_code=None if is_ca else role_code_of(cert),
        usage=usage.value if usage else None, is_ca=is_ca, pem=cert.public_bytes(serialization.Encoding.PEM))


def authority(s: Session, name: str) -> Credential:
    row = s.get(SmkiAuthorityKey, name)
    if row is None:
        raise AnchorSetupError(f"the SMKI has no '{name}' key (SmkiRepository.ensure_authorities / "
                               "devices.anchors.ensure_dcc_anchor_credentials not run)")
    return Credential.from_pem(row.key_pem, row.cert_pem)


def ensure_dcc_anchor_credentials(engine: Engine) -> None:
    """Issue the DCC Recovery, ACB, Transitional CoS and WAN Provider certificates once (AC 3.2)."""
    with session_scope(engine) as s:
        ensure_dcc_anchor_credentials_in(s)


def ensure_dcc_anchor_credentials_in(s: Session) -> None:
    """``ensure_dcc_anchor_credentials`` in the caller's transaction: one look-up once they exist."""
    names = list(DCC_ANCHOR_KEYS.values())
    have = set(s.exec(select(SmkiAuthorityKey.name).where(SmkiAuthorityKey.name.in_(names))).all())
    if len(have) < len(names):
        ca = authority(s, "ca")
        for role, name in DCC_ANCHOR_KEYS.items():
            if name in have:
                continue
            cred = issue_organisation_certificate(
                ca, entity_id=DCC_ID, role_code=role.code.ou, usage=KeyUsageKind.DIGITAL_SIGNING,
                organisation="DCC", common_name=f"DCC {role.value}", not_before=PKI_EPOCH, valid_days=30 * 365)
            s.add(SmkiAuthorityKey(name=name, key_pem=cred.key_pem(), cert_pem=cred.cert_pem()))
            s.add(repository_row(cred.cert))


def dcc_anchor_credential(engine: Engine, role: RemotePartyRole) -> Credential:
    """The DCC's key and certificate for one of its cells (used by the DCC to sign, e.g. recovery)."""
    with session_scope(engine) as s:
        return authority(s, DCC_ANCHOR_KEYS[role])


def _cert_id(s: Session, cert: x509.Certificate) -> int:
    row = s.exec(select(SmkiCertificate.id).where(
        SmkiCertificate.issuer == cert.issuer.rfc4514_string(),
        SmkiCertificate.serial == str(cert.serial_number))).first()
    if row is None:
        raise AnchorSetupError(f"certificate {cert.serial_number} is not in the SMKI Repository")
    return int(row)


def organisation_cert_id(s: Session, user_id: str) -> int:
    """The SMKI Repository id of a User's current Digital Signing Organisation Certificate."""
    row = s.exec(select(SmkiCertificate.id).where(
        SmkiCertificate.subject_entity_id == user_id, SmkiCertificate.usage == KeyUsageKind.DIGITAL_SIGNING.value,
        SmkiCertificate.revoked_at == None,  # noqa: E711
    ).order_by(SmkiCertificate.id.desc())).first()
    if row is None:
        raise AnchorSetupError(f"User {user_id} has no Organisation Certificate in the SMKI Repository "
                               "(UserKeyStore.ensure_parties not run)")
    return int(row)


class AnchorIds:
    """The SMKI Repository ids of the shared certificates cells are filled from (resolved once)."""

    def __init__(self, engine: Engine):
        ensure_dcc_anchor_credentials(engine)
        self._users: dict[str, int] = {}
        with session_scope(engine) as s:
            self.root = _cert_id(s, authority(s, "root").cert)
            self.dcc = {role: _cert_id(s, authority(s, name).cert) for role, name in DCC_ANCHOR_KEYS.items()}
        self.engine = engine

    def user(self, user_id: str) -> int:
        if user_id not in self._users:
            with session_scope(self.engine) as s:
                self._users[user_id] = organisation_cert_id(s, user_id)
        return self._users[user_id]

    def manufacture(self, device_type: DeviceType, *, supplier_id: str | None,
                    network_operator_id: str | None) -> dict[str, int]:
        """Cells as populated before installation (BAD 7.2.1.5, Table 4; AC 3.2).

        CHF and GPF: populated by the DCC, so the Supplier and Network Operator cells of the GPF hold the
        DCC's ACB certificate (Table 4 options (b) and (d)) until the Supplier's 'Request Handover' (6.21).
        Other devices: by the procuring Supplier: its own Organisation Certificate in the Supplier cell and,
        on an ESME, the Electricity Distributor's in the Network Operator cell (Table 4 (a); ENA ER M31)."""
        acb = self.dcc[_R.ACCESS_CONTROL_BROKER]
        cells: dict[str, int] = {}
        for role in CELLS[device_type]:
            if role == _R.ROOT:
                cells[role.value] = self.root
            elif role in self.dcc:
                cells[role.value] = self.dcc[role]
            elif device_type.is_comms_hub:
                cells[role.value] = acb
            elif role == _R.SUPPLIER:
                cells[role.value] = self.user(supplier_id) if supplier_id else acb
            elif role == _R.NETWORK_OPERATOR:
                cells[role.value] = self.user(network_operator_id) if network_operator_id else acb
        return cells


class CertResolver:
    """Turns a cell value into the certificate (cached: cells reference a handful of shared certificates;
    repository ids are cached per database)."""

    def __init__(self) -> None:
        self._by_id: dict[tuple[str, int], x509.Certificate] = {}
        self._by_der: dict[str, x509.Certificate] = {}

    def cert(self, s: Session, value: int | str | None) -> x509.Certificate | None:
        if value is None:
            return None
        if isinstance(value, int):
            key = (str(s.get_bind().url), value)
            if key not in self._by_id:
                row = s.get(SmkiCertificate, value)
                if row is None:
                    return None
                self._by_id[key] = x509.load_pem_x509_certificate(row.pem)
            return self._by_id[key]
        if value not in self._by_der:
            self._by_der[value] = x509.load_der_x509_certificate(base64.b64decode(value))
        return self._by_der[value]


def encode_cert(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def decode_cert(text: str) -> x509.Certificate:
    """A certificate as the DUIS carries it (base64 DER) or as PEM."""
    raw = text.encode() if isinstance(text, str) else text
    if raw.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(raw)
    return x509.load_der_x509_certificate(base64.b64decode(raw))


def check_placeable(cell: RemotePartyRole, cert: x509.Certificate, path: list[x509.Certificate],
                    root: x509.Certificate, at: datetime) -> None:
    """What a device checks before placing ``cert`` in ``cell`` (BAD 7.7.2.5.5-6: Certification Path
    Validation and expiry; AC 3.2(b): the keyUsage of the cell; Table 4: a role that may occupy the cell).
    Raises ``CertificateError``."""
    verify_path(cert, path, root, at=at)
    if key_usage_of(cert) is not KeyUsageKind.DIGITAL_SIGNING:
        raise CertificateError("wrong key usage", f"the {cell.value} cell takes a Digital Signing certificate")
    code = role_code_of(cert)
    if code not in ALLOWED_ROLE_CODES[cell]:
        try:
            name = SmkiRoleCode.from_ou(code).name if code else "none"
        except ValueError:
            name = code
        raise CertificateError("wrong role", f"a certificate of role {name} cannot occupy the {cell.value} cell")


#: the fleet's shared resolver
RESOLVER = CertResolver()
