"""Runtime settings: where state lives and how to reach Temporal.

Every setting can be given by an environment variable, so the same code runs embedded (SQLite under a data
directory, a Temporal server started by dccflow) and at scale (a Temporal cluster and PostgreSQL).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

#: Task queues, one per system: the User side (Supplier, Network Operator… and their installers), the
#: simulated DCC, and the simulated device fleet behind the DCC's SM WAN.
USER_TASK_QUEUE = "dccflow-users"
DCC_TASK_QUEUE = "dccflow-dcc"
DEVICE_TASK_QUEUE = "dccflow-devices"


def _default_data_dir() -> Path:
    return Path(os.environ.get("DCCFLOW_DATA_DIR", ".dccflow")).resolve()


class Settings(BaseModel):
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = Field(default_factory=lambda: os.environ.get("DCCFLOW_DATABASE_URL"))
    temporal_address: str = Field(default_factory=lambda: os.environ.get("DCCFLOW_TEMPORAL_ADDRESS", "localhost:7233"))
    namespace: str = Field(default_factory=lambda: os.environ.get("DCCFLOW_NAMESPACE", "default"))

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'dccflow.db'}"
