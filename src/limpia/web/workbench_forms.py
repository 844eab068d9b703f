"""Forms of the agreements back office (coordinator, company representative, auditor, regulator).

They only shape and type the input; every rule is the services' business, and their refusals are
shown on the field they name."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from limpia.agreements.lifecycle import TRANSITIONS
from limpia.agreements.models import (
    AuditType,
    ImpactMetric,
    ItemStatus,
    ReportKind,
    Stage,
)
from limpia.core.fields import SignificantDigitsValidator
from limpia.web.forms import BootstrapForm


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def _text(label, rows=2, **kwargs):
    kwargs.setdefault("required", False)
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def _style(form) -> None:
    """Give fields added after BootstrapForm.__init__ the same classes."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.RadioSelect):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")


class StageForm(BootstrapForm):
    to_stage = forms.ChoiceField(label=_("Move to"))
    signing_date = _date(
        _("Signing date"),
        required=False,
        help_text=_("Required when the agreement moves to “Signed”."),
    )
    comment = _text(_("Comment"), help_text=_("Required to cancel the agreement."))

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS[agreement.stage]
        # The next stage first, cancellation last.
        choices = [(s.value, s.label) for s in Stage if s in allowed and s != Stage.CANCELLED]
        if Stage.CANCELLED in allowed:
            choices.append((Stage.CANCELLED.value, Stage.CANCELLED.label))
        self.fields["to_stage"].choices = choices
        if Stage.SIGNED not in allowed:
            del self.fields["signing_date"]


class ExtendForm(BootstrapForm):
    new_end = _date(_("New end of the implementation"))
    reason = _text(_("Reason"), rows=3, required=True)


class AdhesionForm(BootstrapForm):
    facility = forms.CharField(label=_("Facility code"), max_length=40)
    adhered_on = _date(_("Adhesion date"))
    exception_reason = _text(
        _("Exception (outside the adhesion window)"),
        help_text=_("Only the coordinator records an adhesion outside the window, with a reason."),
    )


class WithdrawForm(BootstrapForm):
    on = _date(_("Withdrawn on"))
    reason = _text(_("Reason"), required=True)


class AuditOpenForm(BootstrapForm):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None)
    auditor = forms.ModelChoiceField(label=_("Auditor"), queryset=None)
    audit_type = forms.ChoiceField(label=_("Type"), choices=AuditType.choices)
    audit_date = _date(_("Audit date"))
    corrects = forms.ModelChoiceField(
        label=_("Re-verifies the final audit"),
        queryset=None,
        required=False,
        help_text=_("Only for a correction re-verification."),
    )

    def __init__(self, *args, facilities, auditors, final_audits, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["auditor"].queryset = auditors
        self.fields["corrects"].queryset = final_audits


class FacilityDateForm(BootstrapForm):
    """Consultation of the regulators, or issue of a certificate: a facility and a date."""

    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None)
    on = _date(_("Date"), initial=timezone.localdate)

    def __init__(self, *args, facilities, date_label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["on"].label = date_label


class RevokeForm(BootstrapForm):
    on = _date(_("Revoked on"), initial=timezone.localdate)
    reason = _text(_("Reason"), rows=3, required=True)


class FollowUpForm(BootstrapForm):
    """One report: its kind and period, then a status, evidence and comment per action."""

    kind = forms.ChoiceField(label=_("Report"), choices=ReportKind.choices)
    period_end = _date(_("Period end"))

    def __init__(self, *args, actions, previous=None, **kwargs):
        super().__init__(*args, **kwargs)
        previous = previous or {}
        self.actions = actions
        for action in actions:
            item = previous.get(action.pk)
            self.fields[f"status_{action.pk}"] = forms.ChoiceField(
                label=_("Status"),
                choices=ItemStatus.choices,
                initial=item.status if item else ItemStatus.NOT_STARTED,
            )
            self.fields[f"evidence_{action.pk}"] = forms.URLField(
                label=_("Evidence link"),
                required=False,
                max_length=500,
                assume_scheme="https",
                initial=item.evidence_url if item else "",
            )
            self.fields[f"comment_{action.pk}"] = _text(
                _("Comment"), rows=1, initial=item.comment if item else ""
            )
        _style(self)

    def rows(self):
        """(action, status field, evidence field, comment field) per action, for the template."""
        return [
            (a, self[f"status_{a.pk}"], self[f"evidence_{a.pk}"], self[f"comment_{a.pk}"])
            for a in self.actions
        ]

    def items(self):
        data = self.cleaned_data
        return [
            (a, data[f"status_{a.pk}"], data[f"evidence_{a.pk}"], data[f"comment_{a.pk}"])
            for a in self.actions
        ]


class ImpactForm(BootstrapForm):
    metric = forms.ChoiceField(label=_("Metric"), choices=ImpactMetric.choices)
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    value = forms.DecimalField(
        label=_("Value"), max_digits=24, decimal_places=6, validators=[SignificantDigitsValidator()]
    )
    unit = forms.CharField(
        label=_("Unit or currency"),
        max_length=20,
        help_text=_("For example m³, L, kWh, MWh, t, kg; a currency code (CLP, USD) for money."),
    )
    is_baseline = forms.BooleanField(label=_("Baseline value"), required=False)


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes_no(value):
    return {"yes": True, "no": False}.get(value)


class AuditItemForm(BootstrapForm):
    """One row of the audit sheet. `version` is the version of the item the auditor saw (0: the
    item was not recorded yet), so that a concurrent change is reported, not overwritten."""

    applies = forms.TypedChoiceField(
        label=_("Applies"), choices=YES_NO, coerce=_yes_no, initial="yes"
    )
    complies = forms.TypedChoiceField(
        label=_("Complies"),
        choices=[("", "—"), *YES_NO],
        coerce=_yes_no,
        empty_value=None,
        required=False,
    )
    reason = forms.CharField(label=_("Why it does not apply"), required=False, max_length=2000)
    evidence = _text(_("Evidence"), rows=1)
    observation = _text(_("Observation"), rows=1)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0)

    @classmethod
    def initial_for(cls, item) -> dict:
        if item is None:
            return {"applies": "yes", "version": 0}
        return {
            "applies": "yes" if item.applies else "no",
            "complies": {True: "yes", False: "no"}.get(item.complies, ""),
            "reason": item.reason,
            "evidence": item.evidence,
            "observation": item.observation,
            "version": item.version,
        }


class AuditSubmitForm(BootstrapForm):
    correction_deadline = _date(
        _("Correction deadline"),
        required=False,
        help_text=_("Leave empty for the agreement's default correction period."),
    )

    def __init__(self, *args, with_deadline=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_deadline:
            del self.fields["correction_deadline"]


class AnswerForm(BootstrapForm):
    signatory = forms.ModelChoiceField(label=_("Answering for"), queryset=None, empty_label=None)
    objects_to = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("no", _("No objection")), ("yes", _("Objection"))],
        coerce=_yes_no,
        widget=forms.RadioSelect,
        initial="no",
    )
    reason = _text(_("Reason of the objection"), rows=3)
    answered_on = _date(_("Answered on"), initial=timezone.localdate)

    def __init__(self, *args, signatories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signatory"].queryset = signatories
        _style(self)
