"""Deleted records, recovered by an administrator from their history.

A deletion of a tracked model leaves a historical row ("-") holding the record as it was. A
deletion that cascades (a node with its sub-nodes and indicators, say) leaves one such row per
record, by the same person within the same moment: they are restored together, parents first
(a cascade deletes children first, so the rows are replayed newest first). The restore is one
transaction: either the whole group comes back or nothing does. Many-to-many links recorded in
the history (sectors, countries, ...) are restored with their record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from simple_history.models import registered_models

from limpia.core.errors import DomainError
from limpia.core.services import require_perm, save_attributed

GROUP_WINDOW = dt.timedelta(seconds=2)
LISTED = 200


@dataclass(frozen=True)
class Deleted:
    model: str  # "app_label.model_name"
    verbose_name: str
    history_id: int
    object_id: int | str
    label: str
    deleted_at: dt.datetime
    deleted_by: str


def _tracked_models() -> list:
    """The models with a history (not the many-to-many tables simple-history also registers)."""
    models = [
        m
        for m in registered_models.values()
        if hasattr(m._meta, "simple_history_manager_attribute")
    ]
    return sorted(models, key=lambda m: m._meta.label_lower)


def _still_deleted(model, records) -> list:
    ids = {r.id for r in records}
    existing = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return [r for r in records if r.id not in existing]


def deleted_records(*, limit: int = LISTED) -> list[Deleted]:
    """The latest deletions whose record has not come back, newest first (two queries per
    tracked model, whatever the number of deletions)."""
    found = []
    for model in _tracked_models():
        records = list(
            model.history.filter(history_type="-")
            .select_related("history_user")
            .order_by("-history_date")[:limit]
        )
        for record in _still_deleted(model, records):
            user = record.history_user
            found.append(
                Deleted(
                    model=model._meta.label_lower,
                    verbose_name=str(model._meta.verbose_name),
                    history_id=record.history_id,
                    object_id=record.id,
                    label=str(record.instance)[:200],
                    deleted_at=record.history_date,
                    deleted_by=(user.get_full_name() or user.username) if user else "",
                )
            )
    found.sort(key=lambda d: d.deleted_at, reverse=True)
    return found[:limit]


def _deletion(model_label: str, history_id: int):
    for model in _tracked_models():
        if model._meta.label_lower == model_label:
            record = model.history.filter(history_type="-", history_id=history_id).first()
            if record is not None:
                return model, record
    raise DomainError(_("There is no such deleted record."), field="record")


def _group(record) -> list[tuple]:
    """The deletion rows of the same cascade: the same moment, by the same person (records a
    cascade removes outside a request may carry no person), not restored since."""
    start, end = record.history_date - GROUP_WINDOW, record.history_date + GROUP_WINDOW
    same_person = Q(history_user__isnull=True)
    if record.history_user_id:
        same_person |= Q(history_user_id=record.history_user_id)
    group = []
    for model in _tracked_models():
        rows = model.history.filter(same_person, history_type="-", history_date__range=(start, end))
        group.extend((model, row) for row in _still_deleted(model, list(rows)))
    group.sort(key=lambda pair: (pair[1].history_date, pair[1].history_id), reverse=True)
    return group


@transaction.atomic
def record_restore(*, acting_user, model_label: str, history_id: int) -> list:
    """Bring back a deleted record, and the records its deletion took with it."""
    require_perm(acting_user, "core.restore_deleted")
    model, record = _deletion(model_label, history_id)
    if model.objects.filter(pk=record.id).exists():
        raise DomainError(_("This record exists again; there is nothing to restore."))
    restored = []
    try:
        with transaction.atomic():
            for _model, row in _group(record):
                instance = row.instance
                instance._state.adding = True
                save_attributed(instance, acting_user=acting_user, reason="restored")
                m2m_fields = getattr(row, "_history_m2m_fields", [])
                # The deletion row's own links are empty (Django removes them first): take
                # them from the last state before the deletion.
                before = (
                    _model.history.filter(id=row.id, history_date__lte=row.history_date)
                    .exclude(history_type="-")
                    .order_by("-history_date", "-history_id")
                    .first()
                    if m2m_fields
                    else None
                )
                for field in m2m_fields if before is not None else []:
                    through = getattr(before, field.name).all()
                    targets = [getattr(link, field.m2m_reverse_field_name()) for link in through]
                    getattr(instance, field.name).set([t for t in targets if t is not None])
                restored.append(instance)
    except IntegrityError as exc:
        raise DomainError(
            _(
                "It cannot be restored: a record it depends on is gone too and is not part of "
                "the same deletion (%(error)s). Restore that one first."
            )
            % {"error": str(exc).splitlines()[0][:200]}
        ) from None
    return restored
