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
from django.db.models import QuerySet


def regroup(queryset: QuerySet, columns: list[str], sums: tuple[str, ...] = ()) -> list[tuple]:
    """``SELECT columns, COUNT(*)[, SUM(s) ...] FROM (queryset) GROUP BY columns``.

    ``columns`` and ``sums`` name columns of the queryset's SELECT: annotations or values()
    of the model's own fields (related fields need an annotation to be named).
    """
    connection = connections[queryset.db]
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    totals = "".join(f", SUM({connection.ops.quote_name(column)})" for column in sums)
    grouped = f"SELECT {names}, COUNT(*){totals} FROM ({sql}) regrouped GROUP BY {names}"
    with connection.cursor() as cursor:
        cursor.execute(grouped, params)
        return cursor.fetchall()
