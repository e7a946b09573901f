"""The one database of an embedded dccflow: the DCC's, the fleet's and the User side's tables (``dccflow.db``).
Importing their models registers every table, so the engine the composition root opens has them all."""

from __future__ import annotations

from sqlalchemy.engine import Engine

import activities.store  # noqa: F401 - registers the User side's tables
import dccsim.models  # noqa: F401 - the DCC's
import devices.models  # noqa: F401 - the fleet's
from dccflow.db import get_engine


def open_database(url: str) -> Engine:
    """The engine for ``url`` with every system's tables created."""
    return get_engine(url)
