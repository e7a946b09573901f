"""Devices' own keys: key pairs and Device Certificates (created on first need), pending keys for Issue
Security Credentials, and the SM HAN join security (install code authentication, then CBKE).

* A device's key pair for a key usage is generated the first time it is needed (CBKE needs the key-agreement
  key; 'Issue Security Credentials' needs either), together with the Device Certificate the SMKI issues from
  the device's CSR, as it would have at manufacture (BAD 7.7.2.5.7). The SMKI's issuing CA signs it and the
  certificate goes into the SMKI Repository, so the DCC can find it by issuer and serial.
* Install code (BAD 7.2.1.6.7): the CHF authenticates a joining device with the install code the Supplier gave
  in 'Update HAN Device Log' (SRV 8.11). Both sides derive a link key from the install code and the device
  proves it holds the same one. DECISION: Zigbee derives the link key with the AES-MMO hash of the install
  code; we use HKDF-SHA256 (same role, simpler, not interoperable with real radios).
* CBKE (BAD 7.2.1.6.7, 7.2.1.6.12): modelled as ECDH on P-256 between the two devices' key-agreement keys,
  each side using its own private key and the public key from the other's Device Certificate, followed by
  HKDF-SHA256 to a 128-bit link key. Zigbee SE uses ECMQV with implicit certificates; the shape (two static
  certified keys, one shared key neither side sends) is the same. Only a fingerprint of the key is stored.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session

from dccflow.security.pki import KeyUsageKind, issue_device_certificate, make_device_csr, new_private_key
from devices.anchors import authority, repository_row
from devices.models import DeviceKeyPair


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def smki_issue_device_certificate(s: Session, csr: x509.CertificateSigningRequest, device_id: str,
                                  usage: KeyUsageKind, at: datetime) -> x509.Certificate:
    """The SMKI issues a Device Certificate for a device CSR and records it in the SMKI Repository (a stand-in
    for the SMKI Portal request of BAD 7.7.2.5.2, used by tests and at 'manufacture')."""
    cert = issue_device_certificate(authority(s, "ca"), csr, device_id=device_id, usage=usage, not_before=at)
    s.add(repository_row(cert))
    return cert


def key_pair(s: Session, device_id: str, usage: KeyUsageKind, at: datetime) -> DeviceKeyPair:
    """The device's current key pair for ``usage``, generated (with its Device Certificate) on first need."""
    row = s.get(DeviceKeyPair, (device_id, usage.value))
    if row is None:
        key = new_private_key()
        cert = smki_issue_device_certificate(s, make_device_csr(key, device_id), device_id, usage, at)
        row = DeviceKeyPair(device_id=device_id, usage=usage.value, key_pem=_pem(key),
                            cert_pem=cert.public_bytes(serialization.Encoding.PEM), created_at=at)
        s.add(row)
        s.flush()
    return row


def device_certificate(s: Session, device_id: str, usage: KeyUsageKind, at: datetime) -> x509.Certificate:
    row = key_pair(s, device_id, usage, at)
    assert row.cert_pem is not None
    return x509.load_pem_x509_certificate(row.cert_pem)


def generate_pending_key(s: Session, device_id: str, usage: KeyUsageKind, at: datetime) -> bytes:
    """CS02c 'Issue Security Credentials' (BAD 7.7.2.5.7): a new key pair into the pending cell; returns the
    Device CSR (DER), signed with the new key."""
    row = key_pair(s, device_id, usage, at)
    key = new_private_key()
    row.pending_key_pem = _pem(key)
    s.add(row)
    return make_device_csr(key, device_id).public_bytes(serialization.Encoding.DER)


def pending_public_key(s: Session, device_id: str, usage: KeyUsageKind) -> ec.EllipticCurvePublicKey | None:
    row = s.get(DeviceKeyPair, (device_id, usage.value))
    if row is None or row.pending_key_pem is None:
        return None
    return _load(row.pending_key_pem).public_key()


def install_pending(s: Session, device_id: str, usage: KeyUsageKind, cert: x509.Certificate) -> None:
    """CS02d (BAD 7.7.2.5.8): store the Device Certificate; the pending key becomes the current key."""
    row = s.get(DeviceKeyPair, (device_id, usage.value))
    assert row is not None and row.pending_key_pem is not None
    row.key_pem, row.pending_key_pem = row.pending_key_pem, None
    row.cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    s.add(row)


# -- SM HAN join security ------------------------------------------------------------------------------------
def _code_bytes(install_code: str) -> bytes:
    text = install_code.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()


def link_key(install_code: str) -> bytes:
    """The preconfigured link key both sides derive from an install code (see DECISION above)."""
    return HKDF(algorithm=hashes.SHA256(), length=16, salt=None, info=b"GB SM HAN install code").derive(
        _code_bytes(install_code))


def join_proof(key: bytes, device_id: str, chf_id: str) -> bytes:
    """What the joining device sends to show it holds the link key (an HMAC over both identities)."""
    return hmac.new(key, f"join|{device_id}|{chf_id}".encode(), hashlib.sha256).digest()


def authenticate_join(device_install_code: str | None, chf_link_key_hex: str | None, device_id: str,
                      chf_id: str) -> bool:
    """The CHF checks the device's proof against the link key from the install code it was given."""
    if not device_install_code or not chf_link_key_hex:
        return False
    proof = join_proof(link_key(device_install_code), device_id, chf_id)
    return hmac.compare_digest(proof, join_proof(bytes.fromhex(chf_link_key_hex), device_id, chf_id))


def shared_key(s: Session, own_id: str, peer_id: str, at: datetime) -> bytes:
    """One side of CBKE: this device's key-agreement private key with the peer's certified public key."""
    own = _load(key_pair(s, own_id, KeyUsageKind.KEY_AGREEMENT, at).key_pem)
    peer_public = device_certificate(s, peer_id, KeyUsageKind.KEY_AGREEMENT, at).public_key()
    assert isinstance(peer_public, ec.EllipticCurvePublicKey)
    secret = own.exchange(ec.ECDH(), peer_public)
    info = b"GB CBKE|" + "|".join(sorted((own_id, peer_id))).encode()
    return HKDF(algorithm=hashes.SHA256(), length=16, salt=None, info=info).derive(secret)


def key_id(key: bytes) -> str:
    """A fingerprint of a link key, safe to store and compare."""
    return hashlib.sha256(key).hexdigest()[:32].upper()


def cbke(s: Session, a_id: str, b_id: str, at: datetime) -> tuple[str, str]:
    """Both sides run key agreement independently; returns each side's key fingerprint (equal on success)."""
    return key_id(shared_key(s, a_id, b_id, at)), key_id(shared_key(s, b_id, a_id, at))
