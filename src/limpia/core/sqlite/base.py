"""Django's SQLite backend, reading every stored decimal back instead of failing on some.

Values entered since the 15-significant-digit rule (core/fields.py) always read back exactly.
A row stored before it may hold a double that Django's converter cannot fit in the field
(99999999999999.98 read back as 1.00000000000000E+14): rather than answering 500 on every page
that shows the row, and failing the backup, it is read as the shortest decimal that the stored
double stands for, and, should even that exceed the column, as the column's largest value.
"""

import decimal
import logging

from django.db.backends.sqlite3 import base, operations
from django.db.models.expressions import Col

from limpia.core.fields import largest_value

logger = logging.getLogger(__name__)


class DatabaseOperations(operations.DatabaseOperations):
    def get_decimalfield_converter(self, expression):
        strict = super().get_decimalfield_converter(expression)
        if not isinstance(expression, Col):
            return strict

        def converter(value, expression, connection):
            try:
                return strict(value, expression, connection)
            except decimal.InvalidOperation:
                return _nearest(value, expression.output_field)

        return converter


def _nearest(value, field) -> decimal.Decimal:
    context = decimal.Context(prec=field.max_digits + 2)
    exact = context.create_decimal(repr(value)).quantize(
        decimal.Decimal(1).scaleb(-field.decimal_places), context=context
    )
    largest = largest_value(field.max_digits, field.decimal_places)
    nearest = max(-largest, min(largest, exact))
    logger.warning(
        "%s.%s holds %r, more than 15 significant digits: read as %s",
        field.model._meta.label,
        field.name,
        value,
        nearest,
    )
    return nearest


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
