"""Core statements compiled once per dialect and run on the DBAPI cursor of a SQLAlchemy connection.

SQLAlchemy's ``Connection.execute`` spends, on every call, more Python than a small indexed statement takes in
the database: a cache key for the statement, an execution context, the parameters converted, a result object.
For the few statements on a hot path (the DCC's intake: ``docs/performance.md``) ``Prepared`` does what that
work amounts to once per dialect and bind-name set — the statement compiled by the dialect (any SQLAlchemy URL:
SQLite, PostgreSQL, …), the order of its positional parameters, the bind processors of their types (a
``DateTime`` rendered as SQLite stores it, JSON serialised) and the result processors of the columns — and then
per call only converts the values and calls the driver, on the DBAPI connection of the caller's transaction.

What stays as SQLAlchemy does it:

* the transaction: the statement runs on the connection the caller's ``Session``/``Connection`` has begun (its
  isolation level included), so it commits or rolls back with everything else;
* errors: a driver error goes through ``Connection._handle_dbapi_exception``, so the caller sees the same
  ``sqlalchemy.exc`` class (``IntegrityError``, a disconnect invalidating the connection, …);
* events: when the engine or connection has listeners (``before_cursor_execute``…, e.g. a test counting
  statements, a benchmark capturing them), the compiled statement goes through ``exec_driver_sql`` and they fire;
* scalar Python-side column defaults (``Column(default=0.0)``) fill the columns an INSERT was not given; what this
  cannot reproduce makes it fall back to ``Connection.execute``: a callable or SQL column default, expanding or
  literal-execute parameters, a schema translate map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import types
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.cache_key import NO_CACHE

__all__ = ["Prepared"]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: bind names in the order the driver takes them (positional paramstyles), else None
    positional: tuple[str, ...] | None
    #: per bind name, the name the driver sees (named paramstyles)
    escaped: Mapping[str, str]
    binds: Mapping[str, Callable[[Any], Any]]
    #: bind name -> the value compiled into the statement (a literal ``bindparam(value=…)``)
    constants: Mapping[str, Any]
    #: per result column, its type (the processor depends on the driver's type code too: PostgreSQL's numerics)
    result_types: tuple[Any, ...]
    #: scalar Python-side defaults of the columns an INSERT was not given (``Column(default=0.0)``)
    defaults: Mapping[str, Any]
    #: a feature this module does not reproduce: run through ``Connection.execute``
    fallback: bool


class Prepared:
    """One Core statement (``select(...)``, ``table.insert()``, …) to run many times with different values."""

    def __init__(self, statement: ClauseElement):
        self.statement = statement
        self._compiled: dict[tuple[Dialect, frozenset[str] | None], _Compiled] = {}
        #: per dialect and the driver's type codes of the result columns, their processors
        self._results: dict[tuple[Dialect, tuple], tuple[Callable[[Any], Any] | None, ...]] = {}

    def _compile(self, dialect: Dialect, keys: frozenset[str] | None) -> _Compiled:
        found = self._compiled.get((dialect, keys))
        if found is not None:
            return found
        compiled = self.statement.compile(dialect=dialect, column_keys=sorted(keys) if keys is not None else None)
        prefetch = list(compiled.insert_prefetch or ())
        scalar = all(col.default is not None and col.default.is_scalar for col in prefetch)
        fallback = bool((prefetch and not scalar) or compiled.update_prefetch or compiled.post_compile_params
                        or compiled.literal_execute_params or compiled.schema_translate_map)
        result_types = tuple(typ for *_, typ in compiled._result_columns) if compiled._result_columns else ()
        # by the name the statement was compiled with: an anonymous literal (``limit(1)``, ``case((…, 1))``) is
        # ``param_1`` there, not its key (``compiled.binds`` also lists the anonymous key itself: left out)
        constants = {name: bind.effective_value for name, bind in compiled.binds.items()
                     if not name.startswith("%(") and bind.key not in (keys or ()) and not bind.required}
        binds = {name: _shared_datetime(process, compiled.binds[name].type, dialect) if name in compiled.binds else
                 process for name, process in compiled._bind_processors.items()}
        found = _Compiled(sql=compiled.string, positional=tuple(compiled.positiontup) if compiled.positional else None,
                          escaped=dict(compiled.escaped_bind_names or {}), binds=binds,
                          constants=constants, result_types=result_types, fallback=fallback,
                          defaults={col.key: col.default.arg for col in prefetch} if scalar else {})
        self._compiled[(dialect, keys)] = found
        return found

    def _parameters(self, c: _Compiled, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        binds, constants = c.binds, c.constants
        if c.positional is not None:
            out = []
            for name in c.positional:
                value = values[name] if name in values else constants[name]
                process = binds.get(name)
                out.append(process(value) if process is not None else value)
            return tuple(out)
        named = {}
        for name in (*values, *(k for k in constants if k not in values)):
            value = values[name] if name in values else constants[name]
            process = binds.get(name)
            named[c.escaped.get(name, name)] = process(value) if process is not None else value
        return named

    def _run(self, conn: Connection, values: Mapping[str, Any], keys: frozenset[str] | None, fetch: bool) -> list:
        c = self._compile(conn.dialect, keys)
        if c.fallback:
            result = conn.execute(self.statement, dict(values))
            return [tuple(row) for row in result] if fetch else []
        if c.defaults:
            values = {**c.defaults, **values}
        parameters = self._parameters(c, values)
        if _listened(conn):  # listeners see the statement (exec_driver_sql)
            result = conn.exec_driver_sql(c.sql, parameters)
            if not fetch:
                return []
            description = result.cursor.description
            rows = [tuple(row) for row in result]
            return _processed(rows, self._processors(conn.dialect, c, description))
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            conn.dialect.do_execute(cursor, c.sql, parameters, None)
            rows = cursor.fetchall() if fetch else []
            description = cursor.description
        except conn.dialect.loaded_dbapi.Error as exc:
            conn._handle_dbapi_exception(exc, c.sql, parameters, cursor, None)
            raise  # pragma: no cover - _handle_dbapi_exception raises
        finally:
            cursor.close()
        return _processed(rows, self._processors(conn.dialect, c, description)) if fetch else []

    def _processors(self, dialect: Dialect, c: _Compiled, description) -> tuple[Callable[[Any], Any] | None, ...]:
        codes = tuple(d[1] for d in description or ())
        found = self._results.get((dialect, codes))
        if found is None:
            found = tuple(typ._cached_result_processor(dialect, code)
                          for typ, code in zip(c.result_types, codes or (None,) * len(c.result_types), strict=True))
            self._results[(dialect, codes)] = found
        return found

    def all(self, conn: Connection, values: Mapping[str, Any] | None = None) -> list[tuple]:
        """The rows of a SELECT, each a tuple of the columns' Python values."""
        return self._run(conn, values or {}, None, True)

    def first(self, conn: Connection, values: Mapping[str, Any] | None = None) -> tuple | None:
        rows = self.all(conn, values)
        return rows[0] if rows else None

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> None:
        """An INSERT/UPDATE/DELETE with ``values`` (an INSERT of ``table.insert()`` takes the columns given)."""
        self._run(conn, values, frozenset(values), False)


