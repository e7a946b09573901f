"""Runtime settings: where state lives and how to reach Temporal.

Every setting can be given by an environment variable, so the same code runs embedded (SQLite under a data
directory, a Temporal server started by dccflow) and at scale (a Temporal cluster and PostgreSQL).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

#: Task queues, one per system: the User side (Supplier, Network Operator… and their installers), the
#: simulated DCC, and the simulated device fleet behind the DCC's SM WAN.
USER_TASK_QUEUE = "dccflow-users"
DCC_TASK_QUEUE = "dccflow-dcc"
DEVICE_TASK_QUEUE = "dccflow-devices"
#: the systems by the name ``DCCFLOW_WORKER_SYSTEMS`` gives them, and their task queues
SYSTEM_TASK_QUEUES = {"user": USER_TASK_QUEUE, "dcc": DCC_TASK_QUEUE, "devices": DEVICE_TASK_QUEUE}


def _default_data_dir() -> Path:
    return Path(os.environ.get("DCCFLOW_DATA_DIR", ".dccflow")).resolve()


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _worker_systems() -> tuple[str, ...]:
    given = os.environ.get("DCCFLOW_WORKER_SYSTEMS", ",".join(SYSTEM_TASK_QUEUES))
    return tuple(name.strip() for name in given.split(",") if name.strip())


class ConfigurationError(RuntimeError):
    """dccflow cannot run as configured (a missing file, an unusable setting); the message names what is wrong.
    Never retried (``dccflow_app.activity_errors``)."""


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
    #: the systems whose workers this process runs (``DCCFLOW_WORKER_SYSTEMS=dcc,devices``): at scale each in
    #: processes of its own on one database. With the ``inprocess`` transport the DCC takes a Service Request in the
    #: process of the User that sends it (the DUIS submission is a method call); its Commands, Service Responses
    #: and alerts are then the work of the ``dcc`` workers wherever they run.
    worker_systems: tuple[Literal["user", "dcc", "devices"], ...] = Field(
        default_factory=_worker_systems, min_length=1, validate_default=True)

    @property
    def task_queues(self) -> set[str]:
        return {SYSTEM_TASK_QUEUES[name] for name in self.worker_systems}

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'dccflow.db'}"


def check_configuration(settings: Settings) -> None:
    """Check once, before any worker starts, what every worker needs: the DUIS schema is there and loads, and
    the database URL opens. Raises :class:`ConfigurationError` with one line naming what is missing."""
    from dccflow.duis.schema import DuisConfigError, duis_schema

    try:
        duis_schema()
    except DuisConfigError as exc:
        raise ConfigurationError(" ".join(str(exc).split())) from None
    check_database(settings)


def check_database(settings: Settings) -> None:
    """The database URL parses, its driver is installed and a connection opens (5 s at most for a server)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    # never print a password, even from a URL that does not parse
    shown = re.sub(r":[^:/@]*@", ":***@", settings.database_url or str(settings.data_dir / "dccflow.db"))
    try:
        url = settings.db_url  # creates the data directory for the default SQLite file
        parsed = make_url(url)
        shown = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            path = Path(parsed.database)
            if not path.exists():  # do not create the file here: check that it can be
                if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
                    raise ConfigurationError(f"database {shown} cannot be used (DCCFLOW_DATABASE_URL / "
                                             f"DCCFLOW_DATA_DIR): {path.parent} is not a writable folder")
                return
        args = {"connect_timeout": 5} if parsed.get_backend_name() == "postgresql" else {}
        engine = create_engine(url, connect_args=args)
        try:
            with engine.connect() as conn:  # SQLite: reads the file's header ('file is not a database')
                conn.execute(text("PRAGMA schema_version" if parsed.get_backend_name() == "sqlite" else "SELECT 1"))
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError, ImportError, ValueError) as exc:
        problem = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise ConfigurationError(f"database {shown} cannot be used (DCCFLOW_DATABASE_URL / DCCFLOW_DATA_DIR): "
                                 f"{problem}") from None
