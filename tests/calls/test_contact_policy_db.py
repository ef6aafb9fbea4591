"""check_contact and check_contact_many against the database: presets, overrides, queries."""

import pytest
from django.utils import timezone

from calls.models import Call, ContactPolicy, ContactRule, PortfolioContactSettings
from calls.policy import check_contact, check_contact_many
from calls.services import channel_authorisation_record, channel_authorisation_revoke
from tests import factories
from tests.calls.conftest import local

LIMA = "America/Lima"
NEW_YORK = "America/New_York"
BOGOTA = "America/Bogota"
MONDAY_10 = local("2026-03-02 10:00", LIMA)


def make_call(debtor, collector, moment, **fields):
    return factories.make_call(debtor=debtor, collector=collector, started_at=moment, **fields)


@pytest.fixture
def us_portfolio(db):
    return factories.make_portfolio(name="Cards US", country="US", currency="USD", time_zone=NEW_YORK, preset="us_regf")


@pytest.fixture
def co_portfolio(db):
    return factories.make_portfolio(name="Cards CO", country="CO", currency="COP", time_zone=BOGOTA, preset="co")


def test_a_fresh_database_has_every_preset_with_citations(db):
    codes = set(ContactPolicy.objects.values_list("code", flat=True))
    assert codes == {"us_regf", "us_ma", "pe", "cl", "co", "mx_fin", "mx_com", "es", "ar", "ec"}
    assert not ContactRule.objects.filter(citation="").exists()
    assert ContactPolicy.objects.get(code="pe").rules.filter(kind="holidays").exists()


def test_peru_blocks_saturday_and_names_the_next_monday(diego):
    verdict = check_contact(diego, "voice", local("2026-03-07 10:00", LIMA))
    assert verdict.codes == ["outside_hours"]
    assert verdict.next_allowed_at == local("2026-03-09 07:00", LIMA)
    assert (verdict.policy_code, verdict.policy_version) == ("pe", 1)


def test_holds_on_the_debtor_row_block_every_channel(diego):
    diego.hold_lawsuit = True
    diego.save()
    for channel in ("voice", "sms", "whatsapp", "email", "visit"):
        verdict = check_contact(diego, channel, MONDAY_10)
        assert verdict.codes == ["hold_lawsuit"]
        assert verdict.next_allowed_at is None


def test_third_party_phone_of_a_peruvian_debtor_is_undialable(diego):
    reference = factories.make_phone(debtor=diego, number="+51911111111", relationship="reference", contact_name="Rosa")
    verdict = check_contact(diego, "voice", MONDAY_10, phone=reference)
    assert verdict.codes == ["third_party_forbidden"]


def test_sms_needs_consent_on_one_of_the_debtors_own_numbers(diego):
    assert check_contact(diego, "sms", MONDAY_10).codes == ["no_consent"]
    factories.make_phone(
        debtor=diego,
        number="+51922222222",
        relationship="relative",
        sms_consent=True,
        sms_consent_source="form",
        sms_consent_at=timezone.now(),
    )
    assert check_contact(diego, "sms", MONDAY_10).codes == ["no_consent"]
    phone = diego.phones.get(relationship="own")
    phone.sms_consent, phone.sms_consent_source, phone.sms_consent_at = True, "contract clause 12", timezone.now()
    phone.save()
    assert check_contact(diego, "sms", MONDAY_10).allowed


def test_us_ledger_counts_calls_to_all_numbers(us_portfolio, carla):
    debtor = factories.make_debtor(portfolio=us_portfolio, assigned_to=carla)
    home = factories.make_phone(debtor=debtor, number="+12125550100")
    cell = factories.make_phone(debtor=debtor, number="+12125550101")
    for hour in range(9, 16):
        make_call(debtor, carla, local(f"2026-03-02 {hour:02d}:00", NEW_YORK), phone=home if hour % 2 else cell)
    verdict = check_contact(debtor, "voice", local("2026-03-04 10:00", NEW_YORK), phone=cell)
    assert verdict.codes == ["rolling_cap"]
    assert verdict.next_allowed_at == local("2026-03-09 08:00", NEW_YORK)


def test_us_count_is_per_debt(us_portfolio, carla):
    debtor = factories.make_debtor(portfolio=us_portfolio, assigned_to=carla)
    card, loan = factories.make_debt(debtor=debtor), factories.make_debt(debtor=debtor)
    for hour in range(9, 16):
        make_call(debtor, carla, local(f"2026-03-02 {hour:02d}:00", NEW_YORK), debt=card)
    at = local("2026-03-03 10:00", NEW_YORK)
    assert not check_contact(debtor, "voice", at, debt=card).allowed
    assert check_contact(debtor, "voice", at, debt=loan).allowed


def test_overlay_from_portfolio_settings_tightens_the_preset(us_portfolio, carla):
    debtor = factories.make_debtor(portfolio=us_portfolio, assigned_to=carla)
    make_call(debtor, carla, local("2026-03-02 10:00", NEW_YORK))
    make_call(debtor, carla, local("2026-03-03 10:00", NEW_YORK))
    at = local("2026-03-04 10:00", NEW_YORK)
    assert check_contact(debtor, "voice", at).allowed
    PortfolioContactSettings.objects.create(portfolio=us_portfolio, overlay_codes="us_ma")
    verdict = check_contact(debtor, "voice", at)
    assert verdict.codes == ["rolling_cap"]
    assert verdict.policy_label == "us_regf v1 + us_ma v1"


