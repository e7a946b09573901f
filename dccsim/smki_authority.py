"""The SMKI's own keys as the DCC holds them (Root, Issuing OCA, the DCC's signing key, the Contingency and Recovery
material) and a generation number that says when any of them was last written, so that a process holding them in
memory (``dccsim.smki.SmkiRepository``) knows to read them again."""

from __future__ import annotations

import threading

from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, object_session
from sqlmodel import Field, SQLModel

from dccflow.prepared import Prepared


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


#: ``Session.info`` key of the generation a transaction has read (``AuthorityGeneration.in_transaction``)
_SEEN_IN_TRANSACTION = "smki_authority_generation"
_READ_PREPARED = Prepared(select(SmkiAuthorityGeneration.generation).where(SmkiAuthorityGeneration.id == 1))


@event.listens_for(SmkiAuthorityKey, "after_insert")
@event.listens_for(SmkiAuthorityKey, "after_update")
@event.listens_for(SmkiAuthorityKey, "after_delete")
def _authority_written(_mapper, connection, row) -> None:
    connection.execute(_RAISE)
    session = object_session(row)
    if session is not None:
        session.info.pop(_SEEN_IN_TRANSACTION, None)  # this transaction has moved the generation on


class AuthorityGeneration:
    """Reads the authority keys' generation now (0 before any was written), as often as every use of a key: on SQLite
    through one connection of its own, kept out of any transaction (each read sees the last commit of any process),
    a few microseconds; elsewhere through a pooled connection."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._raw = None  # SQLite: this reader's own DBAPI connection
        self._mutex = threading.Lock()

    @staticmethod
    def in_transaction(session: Session) -> int:
        """The generation as ``session``'s transaction sees it, read once per transaction on its own connection (a
        prepared SELECT): the DCC's intake uses the keys several times per request (Confirm Validity's Root and
        Issuing OCA, the DCC's signature on the Service Response), all as of the request's transaction. The
        transaction's own writes of a key read it again (``_authority_written``)."""
        info = session.info
        generation = info.get(_SEEN_IN_TRANSACTION)
        if generation is None:
            row = _READ_PREPARED.first(session.connection(), {})
            generation = info[_SEEN_IN_TRANSACTION] = (row[0] if row else None) or 0
        return generation

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
