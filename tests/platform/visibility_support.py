"""Helpers for the visibility tests: what a Temporal history holds as stored, and the secrets readable in it."""

from __future__ import annotations

import base64
import binascii
import re

_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{24,}={0,2}")
_SECRET = re.compile(rb'install_code"?:"?[0-9A-Fa-f]+|InstallCode>[0-9A-Fa-f]+|PRIVATE KEY')


async def stored_history(handle) -> bytes:
    """The history's events as the server stores them and the Web UI reads them (payloads not decoded)."""
    return b"".join(e.SerializeToString() for e in (await handle.fetch_history()).events)


def secrets_in(stored: bytes) -> list[bytes]:
    """Every install code field or private key readable in ``stored``: as it is, or inside base64 text (a
    Command for Local Delivery's GBCS payload, a bytes field)."""
    texts = [stored]
    for run in _BASE64_RUN.findall(stored):
        alt = b"-_" if b"-" in run or b"_" in run else None
        try:
            texts.append(base64.b64decode(run + b"=" * (-len(run) % 4), altchars=alt))
        except (ValueError, binascii.Error):
            continue
    return [m.group(0) for text in texts for m in _SECRET.finditer(text)]
