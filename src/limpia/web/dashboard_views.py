"""The national APL dashboard page (the figures come from `agreements.dashboard`)."""

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from limpia.access.rules import agreements_visible_to
from limpia.agreements import dashboard
from limpia.agreements.models import Agreement
from limpia.core.models import Country
from limpia.web.forms import BootstrapForm


class DashboardForm(BootstrapForm):
    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args, countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("All")), *countries]


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@require_safe
def agreements_dashboard(request):
    agreements = agreements_visible_to(request.user, Agreement.objects.all())
    countries = [
        (c.pk, c.localized_name())
        for c in Country.objects.filter(pk__in=agreements.order_by().values("country_id"))
    ]
    form = DashboardForm(request.GET or None, countries=countries)
    as_of, country = timezone.localdate(), None
    if form.is_valid():
        as_of = form.cleaned_data["as_of"] or as_of
        country = form.cleaned_data["country"] or None
    now = dashboard.current(request.user, as_of=as_of, country=country)
    board = now.board
    d = board.compliance
    bands = [
        ("full", _("100 % (eligible)"), d.full, "success"),
        ("correction", _("above the correction threshold"), d.correction, "warning"),
        ("below", _("at or below the threshold"), d.below, "danger"),
        ("not_assessable", _("not assessable"), d.not_assessable, "secondary"),
    ]
    return render(
        request,
        "web/agreements/dashboard.html",
        {
            "form": form,
            "board": board,
            "computed_at": now.computed_at,
            "refreshing": now.refreshing,
            "bands": [
                {
                    "key": k,
                    "label": label,
                    "count": n,
                    "width": _percent(n, d.facilities),
                    "colour": c,
                }
                for k, label, n, c in bands
            ],
            "dimensions": [
                ("sector", _("By sector (ISIC division)"), board.by["sector"]),
                ("region", _("By region"), board.by["region"]),
                ("size", _("By company size"), board.by["size"]),
            ],
            "max_stage": max((n for _s, _l, n in board.by_stage), default=0),
        },
    )
