"""Fixtures for dccflow.security tests: a small SMKI hierarchy and the DUIS schema."""

from __future__ import annotations

import pytest
from lxml import etree
from security_support import SCHEMA_PATH, Smki, build_smki


@pytest.fixture(scope="session")
def smki() -> Smki:
    return build_smki()


@pytest.fixture(scope="session")
def duis_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))
