"""`tracked_history()`: the history every tracked model declares (see limpia.core.audit)."""

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from limpia.core.audit import Source, current_source


class ChangeSourceHistory(models.Model):
    """The fields every historical row adds to simple-history's own."""

    history_source = models.CharField(
        _("changed from"),
        max_length=10,
        blank=True,
        default=current_source,
        choices=Source.choices,
    )

    class Meta:
        abstract = True


def tracked_history(**options) -> HistoricalRecords:
    """The history of a model, with the channel of each change."""
    return HistoricalRecords(bases=[ChangeSourceHistory], **options)


def bulk_create_tracked(objects: list, model, *, user=None, reason: str = "") -> list:
    """Insert `objects` and their history rows, as django-simple-history's
    `bulk_create_with_history` writes them (type "+", the user, the reason, the channel, the
    same time for the batch), with the history copied by the database: the objects are
    inserted with their ids returned, then one ``INSERT INTO history SELECT ... FROM table
    WHERE id IN (...)`` per batch writes their history rows, instead of a model instance and a
    parameter per field and row. A test checks the rows equal simple-history's."""
    if not objects:
        return objects
    created = model._default_manager.bulk_create(objects, batch_size=len(objects))
    if created[0].pk is None:  # SQLite before 3.35 returns none; Limpia needs 3.35
        raise RuntimeError(f"{model.__name__}: the database returned no ids")
    history = model.history.model
    quote = connection.ops.quote_name
    copied = [f.column for f in history.tracked_fields]
    targets = [
        *copied,
        "history_date",
        "history_user_id",
        "history_change_reason",
        "history_type",
        "history_source",
    ]
    columns = ", ".join(quote(c) for c in targets)
    values = ", ".join(quote(c) for c in copied)
    when = connection.ops.adapt_datetimefield_value(timezone.now())
    fixed = [when, getattr(user, "pk", None), reason, "+", current_source()]
    pk = quote(model._meta.pk.column)
    ids = [obj.pk for obj in created]
    with connection.cursor() as cursor:
        for start in range(0, len(ids), HISTORY_BATCH):
            batch = ids[start : start + HISTORY_BATCH]
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({columns}) "
                f"SELECT {values}, %s, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
                f"WHERE {pk} IN ({', '.join(['%s'] * len(batch))}) ORDER BY {pk}",
                [*fixed, *batch],
            )
    return created


HISTORY_BATCH = 2000