class _LastDatetime:
    """A date-time bind processor that keeps its last value and what it made of it: a request writes the same
    instant in several columns (received, completed, measured: ``dccsim.intake``), converted once. Shared by the
    columns of one type on one dialect (``_shared_datetime``); the pair is replaced as one, so a thread never
    pairs one value with another's result, and the value is compared by identity (a ``datetime`` never changes)."""

    __slots__ = ("last", "process")

    def __init__(self, process: Callable[[Any], Any]):
        self.process = process
        self.last: tuple[Any, Any] = (None, None)

    def __call__(self, value: Any) -> Any:
        last = self.last
        if value is last[0] and value is not None:
            return last[1]
        result = self.process(value)
        self.last = (value, result)
        return result


#: per dialect and type (its SQL cache key: its class and arguments), one shared ``_LastDatetime``
_datetimes: dict[tuple, _LastDatetime] = {}


def _shared_datetime(process: Callable[[Any], Any], type_: Any, dialect: Dialect) -> Callable[[Any], Any]:
    """``process`` of a date-time column type: the processor of every column of that type (the same cache key: the
    same conversion) on ``dialect``; any other type's, or a type without a cache key, as it is."""
    if getattr(type_, "_type_affinity", None) is not types.DateTime:
        return process
    type_key = type_._static_cache_key
    if type_key is NO_CACHE:
        return process
    key = (dialect, type_key)
    shared = _datetimes.get(key)
    if shared is None:
        shared = _datetimes.setdefault(key, _LastDatetime(process))
    return shared


def _listened(conn: Connection) -> bool:
    """Whether a listener would see a statement run on ``conn`` (``before_``/``after_execute``,
    ``…cursor_execute``). ``_has_events`` alone says one was ever added: an engine keeps it after its listeners are
    removed (a bench capturing statements, then timing), which left every statement on the slower path for good."""
    if not (conn._has_events or conn.engine._has_events):
        return False
    d = conn.dispatch
    return bool(d.before_execute or d.after_execute or d.before_cursor_execute or d.after_cursor_execute)


def _processed(rows: Iterable[Sequence[Any]], processors: tuple[Callable[[Any], Any] | None, ...]) -> list[tuple]:
    if not any(processors):
        return [tuple(row) for row in rows]
    return [tuple(p(v) if p is not None else v for p, v in zip(processors, row, strict=False)) for row in rows]
