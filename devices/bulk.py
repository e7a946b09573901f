"""Bulk inserts for the fleet builder: many rows into one table, each row a tuple of the few columns that vary,
every other column a constant for the whole load.

On SQLite the rows go straight to the driver's ``executemany`` (one prepared statement, no per-row dict, no
per-row SQLAlchemy parameter processing), and the constant columns are SQL literals in that statement rather
than parameters bound again for every row (binding is most of the driver's cost per row: 33 columns for a
``device_state`` row, 13 of which vary). The values are still converted exactly as SQLAlchemy would convert
them: each column's bind processor from the dialect (JSON to text, booleans to 0/1, aware datetimes to UTC
text) is applied once per distinct value, and only NULL, integers and text become literals (the same values
and storage classes as bound parameters), so the rows written are byte-for-byte those a Core
``insert(table)`` of the same dicts writes (``tests/fleet/test_fleet_bulk.py`` compares the two). Other
dialects use Core ``executemany`` of dicts (``as_dict``), as the builder always did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Dialect


def _memo(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process`` once per distinct value: hashable values by value; dicts and lists by identity (the builder
    shares them: one cells dict per Device Type and Supplier), kept alive so an id is never reused; an empty
    dict or list by value. One memo per ``write``: nothing outlives the chunk."""
    by_value: dict = {}
    by_id: dict[int, tuple[Any, Any]] = {}

    def convert(value: Any) -> Any:
        if isinstance(value, dict | list):
            if not value:
                key = type(value)
                if key not in by_value:
                    by_value[key] = process(value)
                return by_value[key]
            hit = by_id.get(id(value))
            if hit is None:
                hit = by_id[id(value)] = (value, process(value))
            return hit[1]
        try:
            return by_value[value]
        except KeyError:
            result = by_value[value] = process(value)
            return result

    return convert


def _literal(value: Any) -> str | None:
    """``value`` as an SQLite literal of the same storage class a bound parameter gets, or None: bind it."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


class BulkTable:
    """Rows of ``table`` given as tuples of ``columns``; every other column takes ``constants[name]``, else the
    column's scalar default, else NULL. An autoincrement integer key not named is left to the database."""

    def __init__(self, table: Table, columns: Sequence[str], constants: Mapping[str, Any] | None = None):
        constants = dict(constants or {})
        self.table, self.columns = table, tuple(columns)
        unknown = (set(self.columns) | set(constants)) - set(table.c.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column {sorted(unknown)}")
        auto = table.autoincrement_column
        self.constants: dict[str, Any] = {}
        for column in table.columns:
            if column.name in self.columns or (column is auto and column.name not in constants):
                continue
            if column.name in constants:
                self.constants[column.name] = constants[column.name]
            else:
                default = column.default
                self.constants[column.name] = default.arg if default is not None and default.is_scalar else None
        self._names = self.columns + tuple(self.constants)
        self._prepared: dict[str, tuple[str, Any, dict[str, Any]]] = {}

    def with_constants(self, **values: Any) -> BulkTable:
        """The same table with more columns constant (e.g. the build's time), taken out of the row tuples."""
        return BulkTable(self.table, [c for c in self.columns if c not in values], {**self.constants, **values})

    def reordered(self, columns: Sequence[str]) -> BulkTable:
        """The same table with its row tuples' columns in another order (the same columns)."""
        if sorted(columns) != sorted(self.columns):
            raise ValueError(f"{self.table.name}: {tuple(columns)} are not the columns {self.columns}")
        return BulkTable(self.table, columns, self.constants)

    def as_dict(self, row: tuple) -> dict[str, Any]:
        """The row as the dict a Core ``insert`` takes (every column)."""
        return dict(zip(self._names, row + tuple(self.constants.values()), strict=True))

    def processors(self, dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
        """Each of ``columns``' bind processor on ``dialect`` (None: the value is bound as it is)."""
        return tuple(self._processor(dialect, name) for name in self.columns)

    def _processor(self, dialect: Dialect, name: str) -> Callable[[Any], Any] | None:
        return self.table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    def statement(self, dialect: Dialect, select: Sequence[str] = (), source: str = "") -> tuple[str, tuple]:
        """The ``INSERT`` of ``columns`` as parameters, then the constants (literals where they can be, else
        parameters: the second item, bound after a row's values). ``select``: instead, ``INSERT ... SELECT``
        with these expressions for ``columns``, and ``source`` the rest of the ``SELECT`` (``FROM ...``)."""
        quote = dialect.identifier_preparer.quote
        names, values, params = [], [], []
        for name, value in self.constants.items():
            process = self._processor(dialect, name)
            value = process(value) if process is not None else value
            names.append(quote(name))
            if literal := _literal(value):
                values.append(literal)
            else:
                values.append("?")
                params.append(value)
        head = (f"INSERT INTO {dialect.identifier_preparer.format_table(self.table)} "
                f"({', '.join([quote(n) for n in self.columns] + names)}) ")
        if not select:
            sql = head + f"VALUES ({', '.join(['?'] * len(self.columns) + values)})"
        else:
            if len(select) != len(self.columns):
                raise ValueError(f"{self.table.name}: {len(select)} expressions for {len(self.columns)} columns")
            sql = head + f"SELECT {', '.join([*select, *values])} {source}"
        return sql, tuple(params)

    def _prepare(self, conn: Connection) -> tuple[str, Any, dict[str, Any]]:
        """The statement, the code of the row converter and what it uses (``tail``: the constants bound as
        parameters; ``pN``: column N's bind processor)."""
        dialect = conn.dialect
        if dialect.name not in self._prepared:
            sql, tail = self.statement(dialect)
            # one expression per table, e.g. ``lambda row: (row[0], p1(row[1])) + tail``: no per-value loop
            scope: dict[str, Any] = {"tail": tail}
            items = []
            for i, process in enumerate(self.processors(dialect)):
                if process is not None:
                    scope[f"p{i}"] = process
                    items.append(f"p{i}(row[{i}])")
                else:
                    items.append(f"row[{i}]")
            code = compile(f"lambda row: ({', '.join(items)},) + tail", f"<bulk {self.table.name}>", "eval")
            self._prepared[dialect.name] = (sql, code, scope)
        return self._prepared[dialect.name]

    def write(self, conn: Connection, rows: list[tuple], *, raw: bool = True) -> None:
        """Insert ``rows`` in ``conn``'s transaction. ``raw=False``: through Core ``insert`` of dicts (the
        reference path; always so on a database other than SQLite)."""
        if not rows:
            return
        if not raw or conn.dialect.name != "sqlite":
            conn.execute(insert(self.table), [self.as_dict(r) for r in rows])
            return
        sql, code, scope = self._prepare(conn)
        memos = {name: _memo(value) if name.startswith("p") else value for name, value in scope.items()}
        convert = eval(code, memos)  # noqa: S307 - our own expression, compiled in _prepare
        conn.exec_driver_sql(sql, list(map(convert, rows)))
