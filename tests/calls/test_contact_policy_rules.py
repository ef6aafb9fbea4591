"""The presets' rules, table-driven and without a database (calls.policy.evaluate)."""

import pytest

from calls.policy import PhoneSnapshot
from tests.calls.conftest import attempt, judge, local, utc

LIMA = "America/Lima"
SANTIAGO = "America/Santiago"
BOGOTA = "America/Bogota"
GUAYAQUIL = "America/Guayaquil"
NEW_YORK = "America/New_York"
MADRID = "Europe/Madrid"
CANARY = "Atlantic/Canary"
BUENOS_AIRES = "America/Argentina/Buenos_Aires"

# 2026-03-02 is a Monday; 03-07 Saturday, 03-08 Sunday.
HOURS = [
    # preset, zone, local moment, channel, allowed, reason code
    ("pe", LIMA, "2026-03-02 06:59", "voice", False, "outside_hours"),
    ("pe", LIMA, "2026-03-02 07:00", "voice", True, None),
    ("pe", LIMA, "2026-03-02 19:59", "voice", True, None),
    ("pe", LIMA, "2026-03-02 20:00", "voice", False, "outside_hours"),
    ("pe", LIMA, "2026-03-07 10:00", "voice", False, "outside_hours"),
    ("pe", LIMA, "2026-03-08 10:00", "visit", False, "outside_hours"),
    ("pe", LIMA, "2026-03-07 10:00", "whatsapp", False, "outside_hours"),
    ("pe", LIMA, "2026-07-28 10:00", "voice", False, "holiday"),
    ("pe", LIMA, "2026-07-29 10:00", "sms", False, "holiday"),
    ("cl", SANTIAGO, "2026-03-02 07:59", "voice", False, "outside_hours"),
    ("cl", SANTIAGO, "2026-03-02 08:00", "voice", True, None),
    ("cl", SANTIAGO, "2026-03-02 20:00", "voice", False, "outside_hours"),
    ("cl", SANTIAGO, "2026-03-07 10:00", "voice", True, None),
    ("cl", SANTIAGO, "2026-03-08 10:00", "voice", False, "outside_hours"),
    ("cl", SANTIAGO, "2026-09-18 10:00", "voice", False, "holiday"),
    ("cl", SANTIAGO, "2026-09-19 10:00", "voice", False, "holiday"),
    ("co", BOGOTA, "2026-03-02 06:59", "voice", False, "outside_hours"),
    ("co", BOGOTA, "2026-03-02 18:59", "voice", True, None),
    ("co", BOGOTA, "2026-03-02 19:00", "voice", False, "outside_hours"),
    ("co", BOGOTA, "2026-03-07 07:59", "voice", False, "outside_hours"),
    ("co", BOGOTA, "2026-03-07 08:00", "voice", True, None),
    ("co", BOGOTA, "2026-03-07 14:59", "voice", True, None),
    ("co", BOGOTA, "2026-03-07 15:00", "voice", False, "outside_hours"),
    ("co", BOGOTA, "2026-03-08 10:00", "voice", False, "outside_hours"),
    ("co", BOGOTA, "2026-03-23 10:00", "voice", False, "holiday"),  # San José, moved to Monday
    ("ec", GUAYAQUIL, "2026-03-02 07:00", "email", True, None),
    ("ec", GUAYAQUIL, "2026-03-02 20:00", "email", False, "outside_hours"),
    ("ec", GUAYAQUIL, "2026-03-07 10:00", "voice", False, "outside_hours"),
    ("ec", GUAYAQUIL, "2026-02-16 10:00", "voice", False, "holiday"),  # Carnival
    ("us_regf", NEW_YORK, "2026-03-02 07:59", "voice", False, "outside_hours"),
    ("us_regf", NEW_YORK, "2026-03-02 08:00", "voice", True, None),
    ("us_regf", NEW_YORK, "2026-03-02 20:59", "sms", True, None),
    ("us_regf", NEW_YORK, "2026-03-02 21:00", "email", False, "outside_hours"),
    ("us_regf", NEW_YORK, "2026-03-08 10:00", "voice", True, None),
    ("us_regf", "America/Los_Angeles", "2026-03-02 07:59", "voice", False, "outside_hours"),
    ("us_regf", "America/Phoenix", "2026-07-01 08:00", "voice", True, None),
    ("us_regf", NEW_YORK, "2026-07-04 10:00", "voice", True, None),  # no holiday rule in Reg F
    ("mx_fin", "America/Mexico_City", "2026-03-02 06:59", "voice", False, "outside_hours"),
    ("mx_fin", "America/Mexico_City", "2026-03-08 07:00", "voice", True, None),
    ("mx_fin", "America/Tijuana", "2026-03-02 21:59", "voice", True, None),
    ("mx_fin", "America/Cancun", "2026-03-02 22:00", "voice", False, "outside_hours"),
    ("mx_com", "America/Monterrey", "2026-03-02 21:59", "voice", True, None),
    ("mx_com", "America/Monterrey", "2026-03-08 10:00", "voice", False, "outside_hours"),
    ("es", MADRID, "2026-03-02 08:59", "voice", False, "outside_hours"),
    ("es", MADRID, "2026-03-02 09:00", "voice", True, None),
    ("es", MADRID, "2026-03-02 21:00", "voice", False, "outside_hours"),
    ("es", MADRID, "2026-03-07 10:00", "voice", False, "outside_hours"),
    ("es", MADRID, "2026-01-06 10:00", "voice", False, "holiday"),
    ("es", CANARY, "2026-11-02 10:00", "voice", False, "holiday"),  # a Canary Islands holiday only
    ("es", MADRID, "2026-11-02 10:00", "voice", True, None),
    ("ar", BUENOS_AIRES, "2026-03-02 08:59", "voice", False, "outside_hours"),
    ("ar", BUENOS_AIRES, "2026-03-02 19:59", "voice", True, None),
    ("ar", BUENOS_AIRES, "2026-03-24 10:00", "voice", False, "holiday"),
]


