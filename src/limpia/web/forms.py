from django import forms
from django.utils.translation import gettext_lazy as _

from limpia.core.fields import SignificantDigitsValidator
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
    value = forms.DecimalField(
        label=_("Value"),
        required=False,
        max_digits=20,
        decimal_places=6,
        validators=[SignificantDigitsValidator()],
    )
    text = forms.CharField(
        label=_("Reported text"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    disaggregation = forms.CharField(
        label=_("Disaggregation"),
        required=False,
        help_text=_(
            "Leave empty for the total. For one group, one line per dimension: "
            "dimension=value (for example region=CL-RM, size=pequeña)."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence_url = forms.URLField(
        label=_("Evidence link"), required=False, max_length=500, assume_scheme="https"
    )
    submit_now = forms.BooleanField(label=_("Submit for review now"), required=False, initial=True)
    # The version the person opened (edits only): a change by someone else since is a conflict.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean_disaggregation(self) -> dict[str, str]:
        result = {}
        for number, line in enumerate(self.cleaned_data["disaggregation"].splitlines(), 1):
            if not line.strip():
                continue
            dimension, sep, member = line.partition("=")
            if not sep or not dimension.strip() or not member.strip():
                raise forms.ValidationError(
                    _("Line %(n)s: write dimension=value, not %(line)r.")
                    % {"n": number, "line": line.strip()[:60]}
                )
            result[dimension.strip()] = member.strip()
        return result

    @classmethod
    def initial_for(cls, measurement) -> dict:
        return {
            "date": measurement.date,
            "value": measurement.value,
            "text": measurement.text,
            "comment": measurement.comment,
            "evidence_url": measurement.evidence_url,
            "disaggregation": "\n".join(f"{k}={v}" for k, v in measurement.disaggregation.items()),
            "submit_now": True,
            "version": measurement.version,
        }


class ReturnForm(BootstrapForm):
    note = forms.CharField(
        label=_("Why is it returned?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
