"""The SMKI's own keys as the DCC holds them (Root, Issuing OCA, the DCC's signing key, the Contingency and Recovery
material) and a generation number that says when any of them was last written, so that a process holding them in
memory (``dccsim.smki.SmkiRepository``) knows to read them again."""

from __future__ import annotations

import threading

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel


class SmkiAuthorityKey(SQLModel, table=True):
    """The SMKI's own signing keys (Root, issuing CA, DCC). Held by the DCC only."""

    __tablename__ = "smki_authority_key"

    name: str = Field(primary_key=True)
    key_pem: bytes
    cert_pem: bytes


class SmkiAuthorityGeneration(SQLModel, table=True):
    """How many times the SMKI's authority keys have been written: raised in the transaction that inserts, replaces
    or deletes any of them (SMKI Recovery's new hierarchy, ``dccsim.smki_recovery_keys``). A process that holds
    them in memory (``SmkiRepository``) reads them again when it changes: another worker process may have moved the
    SMKI to a new Root meanwhile."""

    __tablename__ = "smki_authority_generation"

    id: int = Field(default=1, primary_key=True)
    generation: int = 0


_RAISE = text(
    "INSERT INTO smki_authority_generation (id, generation) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET generation = smki_authority_generation.generation + 1")
_READ_SQL = "SELECT generation FROM smki_authority_generation WHERE id = 1"
_READ = text(_READ_SQL)


@event.listens_for(SmkiAuthorityKey, "after_insert")
@event.listens_for(SmkiAuthorityKey, "after_update")
@event.listens_for(SmkiAuthorityKey, "after_delete")
def _authority_written(_mapper, connection, _row) -> None:
    connection.execute(_RAISE)


class AuthorityGeneration:
    """Reads the authority keys' generation now (0 before any was written), as often as every use of a key: on SQLite
    through one connection of its own, kept out of any transaction (each read sees the last commit of any process),
    a few microseconds; elsewhere through a pooled connection."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._raw = None  # SQLite: this reader's own DBAPI connection
        self._mutex = threading.Lock()

    def __call__(self) -> int:
        if self.engine.dialect.name != "sqlite":
            with self.engine.connect() as conn:
                return conn.execute(_READ).scalar() or 0
        with self._mutex:
            if self._raw is None:
                self._raw = self.engine.raw_connection()  # kept: never returned to the pool
            cursor = self._raw.cursor()
            try:
                # Python's driver begins a transaction before a write only: this SELECT is a transaction of its own
                row = cursor.execute(_READ_SQL).fetchone()
            finally:
                cursor.close()
        return row[0] if row else 0