@pytest.mark.parametrize(("preset", "zone", "moment", "channel", "allowed", "code"), HOURS)
def test_it_applies_each_presets_days_hours_and_holidays(preset, zone, moment, channel, allowed, code):
    verdict = judge(preset, local(moment, zone), time_zone=zone, channel=channel)
    assert verdict.allowed is allowed
    assert (verdict.codes[0] if verdict.codes else None) == code
    if not allowed:
        assert verdict.next_allowed_at > local(moment, zone)
        assert judge(preset, verdict.next_allowed_at, time_zone=zone, channel=channel).allowed


NEXT = [
    # Peru, Saturday evening: Monday 07:00.
    ("pe", LIMA, "2026-03-07 18:00", "2026-03-09 07:00"),
    # Peru, Monday before the 28–29 July holidays: Thursday 07:00.
    ("pe", LIMA, "2026-07-27 20:30", "2026-07-30 07:00"),
    # Chile, Independence Day Friday, Army Day Saturday, Sunday: Monday 08:00.
    ("cl", SANTIAGO, "2026-09-17 20:00", "2026-09-21 08:00"),
    # Colombia Saturday after 15:00: Monday 07:00.
    ("co", BOGOTA, "2026-03-07 15:00", "2026-03-09 07:00"),
    # Too early today: today's opening.
    ("us_regf", NEW_YORK, "2026-03-02 06:00", "2026-03-02 08:00"),
]


@pytest.mark.parametrize(("preset", "zone", "moment", "expected"), NEXT)
def test_it_finds_the_next_lawful_moment(preset, zone, moment, expected):
    verdict = judge(preset, local(moment, zone), time_zone=zone)
    assert not verdict.allowed
    assert verdict.next_allowed_at == local(expected, zone)


