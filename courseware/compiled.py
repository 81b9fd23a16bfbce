"""ORM queries built once per shape, then run with other values.

Building a queryset's SQL (resolving lookups, joins, aggregates and their
filters) costs Django 0.3-1 ms of Python per query, whatever the query
returns; on the submission path that was a quarter of a POST. ``Compiled``
builds the query once with stand-in values, finds where those values sit among
the SQL's parameters, and afterwards only puts the new values in their
places. The ORM stays the one definition of the query (its filters,
``selectors.COUNTS_AS_ATTEMPT``, ``fairness.grading_load``); the SQL is what
the ORM wrote for it.

A shape is everything but the values: where a value would change the SQL
itself (``None`` becomes ``IS NULL``), the caller keeps one ``Compiled`` per
case. Stand-ins are integers, texts and datetimes no real row holds; each must turn
up among the parameters exactly once, or building fails (a test builds every
query of the project).

Rows come back as dicts of the query's columns, as the database sends them
(no field converters): for counts, ids and numbers. A query that locks rows
(``select_for_update``) is built on its first run, inside the caller's
transaction, as Django requires.
"""

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import connections
from django.db.models import QuerySet

_SERIAL = itertools.count(1)
_INT_BASE = -(2**62)
_DATETIME_BASE = datetime(1903, 2, 3, tzinfo=UTC)


class Compiled:
    """``build(**values) -> QuerySet``, compiled on first use per database.

    ``kinds`` names each value and its type: ``"int"`` (an id, a model's pk),
    ``"str"`` or ``"datetime"``.
    """

    def __init__(self, build: Callable[..., QuerySet], **kinds: str):
        unknown = set(kinds.values()) - {"int", "str", "datetime"}
        if unknown:
            raise ValueError(f"unknown value kind {sorted(unknown)[0]!r}")
        self.build = build
        self.kinds = kinds
        self._sql: dict[str, tuple[str, list, dict[int, str]]] = {}

    def rows(self, using: str = "default", **values) -> list[dict]:
        """The query's rows for these values (inside the caller's transaction)."""
        if set(values) != set(self.kinds):
            raise TypeError(f"values of {sorted(self.kinds)} expected")
        sql, params, places = self.compiled(using)
        params = list(params)
        for index, name in places.items():
            params[index] = _adapted(self.kinds[name], values[name], using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def compiled(self, using: str = "default") -> tuple[str, list, dict[int, str]]:
        """(SQL, parameters with stand-ins, parameter index -> value name)."""
        vendor = connections[using].vendor
        if vendor not in self._sql:
            standins = {name: _standin(kind) for name, kind in self.kinds.items()}
            queryset = self.build(**standins).using(using)
            sql, params = queryset.query.sql_with_params()
            places = {}
            for name, standin in standins.items():
                standin = _adapted(self.kinds[name], standin, using)
                found = [i for i, param in enumerate(params) if param == standin]
                if len(found) != 1:
                    raise ValueError(
                        f"value {name!r} is a parameter {len(found)} times, not once"
                    )
                places[found[0]] = name
            self._sql[vendor] = (sql, list(params), places)
        return self._sql[vendor]


def _adapted(kind: str, value, using: str):
    """``value`` as the ORM puts it among a query's parameters (SQLite takes a
    datetime as text, in UTC; PostgreSQL as it is)."""
    if kind == "datetime":
        return connections[using].ops.adapt_datetimefield_value(value)
    return value


def _standin(kind: str):
    serial = next(_SERIAL)
    if kind == "int":
        return _INT_BASE - serial
    if kind == "str":
        return f"\x00tracegrade stand-in {serial}\x00"
    return _DATETIME_BASE + timedelta(microseconds=serial)
