from django import forms
from django.utils.translation import gettext_lazy as _

from limpia.plans.models import Horizon


class BootstrapForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class TreeFilterForm(BootstrapForm):
    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    responsible = forms.ChoiceField(label=_("Responsible"), required=False)
    horizon = forms.ChoiceField(
        label=_("Horizon"), required=False, choices=[("", _("All")), *Horizon.choices]
    )

    def __init__(self, *args, statuses=(), organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *statuses]
        self.fields["responsible"].choices = [("", _("All")), *organizations]


class MeasurementForm(BootstrapForm):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(label=_("Value"), required=False, max_digits=20, decimal_places=6)
    text = forms.CharField(
        label=_("Reported text"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence_url = forms.URLField(
        label=_("Evidence link"), required=False, max_length=500, assume_scheme="https"
    )
    submit_now = forms.BooleanField(label=_("Submit for review now"), required=False, initial=True)


class ReturnForm(BootstrapForm):
    note = forms.CharField(
        label=_("Why is it returned?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