class TestDaylightSavingAndZones:
    def test_us_window_follows_the_spring_change(self):
        # 12:30 UTC is 07:30 EST on Saturday, 08:30 EDT on Sunday 8 March 2026.
        assert not judge("us_regf", utc("2026-03-07 12:30"), time_zone=NEW_YORK).allowed
        assert judge("us_regf", utc("2026-03-08 12:30"), time_zone=NEW_YORK).allowed

    def test_us_window_follows_the_autumn_change(self):
        assert judge("us_regf", utc("2026-10-31 12:30"), time_zone=NEW_YORK).allowed
        assert not judge("us_regf", utc("2026-11-01 12:30"), time_zone=NEW_YORK).allowed

    def test_us_next_moment_across_the_change_is_eight_local(self):
        verdict = judge("us_regf", local("2026-03-07 22:00", NEW_YORK), time_zone=NEW_YORK)
        assert verdict.next_allowed_at == utc("2026-03-08 12:00")

    def test_chile_window_follows_the_april_change(self):
        # Chile leaves summer time on 5 April 2026: 11:30 UTC is 08:30 before, 07:30 after.
        assert judge("cl", utc("2026-03-30 11:30"), time_zone=SANTIAGO).allowed
        assert not judge("cl", utc("2026-04-06 11:30"), time_zone=SANTIAGO).allowed
        assert judge("cl", utc("2026-04-06 12:00"), time_zone=SANTIAGO).allowed

    def test_chile_next_moment_skips_the_missing_midnight(self):
        # Summer time starts at Sunday 6 September 2026 00:00, which does not exist.
        verdict = judge("cl", local("2026-09-05 21:00", SANTIAGO), time_zone=SANTIAGO)
        assert verdict.next_allowed_at == utc("2026-09-07 11:00")

    def test_easter_island_is_two_hours_behind_santiago(self):
        at = utc("2026-03-02 12:30")  # 09:30 in Santiago, 07:30 on Easter Island
        assert judge("cl", at, time_zone=SANTIAGO).allowed
        verdict = judge("cl", at, time_zone="Pacific/Easter")
        assert verdict.codes == ["outside_hours"]
        assert verdict.next_allowed_at == utc("2026-03-02 13:00")

    def test_spain_window_follows_the_march_change(self):
        assert not judge("es", utc("2026-03-23 07:30"), time_zone=MADRID).allowed  # 08:30 CET
        assert judge("es", utc("2026-03-30 07:30"), time_zone=MADRID).allowed  # 09:30 CEST

    def test_canary_islands_are_an_hour_behind_madrid(self):
        at = utc("2026-03-30 07:59")  # 09:59 Madrid, 08:59 Canarias
        assert judge("es", at, time_zone=MADRID).allowed
        assert not judge("es", at, time_zone=CANARY).allowed
        assert judge("es", utc("2026-03-30 08:00"), time_zone=CANARY).allowed

    def test_mexico_zones_differ_for_the_same_moment(self):
        at = utc("2026-03-02 13:30")  # 07:30 Mexico City, 05:30 Tijuana, 08:30 Cancún
        assert judge("mx_fin", at, time_zone="America/Mexico_City").allowed
        assert not judge("mx_fin", at, time_zone="America/Tijuana").allowed
        assert judge("mx_fin", at, time_zone="America/Cancun").allowed

    def test_it_refuses_a_naive_moment(self):
        from datetime import datetime

        with pytest.raises(ValueError):
            judge("pe", datetime(2026, 3, 2, 10), time_zone=LIMA)


