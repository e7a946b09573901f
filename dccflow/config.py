"""Runtime settings: where state lives and how to reach Temporal.

Every setting can be given by an environment variable, so the same code runs embedded (SQLite under a data
directory, a Temporal server started by dccflow) and at scale (a Temporal cluster and PostgreSQL).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

#: Task queues, one per system: the User side (Supplier, Network Operator… and their installers), the
#: simulated DCC, and the simulated device fleet behind the DCC's SM WAN.
USER_TASK_QUEUE = "dccflow-users"
DCC_TASK_QUEUE = "dccflow-dcc"
DEVICE_TASK_QUEUE = "dccflow-devices"


def _default_data_dir() -> Path:
    return Path(os.environ.get("DCCFLOW_DATA_DIR", ".dccflow")).resolve()


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Settings(BaseModel):
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = Field(default_factory=lambda: os.environ.get("DCCFLOW_DATABASE_URL"))
    temporal_address: str = Field(default_factory=lambda: os.environ.get("DCCFLOW_TEMPORAL_ADDRESS", "localhost:7233"))
    namespace: str = Field(default_factory=lambda: os.environ.get("DCCFLOW_NAMESPACE", "default"))
    #: how the User side and the DCC talk: ``inprocess`` (method calls; the default) or ``http`` (the DCC User
    #: Interface and the Users' receiving endpoint served on loopback inside the worker process)
    dcc_transport: Literal["inprocess", "http"] = Field(
        default_factory=lambda: os.environ.get("DCCFLOW_DCC_TRANSPORT", "inprocess"), validate_default=True)
    #: ``http`` transport: the address both servers bind to, and their ports (0: any free port)
    http_host: str = Field(default_factory=lambda: os.environ.get("DCCFLOW_HTTP_HOST", "127.0.0.1"))
    dcc_http_port: int = Field(default_factory=lambda: _env_int("DCCFLOW_DCC_HTTP_PORT", 8480), ge=0, le=65535,
                               validate_default=True)
    user_http_port: int = Field(default_factory=lambda: _env_int("DCCFLOW_USER_HTTP_PORT", 8481), ge=0, le=65535,
                                validate_default=True)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'dccflow.db'}"
