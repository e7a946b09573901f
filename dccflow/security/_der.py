"""Minimal DER encoding/decoding for the one structure ``cryptography`` cannot build for us.

RFC 4108 section 5 defines the subjectAltName otherName used for hardware identities::

    id-on-hardwareModuleName OBJECT IDENTIFIER ::= { id-on 4 }      -- 1.3.6.1.5.5.7.8.4
    HardwareModuleName ::= SEQUENCE {
        hwType       OBJECT IDENTIFIER,
        hwSerialNum  OCTET STRING }

``x509.OtherName`` takes the DER of the inner value (the content of the ``[0] EXPLICIT``
wrapper), i.e. the SEQUENCE above, which is what :func:`encode_hardware_module_name` returns.
Only single-byte tags and definite lengths are supported, which is all this needs.
"""

from __future__ import annotations

TAG_OCTET_STRING = 0x04
TAG_OID = 0x06
TAG_SEQUENCE = 0x30


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _encode_length(len(content)) + content


def _base128(value: int) -> bytes:
    chunks = [value & 0x7F]
    value >>= 7
    while value:
        chunks.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(chunks))


def encode_oid(dotted: str) -> bytes:
    arcs = [int(part) for part in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39) or min(arcs) < 0:
        raise ValueError(f"invalid object identifier {dotted!r}")
    body = _base128(40 * arcs[0] + arcs[1]) + b"".join(_base128(arc) for arc in arcs[2:])
    return tlv(TAG_OID, body)


def decode_oid(content: bytes) -> str:
    values: list[int] = []
    current = 0
    for i, byte in enumerate(content):
        if current == 0 and byte == 0x80:
            raise ValueError("non-minimal OID sub-identifier")
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(current)
            current = 0
        elif i == len(content) - 1:
            raise ValueError("truncated OID")
    if not values:
        raise ValueError("empty OID")
    first = values[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + values[1:])


def read_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Return (tag, content, offset after the element); raises ValueError on malformed input."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte tags are not supported")
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        if length < 0x80 or data[pos] == 0:
            raise ValueError("non-minimal DER length")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, data[pos:end], end


def encode_hardware_module_name(hw_type: str, serial: bytes) -> bytes:
    return tlv(TAG_SEQUENCE, encode_oid(hw_type) + tlv(TAG_OCTET_STRING, serial))


def decode_hardware_module_name(der: bytes) -> tuple[str, bytes]:
    """Parse a HardwareModuleName SEQUENCE into (hwType dotted OID, hwSerialNum)."""
    tag, content, end = read_tlv(der)
    if tag != TAG_SEQUENCE or end != len(der):
        raise ValueError("HardwareModuleName is not a single SEQUENCE")
    tag, oid_content, pos = read_tlv(content)
    if tag != TAG_OID:
        raise ValueError("HardwareModuleName.hwType is not an OID")
    tag, serial, pos = read_tlv(content, pos)
    if tag != TAG_OCTET_STRING or pos != len(content):
        raise ValueError("HardwareModuleName.hwSerialNum is not a single OCTET STRING")
    return decode_oid(oid_content), serial
