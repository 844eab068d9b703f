"""Aggregates over aggregates: what the ORM cannot say in one query.

Django groups a queryset once (`values(...).annotate(Count(...))`). Some figures need a
second grouping over those groups: the number of companies whose first adhesion falls on each
date, or the number of facilities with each pair of (applicable, complying) counts. Fetching
the first grouping's rows to count them in Python would load one row per company or facility;
this wraps the queryset's own SQL (parameters kept apart, never interpolated) as a subquery
and groups it again in the database.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import IntegerField, QuerySet
from django.db.models.functions import ExtractYear


def regroup_sets(
    queryset: QuerySet, groupings: dict[str, str | None], columns: list[str]
) -> dict[str, list[tuple]]:
    """Several second groupings of one queryset, in one query that runs it once.

    ``WITH inner AS MATERIALIZED (queryset) SELECT name, key, columns, COUNT(*) FROM inner
    GROUP BY key, columns UNION ALL ...``: one row set per grouping name, each row
    ``(key, *columns, count)``; a grouping whose key is None groups by ``columns`` only (its
    key reads None). SQLite ≥ 3.35 and PostgreSQL ≥ 12 both keep a materialized CTE.
    """
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    names = ", ".join(quote(column) for column in columns)
    selects = []
    for position, key in enumerate(groupings.values()):
        key_sql = quote(key) if key else "NULL"
        group_by = f"{key_sql}, {names}" if key else names
        selects.append(
            f"SELECT {position} AS grouping_, {key_sql} AS key_, {names}, COUNT(*) "
            f"FROM inner_ GROUP BY {group_by}"
        )
    grouped = f"WITH inner_ AS MATERIALIZED ({sql}) " + " UNION ALL ".join(selects)
    result: dict[str, list[tuple]] = {name: [] for name in groupings}
    order = list(groupings)
    with connection.cursor() as cursor:
        cursor.execute(grouped, params)
        for position, *row in cursor.fetchall():
            result[order[position]].append(tuple(row))
    return result


def distinct_counts_sets(
    queryset: QuerySet, groupings: dict[str, str | None], columns: list[str]
) -> dict[str, dict]:
    """For each grouping, how many distinct values of each of `columns` the queryset's rows
    hold per key, in one query that runs the queryset once.

    ``WITH inner AS MATERIALIZED (queryset) SELECT name, key, COUNT(DISTINCT c1), ... FROM
    inner GROUP BY key UNION ALL ...``: grouping name → key → ``(count of c1, ...)``; a
    grouping whose key is None counts over all rows (its one key reads None). The national
    dashboard counts adhered companies and facilities overall and by sector, region and size
    this way: one pass over the adhesions instead of one per dimension.
    """
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    counts = ", ".join(f"COUNT(DISTINCT {quote(column)})" for column in columns)
    selects = []
    for position, key in enumerate(groupings.values()):
        key_sql = quote(key) if key else "NULL"
        group_by = f" GROUP BY {key_sql}" if key else ""
        selects.append(
            f"SELECT {position} AS grouping_, {key_sql} AS key_, {counts} FROM inner_{group_by}"
        )
    grouped = f"WITH inner_ AS MATERIALIZED ({sql}) " + " UNION ALL ".join(selects)
    result: dict[str, dict] = {name: {} for name in groupings}
    order = list(groupings)
    with connection.cursor() as cursor:
        cursor.execute(grouped, params)
        for position, key, *row in cursor.fetchall():
            result[order[position]][key] = tuple(row)
    return result


def counts_by_date(series: list[tuple[QuerySet, str]]) -> list[list[tuple]]:
    """Rows per date of several querysets, in one query: for each ``(queryset, column)``, the
    dates of ``column`` in the queryset's rows with how many rows have each.

    ``SELECT 0, column, COUNT(*) FROM (queryset) GROUP BY column UNION ALL SELECT 1, ...``: a
    queryset that groups already (the first adhesion date of each company) is grouped again by
    its date, so that one row per date comes back, never one per company. Every queryset must
    read the same database. Dates come back as the driver gives them (SQLite: ISO text).
    """
    if not series:
        return []
    alias = series[0][0].db
    connection = connections[alias]
    quote = connection.ops.quote_name
    selects, params = [], []
    for position, (queryset, column) in enumerate(series):
        sql, query_params = queryset.order_by().query.get_compiler(using=alias).as_sql()
        selects.append(
            f"SELECT {position} AS series_, s_.{quote(column)} AS day_, COUNT(*) AS n_ "
            f"FROM ({sql}) s_ GROUP BY s_.{quote(column)}"
        )
        params.extend(query_params)
    result: list[list[tuple]] = [[] for _ in series]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for position, day, n in cursor.fetchall():
            result[position].append((day, n))
    return result


def exists_many(querysets: dict[str, QuerySet]) -> frozenset[str]:
    """The names whose queryset has at least one row, in one query
    (``SELECT EXISTS(...), EXISTS(...)``)."""
    if not querysets:
        return frozenset()
    alias = next(iter(querysets.values())).db
    connection = connections[alias]
    parts, params = [], []
    for queryset in querysets.values():
        sql, query_params = (
            queryset.order_by().values("pk")[:1].query.get_compiler(using=alias).as_sql()
        )
        parts.append(f"EXISTS({sql})")
        params.extend(query_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return frozenset(name for name, found in zip(querysets, row, strict=True) if found)


def insert_from(model, columns: dict[str, str], queryset: QuerySet) -> int:
    """``INSERT INTO model (fields) SELECT ... FROM (queryset)``: rows written by the database
    from a grouped queryset, never fetched into Python. `columns` maps each field of `model`
    to the name of a column of the queryset's `values()` (an annotation's alias). Returns the
    number of rows written."""
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    sql, params = queryset.order_by().query.get_compiler(using=queryset.db).as_sql()
    targets = ", ".join(quote(model._meta.get_field(f).column) for f in columns)
    sources = ", ".join(f"s_.{quote(c)}" for c in columns.values())
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({targets}) SELECT {sources} FROM ({sql}) s_", params)
        return cursor.rowcount


def refresh_statistics(alias: str = "default") -> None:
    """``ANALYZE``: the database's statistics of every table read again, so that its planner
    knows the tables' sizes after a bulk load (PostgreSQL's autovacuum gets there later by
    itself; SQLite never does). Without them PostgreSQL estimates a few rows for a table that
    a load just filled and joins by nested loops."""
    with connections[alias].cursor() as cursor:
        cursor.execute("ANALYZE")


class YearOf(ExtractYear):
    """The year of a date column. On SQLite, Django's ExtractYear calls a Python function
    once per row (about 1.7 µs each: 0.3 s over the 157,000 adhesions at S10); a date is
    stored there as ISO text, so its first four characters are the year, read by SQLite
    itself. Elsewhere, ExtractYear's own SQL."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"CAST(SUBSTR({sql}, 1, 4) AS INTEGER)", params
