"""Facts about a certificate worked out once per certificate object.

A certificate never changes, so what is read from it (its signer's entity ID, its fingerprint, its DER) can be
kept. ``functools.lru_cache`` keyed by the certificate hashes it on every call, and ``cryptography`` hashes a
certificate by its encoding: about 3 µs, several times for every Service Request the DCC takes (the signer's
certificate is asked for its entity ID by check B and for its fingerprint by Confirm Validity, issue #18). The
cache here is keyed by the object's identity instead, which costs a dictionary look-up. Each entry keeps its
certificate alive, so no other object can take its ``id`` while the entry exists; two equal certificates held as
two objects have an entry each, with the same value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from cryptography import x509

__all__ = ["per_certificate"]

T = TypeVar("T")

#: entries per cached function before it starts again (a long simulation lodges thousands of Device Certificates)
MAX_ENTRIES = 4096


def per_certificate(fn: Callable[[x509.Certificate], T]) -> Callable[[x509.Certificate], T]:
    """``fn(cert)`` computed once per certificate object. Safe across threads: an entry is written whole, and two
    threads computing the same entry at once store the same value."""
    entries: dict[int, tuple[x509.Certificate, T]] = {}

    @functools.wraps(fn)
    def cached(cert: x509.Certificate) -> T:
        found = entries.get(id(cert))
        if found is not None and found[0] is cert:
            return found[1]
        value = fn(cert)
        if len(entries) >= MAX_ENTRIES:
            entries.clear()
        entries[id(cert)] = (cert, value)
        return value

    cached.cache_clear = entries.clear  # type: ignore[attr-defined]  # as lru_cache's, for tests
    return cached
