import uuid

from django import forms
from django.utils.translation import gettext_lazy as _


class AttachForm(forms.Form):
    identifier = forms.CharField(
        label=_("Debtor"),
        max_length=64,
        help_text=_("Page number (#1234), customer code, national id or phone number."),
    )


class ReplyForm(forms.Form):
    """Write to the debtor: a number with consent, a channel, free text or a template."""

    channel = forms.ChoiceField(label=_("Channel"), choices=[("whatsapp", _("WhatsApp")), ("sms", _("SMS"))])
    phone = forms.ChoiceField(label=_("Number"))
    text = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    template = forms.ModelChoiceField(
        label=_("Or an approved template"), queryset=None, required=False, empty_label=_("No template")
    )
    # One per form shown: a second submission of the same form sends nothing more.
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, phones, templates, **kwargs):
        kwargs.setdefault("prefix", "reply")  # the call form beside it has its own phone and notes
        super().__init__(*args, **kwargs)
        self.phones = {str(phone.pk): phone for phone in phones}
        self.fields["phone"].choices = [(str(phone.pk), phone.number.as_international) for phone in phones]
        self.fields["template"].queryset = templates
        if not self.is_bound:
            self.initial["key"] = uuid.uuid4().hex

    def clean_key(self):
        return self.cleaned_data["key"] or uuid.uuid4().hex

    def clean_phone(self):
        return self.phones[self.cleaned_data["phone"]]