class TestUnitedStates:
    def test_it_blocks_the_eighth_call_in_seven_days(self):
        calls = [attempt(f"2026-03-02 {hour:02d}:00", NEW_YORK) for hour in range(9, 16)]
        verdict = judge("us_regf", local("2026-03-03 10:00", NEW_YORK), time_zone=NEW_YORK, attempts=calls)
        assert verdict.codes == ["rolling_cap"]
        # Day 1 of the window moves past 2 March at midnight on 9 March; 08:00 EDT.
        assert verdict.next_allowed_at == local("2026-03-09 08:00", NEW_YORK)

    def test_seven_calls_spread_over_the_week_block_until_the_first_leaves_the_window(self):
        calls = [attempt(f"2026-03-0{day} 10:00", NEW_YORK) for day in range(2, 9)]
        verdict = judge("us_regf", local("2026-03-08 18:00", NEW_YORK), time_zone=NEW_YORK, attempts=calls)
        assert verdict.codes == ["rolling_cap"]
        assert verdict.next_allowed_at == local("2026-03-09 08:00", NEW_YORK)

    def test_calls_that_do_not_connect_are_not_counted(self):
        calls = [attempt(f"2026-03-02 {hour:02d}:00", NEW_YORK, outcome="busy") for hour in range(9, 16)]
        calls.append(attempt("2026-03-02 16:00", NEW_YORK, outcome="disconnected"))
        assert judge("us_regf", local("2026-03-03 10:00", NEW_YORK), time_zone=NEW_YORK, attempts=calls).allowed

    def test_unanswered_and_voicemail_calls_are_counted(self):
        calls = [attempt(f"2026-03-02 {hour:02d}:00", NEW_YORK, outcome="voicemail") for hour in range(9, 13)]
        calls += [attempt(f"2026-03-03 {hour:02d}:00", NEW_YORK) for hour in range(9, 12)]
        assert not judge("us_regf", local("2026-03-04 10:00", NEW_YORK), time_zone=NEW_YORK, attempts=calls).allowed

    def test_the_count_is_per_debt_when_the_debt_is_known(self):
        calls = [attempt(f"2026-03-02 {hour:02d}:00", NEW_YORK, debt_id=1) for hour in range(9, 16)]
        at = local("2026-03-03 10:00", NEW_YORK)
        assert judge("us_regf", at, time_zone=NEW_YORK, attempts=calls, debt_id=2).allowed
        assert not judge("us_regf", at, time_zone=NEW_YORK, attempts=calls, debt_id=1).allowed
        assert not judge("us_regf", at, time_zone=NEW_YORK, attempts=calls).allowed

    def test_a_conversation_starts_a_seven_day_quiet_period(self):
        calls = [attempt("2026-03-02 10:00", NEW_YORK, outcome="right_party")]
        verdict = judge("us_regf", local("2026-03-08 20:00", NEW_YORK), time_zone=NEW_YORK, attempts=calls)
        assert verdict.codes == ["quiet_period"]
        assert verdict.next_allowed_at == local("2026-03-09 08:00", NEW_YORK)

    def test_an_inbound_conversation_also_starts_the_quiet_period(self):
        calls = [attempt("2026-03-02 10:00", NEW_YORK, outcome="right_party", direction="inbound")]
        assert judge("us_regf", local("2026-03-03 10:00", NEW_YORK), time_zone=NEW_YORK, attempts=calls).codes == [
            "quiet_period"
        ]

    def test_messages_are_outside_the_call_count(self):
        calls = [attempt(f"2026-03-02 {hour:02d}:00", NEW_YORK, outcome="right_party") for hour in range(9, 16)]
        for channel in ("sms", "email"):
            assert judge(
                "us_regf", local("2026-03-03 10:00", NEW_YORK), time_zone=NEW_YORK, channel=channel, attempts=calls
            ).allowed

    def test_massachusetts_overlay_allows_two_communications_a_week(self):
        calls = [attempt("2026-03-02 10:00", NEW_YORK), attempt("2026-03-03 10:00", NEW_YORK, channel="sms")]
        at = local("2026-03-04 10:00", NEW_YORK)
        assert judge("us_regf", at, time_zone=NEW_YORK, attempts=calls).allowed
        verdict = judge("us_regf", at, time_zone=NEW_YORK, attempts=calls, overlays=["us_ma"])
        assert verdict.codes == ["rolling_cap"]
        assert verdict.next_allowed_at == local("2026-03-09 08:00", NEW_YORK)


