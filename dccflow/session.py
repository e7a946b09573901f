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
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, inspect, select
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.base import instance_state
from sqlmodel import Session as _SqlModelSession

from dccflow.prepared import Prepared

__all__ = ["Session"]


class _Loader:
    """The prepared SELECT of one mapped class by primary key, and how its row becomes an instance."""

    def __init__(self, mapper: Mapper):
        self.mapper = mapper
        self.manager = mapper.class_manager
        table = mapper.local_table
        self.keys = tuple(prop.key for prop in mapper.column_attrs)
        columns = [prop.columns[0] for prop in mapper.column_attrs]
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


class Session(_SqlModelSession):
    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        loader = _loader(entity) if not kwargs and isinstance(entity, type) else None
        if loader is None or isinstance(ident, dict):
            return super().get(entity, ident, **kwargs)
        values = tuple(ident) if isinstance(ident, (tuple, list)) else (ident,)
        if len(values) != len(loader.binds) or any(v is None for v in values) \
                or self.dispatch.loaded_as_persistent or loader.manager.dispatch.load:
            return super().get(entity, ident)
        if loader.mapper.identity_key_from_primary_key(list(values)) in self.identity_map:
            return super().get(entity, ident)  # SQLAlchemy's rules for what the session holds
        self._autoflush()
        row = loader.statement.first(self.connection(bind_arguments={"mapper": loader.mapper}),
                                     dict(zip(loader.binds, values, strict=True)))
        if row is None:
            return None
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
