"""The call form's radio groups are rendered once and reused: what they show must not change."""

import pytest
from django.utils.translation import override

from calls.forms import CallLogForm
from tests import factories

pytestmark = pytest.mark.django_db


def _html(form, name: str) -> str:
    return "".join(option.tag() + str(option.choice_label) for option in form[name])


def test_a_reused_rendering_shows_the_choice_made_the_language_and_each_debtors_phones():
    debtor = factories.make_debtor()
    own = factories.make_phone(debtor=debtor, number="+51987654321")
    other = factories.make_debtor(portfolio=debtor.portfolio)
    factories.make_phone(debtor=other, number="+51912345678")

    with override("es"):
        blank = _html(CallLogForm(debtor=debtor, phones=[own]), "outcome")
        again = _html(CallLogForm(debtor=debtor, phones=[own]), "outcome")
        chosen = _html(CallLogForm(data={"outcome": "busy"}, debtor=debtor, phones=[own]), "outcome")
        first_phones = _html(CallLogForm(debtor=debtor, phones=[own]), "phone")
        other_phones = _html(CallLogForm(debtor=other, phones=list(other.phones.all())), "phone")
    with override("en"):
        english = _html(CallLogForm(debtor=debtor, phones=[own]), "outcome")

    assert blank == again and "checked" not in blank
    busy_input = next(tag for tag in chosen.split("<input")[1:] if 'value="busy"' in tag)
    assert "checked" in busy_input and chosen.count("checked") == 1
    assert "Ocupado" in blank and "Busy" in english
    assert f'value="{own.pk}"' in first_phones and f'value="{own.pk}"' not in other_phones
