"""Secrets out of Temporal histories: a payload codec that encrypts every payload carrying a secret.

Install codes and private keys are secrets: the CHF authenticates a Device's SM HAN join with the Install Code
given in SRV 8.11, then runs CBKE with it (BAD 7.2.1.6.7), and the installer hands install codes to the Supplier
out of band (BAD 7.2.2.6.2); Temporal stores workflow inputs, activity inputs and results, signals and queries in its
history, which the Web UI shows to anyone who can open it. Every payload leaving a client or worker passes
through :class:`SecretsCodec`: a payload whose serialised data carries one of :data:`SENSITIVE_MARKERS` (an
``install_code`` field, a DUIS ``InstallCode`` element, a CHF's ``link_key``, a PEM private key…) is encrypted
with AES-256-GCM; the rest stay readable in the Web UI. A payload the codec did not encode (older histories,
readable payloads) is passed through unchanged on decode, so recorded histories still replay.

The key: ``DCCFLOW_CODEC_KEY`` (32 bytes as 64 hex digits or URL-safe base64; the same on every worker and
client of one Temporal namespace), else the file ``codec.key`` in the data directory, created with mode 0600 on
first use. ``python -m dccflow_app.codec_cli key`` prints a new key. The Web UI decodes through the codec endpoint
(``dccflow_app.codec_server``; ``dccflow up`` serves it and points the UI at it).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from dccflow.config import ConfigurationError

KEY_ENV = "DCCFLOW_CODEC_KEY"
KEY_FILE = "codec.key"
ENCODING = b"binary/encrypted"
CIPHER = b"AES-256-GCM"
_AAD = b"dccflow-codec-v1"
_NONCE = 12

#: What marks a payload as carrying a secret, as it appears in the serialised data: pydantic/JSON field names
#: (``install_code``, ``esme_install_code``…, a CHF Device Log's ``link_key``, stored ``key_pem``), the DUIS
#: element carrying an install code (SRV 8.11 ``InstallCode``, DUIS 5.4) and PEM private keys.
SENSITIVE_MARKERS: tuple[bytes, ...] = (b'install_code"', b"InstallCode", b'link_key"', b'key_pem"',
                                        b"PRIVATE KEY")


def _base64_forms(marker: bytes) -> list[bytes]:
    """What ``marker`` looks like inside base64 text, at each of the three byte alignments, in the standard and
    the URL-safe alphabets: the characters made from the marker's bits alone. A Command for Local Delivery
    carries its GBCS payload, install code and all, base64-encoded (DUIS ``LocalCommand/GBCSPayload``)."""
    forms = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + marker)
        first, last = -(-8 * shift // 6), 8 * (shift + len(marker)) // 6  # characters wholly inside the marker
        core = encoded[first:last]
        forms += [core, core.replace(b"+", b"-").replace(b"/", b"_")]
    return list(dict.fromkeys(forms))


_SEARCHED = tuple(form for marker in SENSITIVE_MARKERS for form in (marker, *_base64_forms(marker)))


def is_sensitive(data: bytes) -> bool:
    """The payload carries a secret: a marker of :data:`SENSITIVE_MARKERS`, as it is or base64-encoded."""
    return any(marker in data for marker in _SEARCHED)


def key_id(key: bytes) -> str:
    """A short public name for a key (written in each encrypted payload's metadata), never the key."""
    return hashlib.sha256(b"dccflow-codec-key-id" + key).hexdigest()[:16]


def parse_key(text: str, source: str) -> bytes:
    """A 32-byte key from 64 hex digits or URL-safe base64; a :class:`ConfigurationError` naming ``source``."""
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != 32:
        raise ConfigurationError(f"{source} must be a 32-byte key as 64 hex digits or URL-safe base64 "
                                 f"(make one with: python -m dccflow_app.codec_cli key)")
    return key


def new_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def load_key(data_dir: Path | None, *, create: bool) -> bytes | None:
    """``DCCFLOW_CODEC_KEY``, else ``<data_dir>/codec.key`` (created, mode 0600, when ``create``), else None."""
    env = os.environ.get(KEY_ENV)
    if env:
        return parse_key(env, KEY_ENV)
    if data_dir is None:
        return None
    path = data_dir / KEY_FILE
    if not path.exists():
        if not create:
            return None
        data_dir.mkdir(parents=True, exist_ok=True)
        # written whole under a private name, then linked into place: a worker starting at the same moment on a
        # shared volume sees no file or the whole key, and the first link wins
        tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.{os.urandom(4).hex()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_key_text() + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:  # another process of this stack made it first: use theirs
            pass
        finally:
            tmp.unlink()
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(f"codec key file {path} is readable by others (mode {mode:04o}); "
                                 f"run: chmod 600 {path}")
    return parse_key(path.read_text(), str(path))


class SecretsCodec(PayloadCodec):
    """AES-256-GCM for payloads that carry a secret (:func:`is_sensitive`); every other payload unchanged.

    ``key`` None: a client that holds no key (e.g. ``dccflow run --address`` without the stack's key) — it
    passes readable payloads and refuses, with a message saying why, to send a secret in clear or to read one."""

    def __init__(self, key: bytes | None):
        self._aead = AESGCM(key) if key is not None else None
        self.key_id = key_id(key).encode() if key is not None else None

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) if is_sensitive(p.data) else p for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) if p.metadata.get("encoding") == ENCODING else p for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        if self._aead is None:
            raise ConfigurationError(f"a payload carries a secret (an install code or a key) and no codec key is "
                                     f"set: set {KEY_ENV}, or use the data directory of the dccflow stack")
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, payload.SerializeToString(), _AAD)
        return Payload(metadata={"encoding": ENCODING, "encryption-cipher": CIPHER,
                                 "encryption-key-id": self.key_id}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        wanted = payload.metadata.get("encryption-key-id", b"?").decode(errors="replace")
        if self._aead is None or payload.metadata.get("encryption-key-id") != self.key_id:
            raise ConfigurationError(f"a payload is encrypted with codec key {wanted}, which this process does not "
                                     f"hold: set {KEY_ENV} to the stack's key")
        try:
            return Payload.FromString(self._aead.decrypt(payload.data[:_NONCE], payload.data[_NONCE:], _AAD))
        except InvalidTag:
            raise ConfigurationError(f"a payload encrypted with codec key {wanted} failed authentication") from None


def data_converter(key: bytes | None) -> DataConverter:
    """The pydantic data converter with :class:`SecretsCodec`."""
    return dataclasses.replace(pydantic_data_converter, payload_codec=SecretsCodec(key))


def ephemeral_data_converter() -> DataConverter:
    """For a server whose history dies with this process (the time-skipping server): ``DCCFLOW_CODEC_KEY`` or a
    fresh random key held in memory only."""
    return data_converter(load_key(None, create=False) or os.urandom(32))
