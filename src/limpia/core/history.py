"""An object's history as its page shows it: when, who, from where, why, and what changed.

Reads the historical rows of one object in one query (users joined) and compares each with the
previous one in memory (django-simple-history's diff_against, many-to-many fields left out so
that no row costs a query).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from limpia.core.audit import Source

SHOWN = 100  # the latest changes shown on a page
VALUE_LENGTH = 80
TYPES = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


@dataclass(frozen=True)
class Change:
    name: str  # the field's name
    field: str  # its label
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    date: dt.datetime
    user: str
    source: str
    kind: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def _shown(value) -> str:
    if value in (None, ""):
        return "—"
    text = str(value)
    return text if len(text) <= VALUE_LENGTH else text[: VALUE_LENGTH - 1] + "…"


def history_entries(instance, *, limit: int = SHOWN) -> list[Entry]:
    """The latest `limit` changes of `instance`, newest first."""
    history = instance.history
    records = list(
        history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    records.reverse()  # oldest first, with one more than shown to diff the oldest shown
    m2m = {f.name for f in getattr(records[0], "_history_m2m_fields", [])} if records else set()
    sources = dict(Source.choices)
    entries = []
    for previous, record in zip([None, *records], records, strict=False):
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous, excluded_fields=m2m)
            for change in delta.changes:
                label = record._meta.get_field(change.field).verbose_name
                changes.append(
                    Change(change.field, str(label), _shown(change.old), _shown(change.new))
                )
        user = record.history_user
        entries.append(
            Entry(
                date=record.history_date,
                user=(user.get_full_name() or user.username) if user else "",
                source=str(sources.get(getattr(record, "history_source", ""), "")),
                kind=str(TYPES.get(record.history_type, record.history_type)),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    if len(records) > limit:
        entries = entries[1:]
    return list(reversed(entries))
