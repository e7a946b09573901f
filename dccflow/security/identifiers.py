"""Identifier helpers shared by the signature and PKI modules.

* EUI-64 entity / device identifiers: DUIS writes them as eight hyphen-separated upper-case
  hex octets (``90-B3-D5-1F-30-01-00-00``); certificates carry the raw eight octets or a
  16-hex-character string (see :mod:`dccflow.security.pki`).
* Distinguished names as RFC 4514 strings: :func:`parse_name` accepts the string forms other
  implementations put in ``ds:X509IssuerName`` (notably ``CN=U1, OU=07`` with a space after each
  separator, which ``cryptography``'s own parser rejects) and :func:`names_equal` compares two
  names attribute by attribute (OID and value; the ASN.1 string type is ignored).
"""

from __future__ import annotations

import functools
import re

from cryptography import x509

__all__ = [
    "eui64_bytes",
    "format_eui64",
    "names_equal",
    "normalise_name",
    "parse_name",
]

_EUI64_RE = re.compile(r"^(?:[0-9A-Fa-f]{2}-){7}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{16}$")


def eui64_bytes(identifier: str) -> bytes:
    """Parse an EUI-64 given as ``XX-XX-..-XX`` (DUIS form) or as 16 hex characters."""
    text = identifier.strip()
    if not _EUI64_RE.match(text):
        raise ValueError(f"not an EUI-64 identifier: {identifier!r}")
    return bytes.fromhex(text.replace("-", ""))


def format_eui64(raw: bytes) -> str:
    """Render eight octets in the DUIS form ``XX-XX-XX-XX-XX-XX-XX-XX`` (upper case)."""
    if len(raw) != 8:
        raise ValueError(f"an EUI-64 is 8 octets, got {len(raw)}")
    return "-".join(f"{octet:02X}" for octet in raw)


def _strip_space_after_separators(text: str) -> str:
    """Drop whitespace that directly follows an unescaped ``,`` or ``+`` separator.

    Escapes (``\\,``, ``\\20`` ...) are copied verbatim so that escaped separators and
    escaped spaces keep their meaning; no other whitespace is touched.
    """
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            if i + 1 >= n:
                raise ValueError(f"dangling escape in distinguished name {text!r}")
            out.append(text[i : i + 2])
            i += 2
            continue
        out.append(ch)
        i += 1
        if ch in ",+":
            while i < n and text[i] in " \t\r\n":
                i += 1
    return "".join(out)


def parse_name(text: str) -> x509.Name:
    """Parse an RFC 4514 distinguished name, tolerating whitespace after separators.

    Raises ``ValueError`` when the string is not a well-formed name. Names parsed are remembered (a
    ``x509.Name`` is immutable; the issuer of every signed message is one of a few CAs).
    """
    return _parse_name(text)


@functools.lru_cache(maxsize=256)
def _parse_name(text: str) -> x509.Name:
    cleaned = _strip_space_after_separators(text.strip())
    if not cleaned:
        raise ValueError("empty distinguished name")
    try:
        return x509.Name.from_rfc4514_string(cleaned)
    except ValueError as exc:
        raise ValueError(f"malformed distinguished name {text!r}: {exc}") from exc


@functools.lru_cache(maxsize=1024)
def normalise_name(name: str | x509.Name) -> str:
    """Canonical RFC 4514 string for a name (the form ``cryptography`` produces). Names are immutable and a DCC
    sees the same few issuers in every message: each is rendered once."""
    parsed = parse_name(name) if isinstance(name, str) else name
    return parsed.rfc4514_string()


def _attribute_key(attribute: x509.NameAttribute) -> tuple[str, str, str | bytes]:
    # The type name keeps str and bytes values (x500UniqueIdentifier) from being compared.
    return attribute.oid.dotted_string, type(attribute.value).__name__, attribute.value


def names_equal(a: str | x509.Name, b: str | x509.Name) -> bool:
    """True when two names have the same RDNs (order-sensitive) with equal OIDs and values.

    Returns False (rather than raising) when either string does not parse.
    """
    try:
        name_a = parse_name(a) if isinstance(a, str) else a
        name_b = parse_name(b) if isinstance(b, str) else b
    except ValueError:
        return False
    rdns_a = [sorted(_attribute_key(x) for x in rdn) for rdn in name_a.rdns]
    rdns_b = [sorted(_attribute_key(x) for x in rdn) for rdn in name_b.rdns]
    return rdns_a == rdns_b
