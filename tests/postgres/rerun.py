"""Run another folder's tests again here, on PostgreSQL, without copying them: :func:`rerun` puts a test module's
tests (and the fixtures and marks defined in it) into the calling module, where pytest collects them once more,
under this folder's conftest.py."""

from __future__ import annotations

import importlib
from collections.abc import MutableMapping
from typing import Any


def rerun(namespace: MutableMapping[str, Any], *modules: str, only: tuple[str, ...] = ()) -> None:
    """``modules``: module names importable from tests/dcc, tests/fleet or tests/processes (conftest.py puts those
    on the path); ``only``: just these tests (by name) rather than every test of the modules."""
    from _pytest.fixtures import FixtureFunctionDefinition

    found = set()
    for name in modules:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("test_") and callable(value) and (not only or attr in only):
                if attr in namespace:
                    raise ValueError(f"two tests named {attr}")
                namespace[attr] = value
                found.add(attr)
            elif isinstance(value, FixtureFunctionDefinition) and attr not in namespace:
                namespace[attr] = value
        if hasattr(module, "pytestmark"):
            namespace.setdefault("pytestmark", module.pytestmark)
    missing = set(only) - found
    if missing:
        raise ValueError(f"no such tests: {sorted(missing)}")
