""" "BAJA" stops messages on the channel it came by, at once and visibly; "ALTA" restarts them."""

from datetime import timedelta

import pytest
from django.urls import reverse

from calls.models import FollowUp
from calls.policy import check_contact
from conversations.models import ConsentKeyword, keyword_normalise
from promises import services as outbox
from promises.models import Message
from tests import factories
from tests.conversations.conftest import (
    DIEGO_NUMBER,
    WEDNESDAY,
    consent,
    meta_change,
    meta_post,
    meta_text,
    twilio_post,
    twilio_sms,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("providers", "clock")]


@pytest.mark.parametrize("text", ["BAJA", " baja ", "¡No Más!", "no  mas", "Alto.", "STOP"])
def test_the_keywords_are_recognised_however_they_are_typed(text):
    word = keyword_normalise(text)
    assert ConsentKeyword.objects.get(word=word).action == "stop"


def test_a_sentence_with_the_word_inside_is_not_a_keyword(client, diego):
    consent(diego.phones.get(), "sms")
    twilio_post(client, twilio_sms("SM2001", "no me den de baja todavía, pago el lunes"))
    assert diego.phones.get().sms_consent is True


def test_baja_by_sms_revokes_sms_consent_confirms_once_and_blocks_the_channel(client, diego):
    phone = diego.phones.get()
    consent(phone, "sms", "whatsapp")

    twilio_post(client, twilio_sms("SM2002", "BAJA"))

    phone.refresh_from_db()
    assert phone.sms_consent is False and phone.whatsapp_consent is True  # only the channel it came by
    assert phone.sms_consent_at == WEDNESDAY and "BAJA" in phone.sms_consent_source
    assert "SM2002" in phone.sms_consent_source
    verdict = check_contact(diego, "sms", WEDNESDAY + timedelta(hours=1), phone=phone)
    assert not verdict.allowed and verdict.next_allowed_at is None
    assert check_contact(diego, "whatsapp", WEDNESDAY + timedelta(hours=1), phone=phone).allowed
    # One confirmation, in Spanish, sent even though consent is now gone; no follow-up for a "BAJA".
    confirmation = Message.objects.get(purpose="consent")
    assert (confirmation.recipient, confirmation.channel) == (DIEGO_NUMBER, "sms")
    assert "ALTA" in confirmation.body
    assert not FollowUp.objects.filter(reason="reply").exists()
    assert outbox.messages_send_due(now=WEDNESDAY).sent == 1

    # Saying it again changes nothing and is not confirmed again.
    twilio_post(client, twilio_sms("SM2003", "baja"))
    assert Message.objects.filter(purpose="consent").count() == 1


def test_a_reminder_queued_before_the_baja_is_blocked_when_its_moment_comes(client, diego, carla):
    phone = diego.phones.get()
    consent(phone, "sms")
    promise = factories.make_promise(debtor=diego, collector=carla)
    reminder = Message.objects.create(
        debtor=diego,
        promise=promise,
        phone=phone,
        channel="sms",
        purpose="reminder",
        recipient=DIEGO_NUMBER,
        language="es",
        body="Recordatorio",
        idempotency_key="reminder:test",
        send_after=WEDNESDAY + timedelta(hours=2),
    )
    twilio_post(client, twilio_sms("SM2004", "NO MAS"))
    outbox.messages_send_due(now=WEDNESDAY + timedelta(hours=2))
    reminder.refresh_from_db()
    assert reminder.status == "blocked"


def test_alta_restores_consent_with_its_source_and_time(client, diego, clock):
    phone = diego.phones.get()
    consent(phone, "whatsapp")
    meta_post(client, meta_change(messages=[meta_text("wamid.B1", "Baja")]))
    phone.refresh_from_db()
    assert phone.whatsapp_consent is False
    later = WEDNESDAY + timedelta(days=2)
    clock.move_to(later)
    meta_post(client, meta_change(messages=[meta_text("wamid.B2", "ALTA", at=later)]))
    phone.refresh_from_db()
    assert phone.whatsapp_consent is True and phone.whatsapp_consent_at == later
    assert "ALTA" in phone.whatsapp_consent_source
    assert Message.objects.filter(purpose="consent").count() == 2


def test_stop_in_english_confirms_in_english(client, diego):
    consent(diego.phones.get(), "sms")
    twilio_post(client, twilio_sms("SM2005", "Stop"))
    confirmation = Message.objects.get(purpose="consent")
    assert confirmation.language == "en" and "START" in confirmation.body


def test_the_debtor_page_shows_the_baja_and_the_consent_gone(client, diego, carla):
    consent(diego.phones.get(), "sms")
    twilio_post(client, twilio_sms("SM2006", "BAJA"))
    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "Baja: consentimiento retirado" in page
    assert "Consentimiento para SMS" not in page.split('id="phones-title"')[1].split("</section>")[0]


def test_an_admin_adds_a_keyword_stored_as_it_is_compared():
    keyword = ConsentKeyword.objects.create(word="  Desuscribir! ", language="es", action="stop", confirmation="Listo.")
    assert keyword.word == "desuscribir"


def test_baja_is_kept_in_the_numbers_consent_history(client, diego):
    from debtors.models import ConsentChange

    phone = diego.phones.get()
    consent(phone, "sms")
    twilio_post(client, twilio_sms("SM2090", "BAJA"))
    twilio_post(client, twilio_sms("SM2091", "BAJA"))  # a second one changes nothing

    change = ConsentChange.objects.get()
    assert (change.phone, change.number, change.channel, change.granted) == (phone, DIEGO_NUMBER, "sms", False)
    assert (change.source, change.by, change.at) == ("keyword", None, WEDNESDAY)
    assert "BAJA" in change.detail and "SM2090" in change.detail