class TestChile:
    def test_one_phone_contact_a_week(self):
        calls = [attempt("2026-03-02 10:00", SANTIAGO, outcome="right_party")]
        verdict = judge("cl", local("2026-03-05 10:00", SANTIAGO), time_zone=SANTIAGO, attempts=calls)
        assert verdict.codes == ["weekly_cap"]
        assert verdict.next_allowed_at == local("2026-03-09 08:00", SANTIAGO)

    def test_a_visit_counts_with_phone_contacts(self):
        calls = [attempt("2026-03-02 10:00", SANTIAGO, channel="visit", outcome="right_party")]
        assert judge("cl", local("2026-03-03 10:00", SANTIAGO), time_zone=SANTIAGO, attempts=calls).codes == [
            "weekly_cap"
        ]

    def test_an_unanswered_call_is_not_a_contact(self):
        calls = [attempt("2026-03-02 10:00", SANTIAGO, outcome="no_answer")]
        assert judge("cl", local("2026-03-02 11:00", SANTIAGO), time_zone=SANTIAGO, attempts=calls).allowed

    def test_messages_two_a_week_two_days_apart(self):
        monday = [attempt("2026-03-02 10:00", SANTIAGO, channel="sms")]
        tuesday = judge("cl", local("2026-03-03 10:00", SANTIAGO), time_zone=SANTIAGO, channel="email", attempts=monday)
        assert tuesday.codes == ["min_gap"]
        assert tuesday.next_allowed_at == local("2026-03-04 08:00", SANTIAGO)
        both = monday + [attempt("2026-03-04 10:00", SANTIAGO, channel="whatsapp")]
        friday = judge("cl", local("2026-03-06 10:00", SANTIAGO), time_zone=SANTIAGO, channel="sms", attempts=both)
        assert friday.codes == ["weekly_cap"]
        assert friday.next_allowed_at == local("2026-03-09 08:00", SANTIAGO)

    def test_messages_and_calls_are_counted_apart(self):
        calls = [attempt("2026-03-02 10:00", SANTIAGO, outcome="right_party")]
        assert judge(
            "cl", local("2026-03-02 11:00", SANTIAGO), time_zone=SANTIAGO, channel="sms", attempts=calls
        ).allowed


class TestColombia:
    def test_one_contact_a_day_on_any_channel(self):
        calls = [attempt("2026-03-02 08:00", BOGOTA, channel="email")]
        verdict = judge("co", local("2026-03-02 10:00", BOGOTA), time_zone=BOGOTA, attempts=calls)
        assert verdict.codes == ["daily_cap"]
        assert verdict.next_allowed_at == local("2026-03-03 07:00", BOGOTA)

    def test_after_a_direct_contact_only_that_channel_for_the_week(self):
        calls = [attempt("2026-03-02 10:00", BOGOTA, outcome="right_party")]
        tuesday = local("2026-03-03 10:00", BOGOTA)
        verdict = judge("co", tuesday, time_zone=BOGOTA, channel="whatsapp", attempts=calls)
        assert verdict.codes == ["channel_per_week"]
        assert verdict.next_allowed_at == local("2026-03-09 07:00", BOGOTA)
        assert judge("co", tuesday, time_zone=BOGOTA, channel="voice", attempts=calls).allowed

    def test_without_a_direct_contact_channels_may_change(self):
        calls = [attempt("2026-03-02 10:00", BOGOTA, outcome="no_answer")]
        assert judge("co", local("2026-03-03 10:00", BOGOTA), time_zone=BOGOTA, channel="sms", attempts=calls).allowed

    def test_only_authorised_channels(self):
        verdict = judge(
            "co",
            local("2026-03-03 10:00", BOGOTA),
            time_zone=BOGOTA,
            channel="whatsapp",
            authorised=frozenset({"voice"}),
        )
        assert verdict.codes == ["channel_not_authorised"]
        assert verdict.next_allowed_at is None


class TestEcuador:
    def test_one_contact_a_day_across_channels(self):
        calls = [attempt("2026-03-02 09:00", GUAYAQUIL, channel="sms")]
        verdict = judge("ec", local("2026-03-02 15:00", GUAYAQUIL), time_zone=GUAYAQUIL, attempts=calls)
        assert verdict.codes == ["daily_cap"]
        assert verdict.next_allowed_at == local("2026-03-03 07:00", GUAYAQUIL)

    def test_friday_contact_moves_to_monday(self):
        calls = [attempt("2026-03-06 09:00", GUAYAQUIL)]
        verdict = judge("ec", local("2026-03-06 15:00", GUAYAQUIL), time_zone=GUAYAQUIL, attempts=calls)
        assert verdict.next_allowed_at == local("2026-03-09 07:00", GUAYAQUIL)


