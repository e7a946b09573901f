"""Each saved run is made once for the module's tests (a scenario on the embedded time-skipping server)."""

from __future__ import annotations

import pytest
from audit_support import save_run


@pytest.fixture(scope="session")
def dual_fuel_run(tmp_path_factory):
    """A dual-fuel Install and Commission (BAD 7.2.1) that conforms to its model and meets its deadlines."""
    return save_run(tmp_path_factory.mktemp("dual-fuel"), "install-commission-dual-fuel")


@pytest.fixture(scope="session")
def late_run(tmp_path_factory):
    """An install whose Post Commissioning steps come on day 9: AC 5.2's 7 days missed (BAD 7.2.3)."""
    return save_run(tmp_path_factory.mktemp("late"), "post-commissioning-late")
