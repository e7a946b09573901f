"""Private helpers for the DUIS identifier formats (EUI-64s normalised by ``dccflow.domain.ids``, the one place).

* EUI-64 (``sr:EUI``): eight hex octets separated by ``-``, e.g. ``00-DB-12-34-56-78-90-A0``.
* RequestID / ResponseID (``sr:RequestIDType`` / ``sr:ResponseIDType``, same lexical pattern):
  ``<EUI-64>:<EUI-64>:<counter>`` with the counter a decimal in 0 .. 2**64-1 without leading zeros.
"""

from __future__ import annotations

import base64
import re

from dccflow.domain.ids import normalise_eui64

_EUI_RE = re.compile(r"^[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}$")
_COUNTER_RE = re.compile(r"^(?:0|[1-9][0-9]{0,19})$")
_HEX_RE = re.compile(r"^(?:[0-9A-Fa-f]{2})*$")
MAX_COUNTER = 2**64 - 1


def eui64(value: str) -> str:
    """Canonical EUI-64 (upper case, ``-`` separated); accepts ``-``, ``:``, space or no separators. The one
    normalisation is ``dccflow.domain.ids.normalise_eui64`` (raises a ``ValueError``)."""
    return normalise_eui64(value)


def is_eui64(value: str) -> bool:
    """Whether ``value`` is already in the DUIS lexical form (case-insensitive)."""
    return isinstance(value, str) and bool(_EUI_RE.match(value))


def split_message_id(value: str) -> tuple[str, str, int]:
    """Split a RequestID / ResponseID into (originator, target, counter); raise ValueError if invalid."""
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 3 or not is_eui64(parts[0]) or not is_eui64(parts[1]) or not _COUNTER_RE.match(parts[2]):
        raise ValueError(f"not a DUIS message identifier (EUI-64:EUI-64:counter): {value!r}")
    counter = int(parts[2])
    if counter > MAX_COUNTER:
        raise ValueError(f"message identifier counter exceeds 2**64-1: {value!r}")
    return parts[0], parts[1], counter


def make_message_id(originator: str, target: str, counter: int) -> str:
    """Build a RequestID / ResponseID from its parts (EUI-64s canonicalised)."""
    if isinstance(counter, bool) or not isinstance(counter, int) or not 0 <= counter <= MAX_COUNTER:
        raise ValueError(f"counter must be an int in 0..2**64-1, got {counter!r}")
    return f"{eui64(originator)}:{eui64(target)}:{counter}"


def check_message_id(value: str) -> str:
    """Return ``value`` unchanged after checking it is a valid RequestID / ResponseID."""
    split_message_id(value)
    return value


def hex_string(value: str, *, what: str, min_octets: int = 0, max_octets: int | None = None) -> str:
    """Check an explicit hexBinary string (even number of hex digits, octet count in range)."""
    if not isinstance(value, str) or not _HEX_RE.match(value):
        raise ValueError(f"{what} must be a hex string (pairs of hex digits), got {value!r}")
    octets = len(value) // 2
    if octets < min_octets or (max_octets is not None and octets > max_octets):
        limit = f"{min_octets}..{max_octets}" if max_octets is not None else f">= {min_octets}"
        raise ValueError(f"{what} must be {limit} octets, got {octets}")
    return value.upper()


def base64_text(value: str | bytes, *, what: str) -> str:
    """base64Binary text: ``bytes`` are encoded, ``str`` is taken as already base64 and checked."""
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, str):
        compact = "".join(value.split())
        try:
            base64.b64decode(compact, validate=True)
        except ValueError as exc:
            raise ValueError(f"{what} is not valid base64: {exc}") from None
        return compact
    raise TypeError(f"{what} must be base64 str or raw bytes, got {type(value).__name__}")
