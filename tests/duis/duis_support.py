"""Shared helpers for the dccflow.duis tests (a uniquely named module, imported as ``duis_support``).

The DUIS reference samples are third-party fixtures: they are read from the shared folder
(located with ``dccflow.duis.schema.shared_dir()``), never copied into the repository.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lxml import etree

from dccflow.duis.schema import NS_DS, shared_dir
from dccflow.duis.tree import parse_datetime

# Identifiers used by this project's own tests (deliberately not the samples' values).
USER = "AA-00-00-00-00-00-00-01"
DCC = "AA-00-00-00-00-00-00-DC"
CHF = "BB-00-00-00-00-00-00-C1"
ESME = "BB-00-00-00-00-00-00-E1"
GSME = "BB-00-00-00-00-00-00-61"
GPF = "BB-00-00-00-00-00-00-62"
IHD = "BB-00-00-00-00-00-00-1D"


def samples_dir() -> Path:
    return shared_dir() / "duis" / "samples"


def sample_paths() -> list[Path]:
    return sorted(p for p in samples_dir().iterdir() if p.is_file())


def srv_from_filename(name: str) -> str:
    """'8.14.1_FOO.XML' -> '8.14.1'; 'CCS01_8.11_FOO.XML' -> '8.11'."""
    parts = name.split("_")
    return parts[0] if parts[0][:1].isdigit() else parts[1]


def normalise(value):
    """Compare bodies by meaning: xs:dateTime lexical variants (.00Z vs Z) become datetimes."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            return value
    return value


def sample_signature() -> etree._Element:
    """A (placeholder-valued but schema-valid) ds:Signature taken from a reference sample."""
    path = samples_dir() / "8.2_READ_INVENTORY_REQUEST_DUIS.XML"
    root = etree.fromstring(path.read_bytes())
    return root.find(f"{{{NS_DS}}}Signature")


NOW: datetime = parse_datetime("2025-06-01T09:30:00Z")
