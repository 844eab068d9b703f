"""How statuses are shown: a translated label and a colour (never the colour alone)."""

from django.utils.translation import gettext_lazy as _

STATUS_LABELS = {
    "achieved": _("Achieved"),
    "on_track": _("On track"),
    "acceleration_needed": _("Acceleration needed"),
    "limited_progress": _("Limited progress"),
    "deterioration": _("Deterioration"),
    "missed": _("Missed"),
    "no_data": _("No data"),
    "not_started": _("Not started"),
    "pending": _("Pending"),
    "reported": _("Reported"),
}
STATUS_COLOURS = {
    "achieved": "success",
    "on_track": "success",
    "acceleration_needed": "warning",
    "limited_progress": "warning",
    "deterioration": "danger",
    "missed": "danger",
    "no_data": "secondary",
    "not_started": "secondary",
    "pending": "info",
    "reported": "info",
}


def status_badges(counts) -> list[dict]:
    return [
        {"key": key, "label": STATUS_LABELS[key], "colour": STATUS_COLOURS[key], "count": n}
        for key, n in counts.items()
        if n and key in STATUS_LABELS
    ]
