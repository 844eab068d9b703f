from django import forms
from django.utils.translation import gettext_lazy as _

from limpia.knowledge.models import Kind, Language
from limpia.web.forms import BootstrapForm


class SearchForm(BootstrapForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("All")), *Language.choices]
    )

    def __init__(self, *args, sectors=(), countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All")), *Kind.choices]
        self.fields["sector"].choices = [("", _("All")), *sectors]
        self.fields["country"].choices = [("", _("All")), *countries]
