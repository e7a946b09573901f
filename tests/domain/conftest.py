"""Fixtures for the domain tests: the shared DUIS schema and samples beside the checkout."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

XS = "{http://www.w3.org/2001/XMLSchema}"
SR_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"


def _shared_dir() -> Path:
    override = os.environ.get("DCCFLOW_SHARED_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="session")
def duis_dir() -> Path:
    path = _shared_dir() / "duis"
    if not path.is_dir():
        pytest.skip(f"shared DUIS material not found at {path} (set DCCFLOW_SHARED_DIR)")
    return path


@pytest.fixture(scope="session")
def duis_xsd(duis_dir: Path) -> etree._ElementTree:
    return etree.parse(str(duis_dir / "schema" / "duis-5.4.xsd"))


@pytest.fixture(scope="session")
def sample_files(duis_dir: Path) -> list[Path]:
    files = sorted((duis_dir / "samples").glob("*.XML"))
    assert files, "no DUIS sample requests found"
    return files


@pytest.fixture(scope="session")
def xsd_enum(duis_xsd: etree._ElementTree) -> Callable[[str], list[str]]:
    """Look up the enumeration values of a named top-level xs:simpleType of the DUIS schema."""

    def lookup(name: str) -> list[str]:
        nodes = duis_xsd.getroot().findall(f"{XS}simpleType[@name='{name}']")
        assert len(nodes) == 1, f"simpleType {name} not found exactly once"
        return [str(e.get("value")) for e in nodes[0].iter(f"{XS}enumeration")]

    return lookup


@pytest.fixture(scope="session")
def sample_srvs(sample_files: list[Path]) -> dict[Path, str]:
    """Each sample request file with the SRV its name encodes."""
    return {path: _srv_of_sample(path) for path in sample_files}


def _srv_of_sample(path: Path) -> str:
    """The SRV encoded in a sample file name: 'CCS01_8.11_...' -> '8.11', '8.14.1_...' -> '8.14.1'."""
    first, _, rest = path.name.partition("_")
    if first[:1].isdigit():
        return first
    return rest.partition("_")[0]
