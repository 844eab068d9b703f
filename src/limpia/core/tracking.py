"""`tracked_history()`: the history every tracked model declares (see limpia.core.audit)."""

from django.db import models
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
