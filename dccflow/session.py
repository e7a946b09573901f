"""The Session every ``session_scope`` opens: sqlmodel's, with a quicker ``get`` of a row not yet in the session.

``Session.get`` is the commonest read of the three systems (an SMI record, a simulated device and its CHF, a
request log entry…: a whole-fleet SMKI recovery makes about fourteen per Device). When the row is not in the
session, SQLAlchemy runs it as a full ORM query — execution options, a compile-cache key, a result object, the
loading pipeline — which costs several times the indexed SELECT itself. :class:`Session` keeps SQLAlchemy's
behaviour and does only what that pipeline amounts to for a plain mapped class:

* the SELECT of the mapped columns by primary key is a :class:`dccflow.prepared.Prepared` statement (compiled once
  per dialect; the columns' result processors applied), run on the session's connection, in its transaction;
* the instance is made as the ORM's loader makes it (``ClassManager.new_instance``, the columns put into its
  dict, the identity key from the row, added to the identity map, its state committed), so it is persistent in
  the session like any loaded object: changed, flushed, expired, refreshed and detached as usual;
* pending changes are flushed first, as the ORM's query would (autoflush).

Everything else goes to SQLAlchemy unchanged: an object already in the identity map (expired or deleted ones
included), any option (``with_for_update``, ``populate_existing``, ``options``…), a dict or ``None`` identity,
a mapper with inheritance, a version counter, a column not on its own table, or ``load`` /
``loaded_as_persistent`` listeners. ``tests/platform/test_session_get.py`` checks the two give the same objects.

:class:`Rows` does the same for a hot SELECT of whole rows by a column (``session.rows(query, values)``): one
prepared statement, the objects made as above, those the session already holds returned as they are.

``Session.connection()`` of a session with one bind hands the active transaction's connection straight back (every
prepared statement asks for it); a new, ended or failed transaction, other binds or execution options go to
SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.base import instance_state
from sqlmodel import Session as _SqlModelSession

from dccflow.prepared import Prepared

__all__ = ["Rows", "Session", "select_rows"]


class _Loader:
    """The prepared SELECT of one mapped class by primary key, and how its row becomes an instance."""

    def __init__(self, mapper: Mapper):
        self.mapper = mapper
        self.manager = mapper.class_manager
        table = mapper.local_table
        self.keys = tuple(prop.key for prop in mapper.column_attrs)
        self.columns = columns = [prop.columns[0] for prop in mapper.column_attrs]
        self.pk_at = tuple(columns.index(col) for col in mapper.primary_key)
        self.binds = tuple(f"pk_{i}" for i in range(len(mapper.primary_key)))
        where = and_(*(col == bindparam(name) for col, name in zip(mapper.primary_key, self.binds, strict=True)))
        self.statement = Prepared(select(*columns).where(where))
        self.usable = (mapper.inherits is None and not mapper.polymorphic_map and mapper.version_id_col is None
                       and mapper.single is False and all(len(prop.columns) == 1 and prop.columns[0].table is table
                                                          for prop in mapper.column_attrs))


_loaders: dict[type, _Loader | None] = {}


def _loader(entity: Any) -> _Loader | None:
    found = _loaders.get(entity, False)
    if found is not False:
        return found
    try:
        mapper = inspect(entity, raiseerr=False)
    except Exception:  # noqa: BLE001 - not a mapped class: SQLAlchemy says what is wrong
        mapper = None
    loader = _Loader(mapper) if isinstance(mapper, Mapper) and mapper.class_ is entity else None
    _loaders[entity] = loader if loader is not None and loader.usable else None
    return _loaders[entity]


class Rows:
    """A prepared SELECT of a mapped class's rows: ``Rows(Model, Model.col == bindparam("x"), order_by=(…))``, run
    with ``session.rows(query, {"x": …})``. The objects are what ``session.exec(select(Model).where(…))`` gives."""

    def __init__(self, entity: type, *where: Any, order_by: tuple = ()):
        self.entity, self.where, self.order_by = entity, where, order_by
        self._statement: Prepared | None = None

    def orm(self):
        return select(self.entity).where(*self.where).order_by(*self.order_by)

    def prepared(self, loader: _Loader) -> Prepared:
        if self._statement is None:
            self._statement = Prepared(select(*loader.columns).where(*self.where).order_by(*self.order_by))
        return self._statement


class Session(_SqlModelSession):
    #: (the SessionTransaction, its Connection) as ``connection`` last gave it
    _held: tuple[Any, Connection] | None = None
    #: set by ``dccflow.db.HeldConnection``, whose Session is bound to a Connection on which it begins each
    #: transaction itself: while that transaction is open and the Session has begun none of its own, ``connection``
    #: lends the bound Connection as it is (Core and prepared statements run in that transaction, no Session
    #: transaction is begun for them), and ``rollback`` rolls that transaction back. The ORM's own work (a flush, a
    #: query) begins a Session transaction as usual, which joins it: SQLAlchemy's "rollback_only" join.
    lends_bound_transaction: bool = False

    def connection(self, bind_arguments: dict[str, Any] | None = None,
                   execution_options: Any = None) -> Connection:
        """SQLAlchemy's, except that a session with one bind (``Session(engine)``: every ``session_scope``) hands
        the connection of its active transaction straight back: a request asks for it for every prepared
        statement, and SQLAlchemy's path to it is several calls deep each time. A new, ended or failed transaction
        goes to SQLAlchemy (which begins, or raises, as it does). See also ``lends_bound_transaction``."""
        if self.lends_bound_transaction and self._transaction is None and execution_options is None \
                and self.bind.in_transaction():
            return self.bind
        if execution_options is None and self.bind is not None and not self.binds:
            transaction, held = self._transaction, self._held
            if held is not None and held[0] is transaction and transaction is not None and transaction.is_active:
                return held[1]
            conn = super().connection(bind_arguments)
            self._held = (self._transaction, conn)
            return conn
        return super().connection(bind_arguments, execution_options)

    def rollback(self) -> None:
        """SQLAlchemy's; with ``lends_bound_transaction`` and no Session transaction begun, the lent transaction is
        rolled back and the objects loaded are expired (read again), as a rollback does. (Any change of the ORM's —
        an object added, changed or deleted — begins a Session transaction, which SQLAlchemy rolls back itself.)"""
        if not (self.lends_bound_transaction and self._transaction is None and self.bind.in_transaction()):
            super().rollback()
            return
        self.bind.rollback()
        self.expire_all()

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        loader = _loader(entity) if not kwargs and isinstance(entity, type) else None
        if loader is None or isinstance(ident, dict):
            return super().get(entity, ident, **kwargs)
        values = tuple(ident) if isinstance(ident, (tuple, list)) else (ident,)
        if len(values) != len(loader.binds) or any(v is None for v in values) or not self._quick(loader):
            return super().get(entity, ident)
        if loader.mapper.identity_key_from_primary_key(list(values)) in self.identity_map:
            return super().get(entity, ident)  # SQLAlchemy's rules for what the session holds
        self._autoflush()
        row = loader.statement.first(self.connection(bind_arguments={"mapper": loader.mapper}),
                                     dict(zip(loader.binds, values, strict=True)))
        return None if row is None else self._instance(loader, row)

    def rows(self, query: Rows, values: dict[str, Any] | None = None) -> list:
        """The objects of ``query`` (with its bind ``values``), as the ORM's SELECT would give them."""
        loader = _loader(query.entity)
        if loader is None or not self._quick(loader):
            return list(self.exec(query.orm().params(**(values or {}))))
        self._autoflush()
        found = query.prepared(loader).all(self.connection(bind_arguments={"mapper": loader.mapper}), values)
        held = [self.identity_map.get(loader.mapper.identity_key_from_primary_key([row[i] for i in loader.pk_at]))
                for row in found]
        if any(obj is not None and instance_state(obj).expired_attributes for obj in held):
            return list(self.exec(query.orm().params(**(values or {}))))  # the ORM refreshes what expired
        return [obj if obj is not None else self._instance(loader, row) for obj, row in zip(held, found, strict=True)]

    def _quick(self, loader: _Loader) -> bool:
        return not (self.dispatch.loaded_as_persistent or loader.manager.dispatch.load)

    def _instance(self, loader: _Loader, row: tuple) -> Any:
        """The persistent object of ``row`` (the mapped columns in order), as the ORM's loader makes it."""
        key = loader.mapper.identity_key_from_primary_key([row[i] for i in loader.pk_at])
        present = self.identity_map.get(key)  # the row's own key differs from ``ident`` (another spelling)
        if present is not None:
            return present
        obj = loader.manager.new_instance()
        state = instance_state(obj)
        dict_ = state.dict
        for name, value in zip(loader.keys, row, strict=True):
            dict_[name] = value
        state.key, state.identity_token, state.session_id = key, None, self.hash_key
        self.identity_map._add_unpresent(state, key)
        state._commit_all(dict_, self.identity_map)
        return obj


def select_rows(session: Any, query: Rows, values: dict[str, Any] | None = None) -> list:
    """``session.rows(query, values)``, or the ORM's SELECT in a Session of another class."""
    if isinstance(session, Session):
        return session.rows(query, values)
    return list(session.exec(query.orm().params(**(values or {}))))