class TestSpain:
    def test_internal_cap_warns_without_blocking(self):
        calls = [attempt(f"2026-03-02 {hour:02d}:00", MADRID) for hour in (9, 10, 11)]
        verdict = judge("es", local("2026-03-02 12:00", MADRID), time_zone=MADRID, attempts=calls)
        assert verdict.allowed
        assert verdict.warning_codes == ["daily_cap"]


class TestHoldsThirdPartiesAndConsent:
    @pytest.mark.parametrize(
        "hold",
        ["hold_do_not_contact", "hold_cease", "hold_dispute", "hold_lawsuit", "hold_insolvency", "hold_deceased"],
    )
    @pytest.mark.parametrize("channel", ["voice", "sms", "whatsapp", "email", "visit"])
    def test_holds_block_every_channel_indefinitely(self, hold, channel):
        verdict = judge(
            "us_regf", local("2026-03-02 10:00", NEW_YORK), time_zone=NEW_YORK, channel=channel, holds=[hold]
        )
        assert not verdict.allowed
        assert verdict.codes == [hold]
        assert verdict.next_allowed_at is None
        assert verdict.reasons[0].message

    def test_holds_come_before_hours(self):
        verdict = judge("pe", local("2026-03-07 10:00", LIMA), time_zone=LIMA, holds=["hold_dispute"])
        assert verdict.codes == ["hold_dispute"]

    @pytest.mark.parametrize("preset", ["pe", "cl", "co", "mx_fin", "mx_com", "ar", "ec"])
    @pytest.mark.parametrize("relationship", ["reference", "relative", "employer"])
    def test_third_party_numbers_are_undialable_where_the_law_forbids(self, preset, relationship):
        zone = {"pe": LIMA, "cl": SANTIAGO, "co": BOGOTA, "ar": BUENOS_AIRES, "ec": GUAYAQUIL}.get(
            preset, "America/Mexico_City"
        )
        phone = PhoneSnapshot(id=2, relationship=relationship)
        verdict = judge(preset, local("2026-03-02 10:00", zone), time_zone=zone, phone=phone)
        assert verdict.codes == ["third_party_forbidden"]
        assert verdict.next_allowed_at is None

    @pytest.mark.parametrize(("preset", "zone"), [("us_regf", NEW_YORK), ("es", MADRID)])
    def test_third_party_numbers_are_location_only_where_the_law_allows(self, preset, zone):
        verdict = judge(
            preset, local("2026-03-02 10:00", zone), time_zone=zone, phone=PhoneSnapshot(id=2, relationship="relative")
        )
        assert verdict.allowed
        assert verdict.warning_codes == ["third_party_location_only"]

    @pytest.mark.parametrize("channel", ["sms", "whatsapp"])
    def test_messages_need_consent_on_the_number(self, channel):
        verdict = judge(
            "us_regf",
            local("2026-03-02 10:00", NEW_YORK),
            time_zone=NEW_YORK,
            channel=channel,
            phone=PhoneSnapshot(id=3),
        )
        assert verdict.codes == ["no_consent"]
        assert verdict.next_allowed_at is None

    def test_voice_and_email_need_no_message_consent(self):
        for channel in ("voice", "email"):
            assert judge(
                "us_regf",
                local("2026-03-02 10:00", NEW_YORK),
                time_zone=NEW_YORK,
                channel=channel,
                phone=PhoneSnapshot(id=3),
            ).allowed

    def test_reasons_carry_citations_and_messages(self):
        verdict = judge("pe", local("2026-03-07 10:00", LIMA), time_zone=LIMA)
        reason = verdict.reasons[0]
        assert "29571" in reason.citation
        assert "America/Lima" in reason.message
        snapshot = verdict.as_dict()
        assert snapshot["reasons"][0]["code"] == "outside_hours"
        assert snapshot["next_allowed_at"] == "2026-03-09T07:00:00-05:00"
