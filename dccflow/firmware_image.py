"""A Firmware Image as the simulation carries it (BAD 7.5.3.6.1-2; digest 03 §F.2): an OTA Header, the
Manufacturer Image, and the Supplier's Digital Signature across both (GBCS 11.2.5: the meter verifies it with the
certificate in its Supplier trust anchor cell).

Layout (DECISION: the byte layout is GBCS 11.2's, not in the source; this keeps the parts the BAD names and the
framing the DUIS 11.1 sample shows)::

    1E F1 EE 0B                    Zigbee OTA file identifier 0x0BEEF11E (little-endian, as in the sample)
    u16 LE header length           the whole OTA Header, identifier included
    u16 LE field control 0x0004    hardware-version fields present
    UTF-8 JSON                     manufacturer, model, firmware_version, min_hw, max_hw, image_size
    Manufacturer Image             image_size octets
    00 40 + 64 octets              optional: the signature (ECDSA P-256, r||s) over header || Manufacturer Image

The Hash the CPL, 11.1 and 11.3 (CS06) carry is SHA-256 over the Manufacturer Image part only, upper-case hex
(``manufacturer_hash``; DUIS ``FirmwareHash`` is 32 octets). Bytes that are not such an image hash whole.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

OTA_FILE_IDENTIFIER = bytes.fromhex("1EF1EE0B")
FIELD_CONTROL_HW_VERSIONS = 0x0004
SIGNATURE_TAG = bytes.fromhex("0040")
_FIXED = len(OTA_FILE_IDENTIFIER) + 4
#: DUIS convention for SRV 11.3 (sample ``CS06_11.3_CANCELLATION_SUCCESS_REQUEST``; not in the BAD, digest 03 §F.4):
#: an 'Activate Firmware' with this ExecutionDateTime cancels the future-dated activation the meter stores
ACTIVATION_CANCELLATION = datetime(3000, 12, 31, tzinfo=UTC)
ACTIVATION_CANCELLING_SRVS = frozenset({"11.3"})


def cancels_activation(srv: str | None, execution: datetime | None) -> bool:
    """Whether a request's ExecutionDateTime is the DUIS cancellation of a stored activation (any moment in the
    year 3000 or later, as the meters read it), not a time to execute at: it executes on receipt, and S3's
    30-day horizon (SEC H3.12) does not apply to it."""
    return (srv in ACTIVATION_CANCELLING_SRVS and execution is not None
            and execution.year >= ACTIVATION_CANCELLATION.year)


@dataclass(frozen=True)
class OtaHeader:
    """The OTA Header fields the Supplier's checks S4 and S5 read (BAD 7.5.3.6.1)."""

    manufacturer: str
    model: str
    firmware_version: str
    min_hw: int = 0
    max_hw: int = 0xFFFF


@dataclass(frozen=True)
class FirmwareImage:
    header: OtaHeader
    header_bytes: bytes
    manufacturer_image: bytes
    signature: bytes | None = None  # r || s, 64 octets

    @property
    def signed_part(self) -> bytes:
        return self.header_bytes + self.manufacturer_image

    @property
    def hash(self) -> str:
        return sha256_hex(self.manufacturer_image)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()


def build(header: OtaHeader, manufacturer_image: bytes, signer: ec.EllipticCurvePrivateKey | None = None) -> bytes:
    """The Firmware Image bytes; signed across header || Manufacturer Image if ``signer`` is given."""
    fields = json.dumps({"manufacturer": header.manufacturer, "model": header.model,
                         "firmware_version": header.firmware_version, "min_hw": header.min_hw,
                         "max_hw": header.max_hw, "image_size": len(manufacturer_image)},
                        sort_keys=True, separators=(",", ":")).encode()
    head = OTA_FILE_IDENTIFIER + struct.pack("<HH", _FIXED + len(fields), FIELD_CONTROL_HW_VERSIONS) + fields
    body = head + manufacturer_image
    return body + (SIGNATURE_TAG + sign(body, signer) if signer is not None else b"")


def parse(data: bytes) -> FirmwareImage | None:
    """The parts of a Firmware Image; ``None`` if ``data`` is not one (wrong identifier or framing)."""
    if len(data) < _FIXED or not data.startswith(OTA_FILE_IDENTIFIER):
        return None
    length, _control = struct.unpack_from("<HH", data, len(OTA_FILE_IDENTIFIER))
    if length <= _FIXED or length > len(data):
        return None
    try:
        fields = json.loads(data[_FIXED:length])
        header = OtaHeader(manufacturer=str(fields["manufacturer"]), model=str(fields["model"]),
                           firmware_version=str(fields["firmware_version"]), min_hw=int(fields["min_hw"]),
                           max_hw=int(fields["max_hw"]))
        size = int(fields["image_size"])
    except (ValueError, KeyError, TypeError):
        return None
    end = length + size
    trailer = data[end:]
    signed = len(trailer) == 66 and trailer.startswith(SIGNATURE_TAG)
    if size < 0 or end > len(data) or (trailer and not signed):
        return None
    return FirmwareImage(header=header, header_bytes=data[:length], manufacturer_image=data[length:end],
                         signature=trailer[2:] or None)


def manufacturer_hash(data: bytes) -> str:
    """SHA-256 over the Manufacturer Image part (BAD 7.5.3.6.2); the whole bytes if they are not an image."""
    image = parse(data)
    return image.hash if image is not None else sha256_hex(data)


def sign(data: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(data: bytes, signature: bytes, public_key) -> bool:
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or len(signature) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# -- the simulation's manufacturers (BAD 7.5.3.6.1: the manufacturer produces the image and signs it) --------------
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
#: DECISION: a release's Manufacturer Image when no size is asked for
DEFAULT_IMAGE_SIZE = 4096


def manufacturer_key(manufacturer: str) -> ec.EllipticCurvePrivateKey:
    """The manufacturer's image-signing key (DECISION: derived from its name, so that the Panel, Suppliers and the
    DCC of one simulation agree on it without a key exchange; its public half is what they trust)."""
    seed = int.from_bytes(hashlib.sha256(f"dccflow-manufacturer:{manufacturer}".encode()).digest(), "big")
    return ec.derive_private_key(seed % (_P256_ORDER - 1) + 1, ec.SECP256R1())


def release(manufacturer: str, model: str, version: str, size: int = DEFAULT_IMAGE_SIZE) -> bytes:
    """The Manufacturer Image of a firmware release: deterministic bytes, so every party builds the same one."""
    out, block = bytearray(), 0
    while len(out) < size:
        out += hashlib.sha256(f"{manufacturer}/{model}/{version}/{block}".encode()).digest()
        block += 1
    return bytes(out[:size])