def test_a_portfolio_may_narrow_the_hours_but_not_widen_them(diego):
    settings = PortfolioContactSettings.objects.create(portfolio=diego.portfolio)
    ContactRule.objects.create(
        portfolio_settings=settings,
        kind="window",
        params={"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "10:00", "end": "23:00"},
        citation="Creditor's internal policy",
    )
    early = check_contact(diego, "voice", local("2026-03-02 09:00", LIMA))
    assert early.codes == ["outside_hours"]
    assert early.next_allowed_at == local("2026-03-02 10:00", LIMA)
    # Saturday stays closed: the preset's window still applies.
    assert not check_contact(diego, "voice", local("2026-03-07 12:00", LIMA)).allowed
    assert not check_contact(diego, "voice", local("2026-03-02 21:00", LIMA)).allowed


def test_the_newest_active_version_of_a_preset_applies(diego):
    version_two = ContactPolicy.objects.create(code="pe", version=2, name="Peru v2", citation="Ley 29571")
    ContactRule.objects.create(
        policy=version_two,
        kind="window",
        params={"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"},
        citation="x",
    )
    verdict = check_contact(diego, "voice", local("2026-03-02 07:30", LIMA))
    assert (verdict.policy_version, verdict.codes) == (2, ["outside_hours"])
    version_two.is_active = False
    version_two.save()
    assert check_contact(diego, "voice", local("2026-03-02 07:30", LIMA)).allowed


def test_a_missing_preset_blocks_rather_than_allows(diego):
    ContactPolicy.objects.filter(code="pe").delete()
    verdict = check_contact(diego, "voice", MONDAY_10)
    assert verdict.codes == ["no_policy"]


def test_colombia_needs_a_recorded_authorisation(co_portfolio, carla, ana):
    debtor = factories.make_debtor(portfolio=co_portfolio, assigned_to=carla)
    at = local("2026-03-03 10:00", BOGOTA)
    assert check_contact(debtor, "email", at).codes == ["channel_not_authorised"]
    channel_authorisation_record(
        debtor=debtor, channel="email", source="Signed form 2026-01-10", authorised_at=timezone.now(), recorded_by=ana
    )
    channel_authorisation_record(debtor=debtor, channel="email", source="again", authorised_at=timezone.now())
    assert check_contact(debtor, "email", at).allowed
    channel_authorisation_revoke(debtor=debtor, channel="email", at=timezone.now())
    assert check_contact(debtor, "email", at).codes == ["channel_not_authorised"]


def test_one_verdict_reads_the_ledger_in_a_fixed_number_of_queries(diego, carla, django_assert_num_queries):
    for day in range(2, 7):
        make_call(diego, carla, local(f"2026-03-0{day} 10:00", LIMA))
    check_contact(diego, "voice", MONDAY_10)  # warms the policy cache
    with django_assert_num_queries(1):
        check_contact(diego, "voice", local("2026-03-07 10:00", LIMA))
    with django_assert_num_queries(2):
        check_contact(diego, "sms", MONDAY_10)


def test_a_cold_cache_costs_a_bounded_number_of_queries(diego, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        check_contact(diego, "voice", MONDAY_10)


def test_a_queue_page_costs_the_same_queries_for_5_or_50_debtors(
    portfolio, co_portfolio, carla, django_assert_num_queries
):
    def page(size):
        debtors = []
        for index in range(size):
            debtor = factories.make_debtor(portfolio=co_portfolio if index % 2 else portfolio, assigned_to=carla)
            factories.make_phone(debtor=debtor, number=f"+5198{index:07d}")
            make_call(debtor, carla, local("2026-03-02 08:00", LIMA))
            debtors.append(debtor)
        return debtors

    small, large = page(5), page(50)
    check_contact_many(small, "sms", MONDAY_10)  # warms the policy cache
    with django_assert_num_queries(3):
        verdicts = check_contact_many(small, "sms", MONDAY_10)
    with django_assert_num_queries(3):
        verdicts = check_contact_many(large, "sms", MONDAY_10)
    assert len(verdicts) == 50
    with django_assert_num_queries(2):
        verdicts = check_contact_many(large, "voice", MONDAY_10)
    colombian = [debtor for debtor in large if debtor.portfolio_id == co_portfolio.pk]
    assert {verdicts[debtor.pk].codes[0] for debtor in colombian} == {"channel_not_authorised"}


def test_many_and_one_agree(diego, mateo, carla, cris):
    make_call(diego, carla, MONDAY_10, outcome=Call.Outcome.RIGHT_PARTY)
    at = local("2026-03-03 11:00", LIMA)
    many = check_contact_many([diego, mateo], "voice", at)
    for debtor in (diego, mateo):
        one = check_contact(debtor, "voice", at)
        assert (many[debtor.pk].allowed, many[debtor.pk].codes, many[debtor.pk].next_allowed_at) == (
            one.allowed,
            one.codes,
            one.next_allowed_at,
        )
