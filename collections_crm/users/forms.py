from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from collections_crm.lib.timezones import time_zone_choices


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Times on every page are shown in this zone; a debtor's times also in the debtor's own."),
    )
